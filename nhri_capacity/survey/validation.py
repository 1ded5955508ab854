"""Check a survey file against the codebook before it is scored.

:func:`validate_survey` returns a list of
:class:`~nhri_capacity.survey.problems.Problem` records, one per issue, each
naming the row, the respondent, the column, the value found and what was
expected. :func:`validate_command` is what ``nhri-capacity validate FILE``
runs: it prints them with :func:`~nhri_capacity.survey.problems.format_report`.

Severities (``error``, ``warning``, ``info``) and the checks behind each are
listed in :mod:`nhri_capacity.survey.problems`.

Row numbers
-----------
``Problem.row`` is the row number a user sees when opening the file: in CSV
and Excel files the header is row 1, so the first respondent is row 2; in
SPSS, Stata and Parquet files the first respondent is case 1. For a DataFrame
it is the index when the index is named ``row`` (as in
:func:`~nhri_capacity.survey.files.read_survey_raw`), else the 1-based position.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from ..errors import CountryNotFoundError, SurveyReadError
from ..reference import to_iso3
from .codebook import resolve_codebook
from .files import read_survey_raw
from .metadata import without_attrs
from .parsing import format_value, is_blank_cell, parse_date, parse_number, parse_text
from .problems import SEVERITIES, Problem, format_report
from .schema import frame_from_columns, multi_answer, schema

__all__ = ["validate_survey", "validate_command"]

_RANK = {s: i for i, s in enumerate(SEVERITIES)}


# --------------------------------------------------------------------------
# wording
# --------------------------------------------------------------------------
def _missing_codes_text(cb) -> str:
    return ", ".join(f"{code} = {label.lower()}" for code, label in sorted(cb.missing_codes.items(), reverse=True))


def _expected(item, cb, *, column=None) -> str:
    codes = f" (or a missing-data code: {_missing_codes_text(cb)})"
    if item.type == "multi_select" and column != item.name:
        return "1 (selected) or 0 (not selected)" + codes
    if item.type == "multi_select":
        names = ", ".join(item.choices)
        return f"choice names separated by spaces, from: {names}"
    if item.valid_codes is not None:
        choices = ", ".join(f"{k} = {v}" for k, v in item.choices.items())
        return f"one of {choices}" + codes
    if item.type == "date":
        return "a date written YYYY-MM-DD (e.g. 2024-03-31)"
    if item.min is None or item.max is None:
        return "a number" + codes
    lo, hi = f"{item.min:g}", f"{item.max:g}"
    if item.type == "integer":
        return f"a whole number from {lo} to {hi}" + codes
    if item.type == "percent":
        return f"a percentage from {lo} to {hi} (without the % sign)" + codes
    if item.type == "count":
        return f"a number from {lo} to {hi}" + codes
    return "a value"


def _q(value) -> str:
    return repr(format_value(value))


# --------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------
def _prepare(df: pd.DataFrame, cb):
    """Map a user's DataFrame (or a raw frame, again: mapping is idempotent) onto the codebook."""
    s = schema(cb)
    meta = dict(df.attrs.get("survey") or {})
    df = without_attrs(df)
    if df.index.name == "row" and {"columns", "unknown_columns", "pii_dropped"} <= set(meta):
        return df, meta  # already mapped by read_survey_raw
    frame = pd.DataFrame(
        {i: df.iloc[:, i].astype(object).to_numpy() for i in range(df.shape[1])},
        index=df.index if df.index.name == "row" else pd.RangeIndex(1, len(df) + 1, name="row"),
    )
    notices: list = []
    mapped, mapping = frame_from_columns(list(df.columns), frame, s, {}, notices)
    mapped.index.name = "row"
    meta["pii_dropped"] = list(dict.fromkeys(list(meta.get("pii_dropped") or []) + mapping["pii_dropped"]))
    meta["duplicate_columns"] = list(meta.get("duplicate_columns") or []) + mapping["duplicate_columns"]
    meta["unknown_columns"] = mapping["unknown_columns"]
    meta["columns"] = {**mapping["columns"], **(meta.get("columns") or {})}
    return mapped, meta


