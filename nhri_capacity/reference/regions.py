"""UN SDG regions of countries, as the UN DESA migrant-stock workbook groups them.

The region of a country is read from the migrant-stock table
(:func:`nhri_capacity.reference.migration.load_migrant_stock`), whose parser
assigns each country its SDG region from the M49 composition; the codes of the
input are resolved by :mod:`nhri_capacity.reference.countries`. This module
sits above both, so that neither needs the other's caller.
"""

from __future__ import annotations

import functools

import pandas as pd

from .countries import map_iso3
from .migration import load_migrant_stock

__all__ = ["region_of"]


@functools.lru_cache(maxsize=1)
def _default_regions() -> dict:
    # Read from the cached migrant-stock table: a Parquet read, not a workbook parse.
    return _regions_from(load_migrant_stock())


def _regions_from(stock: pd.DataFrame) -> dict:
    rows = stock.loc[stock["is_country"] & stock["iso3"].notna(), ["iso3", "region"]]
    rows = rows.drop_duplicates("iso3")
    return {iso3: (pd.NA if pd.isna(reg) else reg) for iso3, reg in zip(rows["iso3"], rows["region"], strict=True)}


def region_of(iso3, *, stock: pd.DataFrame | None = None, strict: bool = True):
    """Return the UN SDG region under which the UN DESA workbook groups a country.

    Parameters
    ----------
    iso3, strict
        As in :func:`nhri_capacity.reference.countries.country_name`: ISO3
        codes or anything :func:`~nhri_capacity.reference.countries.to_iso3`
        accepts; whether an unmatched value raises.
    stock : pandas.DataFrame, optional
        A table from :func:`nhri_capacity.reference.migration.load_migrant_stock`. By
        default the cached table is read once per session (the workbook is
        parsed only if the cache is missing or out of date).

    Returns
    -------
    str, list or pandas.Series
        Region names such as ``'Latin America and the Caribbean'``; NA for a
        country the workbook does not list separately (e.g. Kosovo).

    Raises
    ------
    CountryNotFoundError
        If *strict* and a value cannot be matched to a country.

    Examples
    --------
    >>> region_of("MEX")
    'Latin America and the Caribbean'
    >>> region_of(["DEU", "Namibia"])
    ['Europe and Northern America', 'Sub-Saharan Africa']
    """
    regions = _regions_from(stock) if stock is not None else _default_regions()
    return map_iso3(iso3, lambda c: regions.get(c, pd.NA), strict=strict, dtype="string")
