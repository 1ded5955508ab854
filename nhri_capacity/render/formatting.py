"""Number, date and label formats of everything a reader sees: the brief, the batch index, charts.

One place, so that the HTML page, the index and the tests agree; each
function is also a Jinja filter (:data:`FILTERS`) under the name the
templates use. Missing values print as "n/a"; numbers round half up, as on
paper (28.5 -> 29), never to even.
"""

from __future__ import annotations

import datetime as _dt
import math

from ..common.values import is_missing, round_half_up

__all__ = [
    "fmt_thousands",
    "fmt_number",
    "fmt_pct",
    "fmt_pct0",
    "fmt_signed_pct",
    "fmt_score",
    "fmt_signed",
    "fmt_rate",
    "fmt_longdate",
    "fmt_status",
    "fmt_level",
    "fmt_short_treaty",
    "fmt_chart_pct",
    "fmt_people",
    "FILTERS",
]

_STATUS_LABELS = {"party": "State party", "signatory": "Signed, not ratified", "none": "Not ratified"}


def fmt_thousands(value) -> str:
    """1197624 -> '1,197,624'; missing -> 'n/a'."""
    if is_missing(value):
        return "n/a"
    return f"{int(round_half_up(value)):,}"


def fmt_number(value) -> str:
    """Counts that may be means of respondents: 5.0 -> '5', 12.5 -> '12.5'."""
    if is_missing(value):
        return "n/a"
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def fmt_pct(value) -> str:
    """Percentages: 49.8 -> '49.8%', 3.6 -> '3.6%', 0.93 -> '0.93%'."""
    if is_missing(value):
        return "n/a"
    v = float(value)
    digits = 2 if abs(v) < 1 else 1
    return f"{round_half_up(v, digits)}%"


def fmt_pct0(value) -> str:
    """Whole percentages, rounded half up: 165.5 -> '166%'."""
    if is_missing(value):
        return "n/a"
    return f"{round_half_up(value)}%"


def fmt_signed_pct(value) -> str:
    if is_missing(value):
        return "n/a"
    v = float(value)
    text = fmt_pct(abs(v))
    return ("+" if v > 0 else "\u2212" if v < 0 else "") + text


def fmt_score(value) -> str:
    """Scores shown as whole numbers, rounded half up: 28.5 -> '29'."""
    if is_missing(value):
        return "n/a"
    return str(int(round_half_up(value)))


def fmt_signed(value) -> str:
    if is_missing(value):
        return "n/a"
    v = int(round_half_up(value))
    return f"+{v}" if v > 0 else (f"\u2212{abs(v)}" if v < 0 else "\u00b10")


def fmt_rate(value) -> str:
    """Small rates: 0.42 -> '0.42', 12.345 -> '12.3'."""
    if is_missing(value):
        return "n/a"
    v = float(value)
    return f"{round_half_up(v, 2)}" if abs(v) < 10 else f"{round_half_up(v, 1):,}"


def fmt_longdate(value) -> str:
    """'2020-10-02' -> '2 October 2020'."""
    if is_missing(value) or value == "":
        return "n/a"
    try:
        d = _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def fmt_status(value) -> str:
    return _STATUS_LABELS.get(str(value), str(value) if value else "n/a")


def fmt_level(value, scale) -> str:
    if is_missing(value):
        return "n/a"
    labels = {int(k): v for k, v in (scale or {}).items()}
    v = float(value)
    if v.is_integer():
        return labels.get(int(v), str(v))
    lo, hi = int(math.floor(v)), int(math.ceil(v))
    return f"{labels.get(lo, lo)} to {labels.get(hi, hi)}"


_SHORT_TREATY = {
    "ICMW": "Migrant Workers Convention",
    "ICERD": "Racial discrimination",
    "ICCPR": "Civil and political rights",
    "ICESCR": "Economic, social and cultural rights",
    "CEDAW": "Discrimination against women",
    "CAT": "Convention against Torture",
    "OPCAT": "Optional Protocol to CAT (detention monitoring)",
    "CRC": "Rights of the child",
    "CPED": "Enforced disappearance",
    "CRPD": "Rights of persons with disabilities",
}


def fmt_short_treaty(code, name=None) -> str:
    """A short English description of a treaty ('ICERD' -> 'Racial discrimination')."""
    return _SHORT_TREATY.get(str(code), str(name or code))


def fmt_chart_pct(value) -> str:
    """Percentages as chart labels print them, shorter than in tables: 12%, 3.6%, 0.93%; missing -> ''.

    Rounds the number's binary value, as Python's format does (12.5 -> '12%'),
    not half up: the charts have always printed them so.

    Examples
    --------
    >>> fmt_chart_pct(18.813), fmt_chart_pct(3.64), fmt_chart_pct(0.9289), fmt_chart_pct(None)
    ('19%', '3.6%', '0.93%', '')
    """
    if is_missing(value):
        return ""
    p = float(value)
    if p >= 10:
        return f"{p:.0f}%"
    if p >= 1:
        return f"{p:.1f}%"
    return f"{p:.2f}%"


def fmt_people(n) -> str:
    """A number of people in words for a chart title: '1.2 million', '16 thousand', '9,876'.

    Examples
    --------
    >>> fmt_people(1197624), fmt_people(15762), fmt_people(9876)
    ('1.2 million', '16 thousand', '9,876')
    """
    if n >= 1e6:
        return f"{n / 1e6:,.1f} million"
    if n >= 1e4:
        return f"{n / 1e3:,.0f} thousand"
    return f"{n:,.0f}"


#: Jinja filter name -> function, for every template that shows brief figures.
FILTERS = {
    "thousands": fmt_thousands,
    "number": fmt_number,
    "pct": fmt_pct,
    "pct0": fmt_pct0,
    "signed_pct": fmt_signed_pct,
    "score": fmt_score,
    "signed": fmt_signed,
    "rate": fmt_rate,
    "longdate": fmt_longdate,
    "status_label": fmt_status,
    "level_name": fmt_level,
    "short_treaty": fmt_short_treaty,
    "text": lambda value: "" if is_missing(value) else str(value),
}
