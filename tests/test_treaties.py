"""Tests for nhri_capacity.reference.treaties: ratification status of UN human rights treaties."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.errors import CountryNotFoundError, DataFileError
from nhri_capacity.reference.treaties import (
    CORE_TREATIES,
    TREATIES,
    TREATY_NAMES,
    TREATY_SOURCE,
    TREATY_VINTAGE,
    load_treaty_status,
    treaty_profile,
)


@pytest.fixture(scope="module")
def status():
    return load_treaty_status(cache=False)


def _row(status, iso3, treaty):
    rows = status[(status["iso3"] == iso3) & (status["treaty"] == treaty)]
    assert len(rows) == 1, (iso3, treaty, len(rows))
    return rows.iloc[0]


def test_every_file_is_parsed(status):
    assert list(status["treaty"].unique()) == list(TREATIES)
    assert len(TREATIES) == 18
    counts = status.groupby("treaty").size()
    assert (counts == 193).all()
    files = sorted(p.name for p in config.TREATIES_DIR.glob("hr_status_*.csv"))
    assert len(files) == 18


def test_columns_and_dtypes(status):
    assert list(status.columns[:7]) == ["iso3", "country", "treaty", "treaty_name", "status", "year", "vintage"]
    assert str(status["year"].dtype) == "Int64"
    for col in ("iso3", "country", "treaty", "treaty_name", "status", "vintage"):
        assert str(status[col].dtype) == "string", col
    assert status["iso3"].notna().all()
    assert set(status["vintage"]) == {"as compiled in 2022"}
    assert status["treaty_name"].map(len).min() > 10


def test_icmw_has_57_states_parties(status):
    icmw = status[status["treaty"] == "ICMW"]
    assert (icmw["status"] == "party").sum() == 57
    assert (icmw["status"] == "signatory").sum() == 11


def test_mexico_ratified_icmw_in_1999(status):
    row = _row(status, "MEX", "ICMW")
    assert row["status"] == "party" and row["year"] == 1999
    assert row["country"] == "Mexico"


def test_namibia_is_present_everywhere(status):
    nam = status[status["iso3"] == "NAM"]
    assert len(nam) == 18
    assert set(nam["country"]) == {"Namibia"}
    assert _row(status, "NAM", "CRC")["status"] == "party"


def test_statuses_and_years(status):
    assert set(status["status"]) <= {"party", "signatory", "none"}
    assert status.loc[status["status"] != "party", "year"].isna().all()
    parties = status[status["status"] == "party"]
    assert parties["year"].notna().mean() > 0.99
    assert parties["year"].dropna().between(1965, 2022).all()


def test_no_duplicate_country_per_treaty(status):
    assert not status.duplicated(["iso3", "treaty"]).any()


def test_quirks_are_resolved(status):
    # Obsolete 'TP' code and truncated 'S' code resolved from the member name.
    assert _row(status, "TLS", "ICMW")["status"] == "party"
    assert _row(status, "SSD", "OP-CRC-IC")["status"] == "none"
    # Status text wins over a contradicting party flag.
    kaz = _row(status, "KAZ", "ICCPR-OP1")
    assert kaz["status"] == "party" and kaz["year"] == 2009
    # A denounced protocol is not in force.
    jam = _row(status, "JAM", "ICCPR-OP1")
    assert jam["status"] == "none" and pd.isna(jam["year"]) and "Denounced" in jam["note"]
    assert _row(status, "GRC", "ICMW")["country"] == "Greece"


def test_constants():
    assert TREATY_VINTAGE == "status as compiled in 2022"
    assert "United Nations Treaty Collection" in TREATY_SOURCE
    assert CORE_TREATIES == ("ICMW", "ICERD", "ICCPR", "ICESCR", "CEDAW", "CAT", "CRC", "CPED", "CRPD")
    assert set(CORE_TREATIES) <= set(TREATIES)
    assert "Migrant Workers" in TREATY_NAMES["ICMW"]


def test_treaty_profile(status):
    profile = treaty_profile("MEX", treaties=status)
    assert profile["treaty"].tolist() == list(TREATIES)
    assert profile["treaty"].iloc[0] == "ICMW"
    assert profile.index.tolist() == list(range(18))
    by_name = treaty_profile("Mexico", treaties=status)
    pd.testing.assert_frame_equal(profile, by_name)
    assert treaty_profile("NA", treaties=status)["iso3"].unique().tolist() == ["NAM"]


def test_treaty_profile_unknown_country(status):
    with pytest.raises(CountryNotFoundError):
        treaty_profile("Atlantis", treaties=status)
    # Puerto Rico is a country code but not a UN member state.
    with pytest.raises(CountryNotFoundError, match="193 UN member states"):
        treaty_profile("PRI", treaties=status)


def test_cache_round_trip(tmp_path, status, monkeypatch):
    first = load_treaty_status(processed_dir=tmp_path)
    pd.testing.assert_frame_equal(first, status)
    monkeypatch.setattr("nhri_capacity.reference.treaties._parse_folder", _fail)
    second = load_treaty_status(processed_dir=tmp_path)
    pd.testing.assert_frame_equal(second, status)
    assert (tmp_path / "treaty_status.provenance.json").exists()


def _fail(*args, **kwargs):
    raise AssertionError("the CSV files should not be read again")


# -- errors --------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "treaties"
    shutil.copytree(config.TREATIES_DIR, copy)
    return copy


def test_missing_folder(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DataFileError, match="nope"):
        load_treaty_status(missing)


def test_missing_file_is_named(folder):
    (folder / "hr_status_icmw.csv").unlink()
    with pytest.raises(DataFileError, match="hr_status_icmw.csv"):
        load_treaty_status(folder, cache=False)


def test_unexpected_columns_name_file_and_expected_columns(folder):
    path = folder / "hr_status_cat.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("state party,", "party,", 1), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_treaty_status(folder, cache=False)
    msg = str(err.value)
    assert "hr_status_cat.csv" in msg and "'state party'" in msg and "'year ratification or accession'" in msg


def test_unknown_status_names_row(folder):
    path = folder / "hr_status_crc.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("state party", "maybe")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_treaty_status(folder, cache=False)
    assert "hr_status_crc.csv" in str(err.value) and "row 3" in str(err.value) and "'maybe'" in str(err.value)


def test_unknown_country_names_row(folder):
    path = folder / "hr_status_crpd.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = "ZZ,Atlantis" + lines[1][lines[1].index(",", 3):]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_treaty_status(folder, cache=False)
    assert "hr_status_crpd.csv" in str(err.value) and "row 2" in str(err.value) and "Atlantis" in str(err.value)
