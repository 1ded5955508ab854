"""What a survey frame says about itself: ``attrs["survey"]`` and the synthetic flag.

Synthetic (illustrative) data must never pass for survey results: files carry
:data:`SYNTHETIC_FILE_LABEL`, frames a ``synthetic`` flag, and every output
made from them :data:`SYNTHETIC_NOTICE`.
"""

from __future__ import annotations

import pandas as pd

from .parsing import parse_number

__all__ = [
    "survey_meta",
    "is_synthetic",
    "SYNTHETIC_FILE_LABEL",
    "SYNTHETIC_NOTICE",
]

#: File label of synthetic datasets (SPSS and Stata files carry it in their header).
SYNTHETIC_FILE_LABEL = "SYNTHETIC SAMPLE - illustrative data, not real survey results"
#: The notice every output made from synthetic data carries (briefs, charts, tables).
SYNTHETIC_NOTICE = "Illustrative synthetic data, not real survey results"


def survey_meta(df) -> dict:
    """Return the survey metadata of a frame (``df.attrs["survey"]``) with defaults filled in.

    Examples
    --------
    >>> import pandas as pd
    >>> survey_meta(pd.DataFrame({"a": [1]}))["synthetic"]
    False
    """
    out = {
        "source": None,
        "sha256": None,
        "format": None,
        "synthetic": False,
        "file_label": None,
        "n_rows": int(len(df)),
        "notices": [],
        "missing_codes": {},
    }
    out.update(dict(df.attrs.get("survey") or {}))
    return out


def is_synthetic(df) -> bool:
    """True when a survey (or scores) frame holds synthetic, illustrative data.

    Looks at ``attrs["survey"]["synthetic"]``, ``attrs["synthetic"]`` (scores
    frames) and a ``synthetic_data`` column equal to 1 on every row.

    Examples
    --------
    >>> import pandas as pd
    >>> is_synthetic(pd.DataFrame({"synthetic_data": [1, 1]}))
    True
    >>> is_synthetic(pd.DataFrame({"synthetic_data": [1, 0]}))
    False
    """
    if (df.attrs.get("survey") or {}).get("synthetic") or df.attrs.get("synthetic"):
        return True
    if "synthetic_data" in getattr(df, "columns", ()) and len(df):
        values = pd.to_numeric(pd.Series(df["synthetic_data"], dtype=object), errors="coerce")
        return bool((values == 1).all())
    return False


def synthetic_in_file(frame: pd.DataFrame, file_label) -> bool:
    """True when a file's label says synthetic, or its ``synthetic_data`` values (as typed) are all 1.

    Examples
    --------
    >>> import pandas as pd
    >>> synthetic_in_file(pd.DataFrame({"synthetic_data": ["1", 1.0]}), None)
    True
    >>> synthetic_in_file(pd.DataFrame(), SYNTHETIC_FILE_LABEL)
    True
    """
    if file_label and "synthetic" in str(file_label).casefold():
        return True
    if "synthetic_data" not in frame.columns or len(frame) == 0:
        return False
    for v in frame["synthetic_data"]:
        try:
            if parse_number(v) != 1:
                return False
        except ValueError:
            return False
    return True


def without_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies attrs on every column access."""
    plain = df.copy(deep=False)
    plain.attrs = {}
    return plain
