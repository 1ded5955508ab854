"""Completion markers: what ``resume=True`` trusts.

A brief's ``.complete.json`` is written last, atomically, once its notebook
ran without error and wrote every file asked for. It records the brief's
inputs (survey and template SHA-256, toolkit version, a hash of the
package's own files, formats, year, draws) and the size of each file, so a
later run can tell a complete, up-to-date brief from a stale or damaged one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import shutil
import time
from pathlib import Path

from ..common.clock import utc_now_iso
from ..common.io import atomic_write_text, sha256_file
from ..common.version import toolkit_version
from ..render import BRIEF_FORMATS
from .outcome import DATA_NAME, FAILED_NOTEBOOK_NAME, KERNEL_LOG_NAME, MARKER_NAME, NOTEBOOK_NAME, BriefOutcome

__all__ = ["marker_inputs", "complete_outcome", "write_marker", "package_sha256", "discard_unfinished"]

#: The whole toolkit package (``nhri_capacity/``), not only this sub-package:
#: code, rules and templates anywhere in it shape a brief.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]

# Files the batch itself owns inside a country folder (never listed as outputs).
_OWN_FILES = {MARKER_NAME, FAILED_NOTEBOOK_NAME}


def tree_sha256(root: Path) -> str:
    """One hash of every file under *root* (path and content), skipping
    hidden files, ``__pycache__`` and compiled Python."""
    root = Path(root)
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


@functools.lru_cache(maxsize=1)
def package_sha256() -> str:
    """Hash of the toolkit's own files (:data:`PACKAGE_ROOT`), so that a brief
    made by other code is rebuilt on resume even when the version is the same."""
    return tree_sha256(PACKAGE_ROOT)


def marker_inputs(iso3, *, survey_sha, template_sha, formats, year, n_draws) -> dict:
    """What a brief depends on; a marker with other inputs is stale."""
    return {
        "country": iso3,
        "survey_sha256": survey_sha,
        "template_sha256": template_sha,
        "toolkit_version": toolkit_version(),
        "package_sha256": package_sha256(),
        "formats": sorted(formats),
        "year": year,
        "n_draws": int(n_draws),
    }


def expected_files(formats) -> list[str]:
    """Files a complete brief has, relative to its folder.

    Examples
    --------
    >>> expected_files(("html",))
    ['brief.ipynb', 'data.json', 'brief.html']
    """
    return [NOTEBOOK_NAME, DATA_NAME, *(f"brief.{fmt}" for fmt in formats)]


def read_json(path: Path):
    """The JSON in *path*, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def complete_outcome(folder: Path, iso3: str, inputs: dict, formats) -> BriefOutcome | None:
    """A "skipped" outcome when *folder* holds a complete brief made from *inputs*."""
    marker = read_json(folder / MARKER_NAME)
    if not isinstance(marker, dict) or marker.get("inputs") != inputs:
        return None
    files = marker.get("files")
    if not isinstance(files, dict) or not all(name in files for name in expected_files(formats)):
        return None
    paths = {}
    for rel, size in files.items():
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size != size:
            return None
        paths[rel] = path
    return BriefOutcome(iso3, "skipped", folder, notebook=folder / NOTEBOOK_NAME, files=paths)


def output_files(folder: Path, since: float) -> dict[str, Path]:
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


def write_marker(folder: Path, *, inputs: dict, files: dict, started: float, kernel_name: str, attempts: int) -> Path:
    """Write ``.complete.json`` atomically; call it last, when every file in *files* is complete."""
    marker = {
        "inputs": inputs,
        "files": {rel: path.stat().st_size for rel, path in files.items()},
        "completed": utc_now_iso(),
        "seconds": round(time.monotonic() - started, 2),
        "kernel_name": kernel_name,
        "attempts": attempts,
    }
    return atomic_write_text(folder / MARKER_NAME, json.dumps(marker, indent=2) + "\n")


def discard_unfinished(folder: Path, *, keep_log: bool = False) -> None:
    """Remove what a brief stopped part-way, or failed, left in *folder*, so nothing there looks complete.

    Its files under their final names (notebook, ``data.json``, HTML, PDF,
    figures: possibly a mix of this run and an earlier one), the temporary
    files of writes cut short, its marker and (unless *keep_log*) its kernel
    log; the folder itself when that empties it. The failed notebook
    (``brief.failed.ipynb``) is kept.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "MEX"
    >>> (folder / "figures").mkdir(parents=True)
    >>> for name in ["data.json", "brief.html", ".brief.1f2e.ipynb", "figures/capacity.png"]:
    ...     _ = (folder / name).write_text("part")
    >>> discard_unfinished(folder)
    >>> folder.exists()
    False
    """
    for name in (*expected_files(BRIEF_FORMATS), MARKER_NAME, *(() if keep_log else (KERNEL_LOG_NAME,))):
        (folder / name).unlink(missing_ok=True)
    # Temporary names: papermill's draft notebook (.brief.<id>.ipynb) and
    # atomic writes cut short (.brief.<id>.html, .data.<id>.json).
    for pattern in (".brief.*", ".data.*"):
        for path in folder.glob(pattern):
            path.unlink(missing_ok=True)
    # The notebook writes its figures into figures/ (render.write_brief_files).
    shutil.rmtree(folder / "figures", ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when nothing else is left
