"""Read survey files into the survey frame, and write them back out.

:func:`read_survey` turns an SPSS (``.sav``), Stata (``.dta``), CSV, Excel
(``.xlsx``) or Parquet file into the *survey frame* described in
``docs/architecture.md``: one row per respondent, one column per codebook
variable, numeric items as ``Float64`` with the missing-data codes (-7, -8, -9)
turned into ``<NA>``, ``country`` as ISO3 and personal data dropped.

Files exported from KoboToolbox or ODK are understood as they come: column
names in any case, with group prefixes (``c1_case_handling/ch1_complaints_open``),
question texts as headers, choice labels instead of codes ("Yes", "Don't know"),
and select-multiple answers either as one space-separated column or as one 0/1
column per choice. Kobo's bookkeeping columns (``_id``, ``_uuid``, ``start``...)
are ignored.

:func:`read_survey_raw` does the same column and label mapping but leaves the
values as they are in the file, so that :mod:`nhri_capacity.survey.validation` can
report bad values exactly as the user typed them, with their row numbers.

Row numbers (the index of the raw frame, and ``Problem.row``) are the numbers a
user sees when opening the file: in CSV and Excel files the header is row 1, so
the first respondent is row 2; in SPSS, Stata and Parquet files the first
respondent is case 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.io import atomic_path, sha256_file
from .codebook import Codebook, Item, load_codebook
from ..errors import NHRICapacityError, OutputFormatError, SurveyReadError, SurveyValidationError

__all__ = [
    "read_survey",
    "read_survey_raw",
    "write_survey",
    "survey_meta",
    "is_synthetic",
    "READ_FORMATS",
    "WRITE_FORMATS",
    "SYNTHETIC_FILE_LABEL",
    "SYNTHETIC_NOTICE",
]

#: File suffix -> format name, for the files :func:`read_survey` accepts.
READ_FORMATS = {".sav": "sav", ".dta": "dta", ".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
#: File suffix -> format name, for the files :func:`write_survey` writes.
WRITE_FORMATS = dict(READ_FORMATS)

#: File label of synthetic datasets (SPSS and Stata files carry it in their header).
SYNTHETIC_FILE_LABEL = "SYNTHETIC SAMPLE - illustrative data, not real survey results"
#: The notice every output made from synthetic data carries (briefs, charts, tables).
SYNTHETIC_NOTICE = "Illustrative synthetic data, not real survey results"

#: Extra column keeping the country exactly as entered (``country`` becomes ISO3).
COUNTRY_INPUT = "country_input"

_ACCEPTED = ".sav (SPSS), .dta (Stata), .csv, .xlsx (Excel) or .parquet"

# Cell contents that mean "no answer" in every column. 'NA' is not one of them:
# it is Namibia's ISO2 code.
_BLANKS = frozenset({"", ".."})
# In numeric and date columns 'NA' cannot be Namibia, and R, Stata and Excel
# write these for missing numbers.
_NUMERIC_BLANKS = frozenset({"na", "n/a", "nan", "null", ".", "#n/a"})

# Kobo/ODK bookkeeping columns, compared after lower-casing the last path segment.
_META_NAMES = frozenset(
    {
        "start", "end", "today", "deviceid", "subscriberid", "simserial", "simid",
        "phonenumber", "username", "email", "audit", "instanceid", "instancename",
        "deprecatedid", "uuid", "version", "formhub", "meta", "caseid", "key",
        "submissiondate", "submitterid", "submittername", "attachmentspresent",
        "attachmentsexpected", "status", "reviewstate", "edits",
        "formversion",
    }
)
_META_PREFIXES = ("meta/", "formhub/", "meta-", "formhub-", "meta.", "formhub.")
_PATH_SEPARATORS = ("/", ":", ".", "-")
# "C1. ", "A3) ", "12: " in front of a question text.
_ENUMERATION = re.compile(r"^\(?[a-z]{0,2}\d+[a-z]?[.):]\s*")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_ISO_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
_TRUE_FALSE = {"true": 1, "false": 0, "selected": 1, "not selected": 0, "yes": 1, "no": 0}


# --------------------------------------------------------------------------
# small value helpers (also used by nhri_capacity.survey.validation)
# --------------------------------------------------------------------------
def _norm_key(text) -> str:
    """Normalise a header or a label for matching: case, spacing and quote styles ignored."""
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.casefold().split())


def _is_blank(value, *, numeric=False) -> bool:
    """True for an empty answer; with *numeric*, also for 'NA', 'n/a', '.' and friends."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    if isinstance(value, str):
        text = value.strip()
        return text in _BLANKS or (numeric and text.casefold() in _NUMERIC_BLANKS)
    return False


