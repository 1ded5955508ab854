"""From answers to scores: the scoring engine (normalisation, aggregation), the
scores of a survey, their statistical audit and their method uncertainty.
"""

from . import scores
from . import audit
from . import uncertainty
from .scores import *  # noqa: F401,F403
from .audit import *  # noqa: F401,F403
from .uncertainty import *  # noqa: F401,F403

__all__ = [
    *scores.__all__,
    *audit.__all__,
    *uncertainty.__all__,
]
