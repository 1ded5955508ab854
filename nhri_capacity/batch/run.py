"""One brief or a batch of them: :func:`run_brief`, :func:`run_batch` and :func:`format_summary`.

A batch stopped part-way, by Ctrl-C or by a full or read-only disk, stops
the same way (:func:`_stop`): no further brief starts, the batch's kernels are
killed, and each brief that was running is removed down to nothing that looks
complete; the briefs already finished are kept, so ``resume=True`` makes only
the rest. Ctrl-C raises :class:`~nhri_capacity.batch.outcome.BatchInterrupted`
(what finished, what did not); a disk problem raises
:class:`~nhri_capacity.errors.OutputFolderError`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import time

from ..errors import OutputFolderError
from ..render import BRIEF_FORMATS
from ..survey import SYNTHETIC_NOTICE
from .execute import error_line, execute_brief
from .folder import folder_error
from .index import write_index
from .kernel import KERNELS
from .markers import complete_outcome
from .outcome import NOT_STARTED, STOPPED_RUNNING, BatchInterrupted, BatchResult, BriefOutcome
from .plan import Plan, check_countries, check_int, country_dir, open_plan

__all__ = ["run_brief", "run_batch", "format_summary"]

log = logging.getLogger(__name__)

#: Seconds an interrupted batch waits for its briefs to wind down once their
#: kernels are killed (it takes a second or two).
STOP_WAIT = 30


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
        ISO3 code (any case); checked with :func:`~nhri_capacity.batch.plan.check_countries`.
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
        Jupyter kernel; default see :func:`~nhri_capacity.batch.kernel.resolve_kernel_name`.
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
    OutputFolderError
        When *out_dir* cannot be created or written (read-only, full disk),
        or a batch is writing to it.
    """
    with open_plan(
        survey=survey, out=out_dir, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    ) as plan:
        (iso3,) = check_countries([country], facts=plan.survey)
        return execute_brief(plan, iso3)


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
    OutputFolderError
        Before any kernel starts, when the output folder cannot be created or
        written (a file in the way, read-only, full disk); or, as
        :class:`~nhri_capacity.errors.OutputFolderBusyError`, when another
        batch is writing to it. During the batch, when the disk fills up or
        turns read-only: the batch stops, the briefs finished are kept.
    BatchInterrupted
        On Ctrl-C (a :class:`KeyboardInterrupt`): the kernels are stopped,
        the briefs not finished leave nothing that looks complete, and its
        ``result`` lists what finished; ``resume=True`` makes the rest.
    """
    started = time.monotonic()
    n_jobs = _default_jobs() if jobs is None else check_int(jobs, "jobs", minimum=1)
    # The survey is read here, once; its scores and intervals are cached, so
    # every kernel reads them from disk instead of computing them at once.
    with open_plan(
        survey=survey, out=out, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    ) as plan:
        codes = check_countries(plan.survey.countries if countries is None else countries, facts=plan.survey)
        for iso3 in codes:  # refuse any folder escaping out before doing any work
            country_dir(plan.out, iso3)

        outcomes: dict[str, BriefOutcome] = {}
        todo = []
        for iso3 in codes:
            previous = (
                complete_outcome(country_dir(plan.out, iso3), iso3, plan.inputs(iso3), plan.formats)
                if resume
                else None
            )
            if previous is not None:
                outcomes[iso3] = previous
            else:
                todo.append(iso3)

        def result() -> BatchResult:
            return BatchResult(
                [outcomes[c] for c in codes], plan.out, None, time.monotonic() - started,
                survey=plan.survey.path, synthetic=plan.survey.synthetic,
            )

        try:
            if todo:
                _run_parallel(plan, todo, outcomes, jobs=min(n_jobs, len(todo)), progress=progress)
        except KeyboardInterrupt as exc:
            stopped = result()
            try:  # the page then matches the folder: the briefs not finished are listed as such
                stopped.index = write_index(stopped)
            except OSError:
                log.warning("The index page could not be written after the interruption", exc_info=True)
            raise BatchInterrupted(stopped) from exc

        done = result()
        try:
            done.index = write_index(done)
        except OSError as exc:
            raise folder_error(
                exc, plan.out, action="write the index page to",
                then=" with --resume (the briefs are complete and will be skipped)",
            ) from None
        done.seconds = time.monotonic() - started
        return done


def _default_jobs() -> int:
    """CPUs this process may use (``os.cpu_count()``, narrowed by CPU affinity where known)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_parallel(plan: Plan, todo: list, outcomes: dict, *, jobs: int, progress: bool) -> None:
    from jupyter_client.connect import LocalPortCache
    from tqdm import tqdm

    # Create the process-wide port registry before the threads race to.
    LocalPortCache.instance()
    show = bool(progress) and sys.stderr.isatty()
    with tqdm(total=len(todo), desc="Briefs", unit="brief", file=sys.stderr, disable=not show) as bar:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="brief")
        futures = {}
        try:
            for iso3 in todo:
                futures[pool.submit(_run_safely, plan, iso3)] = iso3
            n_failed = 0
            for future in concurrent.futures.as_completed(futures):
                outcome = future.result()  # OutputFolderError: the disk is full, stop
                outcomes[outcome.country] = outcome
                n_failed += outcome.status == "failed"
                note = f", {n_failed} failed" if n_failed else ""
                bar.set_postfix_str(f"{outcome.country} {outcome.status}{note}")
                bar.update(1)
        except BaseException:  # Ctrl-C, or a full disk: stop every brief, then say so
            _stop(plan, pool, futures, todo, outcomes)
            raise
        pool.shutdown(wait=True)