class _Checker:
    def __init__(self, raw: pd.DataFrame, meta: dict, cb, missing_threshold: float):
        self.raw = raw
        self.meta = meta
        self.cb = cb
        self.s = schema(cb)
        self.threshold = missing_threshold
        self.file = meta.get("source")
        self.rows = [int(r) for r in raw.index]
        self.n = len(raw)
        self.problems: list = []
        self.respondents = [None] * self.n
        for var in (cb.institution_variable, cb.id_variable):
            if var in raw.columns:
                for i, v in enumerate(raw[var]):
                    text = parse_text(v)
                    if text is not None:
                        self.respondents[i] = text
        order = list(raw.columns)
        self.col_pos = {c: i for i, c in enumerate(order)}

    def add(self, severity, message, *, i=None, column=None, value=None, expected=None):
        value = None if value is None else format_value(value) if not isinstance(value, str) else value
        self.problems.append(
            Problem(
                severity=severity,
                file=self.file,
                row=None if i is None else self.rows[i],
                respondent=None if i is None else self.respondents[i],
                column=column,
                value=value,
                expected=expected,
                message=message,
            )
        )

    def header_of(self, column) -> str:
        header = (self.meta.get("columns") or {}).get(column)
        return f" (header {header!r})" if header and header.strip().casefold() != column else ""

    def reject(self, i, column, value, what, expected):
        """An error for one cell: '<what> (header ...); expected <expected>.'"""
        self.add("error", f"{what}{self.header_of(column)}; expected {expected}.",
                 i=i, column=column, value=value, expected=expected)

    # -- whole-file checks --------------------------------------------------
    def structure(self):
        cb, s = self.cb, self.s
        pii = self.meta.get("pii_dropped") or []
        if pii:
            self.add(
                "info",
                "Personal data: dropped when reading, never used or written.",
                column=", ".join(pii),
            )
        for dup in self.meta.get("duplicate_columns") or []:
            if dup["differ"]:
                self.add(
                    "error",
                    f"Columns {dup['kept']!r} and {dup['dropped']!r} both hold {dup['variable']} but "
                    "their values differ. Delete the wrong one.",
                    column=dup["variable"],
                    expected="one column per variable",
                )
            else:
                self.add(
                    "warning",
                    f"Columns {dup['kept']!r} and {dup['dropped']!r} both hold {dup['variable']} "
                    f"(same values); {dup['dropped']!r} is ignored.",
                    column=dup["variable"],
                )
        known = list(s.names.values())
        for name in self.meta.get("unknown_columns") or []:
            close = difflib.get_close_matches(str(name).casefold(), known, n=1, cutoff=0.75)
            hint = f" Did you mean {close[0]!r}?" if close else " It is ignored."
            self.add(
                "warning",
                f"Column {name!r} is not a variable of the codebook.{hint}",
                column=name,
                expected="a codebook variable name or question text",
            )
        for var in cb.required_variables:
            if var not in self.raw.columns:
                self.add(
                    "error",
                    f"Required column {var} ({cb[var].question}) is missing from the file. "
                    f"Add a column named {var!r}.",
                    column=var,
                    expected=f"a column named {var!r}",
                )

    # -- cell checks --------------------------------------------------------
    def required_blanks(self):
        for var in self.cb.required_variables:
            if var in self.raw.columns:
                for i, v in enumerate(self.raw[var]):
                    if is_blank_cell(v):
                        self.add(
                            "error",
                            f"{var} is required but empty{self.header_of(var)}.",
                            i=i, column=var, value="", expected="a value",
                        )

    def numeric(self, column, item):
        cb = self.cb
        split = item.type == "multi_select"
        codes = {0, 1} if split else set(item.valid_codes or [])
        expected = _expected(item, cb, column=column)
        where = self.header_of(column)
        for i, v in enumerate(self.raw[column]):
            try:
                x = parse_number(v, percent=item.type == "percent")
            except ValueError as exc:
                reason = str(exc)
                if reason.startswith("text") and (item.choices or split):
                    msg = f"{_q(v)} is neither an answer code nor an answer label of this question"
                else:
                    msg = f"{_q(v)} is {reason}"
                self.reject(i, column, v, msg, expected)
                continue
            if x is None or cb.is_missing_code(x):
                continue
            if codes:
                if not x.is_integer():
                    msg = f"{_q(v)} is not a whole number; answer codes are whole numbers"
                elif int(x) not in codes:
                    msg = f"{_q(v)} is not an answer code of this question"
                else:
                    continue
                self.reject(i, column, v, msg, expected)
            elif item.type == "integer" and not x.is_integer():
                self.reject(i, column, v, f"{_q(v)} is not a whole number", expected)
            elif item.type == "count" and x < 0:
                self.add("error", f"{_q(v)} is a negative count{where}; counts cannot be below 0 "
                         f"(use -7, -8 or -9 for a missing answer).", i=i, column=column, value=v, expected=expected)
            elif item.type == "percent" and not 0 <= x <= 100:
                self.add("error", f"{_q(v)} is not a percentage between 0 and 100{where}.",
                         i=i, column=column, value=v, expected=expected)
            elif item.min is not None and x < item.min or item.max is not None and x > item.max:
                self.reject(i, column, v, f"{_q(v)} is outside the valid range", expected)

    def multi_base(self, item):
        expected = _expected(item, self.cb, column=item.name)
        for i, v in enumerate(self.raw[item.name]):
            kind, payload = multi_answer(v, item, self.s)
            if kind == "bad":
                self.reject(i, item.name, v, f"{_q(v)} is not a list of choices", expected)
            elif kind == "choices" and payload[1]:
                unknown = ", ".join(repr(u) for u in payload[1])
                self.reject(i, item.name, v, f"{unknown} in {_q(v)} is not a choice of this question", expected)

    def dates(self, column, item):
        expected = _expected(item, self.cb)
        for i, v in enumerate(self.raw[column]):
            try:
                parse_date(v)
            except ValueError as exc:
                self.reject(i, column, v, f"{_q(v)} is {exc}", expected)

    def countries(self):
        var = self.cb.country_variable
        if var not in self.raw.columns:
            return
        values = [v for v in self.raw[var] if not is_blank_cell(v)]
        unique = list(dict.fromkeys(str(v).strip() if isinstance(v, str) else v for v in values))
        try:
            to_iso3(unique, strict=True)
            return
        except CountryNotFoundError as exc:
            unmatched = exc.unmatched
        expected = "an English country name, an ISO2 code (NA = Namibia), an ISO3 code or a UN M49 code"
        for i, v in enumerate(self.raw[var]):
            key = str(v).strip() if isinstance(v, str) else v
            if is_blank_cell(v) or key not in unmatched:
                continue
            suggestions = unmatched[key]
            hint = f" Did you mean {' or '.join(repr(x) for x in suggestions)}?" if suggestions else ""
            self.add("error", f"Unknown country {_q(v)}{self.header_of(var)}.{hint} Expected {expected}.",
                     i=i, column=var, value=v, expected=expected)

    def duplicate_ids(self):
        var = self.cb.id_variable
        if var not in self.raw.columns:
            return
        first: dict = {}
        for i, v in enumerate(self.raw[var]):
            text = parse_text(v)
            if text is None:
                continue
            if text in first:
                self.add(
                    "error",
                    f"Respondent id {text!r} is used again (first on row {self.rows[first[text]]}); "
                    "each respondent needs a unique id.",
                    i=i, column=var, value=v, expected="a unique respondent id",
                )
            else:
                first[text] = i

    def consistency(self):
        raw, cb = self.raw, self.cb
        if {"staff_migration", "staff_total"} <= set(raw.columns):
            for i, (mig, tot) in enumerate(zip(raw["staff_migration"], raw["staff_total"], strict=True)):
                try:
                    m, t = parse_number(mig), parse_number(tot)
                except ValueError:
                    continue  # already reported as a wrong type
                if m is None or t is None or cb.is_missing_code(m) or cb.is_missing_code(t):
                    continue
                if m > t:
                    self.add(
                        "error",
                        f"staff_migration ({format_value(m)}) is larger than staff_total "
                        f"({format_value(t)}): staff working on migration are part of the total.",
                        i=i, column="staff_migration", value=mig,
                        expected=f"at most staff_total ({format_value(t)})",
                    )
        k = 1
        while f"gp{k}_title" in cb:
            title, desc = f"gp{k}_title", f"gp{k}_description"
            if title in raw.columns:
                descriptions = raw[desc] if desc in raw.columns else [None] * self.n
                for i, (t, d) in enumerate(zip(raw[title], descriptions, strict=True)):
                    if not is_blank_cell(t) and is_blank_cell(d):
                        self.add(
                            "warning",
                            f"Good practice {k} has a title but no description ({desc} is empty); "
                            "it cannot be shown in the brief without one.",
                            i=i, column=desc, value="", expected="a short description",
                        )
            k += 1

    def missingness(self):
        if self.n == 0:
            return
        cb, raw = self.cb, self.raw
        for item in cb:
            if item.section == "E" or item.name == "synthetic_data":
                continue  # good practices are optional; the flag is blank in real data
            if item.type == "multi_select":
                columns = [c for c in cb.multi_select_columns(item.name) if c in raw.columns]
                if item.name in raw.columns:
                    columns.append(item.name)
            elif item.is_numeric and item.name in raw.columns:
                columns = [item.name]
            else:
                continue
            if not columns:
                continue
            flags = [[self._missing(v) for v in raw[c]] for c in columns]
            missing = sum(all(cells) for cells in zip(*flags, strict=True))
            share = missing / self.n
            if share > self.threshold:
                self.add(
                    "warning",
                    f"{missing} of {self.n} answers to {item.name} are missing (blank or -7/-8/-9): "
                    f"{share:.0%}, more than the {self.threshold:.0%} threshold.",
                    column=item.name, value=f"{share:.0%}",
                    expected=f"at most {self.threshold:.0%} missing",
                )

    def _missing(self, v) -> bool:
        if is_blank_cell(v, numeric=True):
            return True
        try:
            return self.cb.is_missing_code(parse_number(v))
        except ValueError:
            return False  # an answer is there, even if invalid (reported elsewhere)

    def run(self) -> list:
        self.structure()
        self.required_blanks()
        for column in self.raw.columns:
            item = self.s.item_of.get(column)
            if item is None or column in self.s.pii:
                continue
            if item.type == "multi_select" and column == item.name:
                self.multi_base(item)
            elif item.is_numeric or item.type == "multi_select":
                self.numeric(column, item)
            elif item.type == "date":
                self.dates(column, item)
        self.countries()
        self.duplicate_ids()
        self.consistency()
        self.missingness()
        pos = self.col_pos
        return sorted(
            self.problems,
            key=lambda p: (
                _RANK.get(p.severity, 9),
                p.row is not None,
                p.row or 0,
                pos.get(p.column, len(pos)),
            ),
        )


