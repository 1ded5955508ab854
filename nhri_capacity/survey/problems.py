"""Problems found in a survey file, and the report that lists them.

Severities
----------
error
    The file cannot be scored until it is fixed: unreadable or empty file,
    missing required variables (or a blank required answer), text in a numeric
    item, a decimal in a whole-number or coded item, an invalid date, a code
    that is not in the choice list, a negative count, a percentage outside
    0-100, a value above the codebook's maximum, an unknown country, a
    duplicated respondent id, more migration staff than staff in total, a
    variable given twice with different values.
warning
    Worth a look, scoring still works: a column that is not in the codebook, an
    item with more missing answers (blank or -7/-8/-9) than the threshold, a
    good practice with a title but no description, a variable given twice with
    the same values.
info
    Notes only, never a failure (not even with ``--strict``): personal-data
    columns dropped on reading.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "format_report", "SEVERITIES"]

#: Severities in report order.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Problem:
    """One issue found in a survey file.

    Attributes
    ----------
    severity : str
        ``'error'`` (stops scoring), ``'warning'`` or ``'info'``.
    file : str or None
        The survey file, when known.
    row : int or None
        Row number as seen in the file (header = row 1 in CSV/Excel, first
        case = 1 in SPSS/Stata); None for problems with the whole file or a
        whole column.
    respondent : str or None
        ``resp_id`` of the row (``inst_id`` when there is no ``resp_id``).
    column : str or None
        The codebook variable (or the header, for columns not in the codebook).
    value : object
        The value found, as it is in the file.
    expected : str or None
        What would have been valid.
    message : str
        A sentence a non-programmer can act on.

    Examples
    --------
    >>> p = Problem("error", file="s.csv", row=3, respondent="R2", column="ch1_complaints_open",
    ...             value="7", expected="0 or 1", message="'7' is not an answer code of this question")
    >>> print(p)
    ERROR: s.csv, row 3 (respondent R2), column ch1_complaints_open: '7' is not an answer code of this question
    """

    severity: str
    file: str | None = None
    row: int | None = None
    respondent: str | None = None
    column: str | None = None
    value: object = None
    expected: str | None = None
    message: str = ""

    def describe(self, *, with_file=True) -> str:
        """The problem as one line, without the severity prefix."""
        where = []
        if with_file and self.file:
            where.append(str(self.file))
        if self.row is not None:
            who = f" (respondent {self.respondent})" if self.respondent else ""
            where.append(f"row {self.row}{who}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def __str__(self) -> str:
        return f"{self.severity.upper()}: {self.describe()}"


def _plural(n, word) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_report(problems, *, path=None, strict=False) -> str:
    """Turn problems into a readable report.

    Errors come first, then warnings, then notes; each group with its count
    (and, when long, a count per column). The last line is
    ``"OK: <file> can be scored"`` or ``"N errors, M warnings: ..."``.

    Parameters
    ----------
    problems : list of Problem
    path : str or Path, optional
        The file checked (named in the title and the last line).
    strict : bool, default False
        Warnings count as errors (for ``validate --strict``).

    Returns
    -------
    str

    Examples
    --------
    >>> print(format_report([], path="survey.csv"))
    Survey check: survey.csv
    <BLANKLINE>
    OK: survey.csv can be scored.
    """
    problems = list(problems)
    name = str(path) if path is not None else next((p.file for p in problems if p.file), None) or "the survey"
    groups = {s: [p for p in problems if p.severity == s] for s in SEVERITIES}
    titles = {"error": "Errors", "warning": "Warnings", "info": "Notes"}
    lines = [f"Survey check: {name}"]
    for severity in SEVERITIES:
        group = groups[severity]
        if not group:
            continue
        lines += ["", f"{titles[severity]} ({len(group)}):"]
        if len(group) > 10:
            by_column: dict = {}
            for p in group:
                by_column[p.column or "(whole file)"] = by_column.get(p.column or "(whole file)", 0) + 1
            lines.append("  by column: " + ", ".join(f"{c} ({k})" for c, k in by_column.items()))
        lines += [f"  - {p.describe(with_file=False)}" for p in group]
    n_err, n_warn = len(groups["error"]), len(groups["warning"])
    lines.append("")
    counts = f"{_plural(n_err, 'error')}, {_plural(n_warn, 'warning')}"
    if n_err:
        lines.append(f"{counts}: {name} cannot be scored until the errors are fixed.")
    elif strict and n_warn:
        lines.append(f"{counts}: with --strict, warnings count as errors.")
    else:
        extra = f" ({_plural(n_warn, 'warning')})" if n_warn else ""
        lines.append(f"OK: {name} can be scored{extra}.")
    return "\n".join(lines)