def _py(value):
    """A numpy scalar as the plain Python value (for messages and attrs)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _parse_number(value, *, percent=False):
    """Return *value* as a float, None when blank; raise ValueError (with the reason) otherwise."""
    if _is_blank(value, numeric=True):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("a true/false value")
    if isinstance(value, (int, float, Decimal, np.integer, np.floating)):
        out = float(value)
        if math.isinf(out):
            raise ValueError("an infinite number")
        return out
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        raise ValueError("a date")
    text = str(value).strip().replace("\u00a0", "")
    if percent and text.endswith("%"):
        text = text[:-1].strip()
    if _THOUSANDS.match(text):
        raise ValueError("a number with a thousands separator")
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        out = float(text)
    except ValueError:
        raise ValueError("text, not a number") from None
    if math.isnan(out) or math.isinf(out):
        raise ValueError("text, not a number")
    return out


def _parse_date(value):
    """Return *value* as a ``datetime.date``, None when blank; raise ValueError otherwise."""
    if _is_blank(value, numeric=True):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    match = _ISO_DATE.match(str(value).strip())
    if not match:
        raise ValueError("not a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        raise ValueError("not a calendar date") from None


def _parse_text(value):
    """Return *value* as stripped text, None when blank."""
    if _is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        # Identifiers typed as numbers come back from SPSS/Excel as 17.0.
        return str(int(value))
    if isinstance(value, (pd.Timestamp, dt.datetime)) and value == pd.Timestamp(value).normalize():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(_py(value)).strip()


def _format_value(value) -> str:
    """A value as the user would see it in a cell."""
    value = _py(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------
# the codebook as lookup tables
# --------------------------------------------------------------------------
@dataclass
class _Schema:
    cb: Codebook
    columns: list = field(default_factory=list)  # survey-frame columns, no PII
    item_of: dict = field(default_factory=dict)  # column (incl. PII, multi base) -> Item
    names: dict = field(default_factory=dict)  # norm key of a column name -> column
    labels: dict = field(default_factory=dict)  # norm key of a question text -> item name
    multi_choice: dict = field(default_factory=dict)  # multi item -> norm key -> split column
    value_maps: dict = field(default_factory=dict)  # column -> norm label -> code
    pii: frozenset = frozenset()


_SCHEMAS: dict = {}


def _schema(cb: Codebook) -> _Schema:
    cached = _SCHEMAS.get(id(cb))
    if cached is not None and cached.cb is cb:
        return cached
    s = _Schema(cb=cb, pii=frozenset(cb.pii_variables))
    for item in cb:
        s.item_of[item.name] = item
        s.names[_norm_key(item.name)] = item.name
        s.labels.setdefault(_norm_key(item.question), item.name)
        if item.type == "multi_select":
            choices = {}
            for column, choice in cb.multi_select_columns(item.name).items():
                s.item_of[column] = item
                s.names[_norm_key(column)] = column
                choices[_norm_key(choice)] = column
                choices[_norm_key(item.choices[choice])] = column
                # some exports put the choice itself in its column when selected
                s.value_maps[column] = {
                    **_TRUE_FALSE, _norm_key(choice): 1, _norm_key(item.choices[choice]): 1
                }
            s.multi_choice[item.name] = choices
        elif item.is_numeric:
            vmap = {_norm_key(label): int(code) for code, label in (item.choices or {}).items()}
            vmap.update({_norm_key(label): int(code) for code, label in cb.missing_codes.items()})
            if item.type == "binary":
                vmap.update({k: v for k, v in _TRUE_FALSE.items() if k not in vmap})
            s.value_maps[item.name] = vmap
    s.names[_norm_key(COUNTRY_INPUT)] = COUNTRY_INPUT
    s.columns = cb.columns()
    country = cb.country_variable
    if country in s.columns:
        s.columns.insert(s.columns.index(country) + 1, COUNTRY_INPUT)
    _SCHEMAS[id(cb)] = s
    return s


def _resolve_codebook(codebook) -> Codebook:
    if codebook is None:
        return load_codebook()
    if isinstance(codebook, Codebook):
        return codebook
    return load_codebook(codebook)


def _classify_header(header, s: _Schema):
    """Return ``(kind, column)`` for one file header.

    kind is ``"var"`` (a codebook column or ``country_input``), ``"meta"``
    (Kobo/ODK bookkeeping, ignored), ``"blank"`` (no header) or ``"unknown"``.
    """
    if header is None or (isinstance(header, float) and math.isnan(header)):
        return "blank", None
    raw = str(header).strip()
    if not raw:
        return "blank", None
    key = _norm_key(raw)
    if key in s.names:
        return "var", s.names[key]
    snake = re.sub(r"[\s-]+", "_", key)  # "Respondent email", "CH1-complaints open"
    if snake in s.names:
        return "var", s.names[snake]
    if key in s.labels:
        return "var", s.labels[key]
    for sep in _PATH_SEPARATORS:
        if sep not in raw:
            continue
        parts = [_norm_key(p) for p in raw.split(sep)]
        last = parts[-1]
        if last in s.names:
            return "var", s.names[last]
        if len(parts) >= 2:
            # Kobo select-multiple: ".../constraints/budget" or "<question>/<choice label>".
            prev = parts[-2]
            item = s.names.get(prev) or s.labels.get(prev)
            if item in s.multi_choice and last in s.multi_choice[item]:
                return "var", s.multi_choice[item][last]
        if last in s.labels:
            return "var", s.labels[last]
    stripped = _ENUMERATION.sub("", key)
    if stripped != key and stripped in s.labels:
        return "var", s.labels[stripped]
    last = re.split(r"[/:]", key)[-1]
    if (
        key.startswith("_")
        or last.startswith("_")
        or key.startswith(_META_PREFIXES)
        or key in _META_NAMES
        or last in _META_NAMES
        or key.startswith("unnamed:")
    ):
        return "meta", None
    return "unknown", None


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
    frame = frame.astype(object)
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
            values = list(values)
            if all(_is_blank(v) for v in values):
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
    while rows and all(_is_blank(v) for v in rows[-1]):
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
        f"supported. Use {_ACCEPTED}.{hint}"
    )


# --------------------------------------------------------------------------
# mapping a file onto the codebook
# --------------------------------------------------------------------------
def _map_values(values: pd.Series, column: str, s: _Schema, file_labels: dict | None) -> pd.Series:
    """Replace choice labels ("Yes", "Don't know") by their codes; leave everything else."""
    vmap = dict(s.value_maps.get(column, {}))
    if file_labels:
        # labels stored in the file itself (SPSS/Stata value labels) win
        for code, label in file_labels.items():
            try:
                code = float(code)
            except (TypeError, ValueError):
                continue
            vmap[_norm_key(label)] = int(code) if code.is_integer() else code
    if not vmap:
        return values
    is_binary = column in s.multi_choice or s.item_of[column].type in {"binary", "multi_select"}

    def one(v):
        if isinstance(v, (bool, np.bool_)) and is_binary:
            return int(v)
        if isinstance(v, str) and not _is_blank(v):
            return vmap.get(_norm_key(v), v)
        return v

    return values.map(one).astype(object)


def _frame_from_columns(headers, frame, s: _Schema, file_labels: dict, notices: list):
    """Map file headers onto codebook columns; return (mapped frame, details)."""
    mapped: dict = {}
    original: dict = {}
    unknown, pii, duplicates = [], [], []
    for pos, header in enumerate(headers):
        kind, column = _classify_header(header, s)
        values = frame[pos]
        if kind == "meta":
            continue
        if kind == "blank":
            if all(_is_blank(v) for v in values):
                continue
            kind, column = "unknown", None
        if kind == "unknown":
            name = str(header).strip() or f"(column {pos + 1} without a header)"
            base, k = name, 2
            while name in mapped:
                name, k = f"{base} ({k})", k + 1
            unknown.append(name)
            mapped[name] = values
            original[name] = str(header)
            continue
        if column in s.pii:
            pii.append(column)
            continue
        if column in s.item_of:
            values = _map_values(values, column, s, file_labels.get(header))
        if column in mapped:
            first = mapped[column].map(_parse_text)
            differ = not first.equals(values.map(_parse_text))
            duplicates.append(
                {"variable": column, "kept": original[column], "dropped": str(header), "differ": differ}
            )
            continue
        mapped[column] = values
        original[column] = str(header)
    if pii:
        notices.append(
            "Dropped personal data columns: " + ", ".join(dict.fromkeys(pii))
            + " (they are never used or written)."
        )
    out = pd.DataFrame(mapped, index=frame.index, dtype=object) if mapped else pd.DataFrame(index=frame.index)
    return out, {
        "columns": {k: v for k, v in original.items() if k not in unknown},
        "unknown_columns": unknown,
        "pii_dropped": list(dict.fromkeys(pii)),
        "duplicate_columns": duplicates,
    }


def _without_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies attrs on every column access."""
    plain = df.copy(deep=False)
    plain.attrs = {}
    return plain


