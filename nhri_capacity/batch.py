"""Country briefs in batch: run the brief notebook once per country with papermill.

Every brief is the template ``notebooks/country_brief.ipynb`` executed with
papermill for one country, so a researcher can open the executed notebook and
see exactly what produced the brief. For each country ``<ISO3>`` the batch writes::

    <out>/<ISO3>/brief.ipynb        the executed notebook
    <out>/<ISO3>/brief.html|.pdf    the brief (written by the notebook's last cell)
    <out>/<ISO3>/figures/           its figures (PNG and SVG)
    <out>/<ISO3>/data.json          every number in the brief
    <out>/<ISO3>/.complete.json     marker written last: the inputs of the run
    <out>/index.html                a table linking every brief, written last

and, when a brief fails, ``<out>/<ISO3>/brief.failed.ipynb`` (the notebook with
its error) instead of the marker, and ``<out>/<ISO3>/.kernel.log`` (what the
kernel process itself printed: ipykernel's log, C-level warnings).

How a batch runs
----------------
1. :func:`check_countries` validates every country code before any kernel
   starts: each must be a three-letter ISO3 code of a known country with an
   institution in the survey. Only these validated codes, the resolved survey
   path, an int year, an int number of draws, a checked format list and a
   resolved output folder reach papermill, which writes them into the
   notebook as Python literals.
2. The scores and their intervals (:func:`nhri_capacity.brief.content.survey_results`)
   are computed once, in this process, so that every kernel reads them from
   the on-disk cache instead of computing them (and writing the cache) at the
   same time.
3. The briefs run in parallel in a thread pool; each papermill call starts
   its own kernel process. A kernel that fails to *start* (no reply, a port
   taken between allocation and bind, ...) is retried; a cell that raises
   is not: the brief is marked failed and the batch goes on.
4. A brief is complete when its notebook ran without an error output and
   wrote the files asked for; its ``.complete.json`` marker is written last,
   atomically. ``resume=True`` skips every brief whose marker records the
   same inputs (survey and template SHA-256, toolkit version and a hash of
   the package's files, formats, year, draws) and whose files still exist.

Kernel
------
The template's metadata names the kernel ``python3``, which JupyterLab and
papermill find in every environment where ipykernel is installed (ipykernel
ships that spec into the environment, and Jupyter launches it with the
interpreter that runs Jupyter). ``make install`` also registers
``nhri-capacity`` (``ipykernel install --sys-prefix``), which names the venv's
interpreter by absolute path. :func:`resolve_kernel_name` picks, in this order,
``python3`` then ``nhri-capacity``, the first whose spec launches the Python
running this process (a user-level ``python3`` spec pointing at another
interpreter, which would lack this package, is skipped). Pass ``kernel_name``
to force one.
"""

from __future__ import annotations

import concurrent.futures
import datetime as _dt
import functools
import hashlib
import html
import json
import logging
import os
import random
import re
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .common.version import toolkit_version
from . import config
from .common.io import atomic_write_text, sha256_file
from .render import BRIEF_FORMATS, check_formats
from .errors import BriefParameterError
from .survey import SYNTHETIC_NOTICE

__all__ = [
    "BriefOutcome",
    "BatchResult",
    "check_countries",
    "run_brief",
    "run_batch",
    "format_summary",
    "write_index",
    "resolve_kernel_name",
]

log = logging.getLogger(__name__)

NOTEBOOK_NAME = "brief.ipynb"
FAILED_NOTEBOOK_NAME = "brief.failed.ipynb"
MARKER_NAME = ".complete.json"
KERNEL_LOG_NAME = ".kernel.log"
DATA_NAME = "data.json"
INDEX_NAME = "index.html"

#: Kernel names tried, in order, when none is given (see the module notes).
KERNEL_CANDIDATES = ("python3", "nhri-capacity")
#: Seconds to wait for a kernel to start (papermill's ``start_timeout``).
START_TIMEOUT = 60

