"""Loading the reference data must never change anything under data/raw/."""

from __future__ import annotations

import hashlib

from nhri_capacity import config
from nhri_capacity.reference.build import build_processed_tables
from nhri_capacity.reference.migration import load_migrant_stock
from nhri_capacity.reference.treaties import load_treaty_status


def _snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_loaders_leave_raw_data_unchanged(tmp_path):
    raw = config.RAW_DATA_DIR
    before = _snapshot(raw)
    assert config.MIGRANT_STOCK_XLSX.relative_to(raw).as_posix() in before
    assert sum(name.startswith("treaties/hr_status_") for name in before) == 18

    load_migrant_stock(cache=False)
    load_migrant_stock(cache=True, processed_dir=tmp_path / "processed")
    load_migrant_stock(cache=True, processed_dir=tmp_path / "processed")  # from the cache
    load_treaty_status(cache=False)
    load_treaty_status(cache=True, processed_dir=tmp_path / "processed")
    build_processed_tables(processed_dir=tmp_path / "pipeline", refresh=True)

    after = _snapshot(raw)
    assert after.keys() == before.keys(), "files were added to or removed from data/raw"
    assert after == before, "a file in data/raw was modified"
    assert (tmp_path / "processed" / "migrant_stock.parquet").is_file()
