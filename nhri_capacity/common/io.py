"""Atomic, durable file writing, and file hashes.

Every output is written to a temporary file beside its target, flushed to
disk (``fsync``), renamed onto the target, and the folder is flushed too. A
reader or an interrupted run therefore never sees a half-written file under
the final name, and after a power loss a file under its final name is
complete, not empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from pathlib import Path

# Read once at import: os.umask can only be read by setting it, which is not
# safe while batch threads are creating files.
_UMASK = os.umask(0o022)
os.umask(_UMASK)

__all__ = [
    "atomic_path", "atomic_write_bytes", "atomic_write_text", "replace_durably", "fsync_path", "sha256_file",
    "digest_file",
]


@contextlib.contextmanager
def atomic_path(target, *, suffix=None):
    """Yield a temporary path next to *target*; on success flush it and rename it onto *target*.

    The temporary file keeps the target's suffix (or *suffix*), because some
    writers (pandas, matplotlib) pick the format from it. On an exception the
    temporary file is removed and *target* is left as it was.
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
        replace_durably(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def replace_durably(source, target) -> Path:
    """Rename the finished file *source* onto *target*, durably: flush the
    file, rename it, flush the folder (for files another program wrote, such
    as the notebooks papermill saves, which :func:`atomic_path` cannot wrap).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / ".draft").write_text("done")
    >>> replace_durably(folder / ".draft", folder / "final.txt").read_text()
    'done'
    """
    fsync_path(source)
    os.replace(source, target)
    fsync_path(Path(target).parent)
    return Path(target)


def fsync_path(path) -> None:
    """Flush a file's, or a folder's, data and metadata to the disk.

    Folders are flushed so that a rename into them survives a power loss;
    where the system cannot open a folder for that (Windows), this is skipped.
    """
    path = Path(path)
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except (IsADirectoryError, PermissionError):
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(target, data: bytes) -> Path:
    """Write *data* to *target* atomically and return the target path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def atomic_write_text(target, text: str, *, encoding="utf-8") -> Path:
    """Write *text* to *target* atomically and return the target path."""
    return atomic_write_bytes(target, text.encode(encoding))


def digest_file(path, *, chunk_size=1 << 20) -> str:
    """Read the file at *path* and return its hex SHA-256 digest (no memory of earlier calls)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


# (path, device, inode, size, mtime) -> digest. A batch asks for the survey's
# hash in several steps (cache key, file metadata, resume markers); reading a
# large file once is enough while it is unchanged.
_DIGESTS: dict[tuple, str] = {}
_DIGESTS_LOCK = threading.Lock()


def sha256_file(path) -> str:
    """Return the hex SHA-256 digest of the file at *path*.

    The digest is remembered for the file's current version (same path,
    inode, size and modification time), so asking again for an unchanged file
    does not read it again; any change to the file is a new version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _DIGESTS_LOCK:
        known = _DIGESTS.get(key)
    if known is not None:
        return known
    digest = digest_file(path)
    with _DIGESTS_LOCK:
        _DIGESTS[key] = digest
    return digest
