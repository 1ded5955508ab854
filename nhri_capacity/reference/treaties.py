"""Ratification status of the UN human rights treaties, one tidy table.

The raw data are 18 CSV files, ``data/raw/treaties/hr_status_<treaty>.csv``,
one per instrument, each listing the 193 UN member states with the columns
``iso2, member, state party, year ratification or accession, signatory,
no action, status, note``. They were compiled in 2022 from the United Nations
Treaty Collection, so every figure is labelled "status as compiled in 2022".

How each row's status is decided
--------------------------------
The ``status`` text ('state party', 'signatory state', 'no action') is used
because it agrees with the ratification year in every file, while the 0/1
flags disagree with it in a handful of rows (e.g. Kazakhstan, ICCPR-OP1,
2009: status 'state party', party flag 0). The flags are used only where the
text is blank. A note saying the state *denounced* the instrument (Jamaica,
ICCPR-OP1, denounced 1997) makes the status 'none'. Namibia's ISO2 code "NA"
is read as text, never as a missing value; the obsolete code "TP" (East
Timor) and a truncated "S" (South Sudan) are resolved from the member name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .. import config
from ..common.cache import cached_table
from ..errors import CountryNotFoundError, DataFileError
from .countries import to_iso3

__all__ = [
    "load_treaty_status",
    "treaty_profile",
    "TREATY_VINTAGE",
    "TREATY_SOURCE",
    "TREATIES",
    "TREATY_NAMES",
    "CORE_TREATIES",
    "TREATY_STATUSES",
]

TREATY_VINTAGE = "status as compiled in 2022"
TREATY_SOURCE = (
    "United Nations Treaty Collection, Chapter IV (Human Rights), status of treaties; "
    "compiled in 2022 for the 193 UN member states."
)
_VINTAGE_LABEL = "as compiled in 2022"

# Code -> (file stem, full English title), in display order: ICMW first, then
# each core treaty followed by its optional protocols.
_TREATY_TABLE = (
    ("ICMW", "icmw", "International Convention on the Protection of the Rights of All Migrant "
                     "Workers and Members of Their Families"),
    ("ICERD", "icerd", "International Convention on the Elimination of All Forms of Racial "
                       "Discrimination"),
    ("ICCPR", "iccpr", "International Covenant on Civil and Political Rights"),
    ("ICCPR-OP1", "iccpr_op1", "Optional Protocol to the International Covenant on Civil and "
                               "Political Rights"),
    ("ICCPR-OP2", "iccpr_op2", "Second Optional Protocol to the International Covenant on Civil "
                               "and Political Rights, aiming at the abolition of the death penalty"),
    ("ICESCR", "icescr", "International Covenant on Economic, Social and Cultural Rights"),
    ("ICESCR-OP", "icescr_op", "Optional Protocol to the International Covenant on Economic, "
                               "Social and Cultural Rights"),
    ("CEDAW", "cedaw", "Convention on the Elimination of All Forms of Discrimination against Women"),
    ("OP-CEDAW", "op_cedaw", "Optional Protocol to the Convention on the Elimination of All Forms "
                             "of Discrimination against Women"),
    ("CAT", "cat", "Convention against Torture and Other Cruel, Inhuman or Degrading Treatment "
                   "or Punishment"),
    ("OPCAT", "opcat", "Optional Protocol to the Convention against Torture and Other Cruel, "
                       "Inhuman or Degrading Treatment or Punishment"),
    ("CRC", "crc", "Convention on the Rights of the Child"),
    ("OP-CRC-AC", "op_crc_ac", "Optional Protocol to the Convention on the Rights of the Child on "
                               "the involvement of children in armed conflict"),
    ("OP-CRC-SC", "op_crc_sc", "Optional Protocol to the Convention on the Rights of the Child on "
                               "the sale of children, child prostitution and child pornography"),
    ("OP-CRC-IC", "op_crc_ic", "Optional Protocol to the Convention on the Rights of the Child on "
                               "a communications procedure"),
    ("CPED", "cped", "International Convention for the Protection of All Persons from Enforced "
                     "Disappearance"),
    ("CRPD", "crpd", "Convention on the Rights of Persons with Disabilities"),
    ("OP-CRPD", "op_crpd", "Optional Protocol to the Convention on the Rights of Persons with "
                           "Disabilities"),
)

TREATIES = tuple(code for code, _, _ in _TREATY_TABLE)
TREATY_NAMES = {code: title for code, _, title in _TREATY_TABLE}
_FILE_OF = {code: f"hr_status_{stem}.csv" for code, stem, _ in _TREATY_TABLE}
_CODE_OF_FILE = {name: code for code, name in _FILE_OF.items()}

# The nine core international human rights instruments, ICMW first.
CORE_TREATIES = ("ICMW", "ICERD", "ICCPR", "ICESCR", "CEDAW", "CAT", "CRC", "CPED", "CRPD")

TREATY_STATUSES = ("party", "signatory", "none")

TREATY_COLUMNS = ("iso3", "country", "treaty", "treaty_name", "status", "year", "vintage", "note")

_REQUIRED_COLUMNS = (
    "iso2",
    "member",
    "state party",
    "year ratification or accession",
    "signatory",
    "no action",
    "status",
)
_STATUS_TEXT = {
    "state party": "party",
    "party": "party",
    "signatory state": "signatory",
    "signatory": "signatory",
    "no action": "none",
    "none": "none",
}
_DENOUNCED = re.compile(r"denounc", re.IGNORECASE)


def _read_one(path: Path, code: str) -> pd.DataFrame:
    try:
        # dtype=str and keep_default_na=False: Namibia's iso2 is "NA".
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(f"{path} could not be read as a CSV file: {exc}. Restore the original file.") from exc
    raw.columns = [" ".join(str(c).split()).casefold() for c in raw.columns]
    missing = [c for c in _REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError(
            f"{path} lacks the column(s) {', '.join(repr(c) for c in missing)}. Expected the columns "
            f"{', '.join(repr(c) for c in _REQUIRED_COLUMNS)} (and optionally 'note'); found "
            f"{', '.join(repr(c) for c in raw.columns)}. Restore the original file."
        )
    records = [
        {k: ("" if v is None else str(v).strip()) for k, v in rec.items()}
        for rec in raw.to_dict("records")
    ]
    members = [r["member"] for r in records]
    notes = [r.get("note", "") for r in records]

    iso3 = to_iso3([r["iso2"] for r in records], strict=False)
    # A few codes are obsolete or truncated ("TP", "S"); the member name settles them.
    unresolved = [i for i, found in enumerate(iso3) if pd.isna(found)]
    if unresolved:
        by_name = to_iso3([members[i] for i in unresolved], strict=False)
        for i, found in zip(unresolved, by_name, strict=True):
            iso3[i] = found
    bad = [i for i, found in enumerate(iso3) if pd.isna(found)]
    if bad:
        rows = "; ".join(
            f"row {i + 2}: iso2 {records[i]['iso2']!r}, member {members[i]!r}" for i in bad
        )
        raise DataFileError(
            f"{path}: cannot identify the country in {rows}. Expected an ISO2 code (column "
            f"'iso2') or an English country name (column 'member'); correct the row or restore "
            f"the original file."
        )

    statuses = []
    years = []
    for i, r in enumerate(records):
        line = i + 2  # the header is line 1
        text = " ".join(r["status"].split()).casefold()
        if text:
            if text not in _STATUS_TEXT:
                raise DataFileError(
                    f"{path}, row {line}, column 'status': {r['status']!r} is not a known status. "
                    f"Expected 'state party', 'signatory state' or 'no action'."
                )
            status = _STATUS_TEXT[text]
        elif r["state party"] == "1":
            status = "party"
        elif r["signatory"] == "1":
            status = "signatory"
        else:
            status = "none"
        if status == "party" and _DENOUNCED.search(notes[i]):
            status = "none"
        year = pd.NA
        text_year = r["year ratification or accession"]
        if status == "party" and text_year:
            if not re.fullmatch(r"\d{4}", text_year):
                raise DataFileError(
                    f"{path}, row {line}, column 'year ratification or accession': {text_year!r} "
                    f"is not a year. Expected a four-digit year such as 1999, or an empty cell."
                )
            year = int(text_year)
        statuses.append(status)
        years.append(year)

    n = len(records)
    return pd.DataFrame(
        {
            "iso3": pd.array(iso3, dtype="string"),
            "country": pd.array(members, dtype="string"),
            "treaty": pd.array([code] * n, dtype="string"),
            "treaty_name": pd.array([TREATY_NAMES[code]] * n, dtype="string"),
            "status": pd.array(statuses, dtype="string"),
            "year": pd.array(years, dtype="Int64"),
            "vintage": pd.array([_VINTAGE_LABEL] * n, dtype="string"),
            "note": pd.array([t if t else pd.NA for t in notes], dtype="string"),
        }
    )


def _parse_folder(folder) -> pd.DataFrame:
    """Read every treaty file in *folder* into the tidy table (no cache)."""
    folder = Path(folder)
    present = {p.name for p in folder.glob("hr_status_*.csv")}
    unknown = sorted(present - set(_CODE_OF_FILE))
    if unknown:
        raise DataFileError(
            f"{folder}: unexpected treaty file(s) {', '.join(unknown)}. Known files are "
            f"{', '.join(_FILE_OF.values())}; remove or rename the others."
        )
    missing = [name for name in _FILE_OF.values() if name not in present]
    if missing:
        raise DataFileError(
            f"{folder} lacks {len(missing)} treaty file(s): {', '.join(missing)}. Copy the complete "
            f"set of 18 hr_status_*.csv files into this folder."
        )
    frames = [_read_one(folder / _FILE_OF[code], code) for code in TREATIES]
    return pd.concat(frames, ignore_index=True)


def load_treaty_status(path=None, *, cache: bool = True, processed_dir=None, refresh: bool = False) -> pd.DataFrame:
    """Load the ratification status of 18 UN human rights instruments.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the 18 ``hr_status_<treaty>.csv`` files. Default
        ``config.TREATIES_DIR``.
    cache : bool, default True
        Read from ``<processed_dir>/treaty_status.parquet`` when it was built
        from these exact files; otherwise read the CSVs and write the cache.
    processed_dir : str or Path, optional
        Cache folder. Default ``config.PROCESSED_DATA_DIR``.
    refresh : bool, default False
        Re-read the CSVs and rewrite the cache even if it is up to date.

    Returns
    -------
    pandas.DataFrame
        One row per country and treaty, treaties in :data:`TREATIES` order:

        ``iso3`` (string), ``country`` (string, the name as spelt in the file),
        ``treaty`` (string code, e.g. 'ICMW'), ``treaty_name`` (string, full
        title), ``status`` ('party', 'signatory' or 'none'), ``year`` (Int64,
        ratification or accession year; NA unless party), ``vintage``
        ('as compiled in 2022') and ``note`` (string, the file's remark, NA
        if none).

    Raises
    ------
    DataFileError
        If the folder or a file is missing, a file has unexpected columns, or
        a row has an unknown status, a bad year or an unidentifiable country.

    Notes
    -----
    Label figures with :data:`TREATY_VINTAGE` and cite :data:`TREATY_SOURCE`.
    Known gaps in the 2022 compilation: the OP-CRC-IC file omits Gabon and
    lists Montserrat (not a UN member) instead.

    Examples
    --------
    >>> status = load_treaty_status()
    >>> icmw = status[status["treaty"] == "ICMW"]
    >>> int((icmw["status"] == "party").sum())
    57
    >>> row = icmw[icmw["iso3"] == "MEX"].iloc[0]
    >>> row["status"], int(row["year"])
    ('party', 1999)
    """
    folder = Path(path) if path is not None else Path(config.TREATIES_DIR)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DataFileError(
            f"The treaty status folder {folder} {what}. Copy the 18 hr_status_*.csv files into "
            f"data/raw/treaties/ (see data/raw/README.md)."
        )
    return cached_table(
        "treaty_status",
        source=folder,
        builder=lambda: _parse_folder(folder),
        edition=TREATY_VINTAGE,
        processed_dir=processed_dir,
        refresh=refresh,
        cache=cache,
    )


def treaty_profile(iso3, *, treaties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return one country's status for every treaty, ICMW first.

    Parameters
    ----------
    iso3 : str or int
        ISO3 code, or any country name or code :func:`nhri_capacity.reference.countries.to_iso3`
        accepts.
    treaties : pandas.DataFrame, optional
        A table from :func:`load_treaty_status`; loaded (from cache) if omitted.

    Returns
    -------
    pandas.DataFrame
        The country's rows, in :data:`TREATIES` order, with a fresh index.

    Raises
    ------
    CountryNotFoundError
        If the country cannot be identified, or the table has no row for it.

    Examples
    --------
    >>> profile = treaty_profile("MEX")
    >>> profile["treaty"].iloc[0], profile["status"].iloc[0]
    ('ICMW', 'party')
    """
    code = to_iso3(iso3)
    table = treaties if treaties is not None else load_treaty_status()
    rows = table[table["iso3"] == code]
    if rows.empty:
        raise CountryNotFoundError(
            f"No treaty status for {iso3!r} ({code}): the 2022 compilation covers the 193 UN "
            f"member states only.",
            {iso3: []},
        )
    order = {t: i for i, t in enumerate(TREATIES)}
    rows = rows.assign(_order=rows["treaty"].map(order)).sort_values("_order", kind="stable")
    return rows.drop(columns="_order").reset_index(drop=True)
