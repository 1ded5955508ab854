"""The toolkit's version, read once from the installed package metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["TOOLKIT_VERSION", "toolkit_version"]

try:
    TOOLKIT_VERSION = version("nhri-capacity")
except PackageNotFoundError:  # running from a source tree that is not installed
    TOOLKIT_VERSION = "0.0.0+unknown"


def toolkit_version() -> str:
    """The version recorded in outputs, caches and batch markers.

    Examples
    --------
    >>> toolkit_version() == TOOLKIT_VERSION
    True
    """
    return TOOLKIT_VERSION
