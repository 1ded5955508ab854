"""Reference data: countries, UN migrant stock, regions, treaty status, and the build of their processed tables.

Reads only the files under ``data/raw``; knows nothing of surveys. Inside the
package, imports run one way: ``countries`` uses none of the others;
``migration`` and ``treaties`` use ``countries``; ``regions`` uses
``countries`` and ``migration``; ``build`` uses ``migration`` and ``treaties``.
"""

from . import build, countries, migration, regions, treaties
from .build import *  # noqa: F401,F403
from .countries import *  # noqa: F401,F403
from .migration import *  # noqa: F401,F403
from .regions import *  # noqa: F401,F403
from .treaties import *  # noqa: F401,F403

__all__ = [
    *countries.__all__,
    *migration.__all__,
    *regions.__all__,
    *treaties.__all__,
    *build.__all__,
]
