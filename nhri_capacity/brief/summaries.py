"""Summaries across institutions, for a region or the world: tidy tables for trainers' charts.

A brief looks at one institution; a training session looks at a region or at
all of them. The tables here compare groups of institutions, never name one
against another:

* **No league tables.** Rows are regions, capacities or themes, never named
  institutions in order of score.
* **No small groups.** A region is shown on its own only with at least
  :data:`MIN_GROUP` institutions in the survey; smaller regions are pooled
  (:data:`OTHER_REGIONS`) or left to the "all institutions" figures, so that a
  median or a spread never reveals one institution's answers.
* **Consent first.** Good practices are counted only when their authors
  consented to publication (``consent == 1``).

Every frame carries ``attrs["synthetic"]`` so that a chart drawn from it says
when the survey is illustrative synthetic data.
"""

from __future__ import annotations

import pandas as pd

from ..common.values import is_missing
from ..errors import BriefParameterError
from ..reference import CORE_TREATIES, SDG_REGIONS, country_name, region_of
from ..survey import DIMENSIONS
from .compendium import published_practices
from .context import check_year, load_stock, load_treaties
from .profiles import capacity_profile, need_and_capacity
from .results import SurveyResults
from .values import clean_text, dimension_labels, median, theme_labels

__all__ = [
    "MIN_GROUP",
    "OTHER_REGIONS",
    "ALL_INSTITUTIONS",
    "REGIONS",
    "check_region",
    "region_sizes",
    "capacity_distribution",
    "theme_medians",
    "practice_counts",
    "treaty_counts",
    "stock_trend",
    "shared_capacity_profile",
    "shared_need_and_capacity",
]

#: Fewest institutions a group may have to be shown on its own.
MIN_GROUP = 5
#: Label of the regions pooled because each has fewer than :data:`MIN_GROUP` institutions.
OTHER_REGIONS = f"Other regions (each under {MIN_GROUP} institutions)"
#: Label of the group of every institution in the survey.
ALL_INSTITUTIONS = "All institutions"
#: The eight UN SDG regions, in the UN DESA order.
REGIONS = tuple(SDG_REGIONS.values())
_WORLD_CODE = 900


def region_sizes(results: SurveyResults) -> dict:
    """Number of institutions in the survey per UN SDG region (regions without any left out)."""
    counts = results.scores["region"].dropna().astype(str).value_counts()
    return {r: int(counts[r]) for r in REGIONS if r in counts.index}


def check_region(name, results: SurveyResults | None = None, *, min_group: int = MIN_GROUP) -> str:
    """The UN SDG region called *name* (any case), checked against the survey.

    Raises
    ------
    BriefParameterError
        If *name* is not one of :data:`REGIONS`, or (with *results*) the
        survey has no institution there or fewer than *min_group* (a regional
        summary of so few institutions would reveal their answers).

    Examples
    --------
    >>> check_region("latin america and the caribbean")
    'Latin America and the Caribbean'
    """
    text = " ".join(str(name or "").split())
    match = next((r for r in REGIONS if r.lower() == text.lower()), None)
    if match is None:
        raise BriefParameterError(f"Unknown region {str(name)!r}; choose one of: {'; '.join(REGIONS)}")
    if results is not None:
        n = region_sizes(results).get(match, 0)
        if n < min_group:
            shown = "; ".join(f"{r} ({k})" for r, k in region_sizes(results).items() if k >= min_group)
            held = "no institution" if n == 0 else f"only {n} institution{'s' if n != 1 else ''}"
            raise BriefParameterError(
                f"The survey has {held} in {match}; a regional summary needs at least {min_group}, so that "
                f"no institution's answers can be read from it. Regions with enough institutions: {shown}"
            )
    return match