def _synthetic_from(frame: pd.DataFrame, file_label) -> bool:
    if file_label and "synthetic" in str(file_label).casefold():
        return True
    if "synthetic_data" not in frame.columns or len(frame) == 0:
        return False
    for v in frame["synthetic_data"]:
        try:
            if _parse_number(v) != 1:
                return False
        except ValueError:
            return False
    return True


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
    cb = _resolve_codebook(codebook)
    s = _schema(cb)
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
    if not headers or all(_is_blank(h) for h in headers):
        raise SurveyReadError(f"The survey file {path} has no header row with column names.")
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    keep = ~frame.apply(lambda col: col.map(_is_blank)).all(axis=1) if len(frame) else []
    frame = frame[keep] if len(frame) else frame
    if len(frame) == 0:
        raise SurveyReadError(
            f"The survey file {path} has column names but no rows of answers."
        )
    notices: list = []
    mapped, mapping = _frame_from_columns(headers, frame, s, file_labels, notices)
    mapped.index.name = "row"
    meta = {
        "source": str(path),
        "sha256": sha256_file(path),
        "format": fmt,
        "file_label": file_label,
        "n_rows": int(len(mapped)),
        "synthetic": _synthetic_from(mapped, file_label),
        "notices": notices,
        **mapping,
        **details,
    }
    mapped.attrs["survey"] = meta
    return mapped, meta


