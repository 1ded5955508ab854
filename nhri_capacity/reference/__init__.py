"""Reference data: countries, UN migrant stock, treaty status, and the build of their processed tables.

Reads only the files under ``data/raw``; knows nothing of surveys.
"""

from . import countries
from . import migration
from . import treaties
from . import build
from .countries import *  # noqa: F401,F403
from .migration import *  # noqa: F401,F403
from .treaties import *  # noqa: F401,F403
from .build import *  # noqa: F401,F403

__all__ = [
    *countries.__all__,
    *migration.__all__,
    *treaties.__all__,
    *build.__all__,
]
