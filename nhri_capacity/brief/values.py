"""Plain values for brief data: numbers rounded as the brief stores them, text, JSON types, labels.

Internal helpers of the ``brief`` sub-package (not re-exported). Missing
means :func:`nhri_capacity.common.values.is_missing`; the rounding here is
the data's own (Python's :func:`round`, as ``data.json`` has always held it),
not the half-up rounding of what a reader sees, which the render stage
applies when it formats a number.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.values import is_missing
from ..survey import DIMENSIONS, load_codebook

__all__ = [
    "num",
    "rounded",
    "whole",
    "median",
    "clean_text",
    "jsonable",
    "dimension_labels",
    "theme_labels",
]


def num(value):
    """A Python float, or None when missing or not a number.

    Examples
    --------
    >>> num("2.5"), num(True), num(float("nan")), num("NA")
    (2.5, None, None, None)
    """
    if is_missing(value) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def rounded(value, digits=1):
    """*value* rounded to *digits* decimals as stored in a brief's data, or None.

    Examples
    --------
    >>> rounded(28.3449, 2), rounded(None)
    (28.34, None)
    """
    value = num(value)
    return None if value is None else round(value, digits)


def whole(value):
    """*value* as an int (nearest), or None."""
    value = num(value)
    return None if value is None else int(round(value))


def median(series) -> float | None:
    """Median of the numbers in *series* (missing left out); None when there are none."""
    values = pd.to_numeric(pd.Series(series), errors="coerce").astype("float64").dropna()
    return None if values.empty else float(values.median())


def clean_text(value) -> str:
    """Stripped text; missing as ``""``."""
    return "" if is_missing(value) else str(value).strip()


def jsonable(obj):
    """Plain JSON types: numpy scalars to Python, NA/NaN to None, dates to ISO text.

    Examples
    --------
    >>> jsonable({"a": np.int64(3), "b": (np.float64("nan"), pd.Timestamp("2020-10-02"))})
    {'a': 3, 'b': [None, '2020-10-02']}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if is_missing(obj):
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (numbers.Integral, np.integer)):
        return int(obj)
    if isinstance(obj, (numbers.Real, np.floating)):
        value = float(obj)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return obj.date().isoformat() if isinstance(obj, (pd.Timestamp, _dt.datetime)) else obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    return str(obj) if not isinstance(obj, str) else obj



def dimension_labels() -> dict:
    """Label of each capacity dimension, from the codebook."""
    cb = load_codebook()
    return {d: cb.dimensions.get(d, {}).get("label", d.replace("_", " ").capitalize()) for d in DIMENSIONS}


def theme_labels() -> dict:
    """Label of each migration theme, from the codebook, in codebook order."""
    return dict(load_codebook().themes)
