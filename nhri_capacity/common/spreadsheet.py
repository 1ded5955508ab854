"""Text that is safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some programs skip before reading the next character) is taken
as a formula by Excel and LibreOffice when a CSV or XLSX file is opened, so a
survey answer such as ``=HYPERLINK("http://...")`` would become a live link
or worse (OWASP "CSV injection"). Every CSV and XLSX export of the toolkit
passes its text cells through :func:`neutralise_frame`, which puts an
apostrophe in front of such text: spreadsheets show the apostrophe-prefixed
text as text, and a reader of the raw file sees exactly what was written.
Numbers are numbers, not text, and are never changed.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_text", "neutralise_frame"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value):
    """Prefix text that a spreadsheet would read as a formula with an apostrophe.

    Anything that is not text is returned unchanged.

    Examples
    --------
    >>> neutralise_text('=HYPERLINK("http://x")'), neutralise_text("-7 days"), neutralise_text("Ombudsman")
    ('\\'=HYPERLINK("http://x")', "'-7 days", 'Ombudsman')
    >>> neutralise_text(-7)
    -7
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* whose text cells cannot become formulas (column names too).

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=1+1", "ok"], "score": [-3.0, 2.0]})
    >>> neutralise_frame(df).to_dict("list")
    {'name': ["'=1+1", 'ok'], 'score': [-3.0, 2.0]}
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            out[column] = values.map(neutralise_text, na_action="ignore").astype(values.dtype)
    out.columns = [neutralise_text(c) if isinstance(c, str) else c for c in out.columns]
    return out
