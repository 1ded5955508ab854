"""The survey-results cache: Parquet tables and a JSON manifest, never a pickle.

(nhri_capacity.brief.results on top of nhri_capacity.common.framestore.)

* Results read back from the cache are indistinguishable from those computed:
  every frame with its dtypes, index, column order and attrs; meta; spec; the
  briefs built from them.
* An entry that fails any check is rebuilt with a warning naming it and the
  reason, the rebuild is written back, and the next call hits the cache.
* Nothing planted in the cache folder is ever unpickled.
* Writing is atomic (racing writers all succeed; a reader never gets a mix)
  and a folder that cannot be written does not stop a brief.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.brief import results as results_module
from nhri_capacity.brief.model import build_brief
from nhri_capacity.brief.results import SurveyResults, survey_results
from nhri_capacity.common.framestore import FrameStoreError, read_frame_store, write_frame_store
from nhri_capacity.survey import read_survey

N_DRAWS = 20
TABLES = ("survey", "scores", "themes", "items", "intervals", "answers")


# --------------------------------------------------------------------------- helpers
@pytest.fixture()
def computed(monkeypatch):
    """Counts the times survey results are computed (not read from the cache)."""
    calls = []
    real = results_module._compute_results

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(results_module, "_compute_results", counting)
    return calls


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A cache entry of the sample as first written, and the results it was written from."""
    processed = tmp_path_factory.mktemp("pristine")
    fresh = survey_results(config.SAMPLE_SURVEY, n_draws=N_DRAWS, processed_dir=processed)
    (entry,) = (processed / "survey_results").iterdir()
    return entry, fresh


@pytest.fixture()
def entry(pristine, tmp_path) -> Path:
    """A copy of the pristine entry in this test's own processed folder."""
    source, _ = pristine
    target = tmp_path / "survey_results" / source.name
    shutil.copytree(source, target)
    return target


def _results(processed) -> SurveyResults:
    return survey_results(config.SAMPLE_SURVEY, n_draws=N_DRAWS, processed_dir=processed)


def assert_same_results(got: SurveyResults, want: SurveyResults, *, created=True) -> None:
    for name in TABLES:
        a, b = getattr(got, name), getattr(want, name)
        pd.testing.assert_frame_equal(
            a, b, check_exact=True, check_index_type=True, check_column_type=True, check_flags=True, obj=name
        )
        assert list(a.columns) == list(b.columns), name
        assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes], name
        assert list(a.dtypes) == list(b.dtypes), name  # also the string flavour (storage, missing value)
        assert type(a.index) is type(b.index) and a.index.dtype == b.index.dtype, name
        assert a.columns.dtype == b.columns.dtype, name
        assert a.attrs == b.attrs, name
    assert got.synthetic is want.synthetic
    assert got.spec == want.spec
    if created:
        assert got.meta == want.meta
    else:
        assert {k: v for k, v in got.meta.items() if k != "created"} == {
            k: v for k, v in want.meta.items() if k != "created"
        }
    assert list(got.meta) == list(want.meta)


def _manifest(entry: Path) -> dict:
    return json.loads((entry / "manifest.json").read_text(encoding="utf-8"))


