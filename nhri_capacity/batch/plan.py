"""The plan of a batch: every input checked before any kernel starts, and the survey read once.

:func:`open_plan` resolves and checks the template, output folder, formats,
year, draws, kernel and limits, claims the output folder (see
:mod:`~nhri_capacity.batch.folder`), then learns what the batch needs from the
survey with one call to :func:`nhri_capacity.brief.survey_results` (which
hashes the file, and reads and scores it only when its results are not
cached yet). The :class:`SurveyFacts` it keeps (path, SHA-256, synthetic
flag, country codes and the results themselves) travel with the
:class:`Plan` to every later step, so the survey file is never read or
hashed again in this process; the kernels then load the cached results.
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..brief import check_year, survey_results
from ..common.io import sha256_file
from ..common.values import as_whole_number
from ..errors import BriefParameterError
from ..reference import to_iso3
from ..render import check_formats
from ..survey import READ_FORMATS
from .folder import claim_output_folder
from .kernel import resolve_kernel_name
from .markers import marker_inputs

__all__ = ["SurveyFacts", "survey_facts", "check_countries"]

#: What an ISO3 code must look like before it goes anywhere near a path or papermill.
ISO3 = re.compile(r"^[A-Z]{3}$")


# --------------------------------------------------------------------------- #
# The survey, read once
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class SurveyFacts:
    """What a batch knows about its survey, all from one :func:`survey_facts` call.

    Attributes
    ----------
    path : Path
        The resolved survey file.
    sha256 : str
        Its SHA-256 (recorded in every brief's marker).
    synthetic : bool
        Whether it is illustrative synthetic data.
    countries : tuple of str
        ISO3 codes of its institutions, sorted, including institutions set
        aside for broken rows: their brief is attempted and fails with the
        row errors while the others go on.
    results : SurveyResults
        :func:`nhri_capacity.brief.survey_results` for the batch's draws.
    """

    path: Path
    sha256: str
    synthetic: bool
    countries: tuple
    results: object


def resolve_survey(survey) -> Path:
    """The survey file as an absolute path; default the bundled sample.

    Raises
    ------
    BriefParameterError
        When it does not exist, is not a file or has an unsupported suffix.
    """
    path = Path(config.SAMPLE_SURVEY if survey is None else survey).expanduser()
    try:
        path = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise BriefParameterError(f"Survey file not found: {path}") from None
    if not path.is_file():
        raise BriefParameterError(f"Survey path is not a file: {path}")
    if path.suffix.lower() not in READ_FORMATS:
        raise BriefParameterError(
            f"Survey file {path.name} has an unsupported type {path.suffix or '(none)'}; "
            f"expected one of {', '.join(READ_FORMATS)}"
        )
    return path


def survey_facts(survey=None, *, n_draws: int = 1000) -> SurveyFacts:
    """Read a survey for a batch, once: its hash, synthetic flag, countries and results.

    Parameters
    ----------
    survey : str or Path, optional
        Survey file; default the bundled sample (``config.SAMPLE_SURVEY``).
    n_draws : int, default 1000
        Method draws of the score intervals, as the briefs will use them (the
        results are cached under this number, where the kernels find them).

    Raises
    ------
    BriefParameterError
        For a bad survey path (see :func:`resolve_survey`).
    SurveyValidationError
        When the survey cannot be scored at all.

    Examples
    --------
    >>> facts = survey_facts(n_draws=200)
    >>> facts.synthetic, "MEX" in facts.countries, len(facts.sha256)
    (True, True, 64)
    """
    path = resolve_survey(survey)
    results = survey_results(path, n_draws=n_draws)
    codes = {str(c) for c in results.survey["country"].dropna().unique()}
    # Institutions set aside for broken rows still count as in the survey.
    set_aside = results.meta.get("set_aside") or {}
    codes |= {entry["country"] for entry in set_aside.values() if entry.get("country")}
    return SurveyFacts(
        path=path,
        sha256=results.meta["sha256"],
        synthetic=bool(results.synthetic),
        countries=tuple(sorted(codes)),
        results=results,
    )


def check_countries(countries, *, survey=None, facts: SurveyFacts | None = None) -> list[str]:
    """Validate country codes for briefs and return them as upper-case ISO3.

    Each code must be, after trimming and ``upper()``, three letters A-Z
    (``^[A-Z]{3}$``), the ISO3 code of a known country, and the country of an
    institution in the survey. Duplicates are dropped; order is kept.

    Parameters
    ----------
    countries : str or iterable of str
        ISO3 codes, any case. A single string is one code (it is not split).
    survey : str or Path, optional
        Survey file; default the bundled sample (``config.SAMPLE_SURVEY``).
        Read with :func:`survey_facts` (1,000 draws, the batch's default).
    facts : SurveyFacts, optional
        The survey as a batch already read it; then *survey* is not read
        again (and, if given, must be the same file).

    Returns
    -------
    list of str

    Raises
    ------
    BriefParameterError
        Listing every bad input with the reason, and the codes available in
        the survey. Also when the survey path does not exist, is not a file
        or has an unsupported suffix.

    Examples
    --------
    >>> check_countries(["mex", "DEU"])
    ['MEX', 'DEU']
    """
    if facts is None:
        facts = survey_facts(survey)
    elif survey is not None and resolve_survey(survey) != facts.path:
        raise BriefParameterError(f"Survey {survey} is not the survey read for this batch ({facts.path})")
    if countries is None:
        raise BriefParameterError("No countries given")
    if isinstance(countries, (str, bytes)):
        countries = [countries]
    countries = list(countries)
    if not countries:
        raise BriefParameterError("No countries given")

    name = facts.path.name
    good: list[str] = []
    bad: list[str] = []
    for raw in countries:
        if not isinstance(raw, str):
            bad.append(f"{raw!r} (not a text ISO3 code)")
            continue
        code = raw.strip().upper()
        if not ISO3.fullmatch(code):
            bad.append(f"{raw!r} (not a three-letter ISO3 code)")
            continue
        known = to_iso3(code, strict=False)
        if not isinstance(known, str):
            bad.append(f"{raw!r} (not a known ISO3 country code)")
            continue
        if known != code:
            bad.append(f"{raw!r} (not an ISO3 code; did you mean {known}?)")
            continue
        if code not in facts.countries:
            bad.append(f"{raw!r} (no institution from this country in {name})")
            continue
        if code not in good:
            good.append(code)
    if bad:
        raise BriefParameterError(
            f"Cannot make briefs for {len(bad)} of {len(countries)} countries: "
            + "; ".join(bad)
            + f".\nAvailable ISO3 codes in {name} ({len(facts.countries)}): "
            + ", ".join(facts.countries)
        )
    return good


# --------------------------------------------------------------------------- #
# The other inputs (everything that reaches papermill goes through here)
# --------------------------------------------------------------------------- #
def check_int(value, name: str, *, minimum: int, maximum: int | None = None) -> int:
    """A whole number within bounds (``"12"`` is accepted, ``2.5`` and ``True`` are not).

    Examples
    --------
    >>> check_int("4", "jobs", minimum=1)
    4
    """
    try:
        number = as_whole_number(value)
    except ValueError:
        raise BriefParameterError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise BriefParameterError(f"{name} must be {bounds}, not {number}")
    return number


def _check_year(year) -> int | None:
    """None (the notebook takes the latest), or a year of the UN migrant-stock table,
    checked here so that a bad year fails once, before any kernel starts."""
    return None if year is None else check_year(year)


def _resolve_out(out) -> Path:
    path = Path(config.BRIEFS_DIR if out is None else out).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise BriefParameterError(f"Output folder {path} exists and is not a folder")
    return path


def _resolve_template(template) -> Path:
    path = Path(config.BRIEF_TEMPLATE if template is None else template).expanduser()
    if not path.is_file():
        raise BriefParameterError(f"Brief template not found: {path}")
    if path.suffix != ".ipynb":
        raise BriefParameterError(f"Brief template must be a .ipynb notebook: {path}")
    return path.resolve()


def country_dir(out: Path, iso3: str) -> Path:
    """``<out>/<ISO3>``, refused if it resolves outside *out* (a symbolic link)."""
    if not ISO3.fullmatch(iso3):  # only validated codes get here; belt and braces
        raise BriefParameterError(f"Invalid ISO3 code {iso3!r}")
    folder = (out / iso3).resolve()
    if not folder.is_relative_to(out):
        raise BriefParameterError(
            f"Brief folder for {iso3} resolves to {folder}, outside the output folder {out} "
            "(is it a symbolic link?)"
        )
    return folder


# --------------------------------------------------------------------------- #
# The plan
# --------------------------------------------------------------------------- #
@dataclass
class Plan:
    """Validated, resolved inputs shared by every brief of a run, and its stop signal."""

    survey: SurveyFacts
    template: Path
    template_sha: str
    out: Path
    formats: tuple
    year: int | None
    n_draws: int
    kernel_name: str
    retries: int
    timeout: int | None
    #: Set when the run must stop (Ctrl-C, a full disk): no brief starts a
    #: kernel any more, and running kernels are killed.
    stop: threading.Event = field(default_factory=threading.Event)

    def inputs(self, iso3: str) -> dict:
        """What one brief depends on (recorded in its marker)."""
        return marker_inputs(
            iso3, survey_sha=self.survey.sha256, template_sha=self.template_sha,
            formats=self.formats, year=self.year, n_draws=self.n_draws,
        )


@contextlib.contextmanager
def open_plan(*, survey, out, formats, year, n_draws, template, kernel_name, retries, timeout):
    """Check every input, cheapest first, claim the output folder, then read the survey (once).

    The output folder is claimed (created, probed, locked:
    :func:`~nhri_capacity.batch.folder.claim_output_folder`) before the
    survey is read, so a folder that cannot be used, or that another batch
    is using, is refused at once. It is released when the block ends.

    Raises
    ------
    BriefParameterError
        For any invalid input, before the survey is scored.
    OutputFolderError
        When the output folder cannot be created or written, or is busy.
    """
    survey_path = resolve_survey(survey)
    template = _resolve_template(template)
    out = _resolve_out(out)
    formats = check_formats(formats, allow_empty=False)
    year = _check_year(year)
    n_draws = check_int(n_draws, "n_draws", minimum=10)
    kernel_name = resolve_kernel_name(kernel_name)
    retries = check_int(retries, "retries", minimum=0, maximum=10)
    timeout = None if timeout is None else check_int(timeout, "timeout", minimum=1)
    with claim_output_folder(out):
        yield Plan(
            survey=survey_facts(survey_path, n_draws=n_draws),
            template=template,
            template_sha=sha256_file(template),
            out=out,
            formats=formats,
            year=year,
            n_draws=n_draws,
            kernel_name=kernel_name,
            retries=retries,
            timeout=timeout,
        )
