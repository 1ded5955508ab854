"""Exceptions raised for problems a user can fix.

Every message names what was wrong (file, row, column, value) and what was
expected, so that the command line can print it as it is, without a traceback.
"""

__all__ = [
    "NHRICapacityError",
    "DataFileError",
    "CountryNotFoundError",
    "SurveyReadError",
    "SurveyValidationError",
    "OutputFormatError",
    "SpecError",
    "BriefParameterError",
    "OutputFolderError",
    "OutputFolderBusyError",
]


class NHRICapacityError(Exception):
    """Base class of every error the toolkit raises for bad input.

    The command line catches this class, prints the message and exits with
    status 2; anything else is a bug and keeps its traceback.
    """


class DataFileError(NHRICapacityError):
    """A reference data file (UN workbook, treaty table) is missing or unreadable."""


class CountryNotFoundError(NHRICapacityError, LookupError):
    """One or more country names or codes could not be matched.

    Attributes
    ----------
    unmatched : dict
        Maps each unmatched input to a list of close suggestions (may be empty).
    """

    def __init__(self, message, unmatched=None):
        super().__init__(message)
        self.unmatched = dict(unmatched or {})


class SurveyReadError(NHRICapacityError):
    """A survey file cannot be read at all (missing, empty, wrong format)."""


class SurveyValidationError(NHRICapacityError):
    """A survey has errors that stop it being scored.

    Attributes
    ----------
    problems : list
        The :class:`nhri_capacity.survey.validation.Problem` records found.
    """

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.problems = list(problems or [])


class OutputFormatError(NHRICapacityError, ValueError):
    """An output file was asked for in a format the toolkit cannot write."""


class SpecError(NHRICapacityError):
    """A scoring specification or codebook file is invalid."""


class BriefParameterError(NHRICapacityError):
    """A country brief was asked for with parameters that cannot be used."""


class OutputFolderError(NHRICapacityError):
    """An output folder cannot be created or written: missing parent, read-only, full disk."""


class OutputFolderBusyError(OutputFolderError):
    """Another batch of briefs is writing to the same output folder."""
