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
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path

from ..errors import BriefParameterError

__all__ = ["resolve_kernel_name", "KERNEL_CANDIDATES"]

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


@functools.lru_cache(maxsize=1)
def kernel_manager_class():
    """An AsyncKernelManager that sends the kernel process's own output to a file.

    A kernel's Python-level output is captured into the notebook anyway; what
    reaches the process's stdout/stderr is ipykernel's log ("KeyboardInterrupt
    caught in kernel" when it is shut down, ...) and C-level messages. In a
    batch of many kernels that would garble the progress bar, so it goes to
    ``<out>/<ISO3>/.kernel.log`` instead (kept when the brief fails).
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
                return await super()._async_launch_kernel(kernel_cmd, **kw)

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
