"""The institution's profile sections: capacities against medians, need and
capacity, activity on migration themes, and the constraints it reported.

Each function builds one section of a brief's data from the survey results
(and, for need and capacity, the migrant-stock table).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..common.values import is_missing
from ..reference import country_name
from ..survey import DIMENSIONS, load_codebook
from .context import check_year, load_stock
from .results import SurveyResults
from .values import clean_text, dimension_labels, median, num, rounded, theme_labels, whole

# capacity_gaps, need_capacity_section and level_label are shared within the
# sub-package only.
__all__ = [
    "weakness_order",
    "capacity_profile",
    "need_and_capacity",
    "need_capacity_points",
    "theme_profile",
    "constraints_profile",
]


def _interval_row(results: SurveyResults, inst_id: str):
    iv = results.intervals
    if iv is None or iv.empty or "inst_id" not in iv.columns:
        return None
    rows = iv[iv["inst_id"].astype("string") == inst_id]
    return None if rows.empty else rows.iloc[0]


def capacity_gaps(results: SurveyResults, inst: pd.Series) -> dict:
    """Each capacity's score minus the global median (None where either is missing)."""
    med = results.global_medians
    return {d: (None if is_missing(inst[d]) or med[d] is None else float(inst[d]) - med[d]) for d in DIMENSIONS}


def weakness_order(iso3: str, results: SurveyResults) -> list[str]:
    """The five capacities of a country's institution, weakest first.

    Weakest means furthest below the global median of all surveyed
    institutions (score minus median); capacities without a score come last,
    ties keep the codebook order.
    """
    inst = results.primary_institution(iso3)
    gaps = capacity_gaps(results, inst)
    return sorted(DIMENSIONS, key=lambda d: (gaps[d] is None, gaps[d] if gaps[d] is not None else 0.0, DIMENSIONS.index(d)))


def capacity_profile(iso3: str, results: SurveyResults) -> dict:
    """The institution's five capacities and composite against regional and global medians.

    Returns
    -------
    dict
        ``inst_id``, ``institution``, ``region``, ``n_region`` (institutions
        in the region), ``n_institutions``, ``rows`` (one per dimension then
        the composite: ``key``, ``label``, ``score``, ``p05``, ``p95``,
        ``regional_median``, ``global_median``, ``gap_global``),
        ``strengths`` and ``areas_to_develop`` (two capacities each, by gap
        to the global median), ``weakest_first``, ``rank_interval`` (data
        only, never shown as a headline), ``flags``, ``other_institutions``,
        ``n_draws``.
    """
    inst = results.primary_institution(iso3)
    scores = results.scores
    region = clean_text(inst["region"]) or None
    regional = scores[scores["region"] == region] if region else scores.iloc[0:0]
    labels = dimension_labels()
    labels["composite"] = "Composite"
    iv = _interval_row(results, str(inst["inst_id"]))
    rows = []
    for key in (*DIMENSIONS, "composite"):
        score = rounded(inst[key], 2)
        gmed = results.global_medians[key]
        row = {
            "key": key,
            "label": labels[key],
            "score": score,
            "p05": rounded(iv.get(f"{key}_p05"), 2) if iv is not None else None,
            "p95": rounded(iv.get(f"{key}_p95"), 2) if iv is not None else None,
            "median_draws": rounded(iv.get(f"{key}_median"), 2) if iv is not None else None,
            "regional_median": rounded(median(regional[key]), 2) if len(regional) else None,
            "global_median": rounded(gmed, 2),
            "gap_global": None if score is None or gmed is None else round(float(inst[key]) - gmed, 2),
        }
        rows.append(row)
    dims = [r for r in rows[:-1] if r["gap_global"] is not None]
    by_gap = sorted(dims, key=lambda r: (-r["gap_global"], DIMENSIONS.index(r["key"])))
    # Strengths are above the global median, areas to develop below it: an
    # institution below the median everywhere has no "strength" to report.
    strengths = [r for r in by_gap if r["gap_global"] > 0][:2]
    areas = [r for r in reversed(by_gap) if r["gap_global"] < 0][:2]

    def _brief(r):
        return {"key": r["key"], "label": r["label"], "score": r["score"], "global_median": r["global_median"], "gap_global": r["gap_global"]}

    rank_interval = None
    if iv is not None and "rank_p05" in iv.index:
        rank_interval = {
            "rank_p05": whole(iv.get("rank_p05")),
            "rank_p95": whole(iv.get("rank_p95")),
            "n_institutions": int(len(scores)),
        }
    others = [
        {"inst_id": str(r["inst_id"]), "institution": clean_text(r["institution"]), "composite": rounded(r["composite"], 1)}
        for _, r in results.institutions(iso3).iloc[1:].iterrows()
    ]
    flags = [f for f in clean_text(inst.get("flags")).split(";") if f]
    return {
        "inst_id": str(inst["inst_id"]),
        "institution": clean_text(inst["institution"]),
        "region": region,
        "n_region": int(len(regional)),
        "n_institutions": int(len(scores)),
        "rows": rows,
        "strengths": [_brief(r) for r in strengths],
        "areas_to_develop": [_brief(r) for r in areas],
        "weakest_first": weakness_order(iso3, results),
        "rank_interval": rank_interval,
        "flags": flags,
        "other_institutions": others,
        "n_draws": results.meta.get("n_draws") if iv is not None else None,
    }


