"""One definition of a missing scalar, shared by every module."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["is_missing"]


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
