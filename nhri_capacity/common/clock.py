"""Times written into outputs: one format for timestamps, one rule for reproducible dates."""

from __future__ import annotations

import datetime as _dt
import os

__all__ = ["utc_now_iso", "today_iso"]


def utc_now_iso() -> str:
    """The current UTC time to the second, as ISO 8601 with a ``Z`` (``2026-12-01T14:07:11Z``)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def today_iso() -> str:
    """Today's date (``2026-12-01``); ``SOURCE_DATE_EPOCH`` fixes it for reproducible builds.

    Examples
    --------
    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "1764547200"
    >>> today_iso()
    '2025-12-01'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.UTC).date().isoformat()
    return _dt.date.today().isoformat()
