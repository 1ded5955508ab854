"""The batch of briefs under faults (issue 13, item 4).

* Ctrl-C stops the kernels, leaves nothing that looks complete for the briefs
  not finished, says what finished, exits 130, and ``--resume`` makes the rest;
* a kernel killed mid-brief fails that brief with how it died; the rest finish;
* a second batch on the same output folder is refused, and the lock of a
  killed batch does not block;
* a read-only, uncreatable or full output folder is one error line, exit 2,
  with earlier briefs untouched;
* every file the batch writes itself is flushed before its rename.

Fast tests use a stand-in for papermill (and, for Ctrl-C, a real process in
the kernel's place); the tests marked ``slow`` start real kernels, and one runs
``nhri-capacity briefs`` as a separate process with the real template.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from batch_helpers import FakePapermill, tiny_template

from nhri_capacity import batch, config
from nhri_capacity.batch.folder import LOCK_NAME, claim_output_folder
from nhri_capacity.cli import main
from nhri_capacity.errors import OutputFolderBusyError, OutputFolderError

BRIEF_FILES = ("brief.ipynb", "brief.html", "brief.pdf", "data.json", ".complete.json")


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def snapshot(folder: Path) -> dict:
    """Every file under *folder*: relative path -> SHA-256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def looks_complete(folder: Path) -> list[str]:
    """Files under final names (or temporary ones) in a brief folder that did not finish."""
    if not folder.exists():
        return []
    left = [name for name in BRIEF_FILES if (folder / name).exists()]
    left += [p.name for p in folder.glob(".brief.*")] + [p.name for p in folder.glob(".data.*")]
    left += [p.relative_to(folder).as_posix() for p in folder.glob("figures/*")]
    return left


def kernels_of(pid: int) -> list[psutil.Process]:
    """Live kernel processes started by process *pid* (jupyter_client sets JPY_PARENT_PID)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("JPY_PARENT_PID") == str(pid) and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for(predicate, timeout: float, what: str, *, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the batch ended (status {process.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def earlier_brief(out: Path, iso3: str = "MEX") -> dict:
    """A brief from an earlier run in *out* (files, marker and index); returns the folder's snapshot."""
    folder = out / iso3
    (folder / "figures").mkdir(parents=True)
    for name in ("brief.ipynb", "brief.html", "data.json", "figures/themes.png"):
        (folder / name).write_text(f"earlier {name}\n")
    (folder / ".complete.json").write_text('{"inputs": {}}\n')
    (out / "index.html").write_text("<p>earlier index</p>\n")
    return snapshot(out)


def cli_briefs(capsys, *args) -> tuple[int, str, str]:
    """``nhri-capacity briefs ARGS`` in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as stop:
        main(["briefs", *map(str, args)])
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


def assert_one_error_line(err: str, *must_contain: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ") and "Traceback" not in err
    for text in must_contain:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def survey():
    if not config.SAMPLE_SURVEY.is_file():
        pytest.skip("the bundled sample survey is absent")
    return config.SAMPLE_SURVEY


@pytest.fixture
def tiny(tmp_path):
    return tiny_template(tmp_path)


@pytest.fixture
def fake(monkeypatch):
    import papermill

    def install(**by_country):
        stand_in = FakePapermill(by_country=by_country)
        monkeypatch.setattr(papermill, "execute_notebook", stand_in)
        monkeypatch.setattr(batch.execute.time, "sleep", lambda s: None)
        return stand_in

    return install


@pytest.fixture
def no_kernels(monkeypatch):
    import papermill

    def refuse(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def tmpfs(tmp_path):
    """Mount small tmpfs file systems (root only; skipped elsewhere); unmounted afterwards."""
    mounted = []

    def make(name: str, size: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)):
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(path)
        return path

    yield make
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> None:
    """Fill the file system of *folder* until not one more byte fits."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    try:
        with pytest.raises(OSError):
            (folder / "probe").write_bytes(b"x")
    finally:
        (folder / "probe").unlink(missing_ok=True)


