"""The questionnaire and its answers: codebook, printable questionnaire and XLSForm,
reading and validating survey files, writing them, and the synthetic sample.

Modules, each depending only on those listed before it:

``codebook``
    The questionnaire as data (``resources/codebook.yaml``).
``parsing``, ``schema``
    Cell values as users type them; file columns and answer labels onto the codebook.
``metadata``
    ``attrs["survey"]`` and the synthetic flag.
``files``
    :func:`read_survey_raw`: a ``.sav``, ``.dta``, ``.csv``, ``.xlsx`` or
    ``.parquet`` file with its values as typed.
``problems``, ``validation``
    What a check finds and the report; the checks (:func:`validate_survey`).
``readers``, ``writers``
    :func:`read_survey` (the typed survey frame) and :func:`write_survey`.
``instrument``, ``xlsform_builder``, ``questionnaire``
    What the form asks; the XLSForm for KoboToolbox/ODK; the printable questionnaire.
``sample_model``, ``sample_texts``, ``sample``
    The synthetic sample: its numbers, its words, the generator.
"""

from . import (
    codebook,
    files,
    instrument,
    metadata,
    problems,
    questionnaire,
    readers,
    sample,
    validation,
    writers,
    xlsform_builder,
)
from .codebook import *  # noqa: F401,F403
from .files import *  # noqa: F401,F403
from .instrument import *  # noqa: F401,F403
from .metadata import *  # noqa: F401,F403
from .problems import *  # noqa: F401,F403
from .questionnaire import *  # noqa: F401,F403
from .readers import *  # noqa: F401,F403
from .sample import *  # noqa: F401,F403
from .validation import *  # noqa: F401,F403
from .writers import *  # noqa: F401,F403
from .xlsform_builder import *  # noqa: F401,F403

__all__ = [
    *codebook.__all__,
    *instrument.__all__,
    *xlsform_builder.__all__,
    *questionnaire.__all__,
    *files.__all__,
    *metadata.__all__,
    *problems.__all__,
    *validation.__all__,
    *readers.__all__,
    *writers.__all__,
    *sample.__all__,
]