# --------------------------------------------------------------------------
# from raw values to the typed survey frame
# --------------------------------------------------------------------------
def _multi_tokens(value, item: Item, s: _Schema):
    """Split a space-separated select-multiple answer; return (choices, unknown words)."""
    lookup = s.multi_choice[item.name]
    text = _norm_key(value)
    parts = [p.strip() for p in re.split(r"[;,]", text)] if re.search(r"[;,]", text) else None
    chosen, unknown = [], []
    if parts is not None:
        for p in parts:
            if p:
                (chosen if p in lookup else unknown).append(lookup.get(p, p))
        return chosen, unknown
    words = text.split()
    i, bad = 0, []
    while i < len(words):
        for j in range(len(words), i, -1):
            phrase = " ".join(words[i:j])
            if phrase in lookup:
                if bad:
                    unknown.append(" ".join(bad))
                    bad = []
                chosen.append(lookup[phrase])
                i = j
                break
        else:
            bad.append(words[i])
            i += 1
    if bad:
        unknown.append(" ".join(bad))
    return chosen, unknown


def _multi_answer(value, item: Item, s: _Schema, cb: Codebook):
    """Read one space-separated select-multiple answer.

    Returns ``(kind, payload)``: ``("blank", None)``, ``("code", -8)`` for a
    missing-data code (or its label), ``("choices", (chosen, unknown))``, or
    ``("bad", None)`` for a number that is not a missing-data code.
    """
    if _is_blank(value):
        return "blank", None
    try:
        number = _parse_number(value)
    except ValueError:
        number = None
    if number is not None:
        return ("code", number) if cb.is_missing_code(number) else ("bad", None)
    missing = {_norm_key(label): code for code, label in cb.missing_codes.items()}
    key = _norm_key(value)
    if key in missing:
        return "code", missing[key]
    return "choices", _multi_tokens(value, item, s)


def _expand_multi(raw: pd.DataFrame, item: Item, s: _Schema, cb: Codebook):
    """0/1 values of each choice column, from the space-separated answer column.

    Returns {column: list of values}. A blank answer leaves every choice
    missing; a missing-data code is copied into every choice column.
    """
    columns = list(cb.multi_select_columns(item.name))
    out = {c: [] for c in columns}
    for v in raw[item.name]:
        kind, payload = _multi_answer(v, item, s, cb)
        for c in columns:
            if kind == "code":
                out[c].append(payload)
            elif kind == "choices":
                out[c].append(1 if c in payload[0] else 0)
            else:
                out[c].append(None)
    return out


