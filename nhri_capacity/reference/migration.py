"""UN DESA International Migrant Stock: read the "Destination" workbook into one tidy table.

The workbook (``POP/DB/MIG/Stock/Rev.2020`` and later editions) has six data
sheets, 'Table 1' to 'Table 6'. Each has a header row reading "Region,
development group, country or area", "Notes", "Location code", "Type of
data" and then years (or periods such as '2015-2020'), and above it a row of
block titles ("..., both sexes combined", "..., males", ...) that span groups
of year columns. Years repeat under every block, so columns are found by
(block title, year) read from the header text, never by position: a later
edition that adds a year column shifts every column after it and still loads.

:func:`load_migrant_stock` joins the six sheets into one row per location and
year, and caches the result as Parquet (see :mod:`nhri_capacity.common.cache`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import config
from ..common.cache import cached_table
from ..errors import DataFileError
from .countries import country_lookup

__all__ = [
    "load_migrant_stock",
    "MIGRANT_STOCK_CITATION",
    "MIGRANT_STOCK_LICENCE",
    "MIGRANT_STOCK_COLUMNS",
    "SDG_REGIONS",
]

MIGRANT_STOCK_CITATION = (
    "United Nations Department of Economic and Social Affairs, Population Division (2020). "
    "International Migrant Stock 2020."
)
MIGRANT_STOCK_LICENCE = "CC BY 3.0 IGO"

MIGRANT_STOCK_COLUMNS = (
    "location_code",
    "iso3",
    "name",
    "is_country",
    "region",
    "year",
    "migrants",
    "migrants_male",
    "migrants_female",
    "population",
    "migrant_share_pct",
    "female_share_pct",
    "refugees",
    "refugee_share_pct",
    "annual_change_pct",
    "refugee_annual_change_pct",
    "data_type",
    "edition",
)

_DTYPES = {
    "location_code": "Int64",
    "iso3": "string",
    "name": "string",
    "is_country": "bool",
    "region": "string",
    "year": "Int64",
    "migrants": "Int64",
    "migrants_male": "Int64",
    "migrants_female": "Int64",
    "population": "Int64",
    "migrant_share_pct": "Float64",
    "female_share_pct": "Float64",
    "refugees": "Int64",
    "refugee_share_pct": "Float64",
    "annual_change_pct": "Float64",
    "refugee_annual_change_pct": "Float64",
    "data_type": "string",
    "edition": "string",
}

# The eight UN SDG regions (M49 codes), in the workbook's order. Used as names
# only when a workbook lacks the region's own row.
SDG_REGIONS = {
    947: "Sub-Saharan Africa",
    1833: "Northern Africa and Western Asia",
    921: "Central and Southern Asia",
    1832: "Eastern and South-Eastern Asia",
    1830: "Latin America and the Caribbean",
    1835: "Oceania (excluding Australia and New Zealand)",
    927: "Australia and New Zealand",
    1829: "Europe and Northern America",
}

# The workbook lists countries under geographic (sub)regions, not under the SDG
# regions, so each country's SDG region comes from the M49 composition of the
# SDG regions by geographic subregion. tests/test_migration.py checks that the
# SDG region totals in the workbook equal the sums of their subregions.
_SUBREGION_TO_SDG = {
    910: 947, 911: 947, 913: 947, 914: 947,  # Eastern, Middle, Southern, Western Africa
    912: 1833, 922: 1833,  # Northern Africa, Western Asia
    5500: 921, 5501: 921,  # Central Asia, Southern Asia
    906: 1832, 920: 1832,  # Eastern Asia, South-Eastern Asia
    915: 1830, 916: 1830, 931: 1830,  # Caribbean, Central America, South America
    928: 1835, 954: 1835, 957: 1835,  # Melanesia, Micronesia, Polynesia
    927: 927,  # Australia and New Zealand
    923: 1829, 924: 1829, 925: 1829, 926: 1829,  # Eastern/Northern/Southern/Western Europe
    905: 1829,  # Northern America (no subregions below it)
}

# M49 codes below 900 are countries or areas; 900 and above are the world,
# regions, development and income groups.
_FIRST_AGGREGATE_CODE = 900

_NAME_HEADER = "region, development group, country or area"
_CODE_HEADER = "location code"
_TYPE_HEADER = "type of data"
# '..' not available, '~' suppressed for privacy (< 5), '—' rounds to zero but
# is not zero (so not a usable 0); all become NA.
_MISSING_MARKERS = {"", "..", "…", "~", "—", "–", "-"}

_DATA_SHEETS = ("Table 1", "Table 2", "Table 3", "Table 4", "Table 5", "Table 6")

_WHERE_TO_GET = (
    "Copy the unmodified 'International Migrant Stock 2020: Destination' workbook "
    "(undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx) from the UN DESA Population "
    "Division website (https://www.un.org/development/desa/pd/content/international-migrant-stock) "
    "or from the project's data/raw/ folder."
)


@dataclass(frozen=True)
class _Block:
    """Where one output column lives: a sheet and a block title pattern."""

    column: str
    sheet: str
    must: tuple  # regexes that must all match the casefolded block title
    must_not: tuple  # regexes none of which may match
    example: str  # the title as it reads in the 2020 edition, for messages
    kind: str  # 'count', 'pct' or 'population'
    periods: bool = False  # columns are '1990-1995' periods, not years


_BLOCKS = (
    _Block("migrants", "Table 1", (r"migrant stock", r"both sexes"), (r"percentage", r"rate of change"),
           "International migrant stock at mid-year, both sexes combined", "count"),
    _Block("migrants_male", "Table 1", (r"migrant stock", r"\bmales\b"), (r"percentage", r"rate of change"),
           "International migrant stock at mid-year, males", "count"),
    _Block("migrants_female", "Table 1", (r"migrant stock", r"\bfemales\b"), (r"percentage", r"rate of change"),
           "International migrant stock at mid-year, females", "count"),
    _Block("population", "Table 2", (r"total population", r"both sexes"), (),
           "Total population at mid-year, both sexes combined (thousands)", "population"),
    _Block("migrant_share_pct", "Table 3", (r"percentage of the total population", r"both sexes"), (),
           "International migrant stock as a percentage of the total population, both sexes combined", "pct"),
    _Block("female_share_pct", "Table 4", (r"female migrants as a percentage",), (),
           "Female migrants as a percentage of the international migrant stock", "pct"),
    _Block("annual_change_pct", "Table 5", (r"rate of change of the migrant stock", r"both sexes"), (),
           "Annual rate of change of the migrant stock, both sexes combined", "pct", periods=True),
    _Block("refugees", "Table 6", (r"refugee",), (r"percentage", r"rate of change"),
           "Refugee and asylum seekers at mid-year, both sexes combined", "count"),
    _Block("refugee_share_pct", "Table 6", (r"refugee", r"percentage of the international migrant stock"), (),
           "Refugee and asylum seekers as a percentage of the international migrant stock", "pct"),
    _Block("refugee_annual_change_pct", "Table 6", (r"rate of change", r"refugee"), (),
           "Annual rate of change of the refugee and asylum seekers, both sexes combined", "pct", periods=True),
)

_YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")
_PERIOD_RE = re.compile(r"^\s*(\d{4})\s*[-–—]\s*(\d{4})\s*$")
_EDITION_RE = re.compile(r"International Migrant Stock\s+(\d{4})", re.IGNORECASE)
_REVISION_RE = re.compile(r"POP/DB/MIG/Stock/Rev\.?\s*(\d{4})", re.IGNORECASE)


def _col_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _text(value) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _year_label(value):
    """Return ('year', y), ('period', end_year) or None for a header cell."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 1900 <= int(value) <= 2200:
            return ("year", int(value))
        return None
    if isinstance(value, str):
        if m := _YEAR_RE.match(value):
            return ("year", int(m.group(1)))
        if m := _PERIOD_RE.match(value):
            return ("period", int(m.group(2)))
    return None


