"""Tests for nhri_capacity.common.cache (the Parquet cache) and nhri_capacity.reference.build."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

import nhri_capacity
from nhri_capacity import config
from nhri_capacity.common import cache as _cache
from nhri_capacity.common.cache import cached_table, is_fresh, read_provenance, source_sha256
from nhri_capacity.reference.build import build_processed_tables, format_build_summary
from nhri_capacity.reference.migration import load_migrant_stock


def _frame():
    return pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "f": pd.array([1.5, None, 2.0], dtype="Float64"),
            "b": [True, False, True],
            "s": pd.array(["NA", None, "x"], dtype="string"),
        }
    )


class Builder:
    """A builder that counts its calls."""

    def __init__(self, frame=None):
        self.calls = 0
        self.frame = frame if frame is not None else _frame()

    def __call__(self):
        self.calls += 1
        return self.frame.copy()


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    return path


def _cached(source, builder, processed, **kw):
    return cached_table("demo", source=source, builder=builder, edition="Demo 2020", processed_dir=processed, **kw)


def test_builds_then_reads_parquet(source, tmp_path):
    processed = tmp_path / "processed"
    builder = Builder()
    first = _cached(source, builder, processed)
    assert builder.calls == 1
    assert (processed / "demo.parquet").is_file()
    assert (processed / "demo.provenance.json").is_file()
    second = _cached(source, builder, processed)
    assert builder.calls == 1  # read from Parquet, builder not called
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(second, _frame())
    assert [str(t) for t in second.dtypes] == ["Int64", "Float64", "bool", "string"]
    assert second["s"].iloc[0] == "NA"  # a string, not a missing value


def test_provenance_record(source, tmp_path):
    processed = tmp_path / "processed"
    _cached(source, Builder(), processed)
    meta = json.loads((processed / "demo.provenance.json").read_text(encoding="utf-8"))
    assert meta["sha256"] == source_sha256(source)
    assert meta["edition"] == "Demo 2020"
    assert meta["rows"] == 3
    assert meta["toolkit_version"] == nhri_capacity.__version__
    created = dt.datetime.fromisoformat(meta["created"].replace("Z", "+00:00"))
    assert created.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 3600
    assert meta["source"].endswith("source.csv")
    assert read_provenance("demo", processed_dir=processed) == meta


def test_source_path_is_relative_to_project_root(source, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    _cached(source, Builder(), tmp_path / "processed")
    assert read_provenance("demo", processed_dir=tmp_path / "processed")["source"] == "source.csv"


def test_changed_source_triggers_rebuild(source, tmp_path):
    processed = tmp_path / "processed"
    builder = Builder()
    _cached(source, builder, processed)
    old_sha = read_provenance("demo", processed_dir=processed)["sha256"]
    source.write_text("a,b\n1,3\n", encoding="utf-8")
    assert not is_fresh("demo", source=source, processed_dir=processed)
    _cached(source, builder, processed)
    assert builder.calls == 2
    assert read_provenance("demo", processed_dir=processed)["sha256"] != old_sha
    _cached(source, builder, processed)
    assert builder.calls == 2


def test_refresh_forces_rebuild(source, tmp_path):
    builder = Builder()
    _cached(source, builder, tmp_path / "p")
    _cached(source, builder, tmp_path / "p", refresh=True)
    assert builder.calls == 2


@pytest.mark.parametrize("damaged", ["demo.parquet", "demo.provenance.json"])
def test_corrupt_cache_is_rebuilt(source, tmp_path, damaged):
    processed = tmp_path / "processed"
    builder = Builder()
    _cached(source, builder, processed)
    (processed / damaged).write_bytes(b"\x00garbage\xff" * 10)
    out = _cached(source, builder, processed)
    assert builder.calls == 2
    pd.testing.assert_frame_equal(out, _frame())
    # ...and the rebuilt cache is valid again.
    _cached(source, builder, processed)
    assert builder.calls == 2


def test_parquet_replaced_by_another_table_is_rebuilt(source, tmp_path):
    processed = tmp_path / "processed"
    builder = Builder()
    _cached(source, builder, processed)
    pd.DataFrame({"other": [1]}).to_parquet(processed / "demo.parquet")
    pd.testing.assert_frame_equal(_cached(source, builder, processed), _frame())
    assert builder.calls == 2


def test_directory_source_hash(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "a.csv").write_text("1")
    (folder / "b.csv").write_text("2")
    base = source_sha256(folder)
    (folder / ".DS_Store").write_text("ignored")
    assert source_sha256(folder) == base
    (folder / "b.csv").write_text("3")
    changed = source_sha256(folder)
    assert changed != base
    (folder / "b.csv").rename(folder / "c.csv")
    assert source_sha256(folder) not in (base, changed)
    (folder / "d.csv").write_text("4")
    builder = Builder()
    cached_table("dirdemo", source=folder, builder=builder, edition=None, processed_dir=tmp_path / "p")
    meta = read_provenance("dirdemo", processed_dir=tmp_path / "p")
    assert meta["source_kind"] == "directory"
    assert set(meta["files"]) == {"a.csv", "c.csv", "d.csv"}


def test_edition_from_the_built_table(source, tmp_path):
    frame = pd.DataFrame({"edition": pd.array(["Edition X"], dtype="string")})
    cached_table("ed", source=source, builder=Builder(frame), edition=lambda f: f["edition"].iloc[0],
                 processed_dir=tmp_path)
    assert read_provenance("ed", processed_dir=tmp_path)["edition"] == "Edition X"


def test_default_folder_is_read_from_config_at_call_time(source, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path / "elsewhere")
    cached_table("demo", source=source, builder=Builder(), edition="e")
    assert (tmp_path / "elsewhere" / "demo.parquet").is_file()


def test_builder_must_return_a_frame(source, tmp_path):
    with pytest.raises(TypeError):
        cached_table("bad", source=source, builder=lambda: [1, 2], edition="e", processed_dir=tmp_path)
    with pytest.raises(TypeError):
        cached_table("bad", source=source, builder=lambda: [1, 2], edition="e", processed_dir=tmp_path, cache=False)


def test_no_cache_builds_every_time_and_touches_nothing(source, tmp_path):
    processed = tmp_path / "processed"
    _cached(source, Builder(), processed)
    before = {p.name: p.read_bytes() for p in processed.iterdir()}
    builder = Builder(_frame().set_index(pd.Index([7, 8, 9])))
    first = _cached(source, builder, processed, cache=False)
    _cached(source, builder, processed, cache=False)
    assert builder.calls == 2  # the valid cache is not read
    pd.testing.assert_frame_equal(first, _frame())  # fresh RangeIndex, as from the cache
    assert {p.name: p.read_bytes() for p in processed.iterdir()} == before
    # Nothing is hashed either: a source that does not exist is fine.
    _cached(tmp_path / "absent.csv", builder, tmp_path / "none", cache=False)
    assert not (tmp_path / "none").exists()


def test_other_toolkit_version_rebuilds(source, tmp_path, monkeypatch):
    builder = Builder()
    _cached(source, builder, tmp_path)
    monkeypatch.setattr(_cache, "toolkit_version", lambda: "99.0")
    _cached(source, builder, tmp_path)
    assert builder.calls == 2


# -- the migrant stock through the cache -------------------------------------------


def _fail(*args, **kwargs):
    raise AssertionError("the workbook should not be parsed")


def test_migrant_stock_second_load_reads_parquet(tmp_path, monkeypatch):
    first = load_migrant_stock(processed_dir=tmp_path)
    meta = read_provenance("migrant_stock", processed_dir=tmp_path)
    assert meta["edition"] == "International Migrant Stock 2020"
    assert meta["rows"] == len(first)
    assert meta["source"] == "data/raw/undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx"
    monkeypatch.setattr("nhri_capacity.reference.migration._parse_workbook", _fail)
    second = load_migrant_stock(processed_dir=tmp_path)
    pd.testing.assert_frame_equal(first, second)


def test_pipeline_builds_then_reports_up_to_date(tmp_path):
    records = build_processed_tables(processed_dir=tmp_path)
    assert [r["table"] for r in records] == ["migrant_stock", "treaty_status"]
    assert [r["status"] for r in records] == ["built", "built"]
    assert records[0]["output"].endswith("migrant_stock.parquet")
    assert records[0]["edition"] == "International Migrant Stock 2020"
    assert records[1]["edition"] == "status as compiled in 2022"
    assert records[0]["rows"] == 1974 and records[1]["rows"] == 3474
    again = build_processed_tables(processed_dir=tmp_path)
    assert [r["status"] for r in again] == ["up to date", "up to date"]
    text = format_build_summary(again)
    assert "migrant_stock: up to date, 1,974 rows" in text
    assert "CC BY 3.0 IGO" in text
