"""Tests for nhri_capacity.reference.countries (names and codes to ISO3 and back) and reference.regions."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.errors import CountryNotFoundError, NHRICapacityError
from nhri_capacity.reference import regions
from nhri_capacity.reference.countries import country_name, m49_of, to_iso3
from nhri_capacity.reference.migration import load_migrant_stock
from nhri_capacity.reference.regions import region_of


@pytest.fixture(scope="module")
def stock():
    return load_migrant_stock(cache=False)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Mexico", "MEX"),
        ("mexico ", "MEX"),
        ("Germany", "DEU"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote dIvoire", "CIV"),
        ("Bosnia & Herzegovina", "BIH"),
        ("Antigua And Barbuda", "ATG"),
        ("St. Kitts And Nevis", "KNA"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("United Republic of Tanzania", "TZA"),
        ("East Timor", "TLS"),
        ("DE", "DEU"),
        ("de", "DEU"),
        ("GR", "GRC"),
        ("NA", "NAM"),
        ("MEX", "MEX"),
        ("nam", "NAM"),
        (484, "MEX"),
        ("276", "DEU"),
        ("004", "AFG"),
        (np.int64(516), "NAM"),
        (276.0, "DEU"),
    ],
)
def test_single_values(value, expected):
    assert to_iso3(value) == expected


def test_mixed_list_keeps_order_and_type():
    assert to_iso3(["Germany", "NA", "FRA", 484, "276", "Namibia"]) == ["DEU", "NAM", "FRA", "MEX", "DEU", "NAM"]
    assert to_iso3(("MX", "DE")) == ["MEX", "DEU"]


def test_series_is_aligned_with_input():
    s = pd.Series(["DE", None, "NA", "Mexico"], index=[10, 11, 12, 13], name="country")
    out = to_iso3(s)
    assert isinstance(out, pd.Series)
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out.name == "country"
    assert str(out.dtype) == "string"
    assert out.tolist()[0] == "DEU" and pd.isna(out.iloc[1]) and out.tolist()[2:] == ["NAM", "MEX"]


def test_string_na_from_a_csv_is_namibia():
    csv = io.StringIO("iso2,member\nNA,Namibia\nDE,Germany\n")
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    assert to_iso3(frame["iso2"]).tolist() == ["NAM", "DEU"]


def test_missing_values_give_na_without_error():
    assert pd.isna(to_iso3(None))
    assert pd.isna(to_iso3(float("nan")))
    out = to_iso3([pd.NA, "DEU"])
    assert pd.isna(out[0]) and out[1] == "DEU"


def test_unmatched_lists_every_input_with_suggestions():
    with pytest.raises(CountryNotFoundError) as err:
        to_iso3(["Germny", "Mexico", "Atlantis", "Frnace", "Germny"])
    exc = err.value
    assert isinstance(exc, NHRICapacityError) and isinstance(exc, LookupError)
    msg = str(exc)
    for bad in ("Germny", "Atlantis", "Frnace"):
        assert repr(bad) in msg
    assert "'Mexico'" not in msg
    assert set(exc.unmatched) == {"Germny", "Atlantis", "Frnace"}
    assert "Germany" in exc.unmatched["Germny"]
    assert "France" in exc.unmatched["Frnace"]
    assert len(exc.unmatched["Germny"]) <= 3
    assert "3 of 5" in msg


def test_unknown_m49_and_aggregates_are_unmatched():
    with pytest.raises(CountryNotFoundError):
        to_iso3(999)
    with pytest.raises(CountryNotFoundError):
        to_iso3("World")


def test_not_strict_returns_na():
    out = to_iso3(["Germny", "Mexico"], strict=False)
    assert pd.isna(out[0]) and out[1] == "MEX"
    assert pd.isna(to_iso3("Atlantis", strict=False))


def test_every_workbook_country_name_matches_its_m49_code(stock):
    c = stock[stock["is_country"] & (stock["year"] == 2020) & stock["iso3"].notna()]
    assert len(c) == 234
    assert to_iso3(c["name"]).tolist() == c["iso3"].tolist()
    assert to_iso3(c["location_code"].astype(int).tolist()) == c["iso3"].tolist()


def test_country_name_and_m49():
    assert country_name("DEU") == "Germany"
    assert country_name(["MEX", "NA"]) == ["Mexico", "Namibia"]
    assert m49_of("MEX") == 484
    assert m49_of(["DEU", "NAM", "TWN"]) == [276, 516, 158]
    s = m49_of(pd.Series(["MEX", "DEU"]))
    assert str(s.dtype) == "Int64" and s.tolist() == [484, 276]
    with pytest.raises(CountryNotFoundError):
        country_name("XXX")


def test_region_of_with_a_given_table(stock):
    assert region_of("MEX", stock=stock) == "Latin America and the Caribbean"
    assert region_of("DEU", stock=stock) == "Europe and Northern America"
    assert region_of(["NAM", "AUS", "IND", "Fiji"], stock=stock) == [
        "Sub-Saharan Africa",
        "Australia and New Zealand",
        "Central and Southern Asia",
        "Oceania (excluding Australia and New Zealand)",
    ]
    assert region_of("SDN", stock=stock) == "Northern Africa and Western Asia"
    # Kosovo has an ISO3 code but no row of its own in the UN workbook.
    assert pd.isna(region_of("XKX", stock=stock))


def test_region_of_reads_the_cached_table(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path)
    regions._default_regions.cache_clear()
    try:
        assert region_of("MEX") == "Latin America and the Caribbean"
        assert (tmp_path / "migrant_stock.parquet").exists()
        # Once loaded, the regions come from memory, not the workbook.
        monkeypatch.setattr("nhri_capacity.reference.migration._parse_workbook", _fail)
        assert region_of("DEU") == "Europe and Northern America"
    finally:
        regions._default_regions.cache_clear()


def _fail(*args, **kwargs):
    raise AssertionError("the workbook should not be parsed again")


def test_many_values_after_first_call_use_the_lookup_table(monkeypatch):
    to_iso3("Mexico")  # builds the lookup table
    # After the first call, coco's data file is never read again.
    monkeypatch.setattr(pd, "read_csv", _fail)
    values = ["Germany", "NA", "FRA", 484, "276", "Bolivia (Plurinational State of)"] * 40
    assert len(to_iso3(values)) == 240
