"""What the charts accept, told apart: a brief (or its data), survey results, or tables.

A brief's charts draw from its data alone (``Brief.data`` or a ``data.json``
read back); survey results and tables are for exploring a survey in a
notebook, where the same charts are drawn from the full tables.
"""

from __future__ import annotations

from ..brief import brief_data
from ..reference import country_name

__all__: list[str] = []


def data_of(obj) -> dict | None:
    """The brief data of *obj* (a Brief or its data dict), or None when *obj* is something else."""
    try:
        return brief_data(obj)
    except TypeError:
        return None


def country_label(iso3) -> str:
    """A country's short name for a chart (its ISO3 code when unknown).

    Examples
    --------
    >>> country_label("MEX"), country_label("XXX")
    ('Mexico', 'XXX')
    """
    name = country_name(str(iso3), strict=False) if iso3 else None
    return str(name) if isinstance(name, str) else str(iso3)