def _to_survey_frame(raw: pd.DataFrame, meta: dict, cb: Codebook):
    """Convert a raw frame into the typed survey frame; return (frame, missing_counts, notices)."""
    s = _schema(cb)
    n = len(raw)
    data: dict = {}
    # variable -> rows answered with -7/-8/-9 (a multi-select item counts once per row)
    code_rows: dict = {}
    unreadable: dict = {}
    expanded = {}
    for item in cb:
        if item.type == "multi_select" and item.name in raw.columns:
            expanded.update(_expand_multi(raw, item, s, cb))
    for column in s.columns:
        if column == COUNTRY_INPUT:
            continue
        item = s.item_of[column]
        if column in raw.columns:
            values = list(raw[column])
        elif column in expanded:
            values = expanded[column]
        else:
            values = [None] * n
        if item.is_numeric or item.type == "multi_select":
            out, n_bad = [], 0
            for i, v in enumerate(values):
                try:
                    x = _parse_number(v, percent=item.type == "percent")
                except ValueError:
                    x, n_bad = None, n_bad + 1
                if x is not None and cb.is_missing_code(x):
                    x = None
                    code_rows.setdefault(item.name, set()).add(i)
                out.append(pd.NA if x is None else x)
            if n_bad:
                unreadable[column] = n_bad
            data[column] = pd.array(out, dtype="Float64")
        elif item.type == "date":
            out = []
            for v in values:
                try:
                    out.append(_parse_date(v))
                except ValueError:
                    out.append(None)
                    unreadable[column] = unreadable.get(column, 0) + 1
            data[column] = pd.to_datetime(pd.Series(out, dtype=object)).astype("datetime64[ns]").array
        else:
            data[column] = pd.array([_parse_text(v) for v in values], dtype="string")
    country = cb.country_variable
    notices = []
    if country in data:
        from ..reference import to_iso3

        if COUNTRY_INPUT in raw.columns:
            entered = pd.array([_parse_text(v) for v in raw[COUNTRY_INPUT]], dtype="string")
        else:
            entered = data[country]
        as_text = [None if pd.isna(v) else v for v in data[country]]
        codes = to_iso3(as_text, strict=False)
        n_unmatched = sum(1 for a, b in zip(as_text, codes) if a is not None and pd.isna(b))
        if n_unmatched:
            notices.append(f"{n_unmatched} country value(s) could not be matched and were set to missing.")
        data[country] = pd.array(codes, dtype="string")
        data[COUNTRY_INPUT] = entered
    if unreadable:
        notices.append(
            "Values that could not be read were set to missing: "
            + ", ".join(f"{c} ({k})" for c, k in unreadable.items())
            + ". Run `nhri-capacity validate` on the file to see them."
        )
    frame = pd.DataFrame({c: data[c] for c in s.columns if c in data})
    missing_counts = {it.name: len(code_rows[it.name]) for it in cb if it.name in code_rows}
    return frame, missing_counts, notices


def read_survey(path, *, codebook=None, validate=True, set_aside_invalid=False) -> pd.DataFrame:
    """Read a survey file into the survey frame.

    Parameters
    ----------
    path : str or Path
        A ``.sav`` (SPSS), ``.dta`` (Stata), ``.csv``, ``.xlsx`` or ``.parquet``
        file, e.g. an export from KoboToolbox or ODK.
    codebook : Codebook, str or Path, optional
        The codebook (the bundled one by default).
    validate : bool, default True
        Check the file first (:func:`nhri_capacity.survey.validation.validate_survey`)
        and raise if it has errors. With False, unreadable values and unknown
        countries become missing and are only mentioned in the notices.
    set_aside_invalid : bool, default False
        With *validate*, do not raise for errors in single rows: drop every
        row of each institution that has an erroneous row, and list them in
        ``df.attrs["survey"]["set_aside"]`` (``inst_id -> {"country",
        "problems"}``). Errors in the file as a whole (unreadable, a
        required column missing) still raise. The batch of briefs uses this
        so that one broken institution fails its own brief only.

    Returns
    -------
    pandas.DataFrame
        One row per respondent; the columns of ``Codebook.columns()`` plus
        ``country_input`` (after ``country``). Numeric items are ``Float64``
        with -7/-8/-9 turned into ``<NA>``, text items ``string``,
        ``survey_date`` ``datetime64[ns]``, ``country`` ISO3. Variables absent
        from the file are all ``<NA>``; columns not in the codebook and
        personal data are dropped. ``df.attrs["survey"]`` holds ``source``,
        ``sha256``, ``format``, ``synthetic``, ``file_label``, ``n_rows``,
        ``notices`` and ``missing_codes`` (variable -> number of -7/-8/-9).

    Raises
    ------
    SurveyReadError
        If the file is missing, empty or not a supported format.
    SurveyValidationError
        If *validate* and the file has errors; ``.problems`` lists them all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text(
    ...     "resp_id,inst_id,country,inst_name,ch1_complaints_open\\n"
    ...     "R1,I1,Namibia,Ombudsman,Yes\\nR2,I2,NA,Ombudsman,Don't know\\n", encoding="utf-8")
    >>> df = read_survey(p)
    >>> df[["country", "country_input", "ch1_complaints_open"]]
      country country_input  ch1_complaints_open
    0     NAM       Namibia                  1.0
    1     NAM            NA                 <NA>
    >>> df.attrs["survey"]["missing_codes"]
    {'ch1_complaints_open': 1}
    """
    cb = _resolve_codebook(codebook)
    raw, meta = read_survey_raw(path, codebook=cb)
    set_aside = {}
    if validate:
        # validation sits downstream of readers; imported here to run its checks on the raw frame
        from .validation import validate_survey

        problems = validate_survey(raw, codebook=cb)
        errors = [p for p in problems if p.severity == "error"]
        if set_aside_invalid and errors and all(p.row is not None for p in errors):
            raw, set_aside = _set_aside_rows(raw, errors, cb)
            errors = []
        if errors:
            shown = "\n".join(f"  - {p.describe(with_file=False)}" for p in errors[:5])
            more = f"\n  ... and {len(errors) - 5} more." if len(errors) > 5 else ""
            noun = "error" if len(errors) == 1 else "errors"
            raise SurveyValidationError(
                f"{path} has {len(errors)} {noun} and cannot be scored:\n{shown}{more}\n"
                f"Run `nhri-capacity validate {path}` for the full report.",
                problems,
            )
    frame, missing_counts, notices = _to_survey_frame(_without_attrs(raw), meta, cb)
    if validate:
        warned = [p for p in problems if p.severity == "warning"]
        if warned:
            shown = "; ".join(p.describe(with_file=False) for p in warned[:3])
            more = f"; and {len(warned) - 3} more" if len(warned) > 3 else ""
            notices.append(
                f"{len(warned)} validation warning(s): {shown}{more}. "
                f"Run `nhri-capacity validate {path}` for the full report."
            )
    if meta["unknown_columns"]:
        notices.insert(0, "Ignored columns not in the codebook: " + ", ".join(meta["unknown_columns"]) + ".")
    synthetic = bool(meta["synthetic"]) or is_synthetic(frame)
    frame.attrs["survey"] = {
        "source": meta["source"],
        "sha256": meta["sha256"],
        "format": meta["format"],
        "synthetic": synthetic,
        "file_label": meta["file_label"],
        "n_rows": int(len(frame)),
        "notices": list(meta["notices"]) + notices,
        "missing_codes": missing_counts,
    }
    if set_aside:
        frame.attrs["survey"]["set_aside"] = set_aside
        frame.attrs["survey"]["notices"].append(
            f"Set aside {len(set_aside)} institution(s) with errors in their rows: "
            + ", ".join(sorted(set_aside)) + f". Run `nhri-capacity validate {path}` for the full report."
        )
    return frame