@pytest.fixture
def default_sigint():
    """Python's own Ctrl-C handler, whatever a library loaded by an earlier test may have set."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


# --------------------------------------------------------------------------- #
# 1. Ctrl-C
# --------------------------------------------------------------------------- #
def test_ctrl_c_stops_the_kernel_leaves_nothing_half_made_and_resume_makes_the_rest(
    tmp_path, survey, tiny, fake, default_sigint,
):
    """Ctrl-C arrives (interrupt_main, as the SIGINT handler does) while DEU runs:
    its kernel (a real process in its own session, as jupyter_client starts
    kernels) is killed, its partial files go, MEX (done) and KEN (earlier brief,
    not started) are untouched; resume then makes DEU only."""
    out = tmp_path / "out"
    kwargs = dict(survey=survey, out=out, formats=("html",), template=tiny, n_draws=100, jobs=1, progress=False)
    fake(KEN="ok")
    batch.run_batch(["KEN"], **kwargs)
    ken_before = snapshot(out / "KEN")
    kernel = {}

    def killed_mid_write(nb, output_path, parameters, kw):
        folder = Path(parameters["out_dir"])
        nbformat.write(nb, output_path)  # papermill saves the notebook as it goes
        (folder / "figures").mkdir()
        for name in ("data.json", "brief.html", "figures/themes.png", ".brief.a1b2c3.pdf"):
            (folder / name).write_text("part")
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
        kernel["process"] = process
        batch.kernel.KERNELS.started(kw["config"].BriefKernelManager.log_path, process)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)  # Ctrl-C
        process.wait(timeout=120)  # the batch kills it (generous: a loaded machine is slow)
        from nbclient.exceptions import DeadKernelError

        raise DeadKernelError("Kernel died")

    fake(MEX="ok", DEU=killed_mid_write, KEN="ok")
    try:
        with pytest.raises(batch.BatchInterrupted) as stopped:
            batch.run_batch(["MEX", "DEU", "KEN"], **kwargs)
    finally:
        if "process" in kernel and kernel["process"].poll() is None:
            kernel["process"].kill()
    result = stopped.value.result
    assert isinstance(stopped.value, KeyboardInterrupt)
    assert [(o.country, o.status) for o in result.outcomes] == [
        ("MEX", "done"), ("DEU", "interrupted"), ("KEN", "interrupted")]
    assert result.exit_code == 130
    assert kernel["process"].returncode == -signal.SIGKILL
    assert looks_complete(out / "DEU") == [] and not (out / "DEU").exists()
    assert snapshot(out / "KEN") == ken_before, "a brief not started must be left as it was"
    assert (out / "MEX" / ".complete.json").is_file()
    mex = snapshot(out / "MEX")
    assert not (out / LOCK_NAME).exists(), "the lock is released"

    summary = batch.format_summary(result)
    assert "1 done, 0 skipped (up to date), 0 failed, 2 not finished" in summary
    assert "Finished and kept: MEX." in summary
    assert "DEU (stopped while running), KEN (not started)" in summary
    assert "--resume" in summary
    page = (out / "index.html").read_text()
    assert 'href="MEX/brief.html"' in page and "stopped while running" in page and "not started" in page

    pm = fake(MEX="ok", DEU="ok", KEN="ok")
    again = batch.run_batch(["MEX", "DEU", "KEN"], resume=True, **kwargs)
    assert [(o.country, o.status) for o in again.outcomes] == [
        ("MEX", "skipped"), ("DEU", "done"), ("KEN", "skipped")]
    assert [c["parameters"]["country"] for c in pm.calls] == ["DEU"]
    assert snapshot(out / "MEX") == mex and snapshot(out / "KEN") == ken_before


def test_a_kernel_launched_after_the_stop_is_killed_at_once():
    stop = threading.Event()
    kernels = batch.kernel.KernelProcesses()
    kernels.expect("late", stop)
    stop.set()
    assert kernels.stop(stop) == 0  # nothing running yet
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    kernels.started("late", process)
    assert process.wait(timeout=10) == -signal.SIGKILL
    assert kernels.finished("late") == -signal.SIGKILL


def test_cli_prints_what_finished_and_exits_130_when_interrupted(tmp_path, monkeypatch, capsys):
    result = batch.BatchResult(
        [batch.BriefOutcome("MEX", "done", tmp_path / "MEX"),
         batch.BriefOutcome("DEU", "interrupted", tmp_path / "DEU", error="stopped while running (interrupted)")],
        out=tmp_path, index=None, seconds=3.0,
    )

    def interrupted(*args, **kwargs):
        raise batch.BatchInterrupted(result)

    monkeypatch.setattr(batch, "run_batch", interrupted)
    code, out, err = cli_briefs(capsys, "MEX", "DEU")
    assert code == 130
    assert "Finished and kept: MEX." in out and "DEU (stopped while running)" in out and "--resume" in out
    assert "Traceback" not in err


@pytest.mark.slow
def test_ctrl_c_on_the_command_line_then_resume(tmp_path, survey):
    """`nhri-capacity briefs` as its own process, the real template: a second
    batch on the same folder is refused while it runs; SIGINT once the first
    brief is complete stops the kernels and exits 130; --resume makes the rest."""
    out = tmp_path / "briefs"
    countries = ["MEX", "DEU", "KEN"]
    args = [sys.executable, "-m", "nhri_capacity.cli", "briefs", *countries,
            "-j", "2", "-n", "20", "-f", "html", "-o", str(out), "--no-progress"]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # 3. A second batch on the same folder, while the first runs.
        wait_for(lambda: (out / LOCK_NAME).is_file() and str(first.pid) in (out / LOCK_NAME).read_text(),
                 120, "the first batch to lock its folder", process=first)
        second = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert_one_error_line(second.stderr, "Another batch", str(out), f"process {first.pid}", "started ")

        # 1. Ctrl-C once the first brief is complete, while kernels run.
        wait_for(lambda: list(out.glob("*/.complete.json")), 240, "the first complete brief", process=first)
        running = wait_for(lambda: kernels_of(first.pid), 60, "a running kernel", process=first)
        first.send_signal(signal.SIGINT)
        stdout, stderr = first.communicate(timeout=90)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 130, stderr
    assert "Traceback" not in stderr and "Kernel died" not in stderr, stderr
    time.sleep(0.5)
    assert not [p for p in running if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert kernels_of(first.pid) == [], "kernels left running after the batch ended"
    assert not (out / LOCK_NAME).exists()

    finished = [c for c in countries if (out / c / ".complete.json").is_file()]
    not_finished = [c for c in countries if c not in finished]
    assert finished and not_finished, stdout
    assert f"Finished and kept: {', '.join(finished)}." in stdout
    for iso3 in not_finished:
        assert looks_complete(out / iso3) == [], iso3
        assert re.search(rf"{iso3} \((stopped while running|not started)\)", stdout), stdout
    assert "run the same command again with --resume" in stdout
    kept = {c: snapshot(out / c) for c in finished}
    for iso3 in finished:  # each file the marker lists is there, with its size
        marker = json.loads((out / iso3 / ".complete.json").read_text())
        assert {rel: (out / iso3 / rel).stat().st_size for rel in marker["files"]} == marker["files"]

    again = subprocess.run([*args, "--resume"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(not_finished)} done, {len(finished)} skipped (up to date), 0 failed" in again.stdout
    for iso3 in countries:
        assert (out / iso3 / ".complete.json").is_file() and (out / iso3 / "brief.html").is_file()
    assert {c: snapshot(out / c) for c in finished} == kept, "finished briefs must be kept as they were"
    page = (out / "index.html").read_text()
    assert all(f'href="{c}/brief.html"' in page for c in countries)
    assert "not finished" not in page and "Failed briefs" not in page


# --------------------------------------------------------------------------- #
# 2. A kernel killed mid-brief
# --------------------------------------------------------------------------- #
# DEU's brief tells where its kernel is, then runs until killed.
SLOW_DEU_BODY = '''\
import os, pathlib, time
out = pathlib.Path(out_dir)
if country == "DEU":
    (out / "data.json").write_text("{}")  # written before the kernel dies: must not stay
    (out.parent / "DEU.pid").write_text(str(os.getpid()))
    time.sleep(120)
(out / "data.json").write_text('{"key_figures": {"country": "' + country + '"}}')
for fmt in formats.split(","):
    (out / f"brief.{fmt}").write_text("<p>brief</p>")
'''


def test_a_failed_brief_leaves_only_its_failed_notebook(tmp_path, survey, tiny, fake):
    """Files from the run that failed, or from an earlier complete run, must not look complete."""
    out = tmp_path / "out"
    kwargs = dict(survey=survey, out=out, formats="html", template=tiny, progress=False)
    fake(MEX="ok")
    assert batch.run_batch(["MEX"], **kwargs).exit_code == 0
    fake(MEX="cell-raises")
    assert batch.run_batch(["MEX"], **kwargs).exit_code == 1
    assert sorted(p.name for p in (out / "MEX").iterdir()) == ["brief.failed.ipynb"]


@pytest.mark.slow
def test_a_kernel_killed_mid_brief_fails_that_brief_and_the_batch_goes_on(tmp_path, survey):
    out = tmp_path / "out"
    template = tiny_template(tmp_path, SLOW_DEU_BODY)
    pid_file = out / "DEU.pid"
    killed = {}

    def kill_deu_kernel():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (pid_file.is_file() and pid_file.read_text()):
            time.sleep(0.1)
        pid = int(pid_file.read_text())
        kernel = psutil.Process(pid)
        killed["is_our_child"] = kernel.ppid() == os.getpid()
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_deu_kernel, daemon=True)
    killer.start()
    result = batch.run_batch(
        ["DEU", "MEX"], survey=survey, out=out, jobs=1, formats=("html",), template=template,
        n_draws=100, progress=False,
    )
    killer.join(timeout=5)
    assert killed == {"is_our_child": True}
    deu, mex = result.outcomes
    assert deu.status == "failed" and mex.status == "done"
    assert deu.error.startswith(
        "The notebook kernel died (killed by signal 9, SIGKILL) while running cell 3 of 3"), deu.error
    assert result.exit_code == 1
    assert sorted(p.name for p in (out / "DEU").iterdir()) == [".kernel.log", "brief.failed.ipynb"]
    assert deu.notebook == out / "DEU" / "brief.failed.ipynb" and deu.notebook.is_file()
    assert (out / "MEX" / ".complete.json").is_file()
    assert f"FAILED DEU: {deu.error}" in batch.format_summary(result)
    page = (out / "index.html").read_text()
    assert "killed by signal 9, SIGKILL" in page and 'href="MEX/brief.html"' in page
    assert kernels_of(os.getpid()) == []


# --------------------------------------------------------------------------- #
# 3. One batch per output folder
# --------------------------------------------------------------------------- #
HOLD_LOCK = """
import sys, time
from pathlib import Path
from nhri_capacity.batch.folder import claim_output_folder
with claim_output_folder(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding an output folder's lock (killed at the end)."""
    processes = []

    def hold(out: Path) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout.readline().strip() == "locked"
        return process

    yield hold
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_second_batch_on_the_same_folder_is_refused(tmp_path, survey, no_kernels, holder, capsys):
    out = tmp_path / "out"
    earlier_brief(out)
    other = holder(out)
    before = snapshot(out)
    with pytest.raises(OutputFolderBusyError) as busy:
        batch.run_batch(["MEX"], survey=survey, out=out, progress=False)
    message = str(busy.value)
    assert f"output folder {out}" in message and f"process {other.pid}" in message and "started 20" in message
    assert "Wait for it to finish" in message

    code, _, err = cli_briefs(capsys, "MEX", "-o", out, "-n", 20)
    assert code == 2
    assert_one_error_line(err, "Another batch", str(out), f"process {other.pid}")
    assert snapshot(out) == before


def test_a_lock_left_by_a_killed_batch_does_not_block(tmp_path, survey, tiny, fake, holder):
    out = tmp_path / "out"
    other = holder(out)
    other.send_signal(signal.SIGKILL)
    other.wait()
    assert (out / LOCK_NAME).is_file(), "the killed process left its lock file"
    fake(MEX="ok")
    result = batch.run_batch(["MEX"], survey=survey, out=out, formats="html", template=tiny, progress=False)
    assert result.exit_code == 0
    assert not (out / LOCK_NAME).exists()


def test_one_process_cannot_claim_a_folder_twice_and_a_released_folder_is_free(tmp_path):
    out = tmp_path / "out"
    with claim_output_folder(out):
        with pytest.raises(OutputFolderBusyError, match=f"process {os.getpid()}"):
            with claim_output_folder(out):
                pass
    with claim_output_folder(out):
        assert (out / LOCK_NAME).is_file()
    assert not out.exists(), "a folder the claim created and left empty is removed"


# --------------------------------------------------------------------------- #
# 4. An output folder that cannot be used
# --------------------------------------------------------------------------- #
def test_an_output_folder_under_a_file_is_one_clear_error(tmp_path, no_kernels, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    out = blocker / "briefs"
    with pytest.raises(OutputFolderError, match=f"Cannot create the output folder {re.escape(str(out))}"):
        batch.run_batch(["MEX"], out=out, progress=False)
    code, _, err = cli_briefs(capsys, "MEX", "-o", out)
    assert code == 2
    assert_one_error_line(err, f"Cannot create the output folder {out}", f"{blocker} is a file, not a folder",
                          "choose another folder with --out")
    assert blocker.read_text() == "not a folder"


def test_a_read_only_output_folder_is_one_clear_error(tmp_path, tmpfs, no_kernels, capsys):
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only file system
        out = tmpfs("ro", "1m")
        before = earlier_brief(out)
        assert _mount("-o", "remount,ro", str(out))
        reason = "the disk is mounted read-only"
    else:
        out = tmp_path / "ro"
        before = earlier_brief(out)
        out.chmod(0o555)
        reason = "permission denied"
    try:
        code, _, err = cli_briefs(capsys, "MEX", "-o", out, "-n", 20)
        assert code == 2
        assert_one_error_line(err, f"Cannot write to the output folder {out}", reason, "--out")
        code, _, err = cli_briefs(capsys, "MEX", "-o", out / "new", "-n", 20)  # missing and uncreatable
        assert code == 2
        assert_one_error_line(err, f"Cannot create the output folder {out / 'new'}", reason)
        assert snapshot(out) == before
    finally:
        if os.geteuid() != 0:
            out.chmod(0o755)


def test_a_full_disk_is_one_clear_error_and_earlier_briefs_stay(tmp_path, no_kernels, capsys, monkeypatch):
    """Simulated: every rename into the output folder fails with ENOSPC."""
    out = tmp_path / "out"
    before = earlier_brief(out)
    real_replace = os.replace

    def replace(src, dst, **kwargs):
        if Path(dst).is_relative_to(out):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = cli_briefs(capsys, "MEX", "-o", out, "-n", 20)
    assert code == 2
    assert_one_error_line(err, f"Cannot write to the output folder {out}", "no space left on the disk",
                          "free some space")
    assert snapshot(out) == before


def test_a_full_tmpfs_is_one_clear_error_and_earlier_briefs_stay(tmpfs, no_kernels, capsys):
    out = tmpfs("full", "256k")
    before = earlier_brief(out)
    fill(out)
    before["filler"] = snapshot(out)["filler"]
    code, _, err = cli_briefs(capsys, "MEX", "-o", out, "-n", 20)
    assert code == 2
    assert_one_error_line(err, f"Cannot write to the output folder {out}", "no space left on the disk")
    assert snapshot(out) == before


def _disk_full_in_the_notebook(nb, output_path, parameters, kw):
    from papermill.exceptions import PapermillExecutionError

    folder = Path(parameters["out_dir"])
    (folder / "data.json").write_text("part")
    nbformat.write(nb, output_path)
    raise PapermillExecutionError(
        3, 1, "write_brief_files(...)", "OSError", f"[Errno 28] No space left on device: '{folder}/brief.html'", [])


@pytest.mark.parametrize("where", ["marker", "notebook"])
def test_a_disk_filling_up_during_the_batch_stops_it_with_one_error(tmp_path, survey, tiny, fake, monkeypatch, where):
    out = tmp_path / "out"
    kwargs = dict(survey=survey, out=out, formats=("html",), template=tiny, jobs=1, progress=False)
    fake(MEX="ok")
    batch.run_batch(["MEX"], **kwargs)
    before = snapshot(out)

    if where == "marker":  # the batch's own write fails
        fake(DEU="ok", KEN="ok")
        real = batch.markers.atomic_write_text

        def full(path, text):
            if Path(path).parent.name == "DEU":
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            return real(path, text)

        monkeypatch.setattr(batch.markers, "atomic_write_text", full)
    else:  # a write inside the notebook fails
        fake(DEU=_disk_full_in_the_notebook, KEN="ok")
    with pytest.raises(OutputFolderError) as full_disk:
        batch.run_batch(["MEX", "DEU", "KEN"], resume=True, **kwargs)
    message = str(full_disk.value)
    assert message == (
        f"Cannot write the brief for DEU to the output folder {out}: there is no space left on the disk "
        "(No space left on device); free some space, then run again with --resume "
        "(briefs already finished are kept)."
    )
    assert looks_complete(out / "DEU") == []
    assert not (out / "KEN").exists(), "no brief starts after the disk filled up"
    assert snapshot(out) == before, "MEX and the index are as they were"


def test_a_disk_full_when_the_index_is_written_is_one_clear_error(tmp_path, survey, tiny, fake, monkeypatch):
    out = tmp_path / "out"

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(batch.index, "atomic_write_text", full)
    fake(MEX="ok")
    with pytest.raises(OutputFolderError) as full_disk:
        batch.run_batch(["MEX"], survey=survey, out=out, formats="html", template=tiny, progress=False)
    assert str(full_disk.value) == (
        f"Cannot write the index page to the output folder {out}: there is no space left on the disk "
        "(No space left on device); free some space, then run again with --resume "
        "(the briefs are complete and will be skipped)."
    )
    assert (out / "MEX" / ".complete.json").is_file() and not (out / LOCK_NAME).exists()


@pytest.mark.slow
def test_a_disk_filling_up_inside_a_real_notebook_stops_the_batch(tmpfs, survey):
    out = tmpfs("small", "2m")
    body = '''\
import pathlib
out = pathlib.Path(out_dir)
if country == "DEU":
    (out / "data.json").write_bytes(b"x" * 8_000_000)
(out / "data.json").write_text('{"key_figures": {}}')
(out / "brief.html").write_text("<p>brief</p>")
'''
    template = tiny_template(Path(out).parent, body, name="fills_the_disk.ipynb")
    kwargs = dict(survey=survey, out=out, formats=("html",), template=template, jobs=1, n_draws=100, progress=False)
    assert batch.run_batch(["MEX"], **kwargs).exit_code == 0
    before = snapshot(out)
    with pytest.raises(OutputFolderError, match="Cannot write the brief for DEU .*no space left on the disk"):
        batch.run_batch(["MEX", "DEU"], resume=True, **kwargs)
    assert looks_complete(out / "DEU") == []
    assert snapshot(out) == before


# --------------------------------------------------------------------------- #
# 5. Every file the batch writes is flushed to disk before it is renamed
# --------------------------------------------------------------------------- #
def test_every_file_the_batch_writes_is_fsynced_then_renamed_then_its_folder_fsynced(
    tmp_path, survey, tiny, fake, monkeypatch,
):
    events = []
    lock = threading.Lock()
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        with lock:
            events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    def replace(src, dst, **kwargs):
        with lock:
            events.append(("replace", Path(src), Path(dst)))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path.resolve() / "out"
    fake(MEX="ok", DEU="cell-raises")
    result = batch.run_batch(["MEX", "DEU"], survey=survey, out=out, formats="html", template=tiny, progress=False)
    assert [o.status for o in result.outcomes] == ["done", "failed"]

    replaced = {e[2]: i for i, e in enumerate(events) if e[0] == "replace"}
    for target in (out / "MEX" / "brief.ipynb", out / "MEX" / ".complete.json",
                   out / "DEU" / "brief.failed.ipynb", out / "index.html"):
        assert target.is_file() and target in replaced, target
        i = replaced[target]
        source = events[i][1]
        assert ("fsync", source) in events[:i], f"{target.name} renamed before it was flushed"
        assert ("fsync", target.parent) in events[i + 1:], f"{target.parent} not flushed after the rename"
