"""The questionnaire and its answers: codebook, printable questionnaire and XLSForm,
reading and validating survey files, writing them, and the synthetic sample.
"""

from . import codebook
from . import instrument
from . import readers
from . import validation
from . import sample
from .codebook import *  # noqa: F401,F403
from .instrument import *  # noqa: F401,F403
from .readers import *  # noqa: F401,F403
from .validation import *  # noqa: F401,F403
from .sample import *  # noqa: F401,F403

__all__ = [
    *codebook.__all__,
    *instrument.__all__,
    *readers.__all__,
    *validation.__all__,
    *sample.__all__,
]