def _group_of(results: SurveyResults, min_group: int) -> pd.Series:
    """Each institution's display group: its region, :data:`OTHER_REGIONS`, or NA (too few even pooled)."""
    sizes = region_sizes(results)
    regions = results.scores["region"].astype("string")
    small = [r for r, n in sizes.items() if n < min_group]
    pooled = sum(sizes[r] for r in small)
    mapping = {r: r for r, n in sizes.items() if n >= min_group}
    if pooled >= min_group:
        mapping.update({r: OTHER_REGIONS for r in small})
    return regions.map(lambda r: mapping.get(r, pd.NA) if not is_missing(r) else pd.NA).astype("string")


def _group_order(groups) -> list[str]:
    present = set(groups.dropna())
    return [r for r in REGIONS if r in present] + ([OTHER_REGIONS] if OTHER_REGIONS in present else [])


def capacity_distribution(
    results: SurveyResults, *, region=None, capacity=None, min_group: int = MIN_GROUP
) -> pd.DataFrame:
    """Scores of every institution, grouped for a strip or box plot; no names, no ids.

    Parameters
    ----------
    results : SurveyResults
    region : str, optional
        With ``capacity=None``: compare this region with all other regions.
    capacity : str, optional
        A dimension key or ``"composite"``: one capacity, grouped by region
        (regions under *min_group* institutions pooled). Default: the five
        capacities and the composite, each for *region* and the rest, or for
        all institutions.

    Returns
    -------
    DataFrame
        ``group``, ``capacity`` (key), ``capacity_label``, ``score`` (0-100),
        one row per institution and capacity scored, groups in display order
        (``group`` is categorical). ``attrs``: ``synthetic``, ``region``,
        ``capacity``, ``n_left_out`` (institutions in groups too small to show).
    """
    labels = {**dimension_labels(), "composite": "Composite"}
    scores = results.scores
    if capacity is not None:
        if capacity not in labels:
            raise BriefParameterError(f"Unknown capacity {capacity!r}; choose one of: {', '.join(labels)}")
        groups = _group_of(results, min_group)
        keys, order = [capacity], _group_order(groups)
    else:
        if region is not None:
            region = check_region(region, results, min_group=min_group)
            groups = scores["region"].astype("string").map(lambda r: region if r == region else "Other regions")
            order = [region, "Other regions"]
        else:
            groups = pd.Series(ALL_INSTITUTIONS, index=scores.index, dtype="string")
            order = [ALL_INSTITUTIONS]
        keys = [*DIMENSIONS, "composite"]
    rows = []
    for key in keys:
        values = pd.to_numeric(scores[key], errors="coerce").astype("float64")
        for group, value in zip(groups, values, strict=True):
            if not is_missing(group) and not is_missing(value):
                rows.append({"group": str(group), "capacity": key, "capacity_label": labels[key], "score": float(value)})
    frame = pd.DataFrame(rows, columns=["group", "capacity", "capacity_label", "score"])
    frame["group"] = pd.Categorical(frame["group"], categories=order)
    frame.attrs.update(
        synthetic=bool(results.synthetic), region=region, capacity=capacity,
        n_left_out=int(groups.isna().sum()),
    )
    return frame