def _write_manifest(entry: Path, manifest: dict) -> None:
    (entry / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _column(manifest: dict, table: str, name: str) -> list:
    return next(c for c in manifest["tables"][table]["columns"] if c[0] == name)


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


class _Trap:
    """Unpickling this creates the marker file: proof that a pickle was loaded."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# --------------------------------------------------------------------------- cached == fresh
def test_cached_results_are_the_computed_ones(tmp_path, computed, monkeypatch):
    fresh = _results(tmp_path)
    assert computed == [1]
    loads = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: loads.append(a))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: loads.append(a))
    cached = _results(tmp_path)
    assert computed == [1] and loads == []  # read back, and without unpickling anything
    assert cached is not fresh
    assert_same_results(cached, fresh)
    # The attributes the rest of the toolkit reads are there, as computed.
    assert cached.scores.attrs["synthetic"] is True and cached.survey.attrs == fresh.survey.attrs
    assert cached.items.index.name == "inst_id" and cached.answers.index.name == "inst_id"
    assert cached.global_medians == fresh.global_medians
    pd.testing.assert_frame_equal(cached.practices, fresh.practices)


def test_set_aside_institutions_survive_the_cache(tmp_path, computed, caplog):
    """A survey with an institution set aside for broken rows: its notices and record are cached too."""
    from nhri_capacity import write_survey

    path = write_survey(read_survey(config.SAMPLE_SURVEY), tmp_path / "survey.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[table["inst_id"] == "MEX-01", "ch4_detention_access"] = "7"
    table.to_csv(path, index=False)
    fresh = survey_results(path, n_draws=5, processed_dir=tmp_path)
    cached = survey_results(path, n_draws=5, processed_dir=tmp_path)
    assert computed == [1] and "Could not write" not in caplog.text
    assert "MEX-01" in cached.meta["set_aside"] and cached.meta["set_aside"] == fresh.meta["set_aside"]
    assert any("Set aside 1 institution" in n for n in cached.meta["notices"])
    assert_same_results(cached, fresh)


@pytest.mark.parametrize("iso3", ["MEX", "DEU"])
def test_briefs_from_cached_results_are_the_same(pristine, tmp_path, computed, iso3):
    entry, fresh = pristine
    cached = _results(entry.parent.parent)
    assert computed == []
    assert build_brief(iso3, results=cached).to_json() == build_brief(iso3, results=fresh).to_json()


def test_cache_folder_holds_only_parquet_and_json(pristine):
    import pyarrow.parquet as pq

    entry, _ = pristine
    files = [p for p in entry.parent.rglob("*")]
    assert files and all(p.is_dir() or p.suffix in (".parquet", ".json") for p in files)
    assert sorted(p.name for p in entry.iterdir()) == sorted([*(f"{t}.parquet" for t in TABLES), "manifest.json"])
    for table in TABLES:
        path = entry / f"{table}.parquet"
        data = path.read_bytes()
        assert data[:4] == data[-4:] == b"PAR1"
        # No key-value metadata at all: no pandas or Arrow schema blob to interpret.
        assert pq.read_metadata(path).metadata is None
    manifest = _manifest(entry)
    assert manifest["format"] == results_module._RESULTS_FORMAT == 4
    assert set(manifest["tables"]) == set(TABLES)
    assert {"content_sha256", "survey_sha256", "key", "spec", "n_draws", "seed", "toolkit_version", "meta",
            "synthetic"} <= set(manifest)
    scores = manifest["tables"]["scores"]
    assert {"sha256", "columns", "arrow", "index", "column_index", "attrs", "rows"} <= set(scores)
    assert _column(manifest, "scores", "composite") == ["composite", "Float64"]


# --------------------------------------------------------------------------- damaged entries
def _tamper_parquet(entry):
    _flip_a_byte(entry / "scores.parquet")


def _wrong_sha(entry):
    m = _manifest(entry)
    m["tables"]["themes"]["sha256"] = "0" * 64
    _write_manifest(entry, m)


def _wrong_arrow_type(entry):
    m = _manifest(entry)
    m["tables"]["scores"]["arrow"][3][1] = "int32"
    _write_manifest(entry, m)


def _wrong_dtype(entry):
    # The file still matches the manifest's Arrow schema; the pandas dtype does not.
    m = _manifest(entry)
    _column(m, "scores", "composite")[1] = "Int64"
    _write_manifest(entry, m)


def _columns_reordered(entry):
    m = _manifest(entry)
    columns = m["tables"]["intervals"]["columns"]
    columns[0], columns[1] = columns[1], columns[0]
    _write_manifest(entry, m)


def _garbage_json(entry):
    (entry / "manifest.json").write_text('{"format": 4, "tables": {', encoding="utf-8")


def _missing_table(entry):
    (entry / "items.parquet").unlink()


def _missing_manifest(entry):
    (entry / "manifest.json").unlink()


def _other_format(entry):
    m = _manifest(entry)
    m["format"] = 3
    _write_manifest(entry, m)


def _other_survey_hash(entry):
    m = _manifest(entry)
    m["content_sha256"] = "f" * 64
    _write_manifest(entry, m)


def _parquet_with_metadata(entry):
    # A Parquet file as pandas writes it (pandas and Arrow schema metadata),
    # with the manifest's hash updated to match: still refused.
    path = entry / "scores.parquet"
    pd.read_parquet(path).to_parquet(path)
    m = _manifest(entry)
    m["tables"]["scores"]["sha256"] = _sha(path)
    _write_manifest(entry, m)


def _table_is_a_symlink(entry):
    outside = entry.parent.parent / "elsewhere.parquet"
    shutil.copy(entry / "scores.parquet", outside)
    (entry / "scores.parquet").unlink()
    (entry / "scores.parquet").symlink_to(outside)


def _entry_is_a_file(entry):
    shutil.rmtree(entry)
    entry.write_bytes(b"not a folder")


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


DAMAGE = {
    "parquet bytes changed": (_tamper_parquet, "SHA-256"),
    "manifest: wrong sha": (_wrong_sha, "SHA-256"),
    "manifest: wrong arrow schema": (_wrong_arrow_type, "manifest says"),
    "manifest: wrong pandas dtype": (_wrong_dtype, "column composite is stored as double"),
    "manifest: columns reordered": (_columns_reordered, "not those of its Arrow schema"),
    "manifest: garbage JSON": (_garbage_json, "not valid JSON"),
    "missing table": (_missing_table, "items.parquet is missing"),
    "missing manifest": (_missing_manifest, "manifest.json is missing"),
    "other format": (_other_format, "format"),
    "other survey hash": (_other_survey_hash, "content_sha256"),
    "parquet with metadata": (_parquet_with_metadata, "metadata"),
    "table is a symlink": (_table_is_a_symlink, "scores.parquet"),
    "entry is a file": (_entry_is_a_file, "folder"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_entry_is_rebuilt_with_a_warning(case, entry, pristine, computed, caplog):
    damage, reason = DAMAGE[case]
    damage(entry)
    with caplog.at_level(logging.WARNING, logger="nhri_capacity.brief.results"):
        rebuilt = _results(entry.parent.parent)
    assert computed == [1]
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "Rebuilding the survey results cache" in record.getMessage()
    assert str(entry) in record.getMessage() and reason in record.getMessage()
    assert_same_results(rebuilt, pristine[1], created=False)
    # The rebuild was written back: the next call reads it, silently.
    caplog.clear()
    again = _results(entry.parent.parent)
    assert computed == [1] and not caplog.records
    assert_same_results(again, rebuilt)
    assert not [p for p in entry.parent.iterdir() if p.name.startswith(".")]  # nothing left behind


def test_fifo_in_place_of_a_table_does_not_hang(entry, computed, caplog):
    (entry / "themes.parquet").unlink()
    os.mkfifo(entry / "themes.parquet")
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_results(entry.parent.parent)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "reading the cache blocked on a pipe"
    assert outcome and computed == [1]
    assert "not a regular file" in caplog.text


# --------------------------------------------------------------------------- pickles are never loaded
def test_the_trap_works(tmp_path):
    """The booby-trapped pickle does what the next test checks never happens."""
    marker = tmp_path / "unpickled"
    pickle.loads(pickle.dumps(_Trap(marker)))
    assert marker.exists()


def test_planted_pickles_are_never_loaded(entry, tmp_path, computed, monkeypatch):
    marker = tmp_path / "unpickled"
    trap = pickle.dumps(_Trap(marker))
    folder = entry.parent
    sha = entry.name.split("-")[0]
    # Where the pickle cache lived, under this format's key and under format 3's.
    format_now = results_module._RESULTS_FORMAT
    monkeypatch.setattr(results_module, "_RESULTS_FORMAT", 3)
    old_key = results_module._results_key(results_module.load_spec(None), N_DRAWS, results_module.INTERVAL_SEED)
    monkeypatch.setattr(results_module, "_RESULTS_FORMAT", format_now)
    old_key_entries = [folder / f"{entry.name}.pkl", folder / f"{sha}-{old_key}.pkl"]
    for path in old_key_entries:
        path.write_bytes(trap)
    _results(folder.parent)
    assert computed == []  # the new entry was used; the .pkl files were not opened
    # Planted inside the entry: as a table (with its hash in the manifest) and as the manifest.
    (entry / "answers.parquet").write_bytes(trap)
    m = _manifest(entry)
    m["tables"]["answers"]["sha256"] = _sha(entry / "answers.parquet")
    _write_manifest(entry, m)
    _results(folder.parent)
    (entry / "manifest.json").write_bytes(trap)
    _results(folder.parent)
    assert computed == [1, 1]
    assert not marker.exists()
    assert all(p.read_bytes() == trap for p in old_key_entries)  # left alone


# --------------------------------------------------------------------------- writing
def test_refresh_rewrites_the_entry(entry, computed):
    _results(entry.parent.parent)
    assert computed == []
    survey_results(config.SAMPLE_SURVEY, n_draws=N_DRAWS, processed_dir=entry.parent.parent, refresh=True)
    assert computed == [1]
    _results(entry.parent.parent)
    assert computed == [1]
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


def test_folder_that_cannot_be_written_does_not_stop_a_brief(tmp_path, pristine, computed, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the processed folder should be")
    res = _results(blocked / "processed")
    assert computed == [1]
    assert "Could not write the survey results cache" in caplog.text
    assert_same_results(res, pristine[1], created=False)
    assert build_brief("MEX", results=res).iso3 == "MEX"


def test_read_only_folder_still_serves_its_cache(entry, computed, caplog, monkeypatch):
    real_mkdir = os.mkdir
    processed = str(entry.parent.parent)

    def read_only(path, *args, **kwargs):
        if str(path).startswith(processed):
            raise PermissionError(13, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only)
    _results(processed)
    assert computed == [] and not caplog.records
    # Another number of draws is a new entry, which cannot be written: warned, computed, returned.
    res = survey_results(config.SAMPLE_SURVEY, n_draws=N_DRAWS + 1, processed_dir=processed)
    assert computed == [1] and res.meta["n_draws"] == N_DRAWS + 1
    assert "Could not write the survey results cache" in caplog.text and "Permission denied" in caplog.text


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_permissions(tmp_path, computed, caplog):
    folder = tmp_path / "survey_results"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        _results(tmp_path)
        assert computed == [1] and "Could not write" in caplog.text
    finally:
        folder.chmod(0o755)


def test_results_that_cannot_be_stored_exactly_are_not_cached(tmp_path, computed, caplog):
    frame = read_survey(config.SAMPLE_SURVEY)
    frame["note"] = pd.Series(["free text", 3] * (len(frame) // 2) + ["x"] * (len(frame) % 2), dtype=object)
    first = survey_results(frame, n_draws=5, processed_dir=tmp_path)
    assert "values of type object cannot be stored" in caplog.text and "'note'" in caplog.text
    assert not (tmp_path / "survey_results").exists() or not any((tmp_path / "survey_results").iterdir())
    again = survey_results(frame, n_draws=5, processed_dir=tmp_path)
    assert computed == [1, 1]
    pd.testing.assert_frame_equal(again.scores, first.scores)


# --------------------------------------------------------------------------- the store itself
def _store_frame(version: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "v": pd.array([version] * 200, dtype="Int64"),
            "x": np.arange(200, dtype="float64") * version,
            "s": pd.array([f"row {i}" for i in range(200)], dtype="string"),
        },
        index=pd.Index([f"k{i}" for i in range(200)], dtype="string", name="key"),
    )
    frame.attrs = {"version": version}
    return frame


def test_store_round_trips_the_supported_dtypes(tmp_path):
    frame = pd.DataFrame(
        {
            "b": [True, False],
            "i": np.array([1, 2], dtype="int32"),
            "f": [1.5, np.nan],
            "I": pd.array([1, None], dtype="Int64"),
            "B": pd.array([True, None], dtype="boolean"),
            "F": pd.array([0.5, None], dtype="Float32"),
            "s": pd.array(["a", None], dtype="string"),
            "sp": pd.array(["ä", None], dtype="string[pyarrow]"),
            "str": pd.Series(["Ωμέγα", None], dtype="str"),
            "t": pd.to_datetime(["2020-01-01", None]),
        },
        index=pd.MultiIndex.from_arrays([pd.array(["a", "b"], dtype="string"), [3, 4]], names=["k", "n"]),
    )
    frame.attrs = {"synthetic": True, "spec": {"weights": [1, 2]}}
    write_frame_store(tmp_path / "s", {"t": frame, "none": frame.iloc[:0]}, {"note": "ok"})
    info, frames = read_frame_store(tmp_path / "s")
    assert info == {"note": "ok"}
    for name, want in (("t", frame), ("none", frame.iloc[:0])):
        got = frames[name]
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_index_type=True, check_column_type=True)
        assert list(got.dtypes) == list(want.dtypes) and got.attrs == want.attrs


@pytest.mark.parametrize(
    "frame, info, message",
    [
        (pd.DataFrame({"o": ["a", 1]}), {}, "type object"),
        (pd.DataFrame({"c": pd.Categorical(["a"])}), {}, "type category"),
        (pd.DataFrame({"d": pd.to_timedelta(["1D"])}), {}, "timedelta"),
        (pd.DataFrame({1: [1]}), {}, "column names must be text"),
        (pd.DataFrame({"x": [1]}), {"spec": (1, 2)}, "would not read back the same"),
        (pd.DataFrame({"x": [1]}), {"k": {1: 2}}, "would not read back the same"),
        (pd.DataFrame({"x": [1]}, index=pd.Index(["a"], dtype=object)), {}, "index: values of type object"),
    ],
)
def test_store_refuses_what_it_cannot_read_back_exactly(tmp_path, frame, info, message):
    with pytest.raises(FrameStoreError, match=message):
        write_frame_store(tmp_path / "s", {"t": frame}, info)
    assert not list(tmp_path.iterdir())  # nothing written


def _race(target: Path, *, writers: int, replace: bool, tolerated=()) -> tuple[list, list]:
    """Writers each write 8 versions of a two-table store while 2 readers read it.

    Returns the errors (writers: any; readers: any but *tolerated*) and, for
    every successful read, (version in the manifest, versions of the tables).
    """
    errors, reads = [], []
    done = threading.Event()

    def writer(n):
        try:
            for i in range(8):
                v = n * 100 + i
                frames = {"t": _store_frame(v), "u": _store_frame(v)}
                write_frame_store(target, frames, {"version": v}, replace=replace)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            errors.append(exc)

    def reader():
        while not done.is_set():
            try:
                info, frames = read_frame_store(target)
            except (FileNotFoundError, *tolerated):
                continue
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
                continue
            reads.append((info["version"], frames["t"].attrs["version"], frames["u"].attrs["version"]))

    writing = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    reading = [threading.Thread(target=reader) for _ in range(2)]
    for t in reading + writing:
        t.start()
    for t in writing:
        t.join()
    done.set()
    for t in reading:
        t.join()
    return errors, reads


def test_racing_writers_all_succeed_and_readers_never_see_half(tmp_path):
    """Writers keep the first store (replace=False); readers get it whole or nothing."""
    target = tmp_path / "store"
    errors, reads = _race(target, writers=4, replace=False)
    assert errors == []
    info, frames = read_frame_store(target)
    assert reads and {r for read in reads for r in read} == {info["version"]}
    pd.testing.assert_frame_equal(frames["t"], _store_frame(info["version"]))
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no temporary folder left


def test_replacing_writers_never_give_a_reader_a_mix(tmp_path):
    """With replace=True a reader may have to rebuild, but never gets tables of two versions."""
    errors, reads = _race(tmp_path / "store", writers=3, replace=True, tolerated=(FrameStoreError,))
    assert errors == []
    assert reads and all(a == b == c for a, b, c in reads)
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


@pytest.mark.slow
def test_two_processes_building_the_same_entry_both_succeed(tmp_path):
    code = (
        "import sys; from nhri_capacity import config; from nhri_capacity.brief.results import survey_results; "
        f"r = survey_results(config.SAMPLE_SURVEY, n_draws={N_DRAWS}, processed_dir=sys.argv[1]); "
        "print(round(float(r.scores['composite'].sum()), 6))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0] and not outs[0][1] and not outs[1][1]
    (entry,) = (tmp_path / "survey_results").iterdir()
    info, frames = read_frame_store(entry)
    assert set(frames) == set(TABLES)
