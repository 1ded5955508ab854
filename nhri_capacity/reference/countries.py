"""Country names and codes: names, ISO2, ISO3 and UN M49 codes to ISO3, and back.

Matching uses the country list shipped with ``country_converter`` (coco), read
once into dictionaries: an exact match on a normalised key (case, accents,
``&``/``and`` and punctuation ignored) handles almost every input in
microseconds, and coco's regular expressions are tried only for what is left
(e.g. ``"Bolivia (Plurinational State of)"`` or ``"East Timor"``). coco's own
``CountryConverter`` class is not used: it is slow per call and, with some
pandas versions, fails to load its table.

Namibia's ISO2 code is ``"NA"``; nothing here ever treats the *string* "NA" as
a missing value.

:func:`country_lookup` (the tables) and :func:`map_iso3` (any per-country
value, shaped like the input) also serve the other reference modules; a
country's region is in :mod:`nhri_capacity.reference.regions`, which needs the
migrant-stock table.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.values import is_missing as _is_missing
from ..errors import CountryNotFoundError

__all__ = ["to_iso3", "country_name", "m49_of"]

# UN M49 codes coco does not carry. The UN workbook lists Taiwan under code 158
# ("China, Taiwan Province of China"); coco has TWN but no UN code for it.
# Channel Islands (830) is deliberately absent: it has no ISO 3166 alpha-3 code
# (coco's "CHI" is a World Bank code, marked obsolete), so it maps to NA.
_M49_FALLBACK = {158: "TWN"}

# Names coco's patterns miss, seen in the project's sources.
_EXTRA_NAMES = {
    "east timor": "TLS",
    "china taiwan province of china": "TWN",  # the UN workbook's name
}

_MAX_MEMO = 20_000


def _norm(text: str) -> str:
    """Normalise a name for exact matching: casefold, no accents, no punctuation."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


@dataclass
class CountryLookup:
    """The tables :func:`country_lookup` builds, keyed for exact matching."""

    keys: dict = field(default_factory=dict)  # normalised name / iso2 / iso3 -> ISO3
    m49: dict = field(default_factory=dict)  # int -> ISO3
    m49_of: dict = field(default_factory=dict)  # ISO3 -> int
    names: dict = field(default_factory=dict)  # ISO3 -> short name
    regexes: list = field(default_factory=list)  # (compiled, ISO3)
    suggest: dict = field(default_factory=dict)  # normalised name -> display name
    memo: dict = field(default_factory=dict)  # raw string -> ISO3 or None