def _set_aside_rows(raw: pd.DataFrame, errors, cb):
    """Drop the rows of every institution that has a row with an error.

    An institution's answers are combined across its respondents, so one
    broken row would bias the whole institution: all its rows go.
    """
    inst_col, country_col = cb.institution_variable, cb.country_variable
    bad_rows = {p.row for p in errors}
    at_bad = raw.loc[raw.index.isin(bad_rows)]
    bad_inst = {str(v) for v in at_bad.get(inst_col, pd.Series(dtype=object)) if not _is_blank(v)}
    drop = raw.index.isin(bad_rows)
    if inst_col in raw:
        drop |= raw[inst_col].map(lambda v: not _is_blank(v) and str(v) in bad_inst).to_numpy(dtype=bool)
    from ..reference import to_iso3

    set_aside = {}
    for row, record in raw.loc[drop].iterrows():
        inst = record.get(inst_col)
        key = str(inst) if not _is_blank(inst) else f"row {row}"
        entry = set_aside.setdefault(key, {"country": None, "problems": []})
        country = record.get(country_col)
        if entry["country"] is None and not _is_blank(country):
            code = to_iso3(str(country).strip(), strict=False)
            entry["country"] = code if isinstance(code, str) else None
    for p in errors:
        record = raw.loc[p.row] if p.row in raw.index else None
        inst = None if record is None else record.get(inst_col)
        key = str(inst) if not _is_blank(inst) else f"row {p.row}"
        set_aside.setdefault(key, {"country": None, "problems": []})["problems"].append(p.describe(with_file=False))
    return raw.loc[~drop], set_aside


# --------------------------------------------------------------------------
# metadata helpers
# --------------------------------------------------------------------------
def survey_meta(df) -> dict:
    """Return the survey metadata of a frame (``df.attrs["survey"]``) with defaults filled in.

    Examples
    --------
    >>> import pandas as pd
    >>> survey_meta(pd.DataFrame({"a": [1]}))["synthetic"]
    False
    """
    out = {
        "source": None,
        "sha256": None,
        "format": None,
        "synthetic": False,
        "file_label": None,
        "n_rows": int(len(df)),
        "notices": [],
        "missing_codes": {},
    }
    out.update(dict(df.attrs.get("survey") or {}))
    return out


