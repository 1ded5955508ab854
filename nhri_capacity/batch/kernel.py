"""Which Jupyter kernel the batch starts, and how it is started.

The template's metadata names the kernel ``python3``, which JupyterLab and
papermill find in every environment where ipykernel is installed (ipykernel
ships that spec into the environment, and Jupyter launches it with the
interpreter that runs Jupyter). ``make install`` also registers
``nhri-capacity`` (``ipykernel install --sys-prefix``), which names the venv's
interpreter by absolute path. :func:`resolve_kernel_name` picks, in this order,
``python3`` then ``nhri-capacity``, the first whose spec launches the Python
running this process (a user-level ``python3`` spec pointing at another
interpreter, which would lack this package, is skipped). Pass ``kernel_name``
to force one.

Each kernel sends its process's own output (ipykernel's log, C-level
warnings) to ``<out>/<ISO3>/.kernel.log`` (:func:`kernel_manager_class`), and
a kernel that fails to *start* is told apart from a cell that raises
(:func:`kernel_never_started`): only the first is worth a retry.

Every kernel process a brief starts is recorded in :data:`KERNELS`, by
brief: an interrupted batch stops its kernels there (a kernel runs in its own
session, so Ctrl-C in the terminal does not reach it), and a brief whose
kernel died learns how it ended (:func:`describe_exit`).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from ..errors import BriefParameterError

__all__ = ["resolve_kernel_name", "KERNEL_CANDIDATES", "KERNELS", "KernelProcesses", "describe_exit"]

log = logging.getLogger(__name__)

#: Kernel names tried, in order, when none is given.
KERNEL_CANDIDATES = ("python3", "nhri-capacity")
#: Seconds to wait for a kernel to start (papermill's ``start_timeout``).
START_TIMEOUT = 60


def runs_this_python(argv) -> bool:
    """Whether a kernel spec's command starts the interpreter running this process."""
    if not argv:
        return False
    exe = argv[0]
    # jupyter_client replaces a bare 'python'/'python3'/'python3.X' with sys.executable.
    if exe in {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return True
    here = Path(os.path.abspath(sys.executable))
    there = Path(os.path.abspath(exe))
    return there == here or there.parent == here.parent


def resolve_kernel_name(kernel_name: str | None = None) -> str:
    """Return the Jupyter kernel name the batch starts.

    With *kernel_name*, check that such a kernel exists and return it. Without
    it, return the first of ``KERNEL_CANDIDATES`` (``python3``, then
    ``nhri-capacity``) whose kernel spec launches the Python running this
    process, so the kernels can import this package.

    Raises
    ------
    BriefParameterError
        When the kernel does not exist, or no candidate runs this Python.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    if kernel_name is not None:
        try:
            ksm.get_kernel_spec(kernel_name)
        except NoSuchKernel:
            names = ", ".join(sorted(ksm.find_kernel_specs())) or "(none)"
            raise BriefParameterError(f"No Jupyter kernel named {kernel_name!r}; installed kernels: {names}") from None
        return kernel_name
    for name in KERNEL_CANDIDATES:
        try:
            spec = ksm.get_kernel_spec(name)
        except NoSuchKernel:
            continue
        if spec.language.lower() == "python" and runs_this_python(spec.argv):
            return name
        log.info("Kernel %r runs %s, not this Python (%s); not used", name, spec.argv[:1], sys.executable)
    raise BriefParameterError(
        f"No Jupyter kernel runs this Python ({sys.executable}). Install one with "
        f"`{sys.executable} -m ipykernel install --sys-prefix --name nhri-capacity` (make install does), "
        "or pass a kernel name."
    )


def kernel_never_started(exc: BaseException, nb_path: Path) -> bool:
    """Whether *exc* happened before the first cell ran (so a retry may help).

    papermill saves the output notebook before starting the kernel and records
    a ``start_time`` on each cell as it starts it, so a saved notebook with no
    started cell means the kernel failed to start: it did not reply in time,
    died at once (a port taken between allocation and bind) or a ZMQ socket
    could not be set up. An error raised by a cell is never retried.
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, (PapermillExecutionError, NoSuchKernel)):
        return False
    try:
        import nbformat

        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:
        nb = None
    if nb is not None:
        return not any((c.get("metadata", {}).get("papermill") or {}).get("start_time") for c in nb.cells)
    import zmq

    return isinstance(exc, (TimeoutError, ConnectionError, zmq.ZMQError)) or (
        isinstance(exc, RuntimeError) and "kernel" in str(exc).lower()
    )


