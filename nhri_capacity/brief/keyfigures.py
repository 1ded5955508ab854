"""The key figures of a brief: one schema for ``data.json`` and the batch index.

Each brief's ``data.json`` carries ``key_figures`` built by :func:`key_figures`
from the brief's own sections, and the batch index shows exactly the
:data:`KEY_FIGURES` columns, with the same formats as the brief page.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["KeyFigure", "KEY_FIGURES", "key_figures"]


class KeyFigure(NamedTuple):
    """One key figure: its key in ``data["key_figures"]``, a column heading, and
    the brief's formatting filter that shows it (``text``, ``score``,
    ``thousands``, ``pct``, ``status_label``)."""

    key: str
    heading: str
    format: str


#: Columns of the batch index, in order (``iso3``, ``country`` and
#: ``synthetic`` are in the key figures too, for the row's name and notice).
KEY_FIGURES = (
    KeyFigure("institution", "Institution", "text"),
    KeyFigure("composite", "Composite score (0-100)", "score"),
    KeyFigure("migrants", "International migrants", "thousands"),
    KeyFigure("migrant_share_pct", "Migrants, share of population", "pct"),
    KeyFigure("icmw_status", "Migrant Workers Convention (ICMW)", "status_label"),
)


def key_figures(data: dict) -> dict:
    """The key figures of a brief, from its data (as in ``data.json``).

    Examples
    --------
    >>> data = {"header": {"iso3": "MEX", "country": "Mexico", "institution": "CNDH", "synthetic": True},
    ...         "capacity": {"rows": [{"key": "composite", "score": 28.3}]},
    ...         "migration": {"migrants": 1197624, "migrant_share_pct": 0.93},
    ...         "treaties": {"icmw": {"status": "party"}}}
    >>> key_figures(data)["composite"], key_figures(data)["icmw_status"]
    (28.3, 'party')
    """
    header = data["header"]
    capacity = data.get("capacity") or {}
    composite = next((r["score"] for r in capacity.get("rows", []) if r["key"] == "composite"), None)
    migration = data.get("migration") or {}
    icmw = (data.get("treaties") or {}).get("icmw") or {}
    return {
        "iso3": header["iso3"],
        "country": header["country"],
        "institution": header["institution"],
        "composite": composite,
        "migrants": migration.get("migrants"),
        "migrant_share_pct": migration.get("migrant_share_pct"),
        "icmw_status": icmw.get("status"),
        "synthetic": header["synthetic"],
    }
