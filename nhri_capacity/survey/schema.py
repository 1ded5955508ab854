"""How the columns and answer labels of a survey file map onto the codebook.

Files exported from KoboToolbox or ODK are understood as they come: column
names in any case, with group prefixes (``c1_case_handling/ch1_complaints_open``),
question texts as headers, choice labels instead of codes ("Yes", "Don't know"),
and select-multiple answers either as one space-separated column or as one 0/1
column per choice. Kobo's bookkeeping columns (``_id``, ``_uuid``, ``start``...)
are ignored.

:func:`schema` turns a codebook into the lookup tables for this;
:func:`frame_from_columns` maps a frame of file columns onto codebook
variables, values untouched except labels replaced by their codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.values import is_missing
from .codebook import Codebook, Item
from .parsing import is_blank_cell, norm_key, parse_number, parse_text

__all__ = [
    "COUNTRY_INPUT",
    "Schema",
    "schema",
    "classify_header",
    "frame_from_columns",
    "multi_answer",
    "expand_multi",
]

#: Extra column keeping the country exactly as entered (``country`` becomes ISO3).
COUNTRY_INPUT = "country_input"

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
_TRUE_FALSE = {"true": 1, "false": 0, "selected": 1, "not selected": 0, "yes": 1, "no": 0}


@dataclass
class Schema:
    """The codebook as lookup tables for mapping files (built by :func:`schema`)."""

    cb: Codebook
    columns: list = field(default_factory=list)  # survey-frame columns, no PII
    item_of: dict = field(default_factory=dict)  # column (incl. PII, multi base) -> Item
    names: dict = field(default_factory=dict)  # norm key of a column name -> column
    labels: dict = field(default_factory=dict)  # norm key of a question text -> item name
    multi_choice: dict = field(default_factory=dict)  # multi item -> norm key -> split column
    value_maps: dict = field(default_factory=dict)  # column -> norm label -> code
    pii: frozenset = frozenset()


_SCHEMAS: dict = {}


def schema(cb: Codebook) -> Schema:
    """The lookup tables of *cb*, built once per codebook.

    Examples
    --------
    >>> from nhri_capacity.survey.codebook import load_codebook
    >>> s = schema(load_codebook())
    >>> s.names["ch1_complaints_open"], s.value_maps["ch1_complaints_open"]["yes"]
    ('ch1_complaints_open', 1)
    """
    cached = _SCHEMAS.get(id(cb))
    if cached is not None and cached.cb is cb:
        return cached
    s = Schema(cb=cb, pii=frozenset(cb.pii_variables))
    for item in cb:
        s.item_of[item.name] = item
        s.names[norm_key(item.name)] = item.name
        s.labels.setdefault(norm_key(item.question), item.name)
        if item.type == "multi_select":
            choices = {}
            for column, choice in cb.multi_select_columns(item.name).items():
                s.item_of[column] = item
                s.names[norm_key(column)] = column
                choices[norm_key(choice)] = column
                choices[norm_key(item.choices[choice])] = column
                # some exports put the choice itself in its column when selected
                s.value_maps[column] = {
                    **_TRUE_FALSE, norm_key(choice): 1, norm_key(item.choices[choice]): 1
                }
            s.multi_choice[item.name] = choices
        elif item.is_numeric:
            vmap = {norm_key(label): int(code) for code, label in (item.choices or {}).items()}
            vmap.update({norm_key(label): int(code) for code, label in cb.missing_codes.items()})
            if item.type == "binary":
                vmap.update({k: v for k, v in _TRUE_FALSE.items() if k not in vmap})
            s.value_maps[item.name] = vmap
    s.names[norm_key(COUNTRY_INPUT)] = COUNTRY_INPUT
    s.columns = cb.columns()
    country = cb.country_variable
    if country in s.columns:
        s.columns.insert(s.columns.index(country) + 1, COUNTRY_INPUT)
    _SCHEMAS[id(cb)] = s
    return s


def classify_header(header, s: Schema):
    """Return ``(kind, column)`` for one file header.

    kind is ``"var"`` (a codebook column or ``country_input``), ``"meta"``
    (Kobo/ODK bookkeeping, ignored), ``"blank"`` (no header) or ``"unknown"``.

    Examples
    --------
    >>> from nhri_capacity.survey.codebook import load_codebook
    >>> s = schema(load_codebook())
    >>> classify_header("c1_case_handling/CH1_complaints_open", s), classify_header("_uuid", s)
    (('var', 'ch1_complaints_open'), ('meta', None))
    """
    if is_missing(header):
        return "blank", None
    raw = str(header).strip()
    if not raw:
        return "blank", None
    key = norm_key(raw)
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
        parts = [norm_key(p) for p in raw.split(sep)]
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


def _map_values(values: pd.Series, column: str, s: Schema, file_labels: dict | None) -> pd.Series:
    """Replace choice labels ("Yes", "Don't know") by their codes; leave everything else."""
    vmap = dict(s.value_maps.get(column, {}))
    if file_labels:
        # labels stored in the file itself (SPSS/Stata value labels) win
        for code, label in file_labels.items():
            try:
                code = float(code)
            except (TypeError, ValueError):
                continue
            vmap[norm_key(label)] = int(code) if code.is_integer() else code
    if not vmap:
        return values
    is_binary = column in s.multi_choice or s.item_of[column].type in {"binary", "multi_select"}

    def one(v):
        if isinstance(v, (bool, np.bool_)) and is_binary:
            return int(v)
        if isinstance(v, str) and not is_blank_cell(v):
            return vmap.get(norm_key(v), v)
        return v

    return values.map(one).astype(object)


def frame_from_columns(headers, frame, s: Schema, file_labels: dict, notices: list):
    """Map file headers onto codebook columns; return (mapped frame, details).

    *frame* has positional columns (``0, 1, ...``) in the order of *headers*;
    *file_labels* maps a header to the value labels stored in the file.
    Personal-data columns are dropped (with a line added to *notices*),
    unknown columns keep their header, and a variable given twice keeps its
    first column. The details are ``columns`` (variable -> header),
    ``unknown_columns``, ``pii_dropped`` and ``duplicate_columns``.
    """
    mapped: dict = {}
    original: dict = {}
    unknown, pii, duplicates = [], [], []
    for pos, header in enumerate(headers):
        kind, column = classify_header(header, s)
        values = frame[pos]
        if kind == "meta":
            continue
        if kind == "blank":
            if all(is_blank_cell(v) for v in values):
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
            first = mapped[column].map(parse_text)
            differ = not first.equals(values.map(parse_text))
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


# --------------------------------------------------------------------------
# select-multiple answers given as one column
# --------------------------------------------------------------------------
def _multi_tokens(value, item: Item, s: Schema):
    """Split a space-separated select-multiple answer; return (choices, unknown words)."""
    lookup = s.multi_choice[item.name]
    text = norm_key(value)
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


def multi_answer(value, item: Item, s: Schema):
    """Read one space-separated select-multiple answer.

    Returns ``(kind, payload)``: ``("blank", None)``, ``("code", -8)`` for a
    missing-data code (or its label), ``("choices", (chosen, unknown))``, or
    ``("bad", None)`` for a number that is not a missing-data code.

    Examples
    --------
    >>> from nhri_capacity.survey.codebook import load_codebook
    >>> cb = load_codebook()
    >>> multi_answer("budget mandate", cb["constraints"], schema(cb))
    ('choices', (['constraints_budget', 'constraints_mandate'], []))
    >>> multi_answer("Don't know", cb["constraints"], schema(cb))
    ('code', -8)
    """
    cb = s.cb
    if is_blank_cell(value):
        return "blank", None
    try:
        number = parse_number(value)
    except ValueError:
        number = None
    if number is not None:
        return ("code", number) if cb.is_missing_code(number) else ("bad", None)
    missing = {norm_key(label): code for code, label in cb.missing_codes.items()}
    key = norm_key(value)
    if key in missing:
        return "code", missing[key]
    return "choices", _multi_tokens(value, item, s)


def expand_multi(raw: pd.DataFrame, item: Item, s: Schema):
    """0/1 values of each choice column, from the space-separated answer column.

    Returns {column: list of values}. A blank answer leaves every choice
    missing; a missing-data code is copied into every choice column.
    """
    columns = list(s.cb.multi_select_columns(item.name))
    out = {c: [] for c in columns}
    for v in raw[item.name]:
        kind, payload = multi_answer(v, item, s)
        for c in columns:
            if kind == "code":
                out[c].append(payload)
            elif kind == "choices":
                out[c].append(1 if c in payload[0] else 0)
            else:
                out[c].append(None)
    return out