def is_synthetic(df) -> bool:
    """True when a survey (or scores) frame holds synthetic, illustrative data.

    Looks at ``attrs["survey"]["synthetic"]``, ``attrs["synthetic"]`` (scores
    frames) and a ``synthetic_data`` column equal to 1 on every row.

    Examples
    --------
    >>> import pandas as pd
    >>> is_synthetic(pd.DataFrame({"synthetic_data": [1, 1]}))
    True
    >>> is_synthetic(pd.DataFrame({"synthetic_data": [1, 0]}))
    False
    """
    if (df.attrs.get("survey") or {}).get("synthetic") or df.attrs.get("synthetic"):
        return True
    if "synthetic_data" in getattr(df, "columns", ()) and len(df):
        values = pd.to_numeric(pd.Series(df["synthetic_data"], dtype=object), errors="coerce")
        return bool((values == 1).all())
    return False


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def _numeric_column(df, column, item):
    out = []
    for row, v in zip(range(1, len(df) + 1), df[column]):
        try:
            x = _parse_number(v, percent=item.type == "percent")
        except ValueError:
            raise SurveyValidationError(
                f"Cannot write column {column!r}: row {row} holds {_format_value(v)!r}, "
                "expected a number or a missing-data code."
            ) from None
        out.append(np.nan if x is None else x)
    return np.array(out, dtype="float64")


def _frame_to_write(df: pd.DataFrame, cb: Codebook, synthetic: bool):
    """The columns to write, typed for writing: {column: (item or None, values)}."""
    s = _schema(cb)
    df = df.copy()
    for item in cb:
        if item.type == "multi_select" and item.name in df.columns:
            split = list(cb.multi_select_columns(item.name))
            if not any(c in df.columns for c in split):
                for c, values in _expand_multi(df.astype(object), item, s, cb).items():
                    df[c] = values
    if synthetic:
        df["synthetic_data"] = 1
    columns = [c for c in s.columns if c in df.columns]
    out = {}
    for column in columns:
        if column == COUNTRY_INPUT:
            out[column] = (None, [_parse_text(v) for v in df[column]])
            continue
        item = s.item_of[column]
        if item.is_numeric or item.type == "multi_select":
            out[column] = (item, _numeric_column(df, column, item))
        elif item.type == "date":
            out[column] = (item, [_parse_date(v) if not _is_blank(v) else None for v in df[column]])
        else:
            out[column] = (item, [_parse_text(v) for v in df[column]])
    return out


def _column_label(column, item, cb):
    if item is None:
        return "Country as entered in the survey (before conversion to ISO3)"
    if item.type == "multi_select" and column != item.name:
        choice = column[len(item.name) + 1 :]
        return f"{item.question} - {item.choices[choice]}"
    return item.question


_MEASURE = {
    "binary": "nominal",
    "category": "nominal",
    "multi_select": "nominal",
    "likert5": "ordinal",
    "ordinal3": "ordinal",
    "count": "scale",
    "percent": "scale",
    "integer": "scale",
}


def _write_stat(columns, target: Path, fmt: str, cb: Codebook, synthetic: bool):
    import pyreadstat

    frame = pd.DataFrame(
        {
            c: (pd.Series(v, dtype="float64") if isinstance(v, np.ndarray) else pd.Series(v, dtype=object))
            for c, (_item, v) in columns.items()
        }
    )
    labels, value_labels, missing, formats, measures = {}, {}, {}, {}, {}
    for c, (item, _v) in columns.items():
        label = _column_label(c, item, cb)
        labels[c] = label[:80] if fmt == "dta" else label[:255]
        if item is None:
            continue
        if item.is_numeric or item.type == "multi_select":
            vl = cb.value_labels(item.name)
            if item.type == "multi_select":
                vl.update(cb.missing_codes)
            if item.choices is not None or item.type == "multi_select":
                value_labels[c] = {int(k): str(v) for k, v in vl.items()}
            else:
                # counts and percentages: only the missing-data codes carry labels
                value_labels[c] = {int(k): str(v) for k, v in cb.missing_codes.items()}
            codes = sorted(cb.missing_codes)
            missing[c] = codes if len(codes) <= 3 else [{"lo": min(codes), "hi": max(codes)}]
            whole = item.type not in {"count", "percent"}
            formats[c] = "F8.0" if whole else "F10.2"
            measures[c] = _MEASURE.get(item.type, "scale")
        elif item.type == "date":
            formats[c] = "DATE11" if fmt == "sav" else "%td"
        else:
            measures[c] = "nominal"
    file_label = SYNTHETIC_FILE_LABEL if synthetic else ""
    if fmt == "sav":
        pyreadstat.write_sav(
            frame,
            str(target),
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_format=formats,
            variable_measure=measures,
        )
    else:
        pyreadstat.write_dta(
            frame,
            str(target),
            file_label=file_label,
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_format={c: f for c, f in formats.items() if f.startswith("%")},
        )


