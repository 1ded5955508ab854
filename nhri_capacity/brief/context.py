"""Brief parameters and reference context: the country and year checks, the
country's migrant stock and its treaty ratification status.

These sections come from the UN reference tables only, never from the survey
(except :func:`check_country`, which lists the countries a survey covers).
"""

from __future__ import annotations

import pandas as pd

from ..common.values import as_whole_number, is_missing
from ..errors import BriefParameterError, CountryNotFoundError, SurveyValidationError
from ..reference import (
    CORE_TREATIES,
    MIGRANT_STOCK_CITATION,
    MIGRANT_STOCK_LICENCE,
    TREATY_SOURCE,
    TREATY_VINTAGE,
    country_name,
    load_migrant_stock,
    load_treaty_status,
    to_iso3,
    treaty_profile,
)
from .results import SurveyResults
from .values import clean_text, rounded, whole

# load_stock and load_treaties are shared within the sub-package only.
__all__ = ["check_country", "check_year", "migration_context", "treaty_context"]


def check_country(country, results: SurveyResults) -> str:
    """The ISO3 code of *country* (any case), checked against the survey's countries.

    Raises
    ------
    BriefParameterError
        If *country* is not a known ISO3 code (with a hint when it looks like
        a country name) or has no institution in the survey; the message
        lists the available codes.
    SurveyValidationError
        If the country's institution was set aside because its rows have
        errors (the message lists them).
    """
    available = results.countries
    listing = f"Available ISO3 codes in the survey ({len(available)}): {', '.join(available)}"
    if not isinstance(country, str) or not country.strip():
        raise BriefParameterError(f"country must be an ISO3 code such as 'MEX', not {country!r}. {listing}")
    code = country.strip().upper()

    known = to_iso3(code, strict=False) if len(code) == 3 and code.isalpha() else None
    if not isinstance(known, str) or known != code:
        guess = to_iso3(country.strip(), strict=False)
        hint = f" (did you mean {guess!r}?)" if isinstance(guess, str) else ""
        raise BriefParameterError(f"{country!r} is not a known ISO3 country code{hint}. {listing}")
    if code not in available:
        problems = [
            problem
            for entry in (results.meta.get("set_aside") or {}).values()
            if entry.get("country") == code
            for problem in entry["problems"]
        ]
        if problems:
            shown = "\n".join(f"  - {p}" for p in problems[:5])
            more = f"\n  ... and {len(problems) - 5} more." if len(problems) > 5 else ""
            raise SurveyValidationError(
                f"The survey rows of {country_name(code, strict=False)} ({code}) have errors, so its "
                f"institution was set aside and no brief can be made:\n{shown}{more}\n"
                f"Fix these rows in {results.meta.get('file_name') or 'the survey'} and run the brief again.",
                problems,
            )
        raise BriefParameterError(
            f"No institution from {country_name(code, strict=False)} ({code}) in the survey. {listing}"
        )
    return code


def _stock_years(stock: pd.DataFrame) -> list[int]:
    return sorted(int(y) for y in stock["year"].dropna().unique())


def check_year(year, *, stock=None) -> int:
    """Validate a migrant-stock year for a brief; None means the latest.

    Raises
    ------
    BriefParameterError
        Unless *year* is a whole number of the UN DESA table (1990, 1995, ... 2020).

    Examples
    --------
    >>> check_year(None)
    2020
    >>> check_year("2015")
    2015
    """
    years = _stock_years(load_stock(stock))
    if year is None:
        return years[-1]
    try:
        value = as_whole_number(year)
    except ValueError:
        raise BriefParameterError(f"year must be one of {years}, not {year!r}") from None
    if value not in years:
        raise BriefParameterError(f"No migrant-stock figures for {value}; available years: {years}")
    return value


def load_stock(stock=None) -> pd.DataFrame:
    """*stock*, or the migrant-stock table from the cache when None."""
    return stock if stock is not None else load_migrant_stock()


def load_treaties(treaties=None) -> pd.DataFrame:
    """*treaties*, or the treaty-status table from the cache when None."""
    return treaties if treaties is not None else load_treaty_status()