class KernelProcesses:
    """The kernel processes started for briefs in this process, one per brief at a time.

    A brief is known by a key (its kernel log path). :meth:`expect` is
    called before its kernel starts, with the batch's stop event; the kernel
    manager reports the process with :meth:`started`; :meth:`stop` kills the
    kernels of one batch, and a kernel reported after its batch was told to
    stop is killed at once, so none outlives an interrupted batch.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, list] = {}  # key -> [stop event, process or None]

    def expect(self, key: str, stop: threading.Event) -> None:
        """A kernel is about to be started for *key*, by a batch stopped with *stop*."""
        with self._lock:
            self._entries[key] = [stop, None]

    def started(self, key: str, process) -> None:
        """The kernel process of *key* was launched (a ``subprocess.Popen``)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry[1] = process
        if entry is not None and entry[0].is_set():
            _kill(process)

    def finished(self, key: str) -> int | None:
        """Forget *key*'s kernel and return its exit status (negative: the signal
        that killed it); None when no kernel was started or it still runs."""
        with self._lock:
            entry = self._entries.pop(key, None)
        process = entry[1] if entry else None
        if process is None:
            return None
        try:
            return process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still running, or reaped elsewhere
            return process.returncode

    def stop(self, stop: threading.Event) -> int:
        """Kill the running kernels of the briefs expected with the event *stop*
        (one batch's); return how many were running. Set *stop* first, so that a
        kernel launched meanwhile is killed as it is reported."""
        with self._lock:
            processes = [process for event, process in self._entries.values() if event is stop and process]
        return sum(_kill(process) for process in processes)


def _kill(process) -> bool:
    """Kill a kernel process and its process group (it is a session leader); True if it ran."""
    if process.poll() is not None:
        return False
    try:
        if hasattr(os, "killpg") and os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        return False
    return True


#: The kernels of every brief running in this process.
KERNELS = KernelProcesses()


def describe_exit(status: int | None) -> str:
    """How a kernel process ended, in words.

    Examples
    --------
    >>> describe_exit(-9)
    'killed by signal 9, SIGKILL'
    >>> describe_exit(1)
    'exited with status 1'
    """
    if status is None:
        return "ended for an unknown reason"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            return f"killed by signal {-status}"
        return f"killed by signal {-status}, {name}"
    return f"exited with status {status}"


@functools.lru_cache(maxsize=1)
def kernel_manager_class():
    """An AsyncKernelManager that sends the kernel process's own output to a file.

    A kernel's Python-level output is captured into the notebook anyway; what
    reaches the process's stdout/stderr is ipykernel's log ("KeyboardInterrupt
    caught in kernel" when it is shut down, ...) and C-level messages. In a
    batch of many kernels that would garble the progress bar, so it goes to
    ``<out>/<ISO3>/.kernel.log`` instead (kept when the brief fails). The
    process is reported to :data:`KERNELS` under that path.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Unicode

    class BriefKernelManager(AsyncKernelManager):
        log_path = Unicode("", config=True, help="File receiving the kernel process's stdout and stderr.")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if not self.log_path or "stderr" in kw:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(self.log_path, "ab") as sink:  # the child keeps its own copy
                kw["stdout"] = kw["stderr"] = sink
                try:
                    return await super()._async_launch_kernel(kernel_cmd, **kw)
                finally:
                    process = getattr(self.provisioner, "process", None)
                    if process is not None:
                        KERNELS.started(self.log_path, process)

    return BriefKernelManager


def kernel_config(log_path: Path | None = None):
    """Traitlets config for the kernel manager papermill creates.

    Kernels talk to papermill over localhost TCP; ask jupyter_client to
    provision CurveZMQ keys for kernels that declare support (ipykernel 7
    does), so the traffic is encrypted and each kernel does not print a
    warning that it is not.
    """
    import zmq
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    if log_path is not None:
        config.BriefKernelManager.log_path = str(log_path)
    return config