def validate_survey(source, *, codebook=None, missing_threshold=0.2) -> list:
    """Check a survey against the codebook.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A survey file (anything :func:`~nhri_capacity.survey.readers.read_survey`
        reads) or a frame, e.g. from
        :func:`~nhri_capacity.survey.files.read_survey_raw`. A file that cannot be
        read is reported as an error, never raised.
    codebook : Codebook, str or Path, optional
        The codebook (the bundled one by default).
    missing_threshold : float, default 0.2
        Warn when more than this share of an item's answers is missing (blank
        or -7/-8/-9). Checked for numeric and select-multiple items present in
        the file, except the optional good practices (section E) and the
        ``synthetic_data`` flag.

    Returns
    -------
    list of Problem
        Errors first, then warnings, then notes; in row order within each.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"resp_id": ["R1", "R1"], "inst_id": ["I1", "I2"],
    ...                    "country": ["Namibia", "Atlantis"], "inst_name": ["A", "B"]})
    >>> for p in validate_survey(df):
    ...     print(p.severity, p.row, p.column, p.value)
    error 2 resp_id R1
    error 2 country Atlantis
    """
    cb = resolve_codebook(codebook)
    if isinstance(source, pd.DataFrame):
        raw, meta = _prepare(source, cb)
    else:
        try:
            raw, meta = read_survey_raw(source, codebook=cb)
        except SurveyReadError as exc:
            return [Problem("error", file=str(source), message=str(exc))]
        raw, meta = _prepare(raw, cb)
    if not (0 <= float(missing_threshold) <= 1):
        raise ValueError(f"missing_threshold must be a share between 0 and 1, not {missing_threshold!r}")
    return _Checker(raw, meta, cb, float(missing_threshold)).run()


def validate_command(path, *, strict=False) -> tuple:
    """Check a survey file for the command line; write nothing.

    Parameters
    ----------
    path : str or Path
        The survey file.
    strict : bool, default False
        Fail on warnings too (notes never fail).

    Returns
    -------
    (int, str)
        Exit code (0 when the file can be scored, 2 when it cannot, or when
        *strict* and there are warnings) and the report text.

    Examples
    --------
    >>> code, report = validate_command("no-such-file.csv")
    >>> code, report.splitlines()[-1]
    (2, '1 error, 0 warnings: no-such-file.csv cannot be scored until the errors are fixed.')
    """
    problems = validate_survey(Path(path))
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = sum(p.severity == "warning" for p in problems)
    code = 2 if n_err or (strict and n_warn) else 0
    return code, format_report(problems, path=path, strict=strict)
