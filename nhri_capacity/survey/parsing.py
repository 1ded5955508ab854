"""Cell values of a survey file: blank cells, numbers, dates and text as users type them.

Survey files come from SPSS, Stata, Excel, CSV and Kobo/ODK exports, so one
answer can arrive as ``3``, ``3.0``, ``'3'``, ``'3,0'`` or ``'3 %'``. The
parsers here accept all of them and raise :class:`ValueError` with the reason
(``"a number with a thousands separator"``) for anything else, so that
:mod:`nhri_capacity.survey.validation` can quote it to the user.

A *blank cell* (:func:`is_blank_cell`) is wider than a missing value
(:func:`nhri_capacity.common.values.is_missing`): it also covers empty text
and, in numeric and date columns, the words spreadsheets write for "no
number" (``'NA'``, ``'n/a'``, ``'.'``...). ``'NA'`` alone is never blank in a
text column: it is Namibia's ISO2 code.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd

from ..common.values import is_missing

__all__ = [
    "norm_key",
    "is_blank_cell",
    "plain_scalar",
    "parse_number",
    "parse_date",
    "parse_text",
    "format_value",
]

# Cell contents that mean "no answer" in every column. 'NA' is not one of them:
# it is Namibia's ISO2 code.
_BLANKS = frozenset({"", ".."})
# In numeric and date columns 'NA' cannot be Namibia, and R, Stata and Excel
# write these for missing numbers.
_NUMERIC_BLANKS = frozenset({"na", "n/a", "nan", "null", ".", "#n/a"})

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_ISO_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def norm_key(text) -> str:
    """Normalise a header or a label for matching: case, spacing and quote styles ignored.

    Examples
    --------
    >>> norm_key("  Don\\u2019t   KNOW ")
    "don't know"
    """
    text = unicodedata.normalize("NFKC", str(text))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.casefold().split())


def is_blank_cell(value, *, numeric=False) -> bool:
    """True for a cell without an answer: a missing value, empty text or ``'..'``.

    With *numeric* (numeric and date columns), ``'NA'``, ``'n/a'``, ``'.'``
    and the like are blank too.

    Examples
    --------
    >>> is_blank_cell(" "), is_blank_cell("NA"), is_blank_cell("NA", numeric=True), is_blank_cell(0)
    (True, False, True, False)
    """
    if is_missing(value):
        return True
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    if isinstance(value, str):
        text = value.strip()
        return text in _BLANKS or (numeric and text.casefold() in _NUMERIC_BLANKS)
    return False


def plain_scalar(value):
    """A numpy scalar as the plain Python value (for messages and attrs)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def parse_number(value, *, percent=False):
    """Return *value* as a float, None when blank; raise ValueError (with the reason) otherwise.

    Examples
    --------
    >>> parse_number("3,5"), parse_number("40 %", percent=True), parse_number("n/a")
    (3.5, 40.0, None)
    >>> parse_number("1,000")
    Traceback (most recent call last):
    ...
    ValueError: a number with a thousands separator
    """
    if is_blank_cell(value, numeric=True):
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


def parse_date(value):
    """Return *value* as a ``datetime.date``, None when blank; raise ValueError otherwise.

    Examples
    --------
    >>> parse_date("2021-03-31T10:00:00Z")
    datetime.date(2021, 3, 31)
    """
    if is_blank_cell(value, numeric=True):
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


def parse_text(value):
    """Return *value* as stripped text, None when blank.

    Examples
    --------
    >>> parse_text(17.0), parse_text(" NA "), parse_text("")
    ('17', 'NA', None)
    """
    if is_blank_cell(value):
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
    return str(plain_scalar(value)).strip()


def format_value(value) -> str:
    """A value as the user would see it in a cell.

    Examples
    --------
    >>> format_value(3.0), format_value(2.5), format_value("x")
    ('3', '2.5', 'x')
    """
    value = plain_scalar(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
