"""Running one brief: the template executed with papermill for one validated country.

papermill writes the executed notebook to a hidden temporary name, renamed
``brief.ipynb`` only when every cell has run without error; the notebook's
last cell writes the brief files, and ``.complete.json`` is written last. A
failed run keeps its notebook as ``brief.failed.ipynb`` and its kernel log,
and its error becomes one line (:func:`error_line`) for the summary and index.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
import traceback
import uuid
from pathlib import Path

from ..errors import BriefParameterError
from .kernel import START_TIMEOUT, kernel_config, kernel_manager_class, kernel_never_started
from .markers import expected_files, output_files, write_marker
from .outcome import FAILED_NOTEBOOK_NAME, KERNEL_LOG_NAME, MARKER_NAME, NOTEBOOK_NAME, BriefOutcome
from .plan import ISO3, Plan, country_dir

__all__ = ["execute_brief", "error_line"]

log = logging.getLogger(__name__)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _one_line(text, limit: int = 300) -> str:
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def error_line(exc: BaseException) -> str:
    """The exception as one line, ``Name: message`` (the last line of its traceback).

    Examples
    --------
    >>> error_line(KeyError("MEX"))
    "KeyError: 'MEX'"
    """
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


def _papermill_path(path: Path) -> str:
    # papermill formats paths with the parameters (str.format); escape braces.
    return str(path).replace("{", "{{").replace("}", "}}")


def execute_brief(plan: Plan, iso3: str) -> BriefOutcome:
    """Run the plan's template for one validated country into ``<out>/<ISO3>/``.

    A kernel that fails to start is retried up to ``plan.retries`` times; a
    cell that raises is not. Failures inside the notebook do not raise: they
    come back as a ``"failed"`` outcome with the error's line.
    """
    import papermill

    started = time.monotonic()
    folder = country_dir(plan.out, iso3)
    folder.mkdir(parents=True, exist_ok=True)
    # A marker from an earlier run must not survive a run that fails.
    (folder / MARKER_NAME).unlink(missing_ok=True)
    parameters = {
        "country": iso3,
        "survey": str(plan.survey.path),
        "year": plan.year,
        "out_dir": str(folder),
        "formats": ",".join(plan.formats),
        "n_draws": int(plan.n_draws),
    }
    # Re-checked here because papermill writes the values into code (as repr()).
    if not ISO3.fullmatch(parameters["country"]) or not all(
        type(v) in (str, int, type(None)) for v in parameters.values()
    ):
        raise BriefParameterError(f"Refusing notebook parameters {parameters!r}")

    attempts = 0
    since = time.time() - 2.0  # coarse file-system timestamps
    kernel_log = folder / KERNEL_LOG_NAME
    kernel_log.unlink(missing_ok=True)
    while True:
        attempts += 1
        tmp = folder / f".brief.{uuid.uuid4().hex[:12]}.ipynb"
        try:
            try:
                nb = papermill.execute_notebook(
                    _papermill_path(plan.template),
                    _papermill_path(tmp),
                    parameters=parameters,
                    kernel_name=plan.kernel_name,
                    language="python",
                    progress_bar=False,
                    log_output=False,
                    start_timeout=START_TIMEOUT,
                    execution_timeout=plan.timeout,
                    # Kernel working directory, as in JupyterLab; papermill's own
                    # cwd= would chdir the whole process, which threads share.
                    resources={"metadata": {"path": str(plan.template.parent)}},
                    config=kernel_config(kernel_log),
                    kernel_manager_class=kernel_manager_class(),
                )
            except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
                if attempts <= plan.retries and kernel_never_started(exc, tmp):
                    log.info("%s: kernel did not start (%s); retrying", iso3, error_line(exc))
                    tmp.unlink(missing_ok=True)
                    time.sleep(min(5.0, 0.5 * 2 ** (attempts - 1)) + random.uniform(0, 0.5))
                    continue
                error = error_line(exc)
                if getattr(exc, "ename", None) == "CellExecutionError" and not getattr(exc, "evalue", ""):
                    error = _error_in_saved_notebook(tmp) or error
                return _failed(iso3, folder, tmp, error, attempts, started)

            errors = _notebook_errors(nb)
            if errors:
                return _failed(iso3, folder, tmp, errors[0], attempts, started)
            os.replace(tmp, folder / NOTEBOOK_NAME)
        except BaseException:  # interrupted: leave no temporary notebook behind
            tmp.unlink(missing_ok=True)
            raise
        files = output_files(folder, since)
        missing = [name for name in expected_files(plan.formats) if name not in files]
        if missing:
            os.replace(folder / NOTEBOOK_NAME, folder / FAILED_NOTEBOOK_NAME)
            return BriefOutcome(
                iso3, "failed", folder, notebook=folder / FAILED_NOTEBOOK_NAME, attempts=attempts,
                error=f"The notebook ran but did not write {', '.join(missing)}",
                seconds=time.monotonic() - started,
            )
        (folder / FAILED_NOTEBOOK_NAME).unlink(missing_ok=True)
        kernel_log.unlink(missing_ok=True)
        # Written last: its presence means every file above is complete.
        write_marker(
            folder, inputs=plan.inputs(iso3), files=files, started=started,
            kernel_name=plan.kernel_name, attempts=attempts,
        )
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
