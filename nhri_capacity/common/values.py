"""Scalar values: one definition of missing, one half-up rounding."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

__all__ = ["is_missing", "round_half_up", "as_whole_number"]


def is_missing(value) -> bool:
    """True for None, ``pd.NA``, ``pd.NaT`` and NaN; never for strings.

    Unlike :func:`pandas.isna` on text, the string ``"NA"`` (Namibia's ISO2
    code) is a value, not a missing one.

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(pd.NA), is_missing("NA"), is_missing(0)
    (True, True, False, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return False


def round_half_up(value, digits: int = 0) -> Decimal:
    """Round as people do on paper (2.5 -> 3, 0.125 -> 0.13), from the number's shortest text.

    Python's :func:`round` rounds halves to even and works on the binary
    value, so ``round(2.675, 2)`` is 2.67; figures shown to readers use this
    instead, so that 12.5 prints as 13 everywhere.

    Examples
    --------
    >>> str(round_half_up(2.5)), str(round_half_up(2.675, 2)), str(round_half_up(-0.5))
    ('3', '2.68', '-1')
    """
    q = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)


def as_whole_number(value) -> int:
    """*value* as an int when it is a whole number: an int, a whole float or digits text.

    Raises
    ------
    ValueError
        For anything else, ``True``/``False`` and ``2.5`` included; callers
        turn it into a message naming the parameter.

    Examples
    --------
    >>> as_whole_number("12"), as_whole_number(2015.0), as_whole_number(" -3 ")
    (12, 2015, -3)
    >>> as_whole_number(2.5)
    Traceback (most recent call last):
    ...
    ValueError: 2.5 is not a whole number
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a whole number") from None
    if number != value and not (isinstance(value, str) and value.strip().lstrip("+-").isdigit()):
        raise ValueError(f"{value!r} is not a whole number")
    return number
