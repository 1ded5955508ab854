"""Write a survey frame to SPSS, Stata, CSV, Excel or Parquet.

:func:`write_survey` writes what :func:`nhri_capacity.survey.readers.read_survey`
reads back: codebook variables only, in codebook order, never personal data,
with the codebook's question texts and value labels in SPSS and Stata files.

CSV and Excel files are made safe to open in a spreadsheet: free text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets an
apostrophe in front (:mod:`nhri_capacity.common.spreadsheet`), which the
survey readers remove again, and no Excel cell is a formula. Numeric columns
(answer codes, counts, ``-7``/``-8``/``-9``) are written as numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.io import atomic_path
from ..common.spreadsheet import CSV_LINE_END, neutralise_text, xlsx_text
from ..common.values import is_missing
from ..errors import NHRICapacityError, OutputFormatError, SurveyValidationError
from .codebook import Codebook, resolve_codebook
from .files import ACCEPTED_FORMATS, READ_FORMATS
from .metadata import SYNTHETIC_FILE_LABEL, is_synthetic
from .parsing import format_value, is_blank_cell, parse_date, parse_number, parse_text
from .schema import COUNTRY_INPUT, expand_multi, schema

__all__ = ["write_survey", "WRITE_FORMATS"]

#: File suffix -> format name, for the files :func:`write_survey` writes.
WRITE_FORMATS = dict(READ_FORMATS)


def _numeric_column(df, column, item):
    out = []
    for row, v in zip(range(1, len(df) + 1), df[column], strict=True):
        try:
            x = parse_number(v, percent=item.type == "percent")
        except ValueError:
            raise SurveyValidationError(
                f"Cannot write column {column!r}: row {row} holds {format_value(v)!r}, "
                "expected a number or a missing-data code."
            ) from None
        out.append(np.nan if x is None else x)
    return np.array(out, dtype="float64")


def _frame_to_write(df: pd.DataFrame, cb: Codebook, synthetic: bool):
    """The columns to write, typed for writing: {column: (item or None, values)}."""
    s = schema(cb)
    df = df.copy()
    for item in cb:
        if item.type == "multi_select" and item.name in df.columns:
            split = list(cb.multi_select_columns(item.name))
            if not any(c in df.columns for c in split):
                for c, values in expand_multi(df.astype(object), item, s).items():
                    df[c] = values
    if synthetic:
        df["synthetic_data"] = 1
    columns = [c for c in s.columns if c in df.columns]
    out = {}
    for column in columns:
        if column == COUNTRY_INPUT:
            out[column] = (None, [parse_text(v) for v in df[column]])
            continue
        item = s.item_of[column]
        if item.is_numeric or item.type == "multi_select":
            out[column] = (item, _numeric_column(df, column, item))
        elif item.type == "date":
            out[column] = (item, [parse_date(v) if not is_blank_cell(v) else None for v in df[column]])
        else:
            out[column] = (item, [parse_text(v) for v in df[column]])
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
    if is_missing(value):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return value


def _neutralised(columns):
    """The columns with their text made safe for a spreadsheet; numeric columns as they are."""
    return {
        c: (item, v if isinstance(v, np.ndarray) else [neutralise_text(x) for x in v])
        for c, (item, v) in columns.items()
    }


def _write_csv(columns, target: Path):
    columns = _neutralised(columns)
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
    frame.to_csv(target, index=False, encoding="utf-8", lineterminator=CSV_LINE_END)


def _write_xlsx(columns, target: Path, synthetic: bool):
    import openpyxl
    from openpyxl.styles import Font

    columns = _neutralised(columns)
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
            value = xlsx_text(_cell(columns[c][1][i]))
            if isinstance(value, np.generic):
                value = value.item()
            cell = ws.cell(row=i + 2, column=j, value=value)
            if isinstance(value, str):
                # openpyxl would take text starting with '=' for a formula
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
            data[c] = pd.array([pd.NA if is_missing(x) else x for x in v], dtype="Float64")
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
    missing-data codes. In CSV and Excel files, free text that a spreadsheet
    would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return) gets an apostrophe in front, and no Excel cell is a
    formula; :func:`~nhri_capacity.survey.readers.read_survey` removes the
    apostrophe, so the text reads back as it was. The file is written
    atomically: it appears complete or not at all.

    Parameters
    ----------
    df : pandas.DataFrame
        A survey frame (e.g. from :func:`~nhri_capacity.survey.readers.read_survey`
        or the sample generator).
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
    >>> from nhri_capacity.survey import read_survey
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
            f"supported. Use {ACCEPTED_FORMATS}."
        )
    fmt = WRITE_FORMATS[suffix]
    cb = resolve_codebook(codebook)
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