def _cell(value):
    """A value as it should go into a CSV or Excel cell (integers without '.0')."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def _write_csv(columns, target: Path):
    frame = pd.DataFrame(
        {
            c: pd.Series(
                [
                    "" if _cell(x) is None else (x.isoformat() if isinstance(x, dt.date) else str(_cell(x)))
                    for x in v
                ],
                dtype=object,
            )
            for c, (_item, v) in columns.items()
        }
    )
    frame.to_csv(target, index=False, encoding="utf-8", lineterminator="\n")


def _write_xlsx(columns, target: Path, synthetic: bool):
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    names = list(columns)
    ws.append(names)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    n = len(next(iter(columns.values()))[1]) if columns else 0
    for i in range(n):
        for j, c in enumerate(names, start=1):
            value = _cell(columns[c][1][i])
            if isinstance(value, np.generic):
                value = value.item()
            cell = ws.cell(row=i + 2, column=j, value=value)
            if isinstance(value, str) and value.startswith("="):
                # free text starting with '=' must stay text, never become a formula
                cell.data_type = "s"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    if synthetic:
        about = wb.create_sheet("about")
        about["A1"] = SYNTHETIC_FILE_LABEL
    wb.save(target)


def _write_parquet(columns, target: Path, synthetic: bool):
    data = {}
    for c, (item, v) in columns.items():
        if isinstance(v, np.ndarray):
            data[c] = pd.array([pd.NA if math.isnan(x) else x for x in v], dtype="Float64")
        elif item is not None and item.type == "date":
            data[c] = pd.to_datetime(pd.Series(v, dtype=object)).astype("datetime64[ns]").array
        else:
            data[c] = pd.array(v, dtype="string")
    frame = pd.DataFrame(data)
    frame.attrs["survey"] = {
        "synthetic": bool(synthetic),
        "file_label": SYNTHETIC_FILE_LABEL if synthetic else None,
    }
    frame.to_parquet(target, index=False)


def write_survey(df, path, *, codebook=None, synthetic=None) -> Path:
    """Write a survey frame to ``.sav``, ``.dta``, ``.csv``, ``.xlsx`` or ``.parquet``.

    Only codebook variables (and ``country_input``) are written, in codebook
    order; personal-data columns never are. Missing values (``<NA>``) become
    system-missing in SPSS/Stata and empty cells in CSV/Excel; -7/-8/-9 left in
    numeric columns are written as they are (SPSS declares them user-missing).
    SPSS and Stata files carry the question texts as variable labels (cut to
    80 characters for Stata) and the codebook's value labels, including the
    missing-data codes. The file is written atomically: it appears complete
    or not at all.

    Parameters
    ----------
    df : pandas.DataFrame
        A survey frame (e.g. from :func:`read_survey` or the sample generator).
    path : str or Path
        Target file; the suffix chooses the format.
    codebook : Codebook, str or Path, optional
        The codebook (the bundled one by default).
    synthetic : bool, optional
        Mark the file as synthetic: ``synthetic_data`` is set to 1 on every row
        and SPSS/Stata files get the file label
        ``'SYNTHETIC SAMPLE - illustrative data, not real survey results'``.
        Default: :func:`is_synthetic` of *df*. ``False`` does not clear a
        ``synthetic_data`` column that is already 1 everywhere: such a file
        still reads back as synthetic.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OutputFormatError
        If the suffix is not one of the supported formats.
    SurveyValidationError
        If a numeric column holds text that is not a number.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> df = pd.DataFrame({"resp_id": ["R1"], "inst_id": ["I1"], "country": ["NAM"],
    ...                    "inst_name": ["Ombudsman"], "ch1_complaints_open": [1.0]})
    >>> out = write_survey(df, pathlib.Path(tempfile.mkdtemp()) / "s.sav", synthetic=True)
    >>> read_survey(out)["synthetic_data"].tolist(), read_survey(out).attrs["survey"]["file_label"]
    ([1.0], 'SYNTHETIC SAMPLE - illustrative data, not real survey results')
    """
    path = Path(path)
    suffix = path.suffix.casefold()
    if suffix not in WRITE_FORMATS:
        raise OutputFormatError(
            f"Cannot write {path}: files ending in {path.suffix or '(no extension)'!r} are not "
            f"supported. Use {_ACCEPTED}."
        )
    fmt = WRITE_FORMATS[suffix]
    cb = _resolve_codebook(codebook)
    synthetic = is_synthetic(df) if synthetic is None else bool(synthetic)
    columns = _frame_to_write(df, cb, synthetic)
    if not columns:
        raise NHRICapacityError(
            f"Nothing to write to {path}: the frame has no codebook variables "
            f"(columns: {', '.join(map(str, df.columns[:10]))})."
        )
    with atomic_path(path) as tmp:
        if fmt in {"sav", "dta"}:
            _write_stat(columns, tmp, fmt, cb, synthetic)
        elif fmt == "csv":
            _write_csv(columns, tmp)
        elif fmt == "xlsx":
            _write_xlsx(columns, tmp, synthetic)
        else:
            _write_parquet(columns, tmp, synthetic)
    return path