def need_and_capacity(results: SurveyResults, *, year=None, stock=None) -> pd.DataFrame:
    """Need (migrants) against capacity for every institution in the survey.

    Returns
    -------
    DataFrame
        One row per institution: ``inst_id``, ``iso3``, ``country``,
        ``institution``, ``region``, ``composite``, ``migrants``,
        ``population``, ``migrant_share_pct``, ``staff_migration``,
        ``complaints`` (from migrants, last 12 months),
        ``staff_per_100k_migrants`` and ``complaints_per_10k_migrants``
        (NA where the figures are missing). ``attrs["year"]`` is the
        migrant-stock year.
    """
    stock = load_stock(stock)
    year = check_year(year, stock=stock)
    at_year = stock[stock["is_country"].astype(bool) & (stock["year"] == year)].drop_duplicates("iso3")
    at_year = at_year.set_index("iso3")
    scores = results.scores
    answers = results.answers
    out = pd.DataFrame(
        {
            "inst_id": scores["inst_id"].astype("string").to_numpy(),
            "iso3": scores["iso3"].astype("string").to_numpy(),
            "institution": scores["institution"].astype("string").to_numpy(),
            "region": scores["region"].astype("string").to_numpy(),
            "composite": pd.to_numeric(scores["composite"], errors="coerce").astype("float64").to_numpy(),
        }
    )
    out.insert(2, "country", [country_name(c, strict=False) if not is_missing(c) else pd.NA for c in out["iso3"]])
    for col in ("migrants", "population", "migrant_share_pct"):
        values = at_year[col].astype("float64") if col in at_year.columns else pd.Series(dtype="float64")
        out[col] = out["iso3"].map(values).astype("float64")

    def _answer(col):
        if col not in answers.columns:
            return np.full(len(out), np.nan)
        return pd.to_numeric(answers[col], errors="coerce").astype("float64").reindex(out["inst_id"]).to_numpy()

    out["staff_migration"] = _answer("staff_migration")
    out["complaints"] = _answer("ch2_complaints_received")
    migrants = out["migrants"].where(out["migrants"] > 0)
    out["staff_per_100k_migrants"] = out["staff_migration"] / migrants * 1e5
    out["complaints_per_10k_migrants"] = out["complaints"] / migrants * 1e4
    out.attrs["year"] = int(year)
    out.attrs["synthetic"] = bool(results.synthetic)
    return out


