"""From answers to scores: the scoring spec, the scores of a survey, their
statistical audit and their method uncertainty.

The arithmetic they share (normalisation, imputation, aggregation) lives in
:mod:`nhri_capacity.scoring.engine`, which works on numpy arrays and is not
re-exported here.
"""

from . import audit, scores, spec, uncertainty
from .audit import *  # noqa: F401,F403
from .scores import *  # noqa: F401,F403
from .spec import *  # noqa: F401,F403
from .uncertainty import *  # noqa: F401,F403

__all__ = [
    *spec.__all__,
    *scores.__all__,
    *audit.__all__,
    *uncertainty.__all__,
]
