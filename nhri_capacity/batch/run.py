"""One brief or a batch of them: :func:`run_brief`, :func:`run_batch` and :func:`format_summary`."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import time

from ..render import BRIEF_FORMATS
from ..survey import SYNTHETIC_NOTICE
from .execute import error_line, execute_brief
from .index import write_index
from .markers import complete_outcome
from .outcome import BatchResult, BriefOutcome
from .plan import Plan, check_countries, check_int, country_dir, make_plan

__all__ = ["run_brief", "run_batch", "format_summary"]

log = logging.getLogger(__name__)


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
    """
    plan = make_plan(
        survey=survey, out=out_dir, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    )
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
    """
    started = time.monotonic()
    n_jobs = _default_jobs() if jobs is None else check_int(jobs, "jobs", minimum=1)
    # The survey is read here, once; its scores and intervals are cached, so
    # every kernel reads them from disk instead of computing them at once.
    plan = make_plan(
        survey=survey, out=out, formats=formats, year=year, n_draws=n_draws,
        template=template, kernel_name=kernel_name, retries=retries, timeout=timeout,
    )
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

    plan.out.mkdir(parents=True, exist_ok=True)
    if todo:
        _run_parallel(plan, todo, outcomes, jobs=min(n_jobs, len(todo)), progress=progress)

    ordered = [outcomes[c] for c in codes]
    result = BatchResult(
        ordered, plan.out, None, time.monotonic() - started,
        survey=plan.survey.path, synthetic=plan.survey.synthetic,
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


def _run_parallel(plan: Plan, todo: list, outcomes: dict, *, jobs: int, progress: bool) -> None:
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


def _run_safely(plan: Plan, iso3: str) -> BriefOutcome:
    """Run one brief; an unexpected error becomes a failed outcome, never a lost brief."""
    started = time.monotonic()
    try:
        return execute_brief(plan, iso3)
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
