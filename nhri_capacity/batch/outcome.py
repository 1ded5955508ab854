"""What a batch returns: one :class:`BriefOutcome` per country in a :class:`BatchResult`
(or, when it was interrupted, in a :class:`BatchInterrupted`), and the names of the
files a brief's folder holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BriefOutcome", "BatchResult", "BatchInterrupted"]

NOTEBOOK_NAME = "brief.ipynb"
FAILED_NOTEBOOK_NAME = "brief.failed.ipynb"
MARKER_NAME = ".complete.json"
KERNEL_LOG_NAME = ".kernel.log"
DATA_NAME = "data.json"
INDEX_NAME = "index.html"

# The error line of an interrupted brief.
STOPPED_RUNNING = "stopped while running (interrupted)"
NOT_STARTED = "not started (interrupted)"


@dataclass
class BriefOutcome:
    """What happened to one country's brief.

    Attributes
    ----------
    country : str
        ISO3 code.
    status : str
        ``"done"`` (executed now), ``"skipped"`` (up to date, resume),
        ``"failed"``, or ``"interrupted"`` (the batch was stopped before this
        brief finished; nothing of it is left that looks complete).
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
        One line, ``ExceptionName: message``, when the brief failed (for an
        interrupted brief, whether it was running or not started).
    attempts : int
        Kernel starts tried (0 when skipped).
    seconds : float
        Wall time spent on this brief.

    Examples
    --------
    >>> BriefOutcome("MEX", "skipped", Path("briefs/MEX")).ok
    True
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
    """Outcome of :func:`~nhri_capacity.batch.run.run_batch`: one :class:`BriefOutcome` per country.

    Examples
    --------
    >>> result = BatchResult([BriefOutcome("DEU", "failed", Path("DEU"), error="ValueError: x")],
    ...                      out=Path("."), index=None, seconds=1.0)
    >>> [o.country for o in result.failed], result.exit_code
    (['DEU'], 1)
    """

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
    def interrupted(self) -> list:
        """Briefs not finished because the batch was stopped (Ctrl-C)."""
        return [o for o in self.outcomes if o.status == "interrupted"]

    @property
    def exit_code(self) -> int:
        """0 when every brief is done or up to date, 1 when any failed, 130
        (as for Ctrl-C) when the batch was interrupted."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch: its kernels are stopped, and :attr:`result` says
    which briefs finished (they are kept) and which did not (nothing of them
    looks complete); ``resume=True`` makes the rest.

    A :class:`KeyboardInterrupt`, so code that does not look for it still stops.

    Examples
    --------
    >>> result = BatchResult([BriefOutcome("MEX", "interrupted", Path("MEX"))], out=Path("."),
    ...                      index=None, seconds=1.0)
    >>> BatchInterrupted(result).result.exit_code
    130
    """

    def __init__(self, result: BatchResult):
        super().__init__(f"Batch interrupted: {len(result.interrupted)} briefs not finished")
        self.result = result


