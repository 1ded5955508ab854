"""Running one brief: the template executed with papermill for one validated country.

papermill writes the executed notebook to a hidden temporary name, renamed
``brief.ipynb`` (flushed to disk first) only when every cell has run without
error; the notebook's last cell writes the brief files, and ``.complete.json``
is written last. A failed run keeps only its notebook, as ``brief.failed.ipynb``,
and its kernel log (nothing under a final name), and its error becomes one line (:func:`error_line`) for the
summary and index; a kernel that died says how it ended and in which cell.
A brief stopped part-way (Ctrl-C, a full disk) leaves nothing that looks
complete (:func:`~nhri_capacity.batch.markers.discard_unfinished`).
"""

from __future__ import annotations

import logging
import random
import re
import signal
import time
import traceback
import uuid
from pathlib import Path

from ..common.io import replace_durably
from ..errors import BriefParameterError
from .folder import disk_error
from .kernel import (
    KERNELS,
    START_TIMEOUT,
    describe_exit,
    kernel_config,
    kernel_manager_class,
    kernel_never_started,
)
from .markers import discard_unfinished, expected_files, output_files, write_marker
from .outcome import (
    FAILED_NOTEBOOK_NAME,
    KERNEL_LOG_NAME,
    MARKER_NAME,
    NOT_STARTED,
    NOTEBOOK_NAME,
    STOPPED_RUNNING,
    BriefOutcome,
)
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


def _running_cell(path: Path) -> str | None:
    """"cell N of M": the last cell papermill started in a saved notebook (1-based, every cell counted)."""
    try:
        import nbformat

        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - best effort only
        return None
    started = [i for i, c in enumerate(nb.cells) if (c.get("metadata", {}).get("papermill") or {}).get("start_time")]
    return f"cell {started[-1] + 1} of {len(nb.cells)}" if started else None


def _kernel_died(exit_status: int | None, tmp: Path) -> str:
    """The error line of a brief whose kernel died while a cell ran."""
    cell = _running_cell(tmp)
    line = f"The notebook kernel died ({describe_exit(exit_status)})" + (f" while running {cell}" if cell else "")
    if exit_status == -signal.SIGKILL:
        line += "; SIGKILL often means the computer ran out of memory (try fewer --jobs)"
    return line


def _stop_if_disk_full(error, plan: Plan, iso3: str, folder: Path) -> None:
    """Raise the batch-stopping error when *error* is a full or read-only disk
    (no other brief could be written either), removing this brief's partial files."""
    fatal = disk_error(
        error, plan.out, action=f"write the brief for {iso3} to",
        then=" with --resume (briefs already finished are kept)",
    )
    if fatal is not None:
        discard_unfinished(folder)
        raise fatal from None


def execute_brief(plan: Plan, iso3: str) -> BriefOutcome:
    """Run the plan's template for one validated country into ``<out>/<ISO3>/``.

    A kernel that fails to start is retried up to ``plan.retries`` times; a
    cell that raises is not. Failures inside the notebook do not raise: they
    come back as a ``"failed"`` outcome with the error's line. When
    ``plan.stop`` is set (Ctrl-C) the brief's kernel is killed and it comes
    back ``"interrupted"``, with nothing left that looks complete.

    Raises
    ------
    OutputFolderError
        When the disk is full or read-only: no other brief can be written
        either, so the batch stops (this brief's partial files are removed).
    """
    import papermill

    started = time.monotonic()
    folder = country_dir(plan.out, iso3)
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

    if plan.stop.is_set():  # stopped before this brief began: its folder is left as it was
        return BriefOutcome(iso3, "interrupted", folder, error=NOT_STARTED)

    def interrupted(attempts: int) -> BriefOutcome:
        discard_unfinished(folder)
        return BriefOutcome(
            iso3, "interrupted", folder, attempts=attempts, error=STOPPED_RUNNING,
            seconds=time.monotonic() - started,
        )

    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A marker from an earlier run must not survive a run that fails.
        (folder / MARKER_NAME).unlink(missing_ok=True)
    except OSError as exc:
        _stop_if_disk_full(exc, plan, iso3, folder)
        raise

    attempts = 0
    since = time.time() - 2.0  # coarse file-system timestamps
    kernel_log = folder / KERNEL_LOG_NAME
    kernel_log.unlink(missing_ok=True)
    while True:
        if plan.stop.is_set():
            return interrupted(attempts)
        attempts += 1
        tmp = folder / f".brief.{uuid.uuid4().hex[:12]}.ipynb"
        KERNELS.expect(str(kernel_log), plan.stop)
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
                exit_status = KERNELS.finished(str(kernel_log))
                if plan.stop.is_set():
                    return interrupted(attempts)
                _stop_if_disk_full(exc, plan, iso3, folder)
                if attempts <= plan.retries and kernel_never_started(exc, tmp):
                    log.info("%s: kernel did not start (%s); retrying", iso3, error_line(exc))
                    tmp.unlink(missing_ok=True)
                    time.sleep(min(5.0, 0.5 * 2 ** (attempts - 1)) + random.uniform(0, 0.5))
                    continue
                error = error_line(exc)
                if type(exc).__name__ == "DeadKernelError":
                    error = _kernel_died(exit_status, tmp)
                elif getattr(exc, "ename", None) == "CellExecutionError" and not getattr(exc, "evalue", ""):
                    error = _error_in_saved_notebook(tmp) or error
                _stop_if_disk_full(error, plan, iso3, folder)  # raised inside the notebook
                return _failed(iso3, folder, tmp, error, attempts, started)

            errors = _notebook_errors(nb)
            if errors:
                return _failed(iso3, folder, tmp, errors[0], attempts, started)
            replace_durably(tmp, folder / NOTEBOOK_NAME)
            files = output_files(folder, since)
            missing = [name for name in expected_files(plan.formats) if name not in files]
            if missing:
                replace_durably(folder / NOTEBOOK_NAME, folder / FAILED_NOTEBOOK_NAME)
                discard_unfinished(folder, keep_log=True)
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
        except OSError as exc:  # the batch's own writes: the notebook's rename, the marker
            tmp.unlink(missing_ok=True)
            _stop_if_disk_full(exc, plan, iso3, folder)
            raise
        except BaseException as exc:  # leave no temporary notebook behind
            tmp.unlink(missing_ok=True)
            if isinstance(exc, KeyboardInterrupt):  # run_brief, in the main thread
                plan.stop.set()
                KERNELS.stop(plan.stop)
                discard_unfinished(folder)
            raise
        finally:
            KERNELS.finished(str(kernel_log))
        return BriefOutcome(
            iso3, "done", folder, notebook=folder / NOTEBOOK_NAME, files=files,
            attempts=attempts, seconds=time.monotonic() - started,
        )


def _failed(iso3, folder: Path, tmp: Path, error: str, attempts: int, started: float) -> BriefOutcome:
    notebook = None
    if tmp.exists():
        notebook = replace_durably(tmp, folder / FAILED_NOTEBOOK_NAME)
    # What the notebook wrote before it failed (or an earlier run's brief) must not look complete.
    discard_unfinished(folder, keep_log=True)
    log.info("%s: brief failed: %s", iso3, error)
    return BriefOutcome(
        iso3, "failed", folder, notebook=notebook, error=error, attempts=attempts,
        seconds=time.monotonic() - started,
    )
