"""Read survey files into the survey frame.

:func:`read_survey` turns an SPSS (``.sav``), Stata (``.dta``), CSV, Excel
(``.xlsx``) or Parquet file into the *survey frame* described in
``docs/architecture.md``: one row per respondent, one column per codebook
variable, numeric items as ``Float64`` with the missing-data codes (-7, -8, -9)
turned into ``<NA>``, ``country`` as ISO3 and personal data dropped.

The stages, one module each, depend on each other one way only:
:mod:`~nhri_capacity.survey.parsing` (cell values) and
:mod:`~nhri_capacity.survey.schema` (file columns and labels onto the codebook)
<- :mod:`~nhri_capacity.survey.files` (:func:`read_survey_raw`: the file as
typed) <- :mod:`~nhri_capacity.survey.validation` (the checks) <- this module
(the typed frame). :mod:`~nhri_capacity.survey.writers` writes frames back out.
"""

from __future__ import annotations

import pandas as pd

from ..common.values import is_missing
from ..errors import SurveyValidationError
from ..reference import to_iso3
from .codebook import Codebook, resolve_codebook
from .files import read_survey_raw
from .metadata import is_synthetic, without_attrs
from .parsing import is_blank_cell, parse_date, parse_number, parse_text
from .schema import COUNTRY_INPUT, expand_multi, schema
from .validation import validate_survey

__all__ = ["read_survey"]


def _to_survey_frame(raw: pd.DataFrame, meta: dict, cb: Codebook):
    """Convert a raw frame into the typed survey frame; return (frame, missing_counts, notices)."""
    s = schema(cb)
    n = len(raw)
    data: dict = {}
    # variable -> rows answered with -7/-8/-9 (a multi-select item counts once per row)
    code_rows: dict = {}
    unreadable: dict = {}
    expanded = {}
    for item in cb:
        if item.type == "multi_select" and item.name in raw.columns:
            expanded.update(expand_multi(raw, item, s))
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
                    x = parse_number(v, percent=item.type == "percent")
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
                    out.append(parse_date(v))
                except ValueError:
                    out.append(None)
                    unreadable[column] = unreadable.get(column, 0) + 1
            data[column] = pd.to_datetime(pd.Series(out, dtype=object)).astype("datetime64[ns]").array
        else:
            data[column] = pd.array([parse_text(v) for v in values], dtype="string")
    country = cb.country_variable
    notices = []
    if country in data:
        if COUNTRY_INPUT in raw.columns:
            entered = pd.array([parse_text(v) for v in raw[COUNTRY_INPUT]], dtype="string")
        else:
            entered = data[country]
        as_text = [None if is_missing(v) else v for v in data[country]]
        codes = to_iso3(as_text, strict=False)
        n_unmatched = sum(1 for a, b in zip(as_text, codes, strict=True) if a is not None and is_missing(b))
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
    cb = resolve_codebook(codebook)
    raw, meta = read_survey_raw(path, codebook=cb)
    set_aside = {}
    if validate:
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
    frame, missing_counts, notices = _to_survey_frame(without_attrs(raw), meta, cb)
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
    bad_inst = {str(v) for v in at_bad.get(inst_col, pd.Series(dtype=object)) if not is_blank_cell(v)}
    drop = raw.index.isin(bad_rows)
    if inst_col in raw:
        drop |= raw[inst_col].map(lambda v: not is_blank_cell(v) and str(v) in bad_inst).to_numpy(dtype=bool)
    set_aside = {}
    for row, record in raw.loc[drop].iterrows():
        inst = record.get(inst_col)
        key = str(inst) if not is_blank_cell(inst) else f"row {row}"
        entry = set_aside.setdefault(key, {"country": None, "problems": []})
        country = record.get(country_col)
        if entry["country"] is None and not is_blank_cell(country):
            code = to_iso3(str(country).strip(), strict=False)
            entry["country"] = code if isinstance(code, str) else None
    for p in errors:
        record = raw.loc[p.row] if p.row in raw.index else None
        inst = None if record is None else record.get(inst_col)
        key = str(inst) if not is_blank_cell(inst) else f"row {p.row}"
        set_aside.setdefault(key, {"country": None, "problems": []})["problems"].append(p.describe(with_file=False))
    return raw.loc[~drop], set_aside
