"""Brief content as data: survey results, reference context, capacity profiles,
recommendations from the rule table, peers' good practices and the :class:`Brief`.

Nothing here draws or renders; :mod:`nhri_capacity.render` does, from ``Brief.data``.
"""

from . import content, keyfigures
from .content import *  # noqa: F401,F403
from .keyfigures import *  # noqa: F401,F403

__all__ = [
    *content.__all__,
    *keyfigures.__all__,
]
