"""Survey files into a raw frame: columns mapped onto the codebook, values as typed.

:func:`read_survey_raw` reads an SPSS (``.sav``), Stata (``.dta``), CSV, Excel
(``.xlsx``) or Parquet file, maps its columns onto codebook variables and its
choice labels onto codes (:mod:`nhri_capacity.survey.schema`), and leaves every
value as it is in the file, so that :mod:`nhri_capacity.survey.validation` can
report bad values exactly as the user typed them, with their row numbers.

Row numbers (the index of the raw frame, and ``Problem.row``) are the numbers a
user sees when opening the file: in CSV and Excel files the header is row 1, so
the first respondent is row 2; in SPSS, Stata and Parquet files the first
respondent is case 1.

One thing is undone in CSV and Excel cells: the apostrophe that
:func:`nhri_capacity.survey.writers.write_survey` (and other careful
exporters) put in front of text starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return, so that spreadsheets do not run it as a formula
(:func:`nhri_capacity.common.spreadsheet.restore_text`). A file written by
``write_survey`` therefore reads back with its text exactly as written. The
one ambiguous case is a file from elsewhere with a cell that really starts
with an apostrophe and a formula character: ``'=x`` is read as ``=x``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..common.io import sha256_file
from ..common.spreadsheet import restore_text
from ..errors import SurveyReadError
from .codebook import resolve_codebook
from .metadata import synthetic_in_file
from .parsing import is_blank_cell
from .schema import frame_from_columns, schema

__all__ = ["read_survey_raw", "READ_FORMATS"]

#: File suffix -> format name, for the files :func:`read_survey_raw` accepts.
READ_FORMATS = {".sav": "sav", ".dta": "dta", ".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}

#: The accepted formats in words, for messages.
ACCEPTED_FORMATS = ".sav (SPSS), .dta (Stata), .csv, .xlsx (Excel) or .parquet"


# --------------------------------------------------------------------------
# format readers: each returns (headers, rows frame with positional columns,
# first data row number, file label, value labels by header, details)
# --------------------------------------------------------------------------
def _read_stat(path: Path, fmt: str):
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    kind = "SPSS" if fmt == "sav" else "Stata"
    try:
        # user_missing keeps -7/-8/-9 declared as SPSS user-missing, so they can be counted.
        kwargs = {"user_missing": True} if fmt == "sav" else {}
        frame, meta = reader(str(path), **kwargs)
    except Exception as exc:  # pyreadstat raises several private error types
        raise SurveyReadError(
            f"Could not read {path} as a {kind} file ({exc}). Check that it was saved by "
            f"{kind} (or exported as {fmt.upper()}) and is not damaged."
        ) from None
    headers = list(frame.columns)
    frame = frame.astype(object)
    frame.columns = range(len(headers))
    labels = dict(meta.variable_value_labels or {})
    return headers, frame, 1, (meta.file_label or None), labels, {}


def _decode(data: bytes):
    """Decode CSV bytes: UTF-16 or UTF-8 (with or without BOM), else Windows-1252/Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # Latin-1 decodes any byte; cp1252 leaves five undefined.
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(text: str) -> str:
    candidates = ",;\t|"
    lines = [ln for ln in text[: 1 << 16].splitlines() if ln.strip()][:50]
    if not lines:
        return ","
    sample = "\n".join(lines)

    def counts(delim):
        return [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim)]

    try:
        delim = csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
        n = counts(delim)
        # The Sniffer can be fooled by commas inside free text: keep its answer
        # only if it splits the header and most lines into the same number of fields.
        if n and n[0] > 1 and sum(c == n[0] for c in n) >= 0.8 * len(n):
            return delim
    except csv.Error:
        pass
    best, best_score = ",", (0, 0)
    for delim in candidates:
        n = counts(delim)
        score = (sum(c == n[0] for c in n) if n[0] > 1 else 0, n[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(path: Path):
    data = path.read_bytes()
    text, encoding = _decode(data)
    if not text.strip():
        raise SurveyReadError(f"The survey file {path} is empty: it has no header and no rows.")
    delim = _sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=None,
            dtype=str,
            # keep 'NA' (Namibia) and never guess missing values
            keep_default_na=False,
            na_filter=False,
            # blank lines stay rows so that row numbers match the spreadsheet
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        shown = {"\t": "tab"}.get(delim, repr(delim))
        raise SurveyReadError(
            f"Could not read {path} as CSV separated by {shown}: {exc}. Check that every "
            "row has as many fields as the header and that quotes are closed."
        ) from None
    frame = frame.astype(object).map(restore_text)
    headers = list(frame.iloc[0]) if len(frame) else []
    frame = frame.iloc[1:].reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    return headers, frame, 2, None, {}, {"encoding": encoding, "delimiter": delim}


def _read_xlsx(path: Path):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise
    except Exception as exc:  # openpyxl raises many error types for files it cannot parse
        raise SurveyReadError(
            f"Could not read {path} as an Excel workbook ({exc}). Save it from Excel as "
            "'Excel Workbook (.xlsx)' and try again."
        ) from None
    try:
        by_name = {ws.title.strip().casefold(): ws for ws in wb.worksheets}
        ws = by_name.get("survey") or by_name.get("data") or wb.worksheets[0]
        rows, blank_run = [], 0
        for values in ws.iter_rows(min_row=1, values_only=True):
            values = [restore_text(v) for v in values]
            if all(is_blank_cell(v) for v in values):
                blank_run += 1
                # formatting can stretch a sheet to a million empty rows
                if blank_run > 10_000:
                    break
            else:
                blank_run = 0
            rows.append(values)
        title = ws.title
    finally:
        wb.close()
    while rows and all(is_blank_cell(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise SurveyReadError(f"The survey file {path} is empty: sheet {title!r} has no header and no rows.")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    headers = rows[0]
    frame = pd.DataFrame(rows[1:], columns=range(width), dtype=object)
    return headers, frame, 2, None, {}, {"sheet": title}


def _read_parquet(path: Path):
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several error types for damaged files
        raise SurveyReadError(f"Could not read {path} as a Parquet file ({exc}).") from None
    label = (frame.attrs.get("survey") or {}).get("file_label")
    headers = list(frame.columns)
    frame = frame.astype(object)
    frame.columns = range(len(headers))
    return headers, frame, 1, label, {}, {}


_READERS = {"sav": _read_stat, "dta": _read_stat, "csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}


def _survey_format(path: Path) -> str:
    suffix = path.suffix.casefold()
    if suffix in READ_FORMATS:
        return READ_FORMATS[suffix]
    hint = " Save it from Excel as .xlsx." if suffix in {".xls", ".xlsm", ".ods"} else ""
    raise SurveyReadError(
        f"Cannot read {path}: files ending in {path.suffix or '(no extension)'!r} are not "
        f"supported. Use {ACCEPTED_FORMATS}.{hint}"
    )


def read_survey_raw(path, *, codebook=None):
    """Read a survey file with its columns mapped onto the codebook but its values untouched.

    Headers are matched to codebook variables (any case, group prefixes, question
    texts) and choice labels are replaced by their codes, but nothing is
    converted or checked: a ``'7'`` or a ``'maybe'`` stays as it was typed.
    Only personal-data columns are dropped. This is what
    :func:`nhri_capacity.survey.validation.validate_survey` checks.

    Parameters
    ----------
    path : str or Path
        A ``.sav``, ``.dta``, ``.csv``, ``.xlsx`` or ``.parquet`` survey file.
    codebook : Codebook, str or Path, optional
        The codebook to map onto (the bundled one by default).

    Returns
    -------
    frame : pandas.DataFrame
        ``object`` columns named after codebook variables (unknown columns keep
        their header); the index, named ``row``, holds the row numbers a user
        sees in the file (header = row 1 in CSV/Excel, first case = 1 in
        SPSS/Stata/Parquet). Fully empty rows are left out.
    meta : dict
        ``source``, ``sha256``, ``format``, ``file_label``, ``n_rows``,
        ``synthetic``, ``notices``, plus ``columns`` (variable -> header in
        the file), ``unknown_columns``, ``pii_dropped``, ``duplicate_columns``
        and reader details (``encoding``, ``delimiter``, ``sheet``). The same
        dict is in ``frame.attrs["survey"]``.

    Raises
    ------
    SurveyReadError
        If the file is missing, empty, has no data rows, or is not a
        supported format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("RESP_ID;Country;ch1_complaints_open\\nR1;NA;Yes\\n", encoding="utf-8")
    >>> raw, meta = read_survey_raw(p)
    >>> raw.to_dict("index")
    {2: {'resp_id': 'R1', 'country': 'NA', 'ch1_complaints_open': 1}}
    >>> meta["delimiter"]
    ';'
    """
    cb = resolve_codebook(codebook)
    s = schema(cb)
    path = Path(path)
    if path.is_dir():
        raise SurveyReadError(f"{path} is a folder, not a survey file. Give the path of the file itself.")
    fmt = _survey_format(path)
    if not path.exists():
        raise SurveyReadError(f"Survey file not found: {path}. Check the path and the file name.")
    if path.stat().st_size == 0:
        raise SurveyReadError(f"The survey file {path} is empty (0 bytes).")
    reader = _READERS[fmt]
    try:
        headers, frame, first_row, file_label, file_labels, details = (
            reader(path, fmt) if fmt in {"sav", "dta"} else reader(path)
        )
    except OSError as exc:
        raise SurveyReadError(
            f"Could not open {path}: {exc.strerror or exc}. Close it in other programs "
            "and check that you may read it."
        ) from None
    if not headers or all(is_blank_cell(h) for h in headers):
        raise SurveyReadError(f"The survey file {path} has no header row with column names.")
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    keep = ~frame.apply(lambda col: col.map(is_blank_cell)).all(axis=1) if len(frame) else []
    frame = frame[keep] if len(frame) else frame
    if len(frame) == 0:
        raise SurveyReadError(
            f"The survey file {path} has column names but no rows of answers."
        )
    notices: list = []
    mapped, mapping = frame_from_columns(headers, frame, s, file_labels, notices)
    mapped.index.name = "row"
    meta = {
        "source": str(path),
        "sha256": sha256_file(path),
        "format": fmt,
        "file_label": file_label,
        "n_rows": int(len(mapped)),
        "synthetic": synthetic_in_file(mapped, file_label),
        "notices": notices,
        **mapping,
        **details,
    }
    mapped.attrs["survey"] = meta
    return mapped, meta