def theme_medians(results: SurveyResults, *, country=None, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Median activity (0-3) on each migration theme, by region or for one institution.

    Parameters
    ----------
    country : str, optional
        ISO3 code: the rows are its (first) institution, the median of its
        region (when it has at least *min_group* institutions) and of all
        institutions. Default: one row per region (small regions pooled)
        and all institutions.

    Returns
    -------
    DataFrame
        ``row`` (label), ``kind`` (``institution``, ``region`` or ``all``),
        ``n`` (institutions), ``theme`` (key), ``theme_label``, ``level``
        (median, may be x.5; NA when not answered). ``attrs``: ``synthetic``,
        ``region`` (the country's), ``n_left_out``.
    """
    labels = theme_labels()
    themes = results.themes
    region_of_inst = results.scores.set_index("inst_id")["region"].astype("string")
    inst_region = themes["inst_id"].astype("string").map(region_of_inst)
    blocks = []  # (row label, kind, frame of themes)
    own_region = None
    if country is not None:
        inst = results.primary_institution(country)
        own_region = clean_text(inst["region"]) or None
        mine = themes[themes["inst_id"].astype("string") == str(inst["inst_id"])]
        blocks.append((country_name(country, strict=False) or country, "institution", mine))
        if own_region and region_sizes(results).get(own_region, 0) >= min_group:
            blocks.append((own_region, "region", themes[inst_region == own_region]))
        n_left_out = 0
    else:
        by_inst = pd.Series(_group_of(results, min_group).to_numpy(), index=results.scores["inst_id"].astype("string"))
        groups = themes["inst_id"].astype("string").map(by_inst)
        for group in _group_order(groups):
            blocks.append((group, "region", themes[groups == group]))
        n_left_out = int(groups.isna().sum())
    blocks.append((ALL_INSTITUTIONS, "all", themes))
    rows = []
    for label, kind, block in blocks:
        for key, theme_label in labels.items():
            if key in block.columns:
                rows.append({"row": label, "kind": kind, "n": int(len(block)), "theme": key,
                             "theme_label": theme_label, "level": median(block[key])})
    frame = pd.DataFrame(rows, columns=["row", "kind", "n", "theme", "theme_label", "level"])
    frame["level"] = frame["level"].astype("Float64")
    frame.attrs.update(synthetic=bool(results.synthetic), region=own_region, n_left_out=n_left_out)
    return frame


def practice_counts(results: SurveyResults, *, region=None) -> pd.DataFrame:
    """Good practices published with consent, counted by agenda theme and capacity.

    Parameters
    ----------
    region : str, optional
        Count only the practices of institutions in this UN SDG region.

    Returns
    -------
    DataFrame
        Every (theme, capacity) pair, in codebook order: ``theme``,
        ``theme_label``, ``capacity``, ``capacity_label``, ``n``.
        ``attrs``: ``synthetic``, ``region``, ``n_practices``,
        ``n_institutions`` (that shared at least one), ``n_unclassified``
        (without a theme or capacity).
    """
    practices = published_practices(results)
    if region is not None:
        region = check_region(region)
        practices = practices[practices["region"] == region]
    classified = practices.dropna(subset=["theme", "capacity"])
    counts = classified.groupby(["theme", "capacity"]).size()
    rows = [
        {"theme": t, "theme_label": tl, "capacity": c, "capacity_label": cl, "n": int(counts.get((t, c), 0))}
        for t, tl in theme_labels().items()
        for c, cl in dimension_labels().items()
    ]
    frame = pd.DataFrame(rows, columns=["theme", "theme_label", "capacity", "capacity_label", "n"])
    frame.attrs.update(
        synthetic=bool(results.synthetic), region=region, n_practices=int(len(practices)),
        n_institutions=int(practices["inst_id"].nunique()), n_unclassified=int(len(practices) - len(classified)),
    )
    return frame


def treaty_counts(treaties=None, *, treaty_codes=CORE_TREATIES) -> pd.DataFrame:
    """States parties to each core treaty, per UN SDG region (status as compiled in 2022).

    Returns
    -------
    DataFrame
        One row per region and treaty: ``region``, ``n_states`` (UN member
        states in the region), ``treaty``, ``n_party``, ``n_signatory``,
        ``share_party`` (0-1). ``attrs["n_states"]``: member states in all.

    Examples
    --------
    >>> counts = treaty_counts()
    >>> int(counts.query("treaty == 'ICMW'")["n_party"].sum())
    57
    """
    table = load_treaties(treaties)
    # The states listed for every treaty asked for: the 193 UN member states
    # (one optional protocol's file also lists a non-member).
    codes = [c for c in treaty_codes if c in set(table["treaty"])]
    listed = [set(table.loc[table["treaty"] == c, "iso3"].dropna()) for c in codes]
    states = pd.DataFrame({"iso3": sorted(set.intersection(*listed)) if listed else []})
    states["region"] = region_of(states["iso3"].astype("string"), strict=False)
    region_by_state = dict(zip(states["iso3"], states["region"], strict=True))
    rows = []
    for code in codes:
        sub = table[(table["treaty"] == code) & table["iso3"].isin(region_by_state)].assign(region=lambda d: d["iso3"].map(region_by_state))
        for region in REGIONS:
            here = sub[sub["region"] == region]
            n_states = int((states["region"] == region).sum())
            if not n_states:
                continue
            n_party = int((here["status"] == "party").sum())
            rows.append({"region": region, "n_states": n_states, "treaty": code, "n_party": n_party,
                         "n_signatory": int((here["status"] == "signatory").sum()), "share_party": n_party / n_states})
    frame = pd.DataFrame(rows, columns=["region", "n_states", "treaty", "n_party", "n_signatory", "share_party"])
    frame.attrs["n_states"] = int(len(states))
    return frame


def stock_trend(stock=None, *, country=None, region=None, year=None) -> list[dict]:
    """International migrant stock over time for a country, a UN SDG region or the world.

    Parameters
    ----------
    stock : DataFrame, optional
        :func:`nhri_capacity.reference.migration.load_migrant_stock` (loaded if omitted).
    country : str, optional
        ISO3 code.
    region : str, optional
        One of :data:`REGIONS`, or ``"World"``. Give *country* or *region*.
    year : int, optional
        Last year (default: all years).

    Returns
    -------
    list of dict
        ``{year, migrants, migrant_share_pct}`` per year with figures, oldest first.

    Examples
    --------
    >>> [round(t["migrants"] / 1e6, 1) for t in stock_trend(region="World")][::3]
    [153.0, 191.4, 280.6]
    """
    stock = load_stock(stock)
    if (country is None) == (region is None):
        raise BriefParameterError("Give either a country or a region for the migrant-stock trend")
    if country is not None:
        rows = stock[stock["is_country"].astype(bool) & (stock["iso3"] == country)]
    elif str(region).strip().lower() == "world":
        rows = stock[stock["location_code"] == _WORLD_CODE]
    else:
        code = {name: c for c, name in SDG_REGIONS.items()}[check_region(region)]
        rows = stock[(~stock["is_country"].astype(bool)) & (stock["location_code"] == code)]
    rows = rows.drop_duplicates("year").sort_values("year")
    if year is not None:
        rows = rows[rows["year"] <= check_year(year, stock=stock)]
    return [
        {"year": int(r["year"]), "migrants": float(r["migrants"]),
         "migrant_share_pct": None if is_missing(r["migrant_share_pct"]) else float(r["migrant_share_pct"])}
        for _, r in rows.iterrows()
        if not is_missing(r["migrants"])
    ]


def shared_capacity_profile(iso3: str, results: SurveyResults, *, min_group: int = MIN_GROUP) -> dict:
    """:func:`~nhri_capacity.brief.profiles.capacity_profile`, fit to show outside the institution.

    The regional medians are withheld (None, and ``regional_withheld`` True)
    when the region has fewer than *min_group* institutions: with two, the
    median and this institution's own score would give away the other's.
    """
    profile = capacity_profile(iso3, results)
    withheld = profile["n_region"] < min_group
    if withheld:
        profile = {**profile, "rows": [{**r, "regional_median": None} for r in profile["rows"]]}
    return {**profile, "regional_withheld": withheld}


def shared_need_and_capacity(results: SurveyResults, *, year=None, stock=None, min_group: int = MIN_GROUP):
    """:func:`~nhri_capacity.brief.profiles.need_and_capacity`, with the region left blank (NA)
    for regions under *min_group* institutions, so that no chart picks out their few dots."""
    frame = need_and_capacity(results, year=year, stock=stock)
    small = [r for r, n in region_sizes(results).items() if n < min_group]
    frame["region"] = frame["region"].mask(frame["region"].isin(small))
    return frame