def migration_context(iso3: str, *, year=None, stock=None) -> dict | None:
    """The country's migrant stock in *year*, its trend and region/world comparison.

    Parameters
    ----------
    iso3 : str
    year : int, optional
        Default: the latest year of the table.
    stock : DataFrame, optional
        :func:`nhri_capacity.reference.migration.load_migrant_stock` (loaded if omitted).

    Returns
    -------
    dict or None
        None when the UN table has no figures for the country. Keys: ``year``,
        ``migrants``, ``migrant_share_pct``, ``female_share_pct``,
        ``refugees``, ``refugee_share_pct``, ``annual_change_pct``,
        ``population``, ``region``, ``trend`` (list of ``{year, migrants,
        migrant_share_pct}`` up to *year*), ``change_since_first_pct``,
        ``comparison`` (rows for the country, its SDG region and the world),
        ``edition``, ``citation``, ``licence``.

    Raises
    ------
    BriefParameterError
        If *year* is not a year of the table.

    Examples
    --------
    >>> migration_context("MEX", year=2020)["migrants"]
    1197624
    """
    stock = load_stock(stock)
    year = check_year(year, stock=stock)
    rows = stock[stock["is_country"].astype(bool) & (stock["iso3"] == iso3)]
    rows = rows.sort_values("year", kind="stable")
    current = rows[rows["year"] == year]
    if current.empty or is_missing(current["migrants"].iloc[0]):
        return None
    row = current.iloc[0]

    def _figures(r) -> dict:
        return {
            "migrants": whole(r["migrants"]),
            "population": whole(r["population"]),
            "migrant_share_pct": rounded(r["migrant_share_pct"], 2),
            "female_share_pct": rounded(r["female_share_pct"], 1),
            "refugees": whole(r["refugees"]),
            "refugee_share_pct": rounded(r["refugee_share_pct"], 1),
            "annual_change_pct": rounded(r["annual_change_pct"], 1),
        }

    region = clean_text(row["region"]) or None
    comparison = [{"level": "country", "name": str(country_name(iso3, strict=False) or row["name"]), **_figures(row)}]
    at_year = stock[(~stock["is_country"].astype(bool)) & (stock["year"] == year)]
    if region:
        reg = at_year[at_year["name"] == region]
        if not reg.empty:
            comparison.append({"level": "region", "name": region, **_figures(reg.iloc[0])})
    world = at_year[at_year["location_code"] == 900]
    if not world.empty:
        comparison.append({"level": "world", "name": "World", **_figures(world.iloc[0])})

    trend_rows = rows[rows["year"] <= year]
    trend = [
        {"year": int(r["year"]), "migrants": whole(r["migrants"]), "migrant_share_pct": rounded(r["migrant_share_pct"], 2)}
        for _, r in trend_rows.iterrows()
        if not is_missing(r["migrants"])
    ]
    change = None
    if len(trend) >= 2 and trend[0]["migrants"]:
        change = round(100.0 * (trend[-1]["migrants"] - trend[0]["migrants"]) / trend[0]["migrants"], 1)
    return {
        "year": int(year),
        **_figures(row),
        "region": region,
        "trend": trend,
        "trend_first_year": trend[0]["year"] if trend else None,
        "change_since_first_pct": change,
        "comparison": comparison,
        "edition": clean_text(row["edition"]) or "International Migrant Stock 2020",
        "citation": MIGRANT_STOCK_CITATION,
        "licence": MIGRANT_STOCK_LICENCE,
    }


def treaty_context(iso3: str, *, treaties=None) -> dict | None:
    """Ratification status: the ICMW highlighted, the nine core instruments and OPCAT.

    Returns
    -------
    dict or None
        None when the 2022 compilation has no row for the country (it covers
        UN member states only). Keys: ``icmw`` ({status, year}), ``core``
        (list of {code, name, status, year} for the nine core instruments),
        ``related`` (OPCAT, relevant to detention monitoring),
        ``n_core_party``, ``vintage``, ``source``.
    """
    table = load_treaties(treaties)
    try:
        profile = treaty_profile(iso3, treaties=table)
    except CountryNotFoundError:
        return None
    by_code = {str(r["treaty"]): r for _, r in profile.iterrows()}

    def _entry(code):
        r = by_code.get(code)
        if r is None:
            return None
        return {"code": code, "name": clean_text(r["treaty_name"]), "status": clean_text(r["status"]), "year": whole(r["year"])}

    core = [e for e in (_entry(c) for c in CORE_TREATIES) if e is not None]
    icmw = _entry("ICMW")
    if icmw is None:
        return None
    related = [e for e in (_entry("OPCAT"),) if e is not None]
    return {
        "icmw": {"status": icmw["status"], "year": icmw["year"], "name": icmw["name"]},
        "core": core,
        "related": related,
        "n_core_party": sum(e["status"] == "party" for e in core),
        "n_core": len(core),
        "vintage": TREATY_VINTAGE,
        "source": TREATY_SOURCE,
    }