def _stop(plan: Plan, pool, futures: dict, todo: list, outcomes: dict) -> None:
    """Stop a batch part-way and record how each of its briefs ended.

    No brief starts any more, the running kernels are killed, and each
    running brief removes what it wrote (see :func:`execute_brief`); a brief
    that finished meanwhile stays done. A second Ctrl-C while this takes its
    second or two is ignored, so the folder is never left half-cleaned.
    """
    while True:
        try:  # each step may be repeated
            plan.stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            KERNELS.stop(plan.stop)
            break
        except KeyboardInterrupt:
            continue
    deadline = time.monotonic() + STOP_WAIT
    pending = {iso3: future for future, iso3 in futures.items()}
    for iso3 in todo:
        future = pending.get(iso3)
        outcome = None
        while future is not None and outcome is None:
            try:
                outcome = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except concurrent.futures.CancelledError:
                break
            except KeyboardInterrupt:
                continue
            except concurrent.futures.TimeoutError:
                log.warning("%s: the brief did not stop within %s s", iso3, STOP_WAIT)
                outcome = BriefOutcome(iso3, "interrupted", country_dir(plan.out, iso3), error=STOPPED_RUNNING)
            except Exception:  # noqa: BLE001 - the error that stopped the batch
                outcome = BriefOutcome(iso3, "interrupted", country_dir(plan.out, iso3), error=STOPPED_RUNNING)
        if outcome is None:
            outcome = BriefOutcome(iso3, "interrupted", country_dir(plan.out, iso3), error=NOT_STARTED)
        outcomes[iso3] = outcome


def _run_safely(plan: Plan, iso3: str) -> BriefOutcome:
    """Run one brief; an unexpected error becomes a failed outcome, never a lost brief.
    A full or read-only disk (OutputFolderError) is raised: it stops the batch."""
    started = time.monotonic()
    try:
        return execute_brief(plan, iso3)
    except OutputFolderError:
        plan.stop.set()  # before this thread takes the next brief
        raise
    except Exception as exc:  # noqa: BLE001
        log.exception("%s: brief could not be run", iso3)
        folder = plan.out / iso3
        return BriefOutcome(iso3, "failed", folder, error=error_line(exc), seconds=time.monotonic() - started)


def format_summary(result: BatchResult) -> str:
    """A short plain-text report of a batch: counts, time, failures, index path.

    Examples
    --------
    >>> from pathlib import Path
    >>> result = BatchResult([BriefOutcome("MEX", "done", Path("MEX"))], out=Path("."), index=None, seconds=2.0)
    >>> print(format_summary(result))
    Briefs: 1 done, 0 skipped (up to date), 0 failed, in 2.0 s
    """
    stopped = result.interrupted
    lines = [
        f"Briefs: {len(result.done)} done, {len(result.skipped)} skipped (up to date), "
        f"{len(result.failed)} failed" + (f", {len(stopped)} not finished" if stopped else "")
        + f", in {result.seconds:.1f} s"
    ]
    if result.synthetic:
        lines.append(f"NOTE: {SYNTHETIC_NOTICE}.")
    restarted = [o.country for o in result.outcomes if o.attempts > 1]
    if restarted:
        lines.append(f"Kernel restarted after a failed start for: {', '.join(restarted)}")
    for outcome in result.failed:
        where = f" (see {outcome.notebook})" if outcome.notebook else ""
        lines.append(f"  FAILED {outcome.country}: {outcome.error}{where}")
    if stopped:
        finished = [o.country for o in result.outcomes if o.ok]
        lines.append(f"Interrupted. Finished and kept: {', '.join(finished) or 'none'}.")
        lines.append("Not finished (nothing of them is left that looks complete): " + ", ".join(
            f"{o.country} ({'not started' if o.error == NOT_STARTED else 'stopped while running'})" for o in stopped
        ) + ".")
        lines.append("To make the rest, run the same command again with --resume (finished briefs are skipped).")
    if result.index is not None:
        lines.append(f"Index: {result.index}")
    return "\n".join(lines)