@dataclass
class _Sheet:
    name: str
    rows: list  # all rows (tuples) of the sheet
    header_index: int  # 0-based row index of the header row
    name_col: int
    code_col: int
    type_col: int | None
    blocks: dict  # title -> {year_or_period_end: column index}
    top_text: list  # text cells above the header (titles, revision, citation)


def _find_header(rows, sheet: str, path: Path) -> int:
    for i, row in enumerate(rows[:60]):
        if any(_text(v).startswith(_NAME_HEADER) for v in row):
            return i
    raise DataFileError(
        f"{path}: sheet '{sheet}' has no header row. Looked in its first 60 rows for a cell "
        f"reading 'Region, development group, country or area' (followed by 'Notes', "
        f"'Location code', 'Type of data' and the years). The workbook's layout is not the one "
        f"expected. {_WHERE_TO_GET}"
    )


def _read_sheet(wb, sheet: str, path: Path) -> _Sheet:
    if sheet not in wb.sheetnames:
        raise DataFileError(
            f"{path}: the workbook has no sheet '{sheet}' (it has: {', '.join(wb.sheetnames)}). "
            f"Sheets 'Table 1' to 'Table 6' of the UN DESA 'International Migrant Stock: "
            f"Destination' workbook are needed; check that this is the 'Destination' workbook. "
            f"{_WHERE_TO_GET}"
        )
    rows = [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    h = _find_header(rows, sheet, path)
    header = rows[h]
    cols = {_text(v): j for j, v in enumerate(header) if v is not None and _text(v)}
    name_col = next(j for j, v in enumerate(header) if _text(v).startswith(_NAME_HEADER))
    code_col = cols.get(_CODE_HEADER)
    if code_col is None:
        raise DataFileError(
            f"{path}: sheet '{sheet}', header row {h + 1} has no 'Location code' column "
            f"(found: {', '.join(repr(str(v)) for v in header if v is not None)}). "
            f"The M49 location codes are needed to identify countries. {_WHERE_TO_GET}"
        )
    type_col = cols.get(_TYPE_HEADER)

    data_cols = [(j, lab) for j, v in enumerate(header) if j > code_col and (lab := _year_label(v))]
    if not data_cols:
        raise DataFileError(
            f"{path}: sheet '{sheet}', header row {h + 1} has no year columns (such as 1990, "
            f"2020 or '2015-2020') after 'Location code'. {_WHERE_TO_GET}"
        )
    first_data_col = data_cols[0][0]

    # The block-title row is the row above the header with text over the
    # first data column; each title spans the columns up to the next title.
    title_row = None
    for i in range(h - 1, -1, -1):
        row = rows[i]
        if first_data_col < len(row) and isinstance(row[first_data_col], str) and row[first_data_col].strip():
            title_row = row
            break
    if title_row is None:
        raise DataFileError(
            f"{path}: sheet '{sheet}' has no block titles above its header row (row {h + 1}); "
            f"expected a title such as 'International migrant stock at mid-year, both sexes "
            f"combined' above the first year column ({_col_letter(first_data_col)}). {_WHERE_TO_GET}"
        )
    titles = [
        (j, " ".join(str(v).split()))
        for j, v in enumerate(title_row)
        if j >= first_data_col and isinstance(v, str) and v.strip()
    ]
    blocks: dict = {}
    for j, lab in data_cols:
        owner = [t for c, t in titles if c <= j]
        if owner:
            blocks.setdefault(owner[-1], {})[lab] = j

    top_text = [str(v) for row in rows[:h] for v in row if isinstance(v, str) and v.strip()]
    return _Sheet(sheet, rows, h, name_col, code_col, type_col, blocks, top_text)


def _find_block(sheet: _Sheet, spec: _Block, path: Path) -> tuple[str, dict]:
    for title, columns in sheet.blocks.items():
        t = title.casefold()
        if all(re.search(p, t) for p in spec.must) and not any(re.search(p, t) for p in spec.must_not):
            return title, columns
    found = "; ".join(repr(t) for t in sheet.blocks) or "none"
    raise DataFileError(
        f"{path}: sheet '{spec.sheet}' has no column block titled like {spec.example!r} "
        f"(needed for the '{spec.column}' column). Block titles found above row "
        f"{sheet.header_index + 1}: {found}. {_WHERE_TO_GET}"
    )


def _number(value, sheet: _Sheet, row_index: int, col: int, path: Path):
    """Return a float, or None for an empty or missing-value cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float)):
        return None if value != value else float(value)
    text = str(value).strip().replace("\u00a0", "").replace(",", "").replace(" ", "")
    if text in _MISSING_MARKERS:
        return None
    try:
        return float(text)
    except ValueError:
        raise DataFileError(
            f"{path}: sheet '{sheet.name}', cell {_col_letter(col)}{row_index + 1} "
            f"(column {sheet.rows[sheet.header_index][col]!r}) holds {value!r}, which is neither a "
            f"number nor one of the workbook's missing-value marks ('..', '~'). Restore the "
            f"original workbook; {_WHERE_TO_GET}"
        ) from None


def _data_rows(sheet: _Sheet):
    """Yield (row index, row, M49 code) for every row below the header that has a code.

    Blank lines and footnotes below the table have no numeric code and are skipped.
    """
    for i in range(sheet.header_index + 1, len(sheet.rows)):
        row = sheet.rows[i]
        code = row[sheet.code_col] if sheet.code_col < len(row) else None
        if isinstance(code, str) and code.strip().isdigit():
            code = int(code.strip())
        if isinstance(code, (int, float)) and not isinstance(code, bool):
            yield i, row, int(code)


def _edition(sheets: list[_Sheet], path: Path) -> str:
    years = set()
    for sheet in sheets:
        for text in sheet.top_text:
            for rx in (_EDITION_RE, _REVISION_RE):
                if m := rx.search(text):
                    years.add(int(m.group(1)))
    if not years:
        raise DataFileError(
            f"{path}: sheet 'Table 1' does not say which edition it is. Looked above the header "
            f"row for 'International Migrant Stock <year>' or 'POP/DB/MIG/Stock/Rev.<year>'. "
            f"{_WHERE_TO_GET}"
        )
    if len(years) > 1:
        raise DataFileError(
            f"{path}: the sheets name different editions ({', '.join(map(str, sorted(years)))}); "
            f"editions revise earlier years and must not be mixed in one workbook. {_WHERE_TO_GET}"
        )
    return f"International Migrant Stock {years.pop()}"


def _open_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and format errors all mean: not a usable .xlsx
        raise DataFileError(
            f"{path} could not be opened as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}. "
            f"The file may be damaged, incomplete or in another format. {_WHERE_TO_GET}"
        ) from exc


def _parse_workbook(path) -> pd.DataFrame:
    """Parse Tables 1-6 of the workbook at *path* into the tidy table (no cache)."""
    path = Path(path)
    wb = _open_workbook(path)
    try:
        sheets = {name: _read_sheet(wb, name, path) for name in _DATA_SHEETS}
    finally:
        wb.close()
    edition = _edition(list(sheets.values()), path)

    master = sheets["Table 1"]
    # Locations in workbook order. Code 927 (Australia and New Zealand) appears
    # twice, as an SDG region and as a subregion of Oceania, with the same
    # figures; the first row is kept as the location, the second still serves
    # as the group heading for Australia and New Zealand.
    locations: dict = {}
    group_of: dict = {}
    names_by_code: dict = {}
    current_group = None
    for _, row, code in _data_rows(master):
        raw_name = row[master.name_col]
        name = str(raw_name).strip().rstrip("*").strip() if raw_name is not None else ""
        if code >= _FIRST_AGGREGATE_CODE:
            current_group = code
            names_by_code.setdefault(code, name)
        elif code not in group_of:
            group_of[code] = current_group
        if code in locations:
            continue
        dtype = row[master.type_col] if master.type_col is not None and master.type_col < len(row) else None
        dtype = "".join(str(dtype).split()) if dtype is not None else ""
        locations[code] = {"name": name, "data_type": dtype or pd.NA}

    m49 = country_lookup().m49
    region_name = {c: names_by_code.get(c) or n for c, n in SDG_REGIONS.items()}

    # values[column][(code, year)] = float or None
    values: dict = {}
    years: list = []
    for spec in _BLOCKS:
        sheet = sheets[spec.sheet]
        title, columns = _find_block(sheet, spec, path)
        wanted_kind = "period" if spec.periods else "year"
        columns = {lab[1]: j for lab, j in columns.items() if lab[0] == wanted_kind}
        if not columns:
            raise DataFileError(
                f"{path}: sheet '{spec.sheet}', block {title!r} has no "
                f"{'period (e.g. 2015-2020)' if spec.periods else 'year'} columns. {_WHERE_TO_GET}"
            )
        scale = 1.0
        if spec.kind == "population" and ("thousands" in title.casefold()
                                          or any("thousands" in t.casefold() for t in sheet.top_text)):
            scale = 1000.0
        col_values: dict = {}
        seen: set = set()
        for i, row, code in _data_rows(sheet):
            if code in seen:
                continue
            seen.add(code)
            for year, j in columns.items():
                v = _number(row[j] if j < len(row) else None, sheet, i, j, path)
                col_values[(code, year)] = None if v is None else v * scale
        values[spec.column] = col_values
        if spec.column == "migrants":
            years = sorted(columns)

    records = {c: [] for c in MIGRANT_STOCK_COLUMNS}
    for code, loc in locations.items():
        is_country = code < _FIRST_AGGREGATE_CODE
        sdg = _SUBREGION_TO_SDG.get(group_of.get(code)) if is_country else None
        iso3 = m49.get(code) if is_country else None
        for year in years:
            records["location_code"].append(code)
            records["iso3"].append(iso3 if iso3 is not None else pd.NA)
            records["name"].append(loc["name"])
            records["is_country"].append(is_country)
            records["region"].append(region_name[sdg] if sdg is not None else pd.NA)
            records["year"].append(year)
            for spec in _BLOCKS:
                v = values[spec.column].get((code, year))
                if v is None:
                    v = pd.NA
                elif spec.kind in ("count", "population"):
                    v = int(round(v))
                records[spec.column].append(v)
            records["data_type"].append(loc["data_type"])
            records["edition"].append(edition)

    return pd.DataFrame({c: pd.array(records[c], dtype=_DTYPES[c]) for c in MIGRANT_STOCK_COLUMNS})


def load_migrant_stock(path=None, *, cache: bool = True, processed_dir=None, refresh: bool = False) -> pd.DataFrame:
    """Load UN DESA International Migrant Stock (destination) as one tidy table.

    Parameters
    ----------
    path : str or Path, optional
        The "International Migrant Stock: Destination" workbook. Default
        ``config.MIGRANT_STOCK_XLSX`` (the 2020 edition in ``data/raw/``).
    cache : bool, default True
        Read the table from ``<processed_dir>/migrant_stock.parquet`` when it
        was built from this exact file (same SHA-256); otherwise parse the
        workbook and write the cache. ``False`` always parses and writes
        nothing. There is one ``migrant_stock`` cache per folder: loading a
        different workbook into the same folder replaces it.
    processed_dir : str or Path, optional
        Cache folder. Default ``config.PROCESSED_DATA_DIR``.
    refresh : bool, default False
        Parse the workbook and rewrite the cache even if it is up to date.

    Returns
    -------
    pandas.DataFrame
        One row per location and year (1990, 1995, ..., 2020, plus any other
        year the workbook has), in workbook order:

        ``location_code`` (Int64)
            UN M49 code.
        ``iso3`` (string)
            ISO 3166 alpha-3; NA for aggregates and for Channel Islands (830),
            which has no ISO code.
        ``name`` (string)
            As in the workbook, without indentation and footnote mark '*'.
        ``is_country`` (bool)
            True for the 235 countries or areas (M49 code below 900); False
            for the world, SDG and geographic regions, development and income
            groups.
        ``region`` (string)
            The SDG region of a country, e.g. 'Latin America and the
            Caribbean'; NA for aggregates.
        ``year`` (Int64)
            Mid-year (1 July).
        ``migrants``, ``migrants_male``, ``migrants_female`` (Int64)
            International migrant stock, persons (Table 1).
        ``population`` (Int64)
            Total population, persons (Table 2's thousands times 1000, rounded).
        ``migrant_share_pct`` (Float64)
            Migrants as % of population (Table 3).
        ``female_share_pct`` (Float64)
            Women as % of migrants (Table 4).
        ``refugees`` (Int64), ``refugee_share_pct`` (Float64)
            Refugees and asylum seekers, and their % of migrants (Table 6).
        ``annual_change_pct``, ``refugee_annual_change_pct`` (Float64)
            Annual rate of change over the five years ending in ``year``
            (Tables 5 and 6; '2015-2020' is given to 2020); NA for 1990.
        ``data_type`` (string)
            Type of data without spaces: B foreign-born, C foreign citizens,
            R refugees added, I imputed (e.g. 'BR'); NA for aggregates.
        ``edition`` (string)
            e.g. 'International Migrant Stock 2020', read from the workbook.

        '..' (not available), '~' (suppressed because fewer than five) and
        blank cells are NA.

    Raises
    ------
    DataFileError
        If the file is missing, is not a readable .xlsx workbook, or lacks a
        needed sheet, header row or column block.

    See Also
    --------
    nhri_capacity.reference.regions.region_of : a country's SDG region from this table.

    Notes
    -----
    Cite as :data:`MIGRANT_STOCK_CITATION`; licence :data:`MIGRANT_STOCK_LICENCE`
    (attribution required). Never mix editions: a later edition revises
    earlier years.

    Examples
    --------
    >>> stock = load_migrant_stock()
    >>> world = stock[(stock["location_code"] == 900) & (stock["year"] == 2020)]
    >>> int(world["migrants"].iloc[0])
    280598105
    >>> mex = stock[(stock["iso3"] == "MEX") & (stock["year"] == 2020)].iloc[0]
    >>> mex["region"], int(mex["migrants"])
    ('Latin America and the Caribbean', 1197624)
    """
    path = Path(path) if path is not None else Path(config.MIGRANT_STOCK_XLSX)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise DataFileError(f"The UN migrant stock workbook {path} {what}. {_WHERE_TO_GET}")
    return cached_table(
        "migrant_stock",
        source=path,
        # Looked up at call time so the parser can be swapped in tests.
        builder=lambda: _parse_workbook(path),
        edition=lambda frame: str(frame["edition"].iloc[0]) if len(frame) else None,
        processed_dir=processed_dir,
        refresh=refresh,
        cache=cache,
    )