def need_capacity_points(frame: pd.DataFrame, *, country=None, inst_id=None, region=None) -> dict:
    """The need-and-capacity scatter as data: every institution it draws, and its group.

    Parameters
    ----------
    frame : DataFrame
        :func:`need_and_capacity`.
    country : str, optional
        ISO3 code of the highlighted country: its first institution in
        *frame* that is drawn is ``"this"``.
    inst_id : str, optional
        The highlighted institution itself (takes precedence over *country*).
    region : str, optional
        With no highlighted institution: the UN SDG region whose institutions
        are ``"region"`` (the others ``"other"``).

    Returns
    -------
    dict
        ``region`` (the highlighted institution's UN SDG region, else
        *region*, else None) and
        ``points``: one ``{migrant_share_pct, composite, group}`` per
        institution with a migrant share above 0 and a composite score (the
        log-scale chart cannot place the others), in the order of *frame*,
        at full precision; ``group`` is ``"this"``, ``"region"`` (same region
        as the highlighted institution) or ``"other"``. Points carry no name
        or id, so that a brief names no other institution's score.

    Examples
    --------
    >>> frame = pd.DataFrame({"inst_id": ["A-1", "B-1", "C-1"], "iso3": ["AAA", "BBB", "CCC"],
    ...                       "region": ["Europe", "Europe", "Asia"], "composite": [40.0, 55.5, None],
    ...                       "migrant_share_pct": [2.5, 12.0, 1.0]})
    >>> chart = need_capacity_points(frame, country="AAA")
    >>> chart["region"], [p["group"] for p in chart["points"]]
    ('Europe', ['this', 'region'])
    >>> chart["points"][1]
    {'migrant_share_pct': 12.0, 'composite': 55.5, 'group': 'region'}
    """
    data = frame.dropna(subset=["migrant_share_pct", "composite"])
    data = data[data["migrant_share_pct"] > 0]
    if inst_id is not None:
        mine = data[data["inst_id"].astype("string") == str(inst_id)]
    elif country is not None:
        mine = data[data["iso3"] == country]
    else:
        mine = data.iloc[0:0]
    this = mine.index[0] if len(mine) else None
    region = (clean_text(mine["region"].iloc[0]) or None) if len(mine) else (clean_text(region) or None)
    points = []
    for index, row in data.iterrows():
        if index == this:
            group = "this"
        elif region is not None and clean_text(row["region"]) == region:
            group = "region"
        else:
            group = "other"
        points.append(
            {"migrant_share_pct": float(row["migrant_share_pct"]), "composite": float(row["composite"]), "group": group}
        )
    return {"region": region, "points": points}


def need_capacity_section(iso3: str, inst_id: str, frame: pd.DataFrame) -> dict | None:
    """The brief's need-and-capacity section: the institution's figures, medians and the chart's points.

    Parameters
    ----------
    iso3, inst_id : str
        The country and its institution the brief is about.
    frame : DataFrame
        :func:`need_and_capacity` of every institution in the survey.

    Returns
    -------
    dict or None
        None when the country has no migrant share. Keys: ``year``, the
        institution's ``migrant_share_pct``, ``composite``,
        ``staff_per_100k_migrants``, ``complaints_per_10k_migrants``,
        ``migrants``, ``staff_migration``, ``complaints``, their
        ``global_median`` and ``regional_median``, ``n_institutions``,
        ``quadrant``, and the chart's ``region`` and ``points`` (see
        :func:`need_capacity_points`).
    """
    rows = frame[frame["inst_id"] == inst_id]
    if rows.empty or is_missing(rows.iloc[0]["migrant_share_pct"]):
        return None
    row = rows.iloc[0]
    region = row["region"]
    regional = frame[frame["region"] == region] if not is_missing(region) else frame.iloc[0:0]
    metrics = {
        "migrant_share_pct": 2,
        "composite": 2,
        "staff_per_100k_migrants": 2,
        "complaints_per_10k_migrants": 2,
    }
    values = {k: rounded(row[k], d) for k, d in metrics.items()}
    global_med = {k: rounded(median(frame[k]), d) for k, d in metrics.items()}
    regional_med = {k: rounded(median(regional[k]), d) for k, d in metrics.items()} if len(regional) else {}
    quadrant = None
    if values["migrant_share_pct"] is not None and values["composite"] is not None:
        need = "higher" if row["migrant_share_pct"] >= median(frame["migrant_share_pct"]) else "lower"
        cap = "higher" if row["composite"] >= median(frame["composite"]) else "lower"
        quadrant = {"need": need, "capacity": cap}
    return {
        "year": int(frame.attrs.get("year")) if frame.attrs.get("year") is not None else None,
        **values,
        "migrants": whole(row["migrants"]),
        "staff_migration": rounded(row["staff_migration"], 1),
        "complaints": rounded(row["complaints"], 1),
        "global_median": global_med,
        "regional_median": regional_med,
        "n_institutions": int(frame["composite"].notna().sum()),
        "quadrant": quadrant,
        **need_capacity_points(frame, inst_id=inst_id),
    }


