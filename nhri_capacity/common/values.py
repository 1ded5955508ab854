"""Scalar values: one definition of missing, one half-up rounding."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

__all__ = ["is_missing", "round_half_up"]


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