@functools.lru_cache(maxsize=1)
def country_lookup() -> CountryLookup:
    """Build the lookup tables once from coco's country list, then return the same object.

    Returns
    -------
    CountryLookup
        ``keys`` (normalised name, ISO2 or ISO3 -> ISO3), ``m49`` (UN M49
        code -> ISO3), ``m49_of`` (ISO3 -> M49), ``names`` (ISO3 -> short
        name), ``regexes``, ``suggest`` and ``memo`` (used by :func:`to_iso3`).

    Examples
    --------
    >>> country_lookup().m49[484], country_lookup().names["NAM"]
    ('MEX', 'Namibia')
    """
    from country_converter import country_converter as _coco

    data = pd.read_csv(
        _coco.COUNTRY_DATA_FILE, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    # Obsolete entries (USSR, Netherlands Antilles, Channel Islands...) would
    # turn today's names into codes that no current table uses.
    data = data[data["obsolete"].str.strip() == ""]

    lk = CountryLookup()
    for row in data.itertuples(index=False):
        iso3 = row.ISO3.split("|")[0].strip().upper()
        if not iso3:
            continue
        lk.names[iso3] = row.name_short
        for name in (row.name_short, row.name_official):
            if name:
                lk.keys.setdefault(_norm(name), iso3)
                lk.suggest.setdefault(_norm(name), row.name_short)
        if row.regex:
            lk.regexes.append((re.compile(row.regex, re.IGNORECASE), iso3))
        if row.UNcode.strip():
            lk.m49[int(row.UNcode)] = iso3
            lk.m49_of[iso3] = int(row.UNcode)
    # Codes are added last so that they win over any clash with a name.
    for row in data.itertuples(index=False):
        iso3 = row.ISO3.split("|")[0].strip().upper()
        if iso3:
            lk.keys[iso3.casefold()] = iso3
            # coco writes a few ISO2 entries as patterns, e.g. '^GR$|^EL$'.
            for iso2 in row.ISO2.split("|"):
                iso2 = iso2.strip().strip("^$")
                if iso2:
                    lk.keys[iso2.casefold()] = iso3
    for code, iso3 in _M49_FALLBACK.items():
        lk.m49.setdefault(code, iso3)
        lk.m49_of.setdefault(iso3, code)
    for name, iso3 in _EXTRA_NAMES.items():
        lk.keys.setdefault(_norm(name), iso3)
    return lk


def _match_one(value, lk: CountryLookup):
    """Return the ISO3 code for one input, or None when it cannot be matched."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return lk.m49.get(int(value))
    if isinstance(value, (float, np.floating)):
        return lk.m49.get(int(value)) if float(value).is_integer() else None
    if not isinstance(value, str):
        return None
    if value in lk.memo:
        return lk.memo[value]
    text = value.strip()
    if text.isdigit():
        result = lk.m49.get(int(text))
    else:
        result = lk.keys.get(_norm(text))
        if result is None and text:
            hits = {iso3 for rx, iso3 in lk.regexes if rx.search(text)}
            # Several hits means the name is ambiguous: better unmatched than wrong.
            result = hits.pop() if len(hits) == 1 else None
    if len(lk.memo) < _MAX_MEMO:
        lk.memo[value] = result
    return result


def _suggestions(value, lk: CountryLookup, n: int = 3) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return []
    key = _norm(value)
    close = difflib.get_close_matches(key, list(lk.suggest), n=n * 3, cutoff=0.6)
    out: list[str] = []
    for k in close:
        name = lk.suggest[k]
        if name not in out:
            out.append(name)
    return out[:n]


def _unmatched_error(unmatched: list, total: int, lk: CountryLookup) -> CountryNotFoundError:
    details = {}
    lines = []
    for value in unmatched:
        sugg = _suggestions(value, lk)
        details[value] = sugg
        hint = f"did you mean: {', '.join(sugg)}?" if sugg else "no close match"
        lines.append(f"  - {value!r} ({hint})")
    noun = "country name or code" if len(unmatched) == 1 else "country names or codes"
    message = (
        f"Could not match {len(unmatched)} of {total} {noun}:\n"
        + "\n".join(lines)
        + "\nUse an English country name (e.g. 'Germany'), an ISO2 code ('DE'), an ISO3 code "
        "('DEU') or a UN M49 code (276); or pass strict=False to get NA for these."
    )
    return CountryNotFoundError(message, details)


def _values_of(values):
    """Split *values* into (is_scalar, list_of_items)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return True, [values]
    if isinstance(values, (pd.Series, pd.Index, np.ndarray)):
        return False, list(values.tolist())
    return False, list(values)


def _shape_like(values, results: list, *, dtype: str):
    if isinstance(values, pd.Series):
        return pd.Series(pd.array(results, dtype=dtype), index=values.index, name=values.name)
    if isinstance(values, pd.Index):
        return pd.Index(pd.array(results, dtype=dtype), name=values.name)
    return results


def _convert(values, *, strict: bool) -> tuple[bool, list]:
    lk = country_lookup()
    scalar, items = _values_of(values)
    results: list = []
    unmatched: list = []
    for item in items:
        if _is_missing(item):
            results.append(pd.NA)
            continue
        iso3 = _match_one(item, lk)
        if iso3 is None:
            if item not in unmatched:
                unmatched.append(item)
            results.append(pd.NA)
        else:
            results.append(iso3)
    if unmatched and strict:
        raise _unmatched_error(unmatched, len(items), lk)
    return scalar, results


def to_iso3(values, *, strict: bool = True):
    """Convert country names, ISO2, ISO3 or UN M49 codes to ISO3 codes.

    Parameters
    ----------
    values : str, int, list-like or pandas.Series
        One value or many. Each may be an English name (short or official,
        any case, with or without accents), an ISO2 code (``"NA"`` is
        Namibia), an ISO3 code, or a UN M49 code given as an int or a
        numeric string (``484`` or ``"484"``; leading zeros are fine).
    strict : bool, default True
        If True, raise when any value cannot be matched. If False, return NA
        for those values instead.

    Returns
    -------
    str, list or pandas.Series
        A str for a single value, a list for a list/tuple/array, and a
        ``string`` Series with the same index for a Series. Missing inputs
        (None, NaN, ``pd.NA``) give NA and are never an error.

    Raises
    ------
    CountryNotFoundError
        If *strict* and some values are unmatched. The message lists every
        unmatched value with up to three close suggestions; the exception's
        ``unmatched`` attribute maps each value to its suggestions.

    Examples
    --------
    >>> to_iso3("Mexico")
    'MEX'
    >>> to_iso3(["Germany", "NA", "FRA", 484, "276"])
    ['DEU', 'NAM', 'FRA', 'MEX', 'DEU']
    >>> to_iso3(["Germny"], strict=False)
    [<NA>]
    """
    scalar, results = _convert(values, strict=strict)
    if scalar:
        return results[0]
    return _shape_like(values, results, dtype="string")


def map_iso3(values, fn, *, strict: bool, dtype: str):
    """Convert *values* to ISO3 (as :func:`to_iso3`), then map each code with *fn*.

    Parameters
    ----------
    values : str, int, list-like or pandas.Series
        Anything :func:`to_iso3` accepts.
    fn : callable
        ISO3 code -> value (``pd.NA`` when there is none); never called for
        a missing input.
    strict : bool
        As in :func:`to_iso3`.
    dtype : str
        pandas dtype of the result when *values* is a Series or Index.

    Returns
    -------
    scalar, list or pandas.Series
        Shaped like *values* (see :func:`to_iso3`).

    Examples
    --------
    >>> map_iso3(["Mexico", None], lambda c: c.lower(), strict=True, dtype="string")
    ['mex', <NA>]
    """
    scalar, codes = _convert(values, strict=strict)
    results = [pd.NA if _is_missing(c) else fn(c) for c in codes]
    if scalar:
        return results[0]
    return _shape_like(values, results, dtype=dtype)


def country_name(iso3, *, strict: bool = True):
    """Return the short English name of a country.

    Parameters
    ----------
    iso3 : str, int, list-like or pandas.Series
        ISO3 codes, or anything :func:`to_iso3` accepts.
    strict : bool, default True
        As in :func:`to_iso3`.

    Returns
    -------
    str, list or pandas.Series
        Shaped like the input (see :func:`to_iso3`).

    Examples
    --------
    >>> country_name("DEU")
    'Germany'
    >>> country_name(["MEX", "NA"])
    ['Mexico', 'Namibia']
    """
    names = country_lookup().names
    return map_iso3(iso3, lambda c: names.get(c, pd.NA), strict=strict, dtype="string")


def m49_of(iso3, *, strict: bool = True):
    """Return the UN M49 numeric code of a country (NA if it has none).

    Parameters
    ----------
    iso3, strict
        As in :func:`country_name`.

    Returns
    -------
    int, list or pandas.Series
        Shaped like the input; a Series comes back as ``Int64``.

    Examples
    --------
    >>> m49_of("MEX")
    484
    >>> m49_of(["DEU", "NAM"])
    [276, 516]
    """
    codes = country_lookup().m49_of
    return map_iso3(iso3, lambda c: codes.get(c, pd.NA), strict=strict, dtype="Int64")
