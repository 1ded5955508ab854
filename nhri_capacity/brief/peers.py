"""Peers' good practices for a brief: practices of institutions strong where this one is weakest.

The practices themselves are a table of the survey: those that may be
published (:func:`nhri_capacity.brief.compendium.published_practices`, the
same consent rule as the compendium); this module chooses among them.
"""

from __future__ import annotations

import pandas as pd

from ..common.values import is_missing
from ..reference import country_name
from .compendium import published_practices
from .profiles import weakness_order
from .results import SurveyResults
from .values import clean_text, dimension_labels, num, rounded

__all__ = ["peer_practices"]


def peer_practices(iso3: str, results: SurveyResults, *, max_items: int = 4) -> list[dict]:
    """Good practices of peers that are strong where this institution is weakest.

    Only practices that may be published are used
    (:func:`~nhri_capacity.brief.compendium.published_practices`: every
    respondent who reported it answered yes to ``gpN_consent``), never the
    institution's own. The two weakest capacities (:func:`weakness_order`)
    are targeted. Candidates in order of preference: a practice on that capacity from a peer in the top
    quarter on it; then from a peer above the median on it. Within a tier,
    peers of the same UN SDG region come first, then the weaker capacity,
    then the peer's score. At most one practice per peer while others remain.

    Returns
    -------
    list of dict
        ``institution``, ``country``, ``iso3``, ``region``, ``same_region``,
        ``title``, ``description`` (full text), ``theme``, ``capacity``,
        ``year``, ``peer_score``, ``global_median``, ``reason``.
    """
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    region = clean_text(inst["region"]) or None
    weakest = [d for d in weakness_order(iso3, results) if not is_missing(inst[d])][:2]
    if not weakest:
        return []
    practices = published_practices(results)
    practices = practices[practices["inst_id"] != inst_id]
    if practices.empty:
        return []
    score_of = {
        d: dict(zip(results.scores["inst_id"].astype(str), pd.to_numeric(results.scores[d], errors="coerce").astype("float64"), strict=True))
        for d in weakest
    }
    q75_of = {d: float(pd.Series(list(score_of[d].values())).quantile(0.75)) for d in weakest}
    labels = dimension_labels()
    candidates = []
    for p in practices.to_dict("records"):
        dim = p["capacity"]
        if dim not in weakest:
            continue
        peer_score = num(score_of[dim].get(p["inst_id"]))
        if peer_score is None:
            continue
        q75 = q75_of[dim]
        med = results.global_medians[dim]
        if peer_score >= q75:
            tier = 0
        elif med is not None and peer_score > med:
            tier = 1
        else:
            continue
        same_region = bool(region) and p["region"] == region
        candidates.append((tier, not same_region, weakest.index(dim), -peer_score, p["inst_id"], int(p["slot"]), p, peer_score, med))
    candidates.sort(key=lambda c: c[:6])
    # First pass: one practice per peer and no two with the same title; then
    # fill up with what is left.
    chosen, used, titles = [], set(), set()
    for pass_ in (0, 1):
        for c in candidates:
            if len(chosen) >= max_items:
                break
            title = str(c[6]["title"]).casefold()
            if c in chosen or (pass_ == 0 and (c[4] in used or title in titles)):
                continue
            chosen.append(c)
            used.add(c[4])
            titles.add(title)
    chosen.sort(key=lambda c: c[:6])
    out = []
    for _tier, other_region, _, _, peer_id, _, p, peer_score, med in chosen:
        dim = p["capacity"]
        out.append(
            {
                "inst_id": peer_id,
                "institution": p["institution"],
                "iso3": p["iso3"],
                "country": clean_text(country_name(p["iso3"], strict=False)) or p["iso3"],
                "region": p["region"],
                "same_region": not other_region,
                "title": p["title"],
                "description": p["description"],
                "theme": p["theme_label"],
                "capacity": p["capacity_label"],
                "capacity_key": dim,
                "year": p["year"],
                "peer_score": rounded(peer_score, 1),
                "global_median": rounded(med, 1),
                "reason": (
                    f"{labels[dim]}: peer score {peer_score:.0f}, global median {med:.0f}"
                    if med is not None else f"{labels[dim]}: peer score {peer_score:.0f}"
                ),
            }
        )
    return out