_ISO3 = re.compile(r"^[A-Z]{3}$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Files the batch itself owns inside a country folder (never listed as outputs).
_OWN_FILES = {MARKER_NAME, FAILED_NOTEBOOK_NAME}


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #
@dataclass
class BriefOutcome:
    """What happened to one country's brief.

    Attributes
    ----------
    country : str
        ISO3 code.
    status : str
        ``"done"`` (executed now), ``"skipped"`` (up to date, resume) or
        ``"failed"``.
    directory : Path
        ``<out>/<ISO3>``.
    notebook : Path or None
        The executed notebook (``brief.ipynb``), or the failed one
        (``brief.failed.ipynb``) when the brief failed; None when no
        notebook was written at all.
    files : dict
        Output files written (relative path -> absolute Path), excluding the
        marker.
    error : str or None
        One line, ``ExceptionName: message``, when the brief failed.
    attempts : int
        Kernel starts tried (0 when skipped).
    seconds : float
        Wall time spent on this brief.
    """

    country: str
    status: str
    directory: Path
    notebook: Path | None = None
    files: dict = field(default_factory=dict)
    error: str | None = None
    attempts: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("done", "skipped")


@dataclass
class BatchResult:
    """Outcome of :func:`run_batch`: one :class:`BriefOutcome` per country."""

    outcomes: list
    out: Path
    index: Path | None
    seconds: float
    survey: Path | None = None
    synthetic: bool = False

    @property
    def done(self) -> list:
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def skipped(self) -> list:
        return [o for o in self.outcomes if o.status == "skipped"]

    @property
    def failed(self) -> list:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every brief is done or up to date, 1 when any failed."""
        return 1 if self.failed else 0


# --------------------------------------------------------------------------- #
# Validation (everything that reaches papermill goes through here)
# --------------------------------------------------------------------------- #
def _resolve_survey(survey) -> Path:
    path = Path(config.SAMPLE_SURVEY if survey is None else survey).expanduser()
    try:
        path = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise BriefParameterError(f"Survey file not found: {path}") from None
    if not path.is_file():
        raise BriefParameterError(f"Survey path is not a file: {path}")
    from .survey import READ_FORMATS

    if path.suffix.lower() not in READ_FORMATS:
        raise BriefParameterError(
            f"Survey file {path.name} has an unsupported type {path.suffix or '(none)'}; "
            f"expected one of {', '.join(READ_FORMATS)}"
        )
    return path


@functools.lru_cache(maxsize=8)
def _survey_facts_cached(path: str, sha: str) -> tuple[tuple[str, ...], bool]:
    from .survey import is_synthetic, read_survey

    # Institutions set aside for broken rows still count as in the survey:
    # their brief is attempted and fails with the row errors, the others go on.
    df = read_survey(path, set_aside_invalid=True)
    set_aside = df.attrs["survey"].get("set_aside", {})
    codes = {str(c) for c in df["country"].dropna().unique()}
    codes |= {entry["country"] for entry in set_aside.values() if entry.get("country")}
    return tuple(sorted(codes)), bool(is_synthetic(df))


def _survey_facts(path: Path) -> tuple[tuple[str, ...], bool]:
    """The survey's ISO3 codes (sorted) and whether it is synthetic."""
    return _survey_facts_cached(str(path), sha256_file(path))


def check_countries(countries, *, survey=None) -> list[str]:
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
    survey_path = _resolve_survey(survey)
    if countries is None:
        raise BriefParameterError("No countries given")
    if isinstance(countries, (str, bytes)):
        countries = [countries]
    countries = list(countries)
    if not countries:
        raise BriefParameterError("No countries given")

    from .reference import to_iso3

    available, _ = _survey_facts(survey_path)
    in_survey = set(available)
    good: list[str] = []
    bad: list[str] = []
    for raw in countries:
        if not isinstance(raw, str):
            bad.append(f"{raw!r} (not a text ISO3 code)")
            continue
        code = raw.strip().upper()
        if not _ISO3.fullmatch(code):
            bad.append(f"{raw!r} (not a three-letter ISO3 code)")
            continue
        known = to_iso3(code, strict=False)
        if not isinstance(known, str):
            bad.append(f"{raw!r} (not a known ISO3 country code)")
            continue
        if known != code:
            bad.append(f"{raw!r} (not an ISO3 code; did you mean {known}?)")
            continue
        if code not in in_survey:
            bad.append(f"{raw!r} (no institution from this country in {survey_path.name})")
            continue
        if code not in good:
            good.append(code)
    if bad:
        raise BriefParameterError(
            f"Cannot make briefs for {len(bad)} of {len(countries)} countries: "
            + "; ".join(bad)
            + f".\nAvailable ISO3 codes in {survey_path.name} ({len(available)}): "
            + ", ".join(available)
        )
    return good


def _check_int(value, name: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise BriefParameterError(f"{name} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BriefParameterError(f"{name} must be a whole number, not {value!r}") from None
    if number != value and not (isinstance(value, str) and value.strip().lstrip("+-").isdigit()):
        raise BriefParameterError(f"{name} must be a whole number, not {value!r}")
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise BriefParameterError(f"{name} must be {bounds}, not {number}")
    return number


def _check_year(year) -> int | None:
    """None, or a year of the UN migrant-stock table (checked here so that a bad
    year fails once, before any kernel starts, not once per brief)."""
    if year is None:
        return None
    from .brief import check_year

    return check_year(year)


def _resolve_out(out) -> Path:
    path = Path(config.BRIEFS_DIR if out is None else out).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise BriefParameterError(f"Output folder {path} exists and is not a folder")
    return path


def _country_dir(out: Path, iso3: str) -> Path:
    if not _ISO3.fullmatch(iso3):  # only validated codes get here; belt and braces
        raise BriefParameterError(f"Invalid ISO3 code {iso3!r}")
    folder = (out / iso3).resolve()
    if not folder.is_relative_to(out):
        raise BriefParameterError(
            f"Brief folder for {iso3} resolves to {folder}, outside the output folder {out} "
            "(is it a symbolic link?)"
        )
    return folder


def _resolve_template(template) -> Path:
    path = Path(config.BRIEF_TEMPLATE if template is None else template).expanduser()
    if not path.is_file():
        raise BriefParameterError(f"Brief template not found: {path}")
    if path.suffix != ".ipynb":
        raise BriefParameterError(f"Brief template must be a .ipynb notebook: {path}")
    return path.resolve()


def _runs_this_python(argv) -> bool:
    """Whether a kernel spec's command starts the interpreter running this process."""
    if not argv:
        return False
    exe = argv[0]
    # jupyter_client replaces a bare 'python'/'python3'/'python3.X' with sys.executable.
    if exe in {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}:
        return True
    here = Path(os.path.abspath(sys.executable))
    there = Path(os.path.abspath(exe))
    return there == here or there.parent == here.parent


def resolve_kernel_name(kernel_name: str | None = None) -> str:
    """Return the Jupyter kernel name the batch starts.

    With *kernel_name*, check that such a kernel exists and return it. Without
    it, return the first of ``KERNEL_CANDIDATES`` (``python3``, then
    ``nhri-capacity``) whose kernel spec launches the Python running this
    process, so the kernels can import this package.

    Raises
    ------
    BriefParameterError
        When the kernel does not exist, or no candidate runs this Python.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    if kernel_name is not None:
        try:
            ksm.get_kernel_spec(kernel_name)
        except NoSuchKernel:
            names = ", ".join(sorted(ksm.find_kernel_specs())) or "(none)"
            raise BriefParameterError(f"No Jupyter kernel named {kernel_name!r}; installed kernels: {names}") from None
        return kernel_name
    for name in KERNEL_CANDIDATES:
        try:
            spec = ksm.get_kernel_spec(name)
        except NoSuchKernel:
            continue
        if spec.language.lower() == "python" and _runs_this_python(spec.argv):
            return name
        log.info("Kernel %r runs %s, not this Python (%s); not used", name, spec.argv[:1], sys.executable)
    raise BriefParameterError(
        f"No Jupyter kernel runs this Python ({sys.executable}). Install one with "
        f"`{sys.executable} -m ipykernel install --sys-prefix --name nhri-capacity` (make install does), "
        "or pass a kernel name."
    )


# --------------------------------------------------------------------------- #
# Markers (resume)
# --------------------------------------------------------------------------- #

@functools.lru_cache(maxsize=1)
def _package_sha256() -> str:
    """Hash of the toolkit's own files (code, rules, templates), so that a brief
    made by other code is rebuilt on resume even when the version is the same."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (
            path.is_file()
            and path.suffix not in (".pyc", ".pyo")
            and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
        ):
            digest.update(f"{rel.as_posix()}\t{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def _inputs(iso3, *, survey_sha, template_sha, formats, year, n_draws) -> dict:
    """What a brief depends on; a marker with other inputs is stale."""
    return {
        "country": iso3,
        "survey_sha256": survey_sha,
        "template_sha256": template_sha,
        "toolkit_version": toolkit_version(),
        "package_sha256": _package_sha256(),
        "formats": sorted(formats),
        "year": year,
        "n_draws": int(n_draws),
    }


def _expected_files(formats) -> list[str]:
    return [NOTEBOOK_NAME, DATA_NAME, *(f"brief.{fmt}" for fmt in formats)]


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _complete_outcome(folder: Path, iso3: str, inputs: dict, formats) -> BriefOutcome | None:
    """A "skipped" outcome when *folder* holds a complete brief made from *inputs*."""
    marker = _read_json(folder / MARKER_NAME)
    if not isinstance(marker, dict) or marker.get("inputs") != inputs:
        return None
    files = marker.get("files")
    if not isinstance(files, dict) or not all(name in files for name in _expected_files(formats)):
        return None
    paths = {}
    for rel, size in files.items():
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size != size:
            return None
        paths[rel] = path
    return BriefOutcome(iso3, "skipped", folder, notebook=folder / NOTEBOOK_NAME, files=paths)


def _output_files(folder: Path, since: float) -> dict[str, Path]:
    """Files under *folder* written at or after *since* (hidden and batch files excluded)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (
            path.is_file()
            and not any(part.startswith(".") for part in rel.parts)
            and rel.as_posix() not in _OWN_FILES
            and path.stat().st_mtime >= since
        ):
            found[rel.as_posix()] = path
    return found


# --------------------------------------------------------------------------- #
# Running one notebook
# --------------------------------------------------------------------------- #
def _one_line(text, limit: int = 300) -> str:
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _error_line(exc: BaseException) -> str:
    """The exception as one line, ``Name: message`` (the last line of its traceback)."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # PapermillExecutionError: the error raised inside the notebook
        evalue = getattr(exc, "evalue", "") or ""
        return _one_line(f"{ename}: {evalue}" if evalue else ename)
    return _one_line(traceback.format_exception_only(type(exc), exc)[-1])


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)): (.+)$")


def _error_in_saved_notebook(path: Path) -> str | None:
    """The first exception line printed by the failed cell of a saved notebook.

    When IPython cannot format a traceback (it happens when a source file
    changes while the kernel runs), the cell has no error output, only the
    tracebacks as text on stderr, and papermill reports a bare
    ``CellExecutionError``; the real error is the first exception line there.
    """
    try:
        import nbformat

        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - best effort only
        return None
    for cell in nb.cells:
        if not (cell.get("metadata", {}).get("papermill") or {}).get("exception"):
            continue
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                return _one_line(f"{output.get('ename')}: {output.get('evalue', '')}")
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "stream":
                for line in _ANSI.sub("", "".join(output.get("text", ""))).splitlines():
                    match = _EXCEPTION_LINE.match(line.strip())
                    if match:
                        return _one_line(line)
    return None


def _notebook_errors(nb) -> list[str]:
    """Error outputs of an executed notebook, as one line each."""
    errors = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                evalue = output.get("evalue", "")
                errors.append(_one_line(f"{output.get('ename', 'Error')}: {evalue}" if evalue else output.get("ename")))
    return errors


def _kernel_never_started(exc: BaseException, nb_path: Path) -> bool:
    """Whether *exc* happened before the first cell ran (so a retry may help).

    papermill saves the output notebook before starting the kernel and records
    a ``start_time`` on each cell as it starts it, so a saved notebook with no
    started cell means the kernel failed to start: it did not reply in time,
    died at once (a port taken between allocation and bind) or a ZMQ socket
    could not be set up. An error raised by a cell is never retried.
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, (PapermillExecutionError, NoSuchKernel)):
        return False
    try:
        import nbformat

        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:
        nb = None
    if nb is not None:
        return not any((c.get("metadata", {}).get("papermill") or {}).get("start_time") for c in nb.cells)
    import zmq

    return isinstance(exc, (TimeoutError, ConnectionError, zmq.ZMQError)) or (
        isinstance(exc, RuntimeError) and "kernel" in str(exc).lower()
    )


@functools.lru_cache(maxsize=1)
def _kernel_manager_class():
    """An AsyncKernelManager that sends the kernel process's own output to a file.

    A kernel's Python-level output is captured into the notebook anyway; what
    reaches the process's stdout/stderr is ipykernel's log ("KeyboardInterrupt
    caught in kernel" when it is shut down, ...) and C-level messages. In a
    batch of many kernels that would garble the progress bar, so it goes to
    ``<out>/<ISO3>/.kernel.log`` instead (kept when the brief fails).
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    class BriefKernelManager(AsyncKernelManager):
        log_path = Unicode("", config=True, help="File receiving the kernel process's stdout and stderr.")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if not self.log_path or "stderr" in kw:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(self.log_path, "ab") as sink:  # the child keeps its own copy
                kw["stdout"] = kw["stderr"] = sink
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return BriefKernelManager


def _kernel_config(log_path: Path | None = None):
    """Traitlets config for the kernel manager papermill creates.

    Kernels talk to papermill over localhost TCP; ask jupyter_client to
    provision CurveZMQ keys for kernels that declare support (ipykernel 7
    does), so the traffic is encrypted and each kernel does not print a
    warning that it is not.
    """
    import zmq
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    if log_path is not None:
        config.BriefKernelManager.log_path = str(log_path)
    return config


def _papermill_path(path: Path) -> str:
    # papermill formats paths with the parameters (str.format); escape braces.
    return str(path).replace("{", "{{").replace("}", "}}")


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _execute(
    iso3: str,
    *,
    survey_path: Path,
    template: Path,
    out: Path,
    formats: tuple,
    year: int | None,
    n_draws: int,
    inputs: dict,
    kernel_name: str,
    retries: int,
    timeout: int | None,
) -> BriefOutcome:
    """Run the template for one validated country (see :func:`run_brief`)."""
    import papermill

    started = time.monotonic()
    folder = _country_dir(out, iso3)
    folder.mkdir(parents=True, exist_ok=True)
    # A marker from an earlier run must not survive a run that fails.
    _unlink(folder / MARKER_NAME)
    parameters = {
        "country": iso3,
        "survey": str(survey_path),
        "year": year,
        "out_dir": str(folder),
        "formats": ",".join(formats),
        "n_draws": int(n_draws),
    }
    # Re-checked here because papermill writes the values into code (as repr()).
    if not _ISO3.fullmatch(parameters["country"]) or not all(
        type(v) in (str, int, type(None)) for v in parameters.values()
    ):
        raise BriefParameterError(f"Refusing notebook parameters {parameters!r}")

    attempts = 0
    since = time.time() - 2.0  # coarse file-system timestamps
    kernel_log = folder / KERNEL_LOG_NAME
    _unlink(kernel_log)
    while True:
        attempts += 1
        tmp = folder / f".brief.{uuid.uuid4().hex[:12]}.ipynb"
        try:
            try:
                nb = papermill.execute_notebook(
                    _papermill_path(template),
                    _papermill_path(tmp),
                    parameters=parameters,
                    kernel_name=kernel_name,
                    language="python",
                    progress_bar=False,
                    log_output=False,
                    start_timeout=START_TIMEOUT,
                    execution_timeout=timeout,
                    # Kernel working directory, as in JupyterLab; papermill's own
                    # cwd= would chdir the whole process, which threads share.
                    resources={"metadata": {"path": str(template.parent)}},
                    config=_kernel_config(kernel_log),
                    kernel_manager_class=_kernel_manager_class(),
                )
            except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
                if attempts <= retries and _kernel_never_started(exc, tmp):
                    log.info("%s: kernel did not start (%s); retrying", iso3, _error_line(exc))
                    _unlink(tmp)
                    time.sleep(min(5.0, 0.5 * 2 ** (attempts - 1)) + random.uniform(0, 0.5))
                    continue
                error = _error_line(exc)
                if getattr(exc, "ename", None) == "CellExecutionError" and not getattr(exc, "evalue", ""):
                    error = _error_in_saved_notebook(tmp) or error
                return _failed(iso3, folder, tmp, error, attempts, started)

            errors = _notebook_errors(nb)
            if errors:
                return _failed(iso3, folder, tmp, errors[0], attempts, started)
            os.replace(tmp, folder / NOTEBOOK_NAME)
        except BaseException:  # interrupted: leave no temporary notebook behind
            _unlink(tmp)
            raise
        files = _output_files(folder, since)
        missing = [name for name in _expected_files(formats) if name not in files]
        if missing:
            os.replace(folder / NOTEBOOK_NAME, folder / FAILED_NOTEBOOK_NAME)
            return BriefOutcome(
                iso3, "failed", folder, notebook=folder / FAILED_NOTEBOOK_NAME, attempts=attempts,
                error=f"The notebook ran but did not write {', '.join(missing)}",
                seconds=time.monotonic() - started,
            )
        _unlink(folder / FAILED_NOTEBOOK_NAME)
        _unlink(kernel_log)
        marker = {
            "inputs": inputs,
            "files": {rel: path.stat().st_size for rel, path in files.items()},
            "completed": _now_iso(),
            "seconds": round(time.monotonic() - started, 2),
            "kernel_name": kernel_name,
            "attempts": attempts,
        }
        # Written last: its presence means every file above is complete.
        atomic_write_text(folder / MARKER_NAME, json.dumps(marker, indent=2) + "\n")
        return BriefOutcome(
            iso3, "done", folder, notebook=folder / NOTEBOOK_NAME, files=files,
            attempts=attempts, seconds=time.monotonic() - started,
        )


def _failed(iso3, folder: Path, tmp: Path, error: str, attempts: int, started: float) -> BriefOutcome:
    notebook = None
    if tmp.exists():
        notebook = folder / FAILED_NOTEBOOK_NAME
        os.replace(tmp, notebook)
    log.info("%s: brief failed: %s", iso3, error)
    return BriefOutcome(
        iso3, "failed", folder, notebook=notebook, error=error, attempts=attempts,
        seconds=time.monotonic() - started,
    )


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Plan:
    """Validated, resolved inputs shared by every brief of a run."""

    survey_path: Path
    survey_sha: str
    synthetic: bool
    template: Path
    template_sha: str
    out: Path
    formats: tuple
    year: int | None
    n_draws: int
    kernel_name: str
    retries: int
    timeout: int | None

    def inputs(self, iso3: str) -> dict:
        return _inputs(
            iso3, survey_sha=self.survey_sha, template_sha=self.template_sha,
            formats=self.formats, year=self.year, n_draws=self.n_draws,
        )

    def run(self, iso3: str) -> BriefOutcome:
        return _execute(
            iso3, survey_path=self.survey_path, template=self.template, out=self.out,
            formats=self.formats, year=self.year, n_draws=self.n_draws, inputs=self.inputs(iso3),
            kernel_name=self.kernel_name, retries=self.retries, timeout=self.timeout,
        )


def _plan(*, survey, out, formats, year, n_draws, template, kernel_name, retries, timeout) -> _Plan:
    survey_path = _resolve_survey(survey)
    _, synthetic = _survey_facts(survey_path)
    template = _resolve_template(template)
    return _Plan(
        survey_path=survey_path,
        survey_sha=sha256_file(survey_path),
        synthetic=synthetic,
        template=template,
        template_sha=sha256_file(template),
        out=_resolve_out(out),
        formats=check_formats(formats, allow_empty=False),
        year=_check_year(year),
        n_draws=_check_int(n_draws, "n_draws", minimum=10),
        kernel_name=resolve_kernel_name(kernel_name),
        retries=_check_int(retries, "retries", minimum=0, maximum=10),
        timeout=None if timeout is None else _check_int(timeout, "timeout", minimum=1),
    )


def run_brief(
    country,
    *,
    survey=None,
    year=None,
    out_dir,
    formats=BRIEF_FORMATS,
    template=None,
    kernel_name=None,
    retries=2,
    timeout=600,
    n_draws=1000,
) -> BriefOutcome:
    """Execute the brief template for one country into ``<out_dir>/<ISO3>/``.

    papermill writes the executed notebook to a hidden temporary name and it
    is renamed ``brief.ipynb`` only when every cell has run without error; the
    notebook's last cell writes the brief files, and ``.complete.json`` is
    written last. A failed run keeps its notebook as ``brief.failed.ipynb``.

    Parameters
    ----------
    country : str
        ISO3 code (any case); checked with :func:`check_countries`.
    survey : str or Path, optional
        Survey file; default the bundled sample.
    year : int, optional
        Migrant-stock year; default the latest.
    out_dir : str or Path
        The batch output folder; the brief goes to ``out_dir/<ISO3>``.
    formats : sequence of str or str
        Any of ``"html"``, ``"pdf"`` (a comma-separated string works too).
    template : str or Path, optional
        Notebook to run; default ``config.BRIEF_TEMPLATE``. It must have a
        cell tagged ``parameters`` defining ``country, survey, year, out_dir,
        formats, n_draws``.
    kernel_name : str, optional
        Jupyter kernel; default see :func:`resolve_kernel_name`.
    retries : int, default 2
        Extra attempts when the kernel fails to start. A cell that raises is
        never retried.
    timeout : int or None, default 600
        Seconds one cell may run (papermill's ``execution_timeout``).
    n_draws : int, default 1000
        Method draws for the score intervals.

    Returns
    -------
    BriefOutcome
        ``status`` is ``"done"`` or ``"failed"`` (with ``error`` the error's
        last line). Failures inside the notebook do not raise.

    Raises
    ------
    BriefParameterError
        For an invalid country, survey, year, format, template or kernel.
    """
    plan = _plan(
        survey=survey, out=out_dir, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    )
    (iso3,) = check_countries([country], survey=plan.survey_path)
    return plan.run(iso3)


# --------------------------------------------------------------------------- #
# The batch
# --------------------------------------------------------------------------- #
def run_batch(
    countries=None,
    *,
    survey=None,
    out=None,
    jobs=None,
    formats=BRIEF_FORMATS,
    resume=False,
    year=None,
    progress=True,
    n_draws=1000,
    template=None,
    kernel_name=None,
    retries=2,
    timeout=600,
) -> BatchResult:
    """Produce the briefs of several countries in parallel and an index page.

    Parameters
    ----------
    countries : iterable of str, optional
        ISO3 codes (any case). Default: every country in the survey.
    survey : str or Path, optional
        Survey file; default the bundled sample.
    out : str or Path, optional
        Output folder; default ``config.BRIEFS_DIR`` (reports/briefs).
    jobs : int, optional
        Briefs run at once (one kernel each, about 400 MB of memory each);
        default the number of CPUs this process may use (``os.cpu_count()``,
        narrowed by CPU affinity).
    formats : sequence of str or str
        Brief formats, any of ``"html"``, ``"pdf"``.
    resume : bool, default False
        Skip briefs whose ``.complete.json`` records the same inputs and
        whose files exist.
    year : int, optional
        Migrant-stock year; default the latest.
    progress : bool, default True
        Show a progress bar on stderr (only when stderr is a terminal).
    n_draws : int, default 1000
        Method draws for the score intervals.
    template, kernel_name, retries, timeout
        As for :func:`run_brief`.

    Returns
    -------
    BatchResult
        ``exit_code`` is 0 when every brief is done or up to date, 1 when
        any failed. A failed brief never stops the others.

    Raises
    ------
    BriefParameterError
        Before any kernel starts, for any invalid input.
    """
    started = time.monotonic()
    plan = _plan(
        survey=survey, out=out, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    )
    if countries is None:
        countries, _ = _survey_facts(plan.survey_path)
    codes = check_countries(countries, survey=plan.survey_path)
    for iso3 in codes:  # refuse any folder escaping out before doing any work
        _country_dir(plan.out, iso3)
    n_jobs = _default_jobs() if jobs is None else _check_int(jobs, "jobs", minimum=1)

    # Scores and intervals once, here: the kernels then read the cache.
    from .brief import survey_results

    survey_results(plan.survey_path, n_draws=plan.n_draws)

    outcomes: dict[str, BriefOutcome] = {}
    todo = []
    for iso3 in codes:
        previous = (
            _complete_outcome(_country_dir(plan.out, iso3), iso3, plan.inputs(iso3), plan.formats)
            if resume
            else None
        )
        if previous is not None:
            outcomes[iso3] = previous
        else:
            todo.append(iso3)

    plan.out.mkdir(parents=True, exist_ok=True)
    if todo:
        _run_parallel(plan, todo, outcomes, jobs=min(n_jobs, len(todo)), progress=progress)

    ordered = [outcomes[c] for c in codes]
    result = BatchResult(
        ordered, plan.out, None, time.monotonic() - started, survey=plan.survey_path, synthetic=plan.synthetic
    )
    result.index = write_index(result)
    result.seconds = time.monotonic() - started
    return result


def _default_jobs() -> int:
    """CPUs this process may use (``os.cpu_count()``, narrowed by CPU affinity where known)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_parallel(plan: _Plan, todo: list, outcomes: dict, *, jobs: int, progress: bool) -> None:
    from jupyter_client.connect import LocalPortCache
    from tqdm import tqdm

    # Create the process-wide port registry before the threads race to.
    LocalPortCache.instance()
    show = bool(progress) and sys.stderr.isatty()
    with tqdm(total=len(todo), desc="Briefs", unit="brief", file=sys.stderr, disable=not show) as bar:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="brief")
        try:
            futures = {pool.submit(_run_safely, plan, iso3): iso3 for iso3 in todo}
            n_failed = 0
            for future in concurrent.futures.as_completed(futures):
                outcome = future.result()
                outcomes[outcome.country] = outcome
                n_failed += outcome.status == "failed"
                note = f", {n_failed} failed" if n_failed else ""
                bar.set_postfix_str(f"{outcome.country} {outcome.status}{note}")
                bar.update(1)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def _run_safely(plan: _Plan, iso3: str) -> BriefOutcome:
    """Run one brief; an unexpected error becomes a failed outcome, never a lost brief."""
    started = time.monotonic()
    try:
        return plan.run(iso3)
    except Exception as exc:  # noqa: BLE001
        log.exception("%s: brief could not be run", iso3)
        folder = plan.out / iso3
        return BriefOutcome(iso3, "failed", folder, error=_error_line(exc), seconds=time.monotonic() - started)


# --------------------------------------------------------------------------- #
# Summary and index
# --------------------------------------------------------------------------- #
def format_summary(result: BatchResult) -> str:
    """A short plain-text report of a batch: counts, time, failures, index path."""
    lines = [
        f"Briefs: {len(result.done)} done, {len(result.skipped)} skipped (up to date), "
        f"{len(result.failed)} failed, in {result.seconds:.1f} s"
    ]
    if result.synthetic:
        lines.append(f"NOTE: {SYNTHETIC_NOTICE}.")
    restarted = [o.country for o in result.outcomes if o.attempts > 1]
    if restarted:
        lines.append(f"Kernel restarted after a failed start for: {', '.join(restarted)}")
    for outcome in result.failed:
        where = f" (see {outcome.notebook})" if outcome.notebook else ""
        lines.append(f"  FAILED {outcome.country}: {outcome.error}{where}")
    if result.index is not None:
        lines.append(f"Index: {result.index}")
    return "\n".join(lines)


def _index_columns():
    """Key-figure columns of the index: (key in data.json, heading, formatter, numeric)."""
    # The brief's own formatters, so the index shows numbers as the briefs do.
    from .render import fmt_pct, fmt_score, fmt_status, fmt_thousands

    return (
        ("institution", "Institution", lambda v: "" if v is None else str(v), False),
        ("composite", "Composite score (0-100)", fmt_score, True),
        ("migrants", "International migrants", fmt_thousands, True),
        ("migrant_share_pct", "Migrants, share of population", fmt_pct, True),
        ("icmw", "Migrant Workers Convention (ICMW)", fmt_status, False),
    )


def _key_figures(data) -> dict:
    """Pick the key figures out of a brief's data.json (tolerant of its layout)."""
    if not isinstance(data, dict):
        return {}
    figures = data.get("key_figures")
    if not isinstance(figures, dict):
        figures = data
    out = dict(figures)
    # The ICMW status may be named icmw, icmw_status, ...
    if "icmw" not in out:
        for key, value in figures.items():
            if str(key).lower().startswith("icmw"):
                out["icmw"] = value
                break
    if isinstance(out.get("icmw"), dict):
        out["icmw"] = out["icmw"].get("status")
    return out


_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}
.meta{color:#555;font-size:.9rem}
.synthetic{background:#fff3cd;border:1px solid #e0c36a;padding:.6rem .9rem;margin:1rem 0;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.failed td{color:#8a1c1c}
code{font-size:.85rem}
"""


# Files an index row links to, in order; the first present is the main link.
_INDEX_LINKS = (("brief.html", "HTML"), ("brief.pdf", "PDF"), (NOTEBOOK_NAME, "notebook"), (DATA_NAME, "data"))


def _render_index(result: BatchResult) -> str:
    esc = html.escape
    columns = _index_columns()
    rows = []
    for outcome in result.outcomes:
        if not outcome.ok:
            continue
        iso3 = outcome.country
        data = _read_json(outcome.directory / DATA_NAME)
        figures = _key_figures(data)
        name = figures.get("country") or iso3
        links = []
        for rel, label in _INDEX_LINKS:
            if rel in outcome.files:
                links.append(f'<a href="{esc(iso3)}/{esc(rel)}">{label}</a>')
        main = next(rel for rel, _ in _INDEX_LINKS if rel in outcome.files or rel == NOTEBOOK_NAME)
        cells = [
            f'<td><a href="{esc(iso3)}/{esc(main)}">{esc(str(name))}</a></td>',
            f"<td><code>{esc(iso3)}</code></td>",
        ]
        for key, _, fmt, numeric in columns:
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{esc(fmt(figures.get(key)))}</td>")
        cells.append(f"<td>{' · '.join(links)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")

    head = "".join(
        f"<th>{esc(h)}</th>" for h in ["Country", "ISO3", *(c[1] for c in columns), "Files"]
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>NHRI capacity: country briefs</title>",
        f"<style>{_INDEX_CSS}</style></head><body>",
        "<h1>NHRI capacity to protect migrants' rights: country briefs</h1>",
        f'<p class="meta">Generated {esc(_now_iso())} by nhri-capacity {esc(toolkit_version())}'
        + (f" from <code>{esc(result.survey.name)}</code>" if result.survey else "")
        + f". {len(result.outcomes) - len(result.failed)} briefs"
        + (f", {len(result.failed)} failed" if result.failed else "")
        + ".</p>",
    ]
    if result.synthetic:
        parts.append(
            f'<p class="synthetic">{SYNTHETIC_NOTICE}. '
            "The institutions' answers and scores are invented; "
            "the UN migration figures and treaty status are real.</p>"
        )
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    if result.failed:
        items = []
        for outcome in result.failed:
            link = ""
            if outcome.notebook is not None and outcome.notebook.is_relative_to(result.out):
                rel = outcome.notebook.relative_to(result.out).as_posix()
                link = f' (<a href="{esc(rel)}">failed notebook</a>)'
            error = esc(outcome.error or "unknown error")
            items.append(f"<li><code>{esc(outcome.country)}</code>: {error}{link}</li>")
        parts.append(f"<h2>Failed briefs</h2><ul class=\"failed\">{''.join(items)}</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_index(result: BatchResult) -> Path:
    """Write ``<out>/index.html`` atomically: a self-contained table of the briefs.

    Each completed brief is a row with relative links to its files and its
    key figures read from its ``data.json``; failed briefs are listed with
    their error line. All text is HTML-escaped.
    """
    return atomic_write_text(Path(result.out) / INDEX_NAME, _render_index(result))
