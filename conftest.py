"""Keep every test and doctest out of the repository's own output folders.

An autouse, session-wide fixture points ``config.PROCESSED_DATA_DIR`` and the
report folders at a temporary directory, and sets the environment variables
that ``nhri_capacity.config`` reads, so notebook kernels started by the batch
tests write there too. At the end of the session the suite fails if anything
appeared under ``data/processed/`` or ``reports/`` all the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nhri_capacity import config

_GUARDED = (config.DATA_DIR / "processed", config.PROJ_ROOT / "reports")


def _listing() -> set[Path]:
    return {p for folder in _GUARDED if folder.exists() for p in folder.rglob("*")}


def pytest_sessionstart(session):
    session.config._nhri_repo_listing = _listing()


@pytest.fixture(scope="session", autouse=True)
def _outputs_outside_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("nhri-outputs")
    processed, reports = root / "processed", root / "reports"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NHRI_CAPACITY_PROCESSED_DIR", str(processed))
        mp.setenv("NHRI_CAPACITY_REPORTS_DIR", str(reports))
        mp.setattr(config, "PROCESSED_DATA_DIR", processed)
        mp.setattr(config, "REPORTS_DIR", reports)
        mp.setattr(config, "BRIEFS_DIR", reports / "briefs")
        mp.setattr(config, "FIGURES_DIR", reports / "figures")
        yield root


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_nhri_repo_listing", None)
    if before is None:
        return
    new = sorted(_listing() - before)
    if new:
        shown = "\n  ".join(str(p.relative_to(config.PROJ_ROOT)) for p in new[:20])
        print(f"\nTests wrote into the repository's output folders:\n  {shown}")
        session.exitstatus = 1
