"""Atomic writes: all or nothing under the final name, flushed to disk before success is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nhri_capacity.common import io


def test_write_fsyncs_the_file_then_renames_then_fsyncs_the_folder(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}"))))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(io.os, "fsync", fsync)
    monkeypatch.setattr(io.os, "replace", replace)
    target = tmp_path / "out" / "data.json"
    io.atomic_write_text(target, "{}\n")
    assert target.read_text() == "{}\n"
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync", "replace", "fsync"]
    assert events[0][1].parent == target.parent and events[0][1].name.startswith(".data.")  # the temporary file
    assert events[1][1] == target
    assert events[2][1] == target.parent


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "brief.html"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html"]


def test_new_files_get_the_permissions_of_a_plain_open(tmp_path):
    target = io.atomic_write_bytes(tmp_path / "x.bin", b"1")
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"1")
    assert (target.stat().st_mode & 0o777) == (plain.stat().st_mode & 0o777)
