"""Text that is safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some programs skip before reading the next character) is taken
as a formula by Excel and LibreOffice when a CSV or XLSX file is opened, so a
survey answer such as ``=HYPERLINK("http://...")`` would become a live link
or worse (OWASP "CSV injection"). Every CSV and XLSX export of the toolkit
(survey files, scores, score intervals, audit tables) therefore passes its
text cells through :func:`neutralise_text`, which puts an apostrophe in front
of such text: spreadsheets show it as text, and a reader of the raw file sees
exactly what was written, apostrophe included. Numbers are numbers, not text,
and are never changed: a score of ``-3.5`` stays a number.

Text that already starts with apostrophes followed by a formula character
(``'=x``) gets one more (``''=x``), so that :func:`restore_text`, which the
survey readers apply to CSV and Excel cells, gives back exactly the text that
was written. The one ambiguous case is a file *not* written by the toolkit
with a cell that really starts with an apostrophe and a formula character:
``'=x`` there is read as ``=x``.

In XLSX files, :mod:`openpyxl` stores a Python string that starts with ``=``
as a formula; :func:`keep_text` stores every such cell of a sheet as text, so
that the XLSForm's expressions and neutralised text are never formulas.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "neutralise_text",
    "restore_text",
    "neutralise_frame",
    "keep_text",
    "CSV_LINE_END",
    "write_csv",
    "write_xlsx",
    "xlsx_text",
    "XLSX_FORBIDDEN",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _escaped(text: str) -> bool:
    """True for text that starts, after any apostrophes, with a formula character."""
    return text.lstrip("'").startswith(FORMULA_PREFIXES)


def neutralise_text(value):
    """Prefix text that a spreadsheet would read as a formula with an apostrophe.

    Text that starts with apostrophes followed by a formula character gets one
    more, so that :func:`restore_text` can undo this exactly. Anything that is
    not text is returned unchanged.

    Examples
    --------
    >>> neutralise_text('=HYPERLINK("http://x")'), neutralise_text("-7 days"), neutralise_text("Ombudsman")
    ('\\'=HYPERLINK("http://x")', "'-7 days", 'Ombudsman')
    >>> neutralise_text("'=x"), neutralise_text("'quoted'")
    ("''=x", "'quoted'")
    >>> neutralise_text(-7)
    -7
    """
    if isinstance(value, str) and _escaped(value):
        return "'" + value
    return value


def restore_text(value):
    """Undo :func:`neutralise_text`: drop the apostrophe it put in front of a formula character.

    ``restore_text(neutralise_text(s)) == s`` for every text *s*. Text that
    :func:`neutralise_text` leaves alone is returned unchanged, and so is
    anything that is not text.

    Examples
    --------
    >>> restore_text("'=1+1"), restore_text("''=x"), restore_text("'quoted'"), restore_text("=1+1")
    ('=1+1', "'=x", "'quoted'", '=1+1')
    """
    if isinstance(value, str) and value.startswith("'") and _escaped(value[1:]):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* whose text cells cannot become formulas (column names too).

    Text, ``string`` and categorical columns are neutralised; numeric columns
    are left exactly as they are.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=1+1", "ok"], "score": [-3.0, 2.0]})
    >>> neutralise_frame(df).to_dict("list")
    {'name': ["'=1+1", 'ok'], 'score': [-3.0, 2.0]}
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if isinstance(values.dtype, pd.CategoricalDtype):
            # neutralise_text is one-to-one, so renamed categories stay distinct.
            out.isetitem(position, values.cat.rename_categories(neutralise_text))
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            # Element by element, so that missing values stay what they were (None, NaN, <NA>).
            out.isetitem(position, pd.Series([neutralise_text(v) for v in values], index=values.index,
                                             dtype=values.dtype))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [neutralise_text(c) for c in out.columns]
    return out


#: Characters an XLSX file cannot hold (XML 1.0 forbids these control characters);
#: openpyxl refuses a cell that contains one.
XLSX_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value):
    """Text an XLSX cell can hold: forbidden control characters become U+FFFD (the replacement mark).

    They are invisible in any case; a CSV export keeps them as they are.

    Examples
    --------
    >>> xlsx_text("Hotline\x01 24/7"), xlsx_text(3)
    ('Hotline\ufffd 24/7', 3)
    """
    if isinstance(value, str):
        return XLSX_FORBIDDEN.sub("\ufffd", value)
    return value


def keep_text(sheet) -> None:
    """Store every cell of an :mod:`openpyxl` worksheet that would be a formula as text.

    openpyxl takes any string starting with ``=`` for a formula; nothing the
    toolkit writes is meant to be one.

    Examples
    --------
    >>> import openpyxl
    >>> sheet = openpyxl.Workbook().active
    >>> sheet["A1"] = "=1+1"
    >>> keep_text(sheet)
    >>> sheet["A1"].data_type, sheet["A1"].value
    ('s', '=1+1')
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


#: Record end of every CSV export. Python's csv module quotes a field only for the
#: characters of its record end, so with a bare "\n" a carriage return inside text
#: would go out unquoted and split the row when Excel opens the file, starting a
#: new cell with whatever follows it (``'a\r=1+1'``). CRLF is also RFC 4180's.
CSV_LINE_END = "\r\n"


def write_csv(frame: pd.DataFrame, target) -> None:
    """Write *frame* to a UTF-8 CSV file (no index) with its text neutralised.

    Records end in CRLF (:data:`CSV_LINE_END`), so that a field holding a
    carriage return or a line break is always quoted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"name": ["@SUM(A1)", "a\\r=1"], "score": [-2, 1]}), path)
    >>> path.read_bytes().decode("utf-8")
    'name,score\\r\\n\\'@SUM(A1),-2\\r\\n"a\\r=1",1\\r\\n'
    """
    neutralise_frame(frame).to_csv(target, index=False, encoding="utf-8", lineterminator=CSV_LINE_END)


def write_xlsx(sheets: dict, target) -> None:
    """Write frames to the sheets of an XLSX workbook, text neutralised and never a formula.

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        Sheet name (cut to Excel's 31 characters) -> table, in sheet order.
    target : str or Path
        The ``.xlsx`` file.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> write_xlsx({"scores": pd.DataFrame({"name": ["=1+1"], "score": [-2.5]})}, path)
    >>> [(c.value, c.data_type) for c in openpyxl.load_workbook(path)["scores"][2]]
    [("'=1+1", 's'), (-2.5, 'n')]
    """
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe = neutralise_frame(frame)
            for position in range(safe.shape[1]):
                if safe.dtypes.iloc[position] == object or isinstance(safe.dtypes.iloc[position], pd.StringDtype):
                    safe.isetitem(position, safe.iloc[:, position].map(xlsx_text, na_action="ignore"))
            safe.to_excel(writer, sheet_name=name[:31], index=False)
            keep_text(writer.sheets[name[:31]])
