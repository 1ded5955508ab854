"""Speed measurements: ``python -m nhri_capacity.bench`` (or ``make bench``).

Prints one line per task with the median wall time over a few runs. Nothing
is asserted: timings depend on the machine and on what else runs on it, so
they are for people to read, not for tests to check.

Tasks measured
--------------
* the UN DESA workbook parsed from scratch versus the Parquet cache read back
  (the cache lives in a temporary folder, so ``data/processed/`` is untouched);
* reading the bundled sample survey;
* :func:`nhri_capacity.score_survey` on the sample;
* :func:`nhri_capacity.audit_scores` on the sample;
* 1,000 draws of :func:`nhri_capacity.score_intervals`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from . import config
from .reference import load_migrant_stock
from .scoring import audit_scores, score_intervals, score_survey
from .survey import generate_sample, read_survey

__all__ = ["time_call", "run_benchmarks", "format_table", "main"]


def time_call(fn, *, repeat=3, warmup=False) -> tuple[float, object]:
    """Median wall time in seconds of ``fn()`` over *repeat* runs, and its last result.

    Examples
    --------
    >>> seconds, value = time_call(lambda: sum(range(10)), repeat=3)
    >>> value, seconds >= 0
    (45, True)
    """
    if warmup:
        fn()
    times, result = [], None
    for _ in range(max(1, int(repeat))):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run_benchmarks(*, repeat=3, draws=1000) -> list[dict]:
    """Run every measurement and return one record per task.

    Each record has ``task``, ``seconds`` (median), ``runs`` and ``note``.
    """
    rows = []

    def add(task, seconds, runs, note=""):
        rows.append({"task": task, "seconds": seconds, "runs": runs, "note": note})

    parse, stock = time_call(lambda: load_migrant_stock(cache=False), repeat=1)
    add("UN workbook: parse (cache=False)", parse, 1, f"{len(stock):,} rows")
    with tempfile.TemporaryDirectory(prefix="nhri-bench-") as tmp:
        build, _ = time_call(lambda: load_migrant_stock(processed_dir=tmp, refresh=True), repeat=1)
        add("UN workbook: parse + write cache", build, 1)
        cached, _ = time_call(lambda: load_migrant_stock(processed_dir=tmp), repeat=repeat)
        add("UN workbook: load from cache", cached, repeat, f"{parse / cached:,.0f}x faster than parsing")

    if config.SAMPLE_SURVEY.exists():
        t, survey = time_call(lambda: read_survey(config.SAMPLE_SURVEY), repeat=repeat)
        add("read_survey(sample .sav)", t, repeat)
        label = config.SAMPLE_SURVEY.name
    else:
        survey, label = generate_sample(), "generate_sample()"

    n_score = max(repeat, 10)
    t, scores = time_call(lambda: score_survey(survey), repeat=n_score, warmup=True)
    add("score_survey", t, n_score, f"{len(scores)} institutions from {label}; target < 50 ms")

    t, _ = time_call(lambda: audit_scores(survey), repeat=repeat, warmup=True)
    add("audit_scores", t, repeat)

    t, _ = time_call(lambda: score_intervals(survey, n_draws=draws), repeat=repeat, warmup=True)
    add(f"score_intervals ({draws:,} draws)", t, repeat, "target about 2 s or less")
    return rows


def _fmt_seconds(s: float) -> str:
    return f"{s * 1000:,.1f} ms" if s < 1 else f"{s:,.2f} s"


def format_table(rows: list[dict]) -> str:
    """Render benchmark records as a fixed-width text table."""
    width = max(len(r["task"]) for r in rows)
    lines = [f"{'task':<{width}}  {'median':>10}  runs  note", "-" * (width + 30)]
    for r in rows:
        lines.append(f"{r['task']:<{width}}  {_fmt_seconds(r['seconds']):>10}  {r['runs']:>4}  {r['note']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nhri_capacity.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per task; the median is shown (default 3)")
    parser.add_argument("--draws", type=int, default=1000, help="uncertainty draws (default 1000)")
    args = parser.parse_args(argv)
    print(f"nhri-capacity benchmarks ({os.cpu_count()} CPUs; median of {args.repeat} runs unless noted)\n")
    print(format_table(run_benchmarks(repeat=args.repeat, draws=args.draws)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
