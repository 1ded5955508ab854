"""The output folder of a batch: usable, and claimed by one batch at a time.

Before the survey is read or any kernel starts, :func:`claim_output_folder`
creates the folder, writes and removes a small probe file there (through
:mod:`nhri_capacity.common.io`, so it is written, flushed and renamed as every
output is), and takes the folder's lock. A folder that cannot be created, is
read-only or sits on a full disk is refused with one
:class:`~nhri_capacity.errors.OutputFolderError` line saying what, where and
what to do, before anything in it is touched.

The lock is ``<out>/.batch.lock`` held with ``fcntl.flock``: the operating
system releases it when the process ends, however it ends (Ctrl-C, a crash,
``kill -9``), so a dead batch never leaves the folder locked. The file itself
only carries who holds the lock (pid, host, start time, command) for the
message a second batch prints
(:class:`~nhri_capacity.errors.OutputFolderBusyError`). It is the one file the
batch writes in place rather than atomically: a lock must stay on one file,
and an atomic write replaces the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import socket
import sys
from pathlib import Path

from ..common.clock import utc_now_iso
from ..common.io import atomic_write_bytes
from ..errors import OutputFolderBusyError, OutputFolderError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt

__all__ = ["claim_output_folder", "folder_error", "disk_error", "LOCK_NAME"]

LOCK_NAME = ".batch.lock"

#: Errors that no later brief can escape either: the batch stops on them.
DISK_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS) if code is not None
)

_REASONS = {
    errno.ENOSPC: ("there is no space left on the disk", "free some space"),
    errno.EROFS: ("the disk is mounted read-only", "choose another folder with --out"),
    errno.EACCES: ("permission denied", "make it writable or choose another folder with --out"),
    errno.EPERM: ("permission denied", "make it writable or choose another folder with --out"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "choose another folder with --out"),
    errno.ENOENT: ("a folder above it does not exist", "create it or choose another folder with --out"),
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = ("the disk quota is exceeded", "free some space")

_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]")


def disk_error(error, out: Path, *, action: str, then: str = "") -> OutputFolderError | None:
    """The error that stops a batch when *error* (an exception, or its one-line
    text from a notebook) is a full or read-only disk; None for anything else.

    Examples
    --------
    >>> disk_error("OSError: [Errno 28] No space left on device: 'x.png'", Path("/b"), action="write to").args[0]
    'Cannot write to the output folder /b: there is no space left on the disk (No space left on device); free some space, then run again.'
    >>> disk_error(ValueError("[Errno 28]"), Path("/b"), action="write to") is None
    True
    """
    if isinstance(error, OSError):
        exc = error
    elif isinstance(error, str) and (match := _ERRNO_IN_TEXT.search(error)):
        code = int(match.group(1))
        exc = OSError(code, os.strerror(code))
    else:
        return None
    return folder_error(exc, out, action=action, then=then) if exc.errno in DISK_ERRNOS else None


def folder_error(exc: OSError, out: Path, *, action: str, then: str = "") -> OutputFolderError:
    """One line for an OSError met on the output folder: what, where, what to do.

    Examples
    --------
    >>> folder_error(OSError(13, "Permission denied"), Path("/briefs"), action="write to").args[0]
    'Cannot write to the output folder /briefs: permission denied; make it writable or choose another folder with --out, then run again.'
    """
    reason, todo = _REASONS.get(exc.errno, (exc.strerror or type(exc).__name__, "choose another folder with --out"))
    if exc.errno == errno.ENOTDIR:
        blocker = next((p for p in [out, *out.parents] if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            reason = f"{blocker} is a file, not a folder"
    detail = f" ({exc.strerror})" if exc.strerror and exc.strerror.lower() not in reason.lower() else ""
    return OutputFolderError(
        f"Cannot {action} the output folder {out}: {reason}{detail}; {todo}, then run again{then}."
    )


def _first_missing(path: Path) -> Path | None:
    """The topmost folder of *path* that does not exist yet (None when it exists)."""
    missing = None
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing = folder
    return missing


def _probe(out: Path) -> None:
    """Write, flush, rename and remove a small file in *out*, as every output will be."""
    probe = out / f".write-test.{os.getpid()}"
    try:
        atomic_write_bytes(probe, b"nhri-capacity write test\n")
    finally:
        probe.unlink(missing_ok=True)


class _FolderLock:
    """``<out>/.batch.lock``, held while the batch runs (see the module docstring)."""

    def __init__(self, out: Path):
        self.out = out
        self.path = out / LOCK_NAME
        self.fd = None

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock(fd)
            except OSError:
                os.close(fd)
                raise OutputFolderBusyError(self._busy_message()) from None
            # A batch that finished between our open and our lock removed the
            # file; lock the file now at the path, not the removed one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                break
            os.close(fd)
        holder = {
            "pid": os.getpid(), "host": socket.gethostname(), "started": utc_now_iso(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "",
        }
        with contextlib.suppress(OSError):  # who holds it is for messages only
            os.ftruncate(self.fd, 0)
            os.lseek(self.fd, 0, os.SEEK_SET)
            os.write(self.fd, json.dumps(holder).encode())

    def _busy_message(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = {}
        holder = holder if isinstance(holder, dict) else {}
        who = f"process {holder.get('pid', '(pid not known yet)')}"
        if holder.get("host") and holder["host"] != socket.gethostname():
            who += f" on {holder['host']}"
        if holder.get("started"):
            who += f", started {holder['started']}"
        if holder.get("command"):
            who += f": {holder['command']}"
        return (
            f"Another batch of briefs is writing to the output folder {self.out} ({who}). "
            "Wait for it to finish or stop it, or choose another folder with --out."
        )

    def release(self) -> None:
        if self.fd is None:
            return
        # Removed while still locked, so no other batch can lock the old file.
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)  # closing releases the lock
        self.fd = None


def _lock(fd: int) -> None:
    """Lock *fd* without waiting; OSError when another process holds it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows: a byte far past the details, released at exit too
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


@contextlib.contextmanager
def claim_output_folder(out: Path):
    """Create *out*, check it can be written, and hold its lock while the block runs.

    A folder this call created is removed again on exit if nothing was
    written into it (for example when a country code is refused later).

    Raises
    ------
    OutputFolderError
        When the folder cannot be created or written (read-only, full disk,
        a file in the way); nothing in it has been changed.
    OutputFolderBusyError
        When another batch holds the folder.
    """
    out = Path(out)
    created = _first_missing(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(exc, out, action="create") from None
    lock = _FolderLock(out)
    try:
        try:
            _probe(out)
        except OSError as exc:
            raise folder_error(exc, out, action="write to") from None
        lock.acquire()
        yield out
    finally:
        lock.release()
        if created is not None:
            for folder in [out, *out.parents]:
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                if folder == created:
                    break