def level_label(level) -> str | None:
    """Name of a theme activity level; a half level (respondents disagree) names both ends."""
    labels = load_codebook().choice_lists["activity4"]
    value = num(level)
    if value is None:
        return None
    if float(value).is_integer():
        return labels.get(int(value), str(value))
    lo, hi = int(math.floor(value)), int(math.ceil(value))
    return f"{labels.get(lo, lo)} to {labels.get(hi, hi)}"


def theme_profile(iso3: str, results: SurveyResults) -> list[dict]:
    """Activity on the nine migration themes (0 none to 3 core programme).

    Returns
    -------
    list of dict
        One per theme in codebook order: ``key``, ``label``, ``level``
        (may be x.5 when respondents disagree), ``level_label``,
        ``regional_median``, ``global_median``. Empty when the institution
        answered none of the theme questions.
    """
    inst = results.primary_institution(iso3)
    themes = results.themes
    mine = themes[themes["inst_id"].astype("string") == str(inst["inst_id"])]
    if mine.empty:
        return []
    mine = mine.iloc[0]
    region_of_inst = results.scores.set_index("inst_id")["region"]
    inst_regions = themes["inst_id"].astype("string").map(region_of_inst)
    regional = themes[inst_regions == inst["region"]] if not is_missing(inst["region"]) else themes.iloc[0:0]
    out = []
    for key, label in theme_labels().items():
        if key not in themes.columns:
            continue
        level = rounded(mine[key], 1)
        out.append(
            {
                "key": key,
                "label": label,
                "level": level,
                "level_label": level_label(level),
                "regional_median": rounded(median(regional[key]), 1) if len(regional) else None,
                "global_median": rounded(median(themes[key]), 1),
            }
        )
    if all(t["level"] is None for t in out):
        return []
    return out


def constraints_profile(iso3: str, results: SurveyResults) -> dict | None:
    """Constraints the institution selected and the support it asked for.

    A constraint counts when any respondent of the institution selected it.

    Returns
    -------
    dict or None
        ``selected`` (list of {key, label}), ``n_options``, ``support_needed``
        (list of distinct texts); None when there is neither.
    """
    cb = load_codebook()
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    selected = []
    if inst_id in results.answers.index:
        row = results.answers.loc[inst_id]
        for column, choice in cb.multi_select_columns("constraints").items():
            if column in row.index and num(row[column]) == 1:
                selected.append({"key": choice, "label": cb["constraints"].choices[choice]})
    texts = []
    if "support_needed" in results.survey.columns:
        rows = results.survey[results.survey[cb.institution_variable].astype("string") == inst_id]
        for value in rows["support_needed"]:
            text = clean_text(value)
            if text and text not in texts:
                texts.append(text)
    if not selected and not texts:
        return None
    return {"selected": selected, "n_options": len(cb["constraints"].choices), "support_needed": texts}

