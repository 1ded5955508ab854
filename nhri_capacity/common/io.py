"""Atomic file writing: write to a temporary file beside the target, then rename.

A reader (or an interrupted run) therefore never sees a half-written file under
the final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

# Read once at import: os.umask can only be read by setting it, which is not
# safe while batch threads are creating files.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "sha256_file"]


@contextlib.contextmanager
def atomic_path(target, *, suffix=None):
    """Yield a temporary path next to *target*; rename it onto *target* on success.

    The temporary file keeps the target's suffix (or *suffix*), because some
    writers (pandas, matplotlib) pick the format from it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem}.", suffix=suffix or target.suffix
    )
    os.close(fd)
    tmp = Path(tmp)
    # mkstemp creates 0600 files; give outputs the permissions a plain open() would.
    os.chmod(tmp, 0o666 & ~_UMASK)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(target, data: bytes) -> Path:
    """Write *data* to *target* atomically and return the target path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target, text: str, *, encoding="utf-8") -> Path:
    """Write *text* to *target* atomically and return the target path."""
    return atomic_write_bytes(target, text.encode(encoding))


def sha256_file(path, *, chunk_size=1 << 20) -> str:
    """Return the hex SHA-256 digest of the file at *path*."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()
