"""Tests for nhri_capacity.reference.migration: the UN DESA migrant stock workbook."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.errors import DataFileError
from nhri_capacity.reference.migration import (
    MIGRANT_STOCK_CITATION,
    MIGRANT_STOCK_COLUMNS,
    MIGRANT_STOCK_LICENCE,
    SDG_REGIONS,
    load_migrant_stock,
)

WORKBOOK = config.MIGRANT_STOCK_XLSX


@pytest.fixture(scope="module")
def stock():
    return load_migrant_stock(cache=False)


def _value(stock, column, *, code=None, iso3=None, year):
    where = (stock["location_code"] == code) if code else (stock["iso3"] == iso3)
    rows = stock[(stock["year"] == year) & where.fillna(False)]
    assert len(rows) == 1
    return rows[column].iloc[0]


# -- real workbook: known values ---------------------------------------------


@pytest.mark.parametrize(
    "year, expected", [(1990, 152_986_157), (2000, 173_230_585), (2020, 280_598_105)]
)
def test_world_totals(stock, year, expected):
    assert _value(stock, "migrants", code=900, year=year) == expected


def test_mexico_and_germany_2020(stock):
    assert _value(stock, "migrants", iso3="MEX", year=2020) == 1_197_624
    assert _value(stock, "migrants", iso3="DEU", year=2020) == 15_762_457
    # Table 2 is in thousands; the table holds persons.
    assert _value(stock, "population", iso3="MEX", year=2020) == 128_932_753
    assert _value(stock, "population", iso3="DEU", year=2020) == 83_783_945
    assert _value(stock, "region", iso3="MEX", year=2020) == "Latin America and the Caribbean"
    assert _value(stock, "region", iso3="DEU", year=2020) == "Europe and Northern America"
    assert _value(stock, "name", iso3="MEX", year=2020) == "Mexico"


def test_columns_and_dtypes(stock):
    assert tuple(stock.columns) == MIGRANT_STOCK_COLUMNS
    expected = {
        "location_code": "Int64", "iso3": "string", "name": "string", "is_country": "bool",
        "region": "string", "year": "Int64", "migrants": "Int64", "migrants_male": "Int64",
        "migrants_female": "Int64", "population": "Int64", "migrant_share_pct": "Float64",
        "female_share_pct": "Float64", "refugees": "Int64", "refugee_share_pct": "Float64",
        "annual_change_pct": "Float64", "data_type": "string", "edition": "string",
    }
    for col, dtype in expected.items():
        assert str(stock[col].dtype) == dtype, col


def test_one_row_per_location_and_year(stock):
    assert not stock.duplicated(["location_code", "year"]).any()
    assert sorted(stock["year"].unique()) == [1990, 1995, 2000, 2005, 2010, 2015, 2020]
    # 927 (Australia and New Zealand) is listed twice in the workbook.
    assert (stock["location_code"] == 927).sum() == 7


def test_countries_and_aggregates(stock):
    countries = stock[stock["is_country"]]
    assert countries["location_code"].nunique() == 235
    assert (countries["location_code"] < 900).all()
    aggregates = stock[~stock["is_country"]]
    assert {900, 947, 1829, 1830, 901, 902, 1503, 903, 905} <= set(aggregates["location_code"])
    assert aggregates["iso3"].isna().all()
    assert aggregates["region"].isna().all()
    assert countries["region"].notna().all()
    assert set(countries["region"]) == set(SDG_REGIONS.values())
    # Channel Islands has no ISO3 code; every other country or area has one.
    no_iso = countries.loc[countries["iso3"].isna(), "location_code"].unique()
    assert list(no_iso) == [830]
    assert _value(stock, "iso3", code=158, year=2020) == "TWN"
    assert countries.drop_duplicates("location_code")["iso3"].dropna().is_unique


def test_sdg_region_totals_equal_sum_of_their_countries(stock):
    for year in (1990, 2020):
        by_region = stock[stock["is_country"] & (stock["year"] == year)].groupby("region")["migrants"].sum()
        for code, name in SDG_REGIONS.items():
            assert by_region[name] == _value(stock, "migrants", code=code, year=year), (name, year)


def test_shares_are_consistent(stock):
    c = stock[stock["is_country"]].dropna(subset=["migrants", "population", "migrant_share_pct"])
    assert len(c) > 1500
    diff = (c["migrants"] / c["population"] * 100 - c["migrant_share_pct"]).abs()
    assert diff.max() < 1e-6
    f = stock.dropna(subset=["migrants_female", "migrants", "female_share_pct"])
    f = f[f["migrants"] > 0]
    assert ((f["migrants_female"] / f["migrants"] * 100 - f["female_share_pct"]).abs()).max() < 1e-6
    s = stock.dropna(subset=["migrants_male", "migrants_female", "migrants"])
    assert (s["migrants_male"] + s["migrants_female"] == s["migrants"]).all()


def test_two_dots_and_tilde_are_na(stock):
    wb = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    try:
        rows = list(wb["Table 1"].iter_rows(min_row=12, values_only=True))
        refugees = list(wb["Table 6"].iter_rows(min_row=12, values_only=True))
    finally:
        wb.close()
    # Table 1: column D is the location code, F is 1990 (both sexes).
    dotted = [r for r in rows if r[5] == ".."]
    assert dotted, "the workbook should contain '..' cells"
    south_sudan = next(r for r in rows if r[3] == 728)
    assert south_sudan[5] == ".."
    assert pd.isna(_value(stock, "migrants", code=728, year=1990))
    for r in dotted:
        assert pd.isna(_value(stock, "migrants", code=r[3], year=1990))
    comoros = next(r for r in refugees if r[3] == 174)
    assert comoros[5] == "~"
    assert pd.isna(_value(stock, "refugees", code=174, year=1990))
    assert _value(stock, "refugees", code=174, year=1995) == 5


def test_annual_change_is_for_period_ending_in_year(stock):
    assert pd.isna(_value(stock, "annual_change_pct", code=900, year=1990))
    # Table 5, World, '2015-2020' and '1990-1995'.
    assert _value(stock, "annual_change_pct", code=900, year=2020) == pytest.approx(2.4732288013031996)
    assert _value(stock, "annual_change_pct", code=900, year=1995) == pytest.approx(1.0571279590766374)
    assert _value(stock, "refugee_annual_change_pct", code=900, year=2020) == pytest.approx(6.451803148554107)


def test_other_tables(stock):
    assert _value(stock, "migrant_share_pct", code=900, year=2020) == pytest.approx(3.5998120638581024)
    assert _value(stock, "female_share_pct", code=900, year=2020) == pytest.approx(48.09093810523061)
    assert _value(stock, "refugees", code=900, year=2020) == 33_807_795
    assert _value(stock, "refugee_share_pct", code=900, year=2020) == pytest.approx(12.04847587976405)
    assert _value(stock, "population", code=900, year=2020) == 7_794_798_729


def test_data_type_and_names(stock):
    assert _value(stock, "data_type", iso3="MEX", year=2020) == "BR"
    assert _value(stock, "data_type", iso3="BLZ", year=2020) == "BR"  # 'B R ' in the sheet
    assert _value(stock, "data_type", iso3="BEN", year=2020) == "CBR"
    assert pd.isna(_value(stock, "data_type", code=900, year=2020))
    # Footnote marks and indentation are removed.
    assert _value(stock, "name", iso3="USA", year=2020) == "United States of America"
    assert _value(stock, "name", code=909, year=2020) == "OCEANIA"


def test_edition_and_citation(stock):
    assert set(stock["edition"]) == {"International Migrant Stock 2020"}
    assert "International Migrant Stock 2020" in MIGRANT_STOCK_CITATION
    assert MIGRANT_STOCK_LICENCE == "CC BY 3.0 IGO"


# -- synthetic workbooks ---------------------------------------------------------

LOCATIONS = [
    ("WORLD", 900, ""),
    ("  Europe and Northern America", 1829, ""),
    ("  Latin America and the Caribbean", 1830, ""),
    (" EUROPE", 908, ""),
    ("  Western Europe", 926, ""),
    ("   Germany", 276, "B"),
    (" LATIN AMERICA AND THE CARIBBEAN", 904, ""),
    ("  Central America", 916, ""),
    ("   Mexico*", 484, "B R"),
]


def _migrants(code, year, world):
    if code == 900:
        return world[year]
    # Distinct per year, so a column read one place off gives a wrong value.
    return code * 1000 + year


def make_workbook(path, *, edition_year=2024, years=(1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024),
                  world=None, header_row=11, drop_sheet=None, rename_block=None, bad_cell=None):
    """Write a small workbook shaped like the UN DESA 'Destination' workbook."""
    if world is None:
        world = {y: 100_000_000 + y for y in years}
        if 2024 in years:
            world[2024] = 304_021_813
    periods = [f"{a}-{b}" for a, b in zip(years, years[1:], strict=False)]
    wb = openpyxl.Workbook()
    toc = wb.active
    toc.title = "Table of contents"
    toc["J2"] = f"International Migrant Stock {edition_year}: Destination"
    toc["J4"] = f"POP/DB/MIG/Stock/Rev.{edition_year}"

    def mig(code, y, sex):
        total = _migrants(code, y, world)
        return {"both": total, "male": total // 2, "female": total - total // 2}[sex]

    def pop(code, y):
        return 10 * _migrants(code, y, world) / 1000  # thousands

    def rate(code, period):
        a, b = map(int, period.split("-"))
        return round((b - a) + code / 10000, 6)

    sexes = [("both sexes combined", "both"), ("males", "male"), ("females", "female")]
    tables = {
        "Table 1": [(f"International migrant stock at mid-year, {t}", years, lambda c, y, s=s: mig(c, y, s))
                    for t, s in sexes],
        "Table 2": [(f"Total population at mid-year, {t} (thousands)", years, lambda c, y: pop(c, y))
                    for t, _ in sexes],
        "Table 3": [(f"International migrant stock as a percentage of the total population, {t}", years,
                     lambda c, y: 10.0) for t, _ in sexes],
        "Table 4": [("Female migrants as a percentage of the international migrant stock", years,
                     lambda c, y: 100.0 * mig(c, y, "female") / mig(c, y, "both"))],
        "Table 5": [(f"Annual rate of change of the migrant stock, {t}", periods, rate) for t, _ in sexes],
        "Table 6": [
            ("Refugee and asylum seekers at mid-year, both sexes combined", years,
             lambda c, y: ".." if (c, y) == (484, 1990) else c + y),
            ("Refugee and asylum seekers as a percentage of the international migrant stock", years,
             lambda c, y: "~" if c == 276 else 1.5),
            ("Annual rate of change of the refugee and asylum seekers, both sexes combined", periods, rate),
        ],
    }
    for number, (sheet, blocks) in enumerate(tables.items(), start=1):
        if sheet == drop_sheet:
            continue
        ws = wb.create_sheet(sheet)
        ws["E2"] = f"International Migrant Stock {edition_year}: Destination"
        ws["E3"] = f"Table {number}: synthetic"
        ws["E4"] = f"POP/DB/MIG/Stock/Rev.{edition_year}"
        header = ["Region, development group, country or area", "Notes", "Location code", "Type of data"]
        col = 6  # F
        for title, labels, _ in blocks:
            if rename_block and title == rename_block[0]:
                title = rename_block[1]
            ws.cell(row=header_row - 3, column=col, value=title)
            for k, label in enumerate(labels):
                ws.cell(row=header_row, column=col + k, value=label)
            col += len(labels)
        for k, text in enumerate(header):
            ws.cell(row=header_row, column=2 + k, value=text)
        for i, (name, code, dtype) in enumerate(LOCATIONS, start=1):
            r = header_row + i
            ws.cell(row=r, column=1, value=i)
            ws.cell(row=r, column=2, value=name)
            ws.cell(row=r, column=4, value=code)
            ws.cell(row=r, column=5, value=dtype)
            col = 6
            for _, labels, fn in blocks:
                for k, label in enumerate(labels):
                    ws.cell(row=r, column=col + k, value=fn(code, label))
                col += len(labels)
        if bad_cell and bad_cell[0] == sheet:
            ws[bad_cell[1]] = bad_cell[2]
    wb.save(path)
    return path


def test_2024_edition_shape_is_read_by_header_text(tmp_path):
    path = make_workbook(tmp_path / "ims2024.xlsx")
    stock = load_migrant_stock(path, cache=False)
    assert set(stock["edition"]) == {"International Migrant Stock 2024"}
    assert sorted(stock["year"].unique()) == [1990, 1995, 2000, 2005, 2010, 2015, 2020, 2024]
    assert _value(stock, "migrants", code=900, year=2024) == 304_021_813
    # Columns after the inserted 2024 column are still matched to their years.
    assert _value(stock, "migrants", iso3="DEU", year=2020) == 276 * 1000 + 2020
    assert _value(stock, "migrants_male", iso3="DEU", year=2024) == (276 * 1000 + 2024) // 2
    assert _value(stock, "migrants_female", iso3="MEX", year=1990) == 484 * 1000 + 1990 - (484 * 1000 + 1990) // 2
    assert _value(stock, "population", iso3="DEU", year=2024) == 10 * (276 * 1000 + 2024)
    assert _value(stock, "annual_change_pct", iso3="DEU", year=2024) == pytest.approx(4.0276)
    assert _value(stock, "annual_change_pct", iso3="DEU", year=2020) == pytest.approx(5.0276)
    assert pd.isna(_value(stock, "annual_change_pct", iso3="DEU", year=1990))
    assert _value(stock, "refugees", iso3="DEU", year=2024) == 276 + 2024
    assert pd.isna(_value(stock, "refugees", iso3="MEX", year=1990))
    assert pd.isna(_value(stock, "refugee_share_pct", iso3="DEU", year=2024))
    assert _value(stock, "refugee_annual_change_pct", iso3="MEX", year=2024) == pytest.approx(4.0484)
    assert _value(stock, "region", iso3="MEX", year=2024) == "Latin America and the Caribbean"
    assert _value(stock, "name", iso3="MEX", year=2024) == "Mexico"
    assert stock["is_country"].sum() == 2 * 8


def test_header_row_is_found_wherever_it_is(tmp_path):
    path = make_workbook(tmp_path / "moved.xlsx", header_row=14)
    stock = load_migrant_stock(path, cache=False)
    assert _value(stock, "migrants", code=900, year=2024) == 304_021_813


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "ims.xlsx"
    with pytest.raises(DataFileError) as err:
        load_migrant_stock(missing)
    assert str(missing) in str(err.value)
    assert "UN DESA" in str(err.value)


def test_corrupt_file_names_the_file(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"this is not a zip file \x00\x01\x02" * 50)
    with pytest.raises(DataFileError) as err:
        load_migrant_stock(bad, cache=False)
    assert "x.xlsx" in str(err.value)
    # The cache path must fail the same way, and leave no cache behind.
    with pytest.raises(DataFileError, match="x.xlsx"):
        load_migrant_stock(bad, processed_dir=tmp_path / "processed")
    assert not (tmp_path / "processed" / "migrant_stock.parquet").exists()


def test_missing_sheet_is_named(tmp_path):
    path = make_workbook(tmp_path / "no4.xlsx", drop_sheet="Table 4")
    with pytest.raises(DataFileError, match="Table 4"):
        load_migrant_stock(path, cache=False)


def test_missing_block_names_sheet_and_header_text(tmp_path):
    path = make_workbook(
        tmp_path / "renamed.xlsx",
        rename_block=("Total population at mid-year, both sexes combined (thousands)", "Something else"),
    )
    with pytest.raises(DataFileError) as err:
        load_migrant_stock(path, cache=False)
    msg = str(err.value)
    assert "Table 2" in msg and "Total population at mid-year, both sexes combined" in msg


def test_unreadable_value_names_the_cell(tmp_path):
    path = make_workbook(tmp_path / "bad.xlsx", bad_cell=("Table 1", "G13", "n/a?"))
    with pytest.raises(DataFileError) as err:
        load_migrant_stock(path, cache=False)
    assert "Table 1" in str(err.value) and "G13" in str(err.value) and "n/a?" in str(err.value)


def test_cache_rebuilds_when_workbook_changes(tmp_path):
    path = tmp_path / "ims.xlsx"
    processed = tmp_path / "processed"
    make_workbook(path, edition_year=2020, years=(1990, 1995, 2000, 2005, 2010, 2015, 2020),
                  world={y: 1_000 + y for y in (1990, 1995, 2000, 2005, 2010, 2015, 2020)})
    first = load_migrant_stock(path, processed_dir=processed)
    assert _value(first, "migrants", code=900, year=2020) == 3020
    meta = json.loads((processed / "migrant_stock.provenance.json").read_text())
    assert meta["edition"] == "International Migrant Stock 2020"
    old_sha = meta["sha256"]

    make_workbook(path, edition_year=2024)  # the file is replaced by a newer edition
    second = load_migrant_stock(path, processed_dir=processed)
    assert _value(second, "migrants", code=900, year=2024) == 304_021_813
    meta = json.loads((processed / "migrant_stock.provenance.json").read_text())
    assert meta["edition"] == "International Migrant Stock 2024"
    assert meta["sha256"] != old_sha


def test_missing_header_row_names_sheet_and_header_text(tmp_path):
    path = make_workbook(tmp_path / "noheader.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Table 3"]["B11"] = "Country"
    wb.save(path)
    with pytest.raises(DataFileError) as err:
        load_migrant_stock(path, cache=False)
    msg = str(err.value)
    assert "Table 3" in msg and "Region, development group, country or area" in msg
    assert "noheader.xlsx" in msg
