"""The brief of one country as data: :class:`Brief` and :func:`build_brief`.

``Brief.data`` (written as ``data.json``) holds every number, label and chart
point the brief shows, by section (:data:`SECTIONS`); the render stage
(:mod:`nhri_capacity.render`) draws the charts and writes the HTML and PDF
from it alone, so a brief can be rendered again from its ``data.json``.

Design choices
--------------
* **One brief per country.** When a country has several institutions in the
  survey, the brief is about the first by ``inst_id`` (its capacity profile,
  themes, recommendations, good practices and constraints); the header names
  all of them and the capacity section lists the others' composite scores.
* **Weakest first** means *furthest below the global median of all surveyed
  institutions* (score minus global median), not the lowest raw score, since
  some capacities score lower everywhere. Recommendations are ordered by it,
  and peers' good practices are chosen for the two weakest capacities.
* **Not a league table.** The rank interval is kept in ``data`` for analysts
  (``capacity.rank_interval``) but the brief never shows a rank.
* **No other institution is named by its score.** The need-and-capacity
  chart's points (``need_capacity.points``) carry a group (this institution,
  same region, other) but no name or id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from ..common.clock import today_iso
from ..common.values import is_missing
from ..common.version import toolkit_version
from ..reference import (
    MIGRANT_STOCK_CITATION,
    MIGRANT_STOCK_LICENCE,
    TREATY_SOURCE,
    TREATY_VINTAGE,
    country_name,
)
from ..survey import SYNTHETIC_NOTICE, load_codebook
from .context import check_country, check_year, load_stock, load_treaties, migration_context, treaty_context
from .keyfigures import key_figures
from .peers import peer_practices
from .profiles import (
    capacity_profile,
    constraints_profile,
    need_and_capacity,
    need_capacity_section,
    theme_profile,
)
from .results import SurveyResults, survey_results
from .rules import recommend, rule_facts
from .values import clean_text, jsonable, whole

__all__ = ["Brief", "build_brief", "brief_data", "brief_json", "SECTIONS"]

#: Brief sections in display order (``header`` and ``methods`` are always present).
SECTIONS = (
    "header",
    "migration",
    "treaties",
    "capacity",
    "need_capacity",
    "themes",
    "recommendations",
    "good_practices",
    "constraints",
    "methods",
)
_ACCREDITATION_LABELS = {1: "A status", 2: "B status", 3: "Not accredited", 4: "Accreditation status unknown"}


def brief_data(brief) -> dict:
    """The data of a brief: ``brief.data`` of a :class:`Brief`, or the dict itself (as read from ``data.json``).

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> data = {"header": {"iso3": "MEX"}}
    >>> brief_data(data) is brief_data(Brief(data)) is data
    True
    """
    data = brief if isinstance(brief, dict) else getattr(brief, "data", None)
    if not isinstance(data, dict) or "header" not in data:
        raise TypeError(
            "Expected a Brief or its data (a dict with a 'header' section, as in data.json), "
            f"not {type(brief).__name__}"
        )
    return data


def brief_json(brief) -> str:
    """A brief's data as JSON text, as written to ``data.json``: sorted keys, indent 2, missing as null.

    *brief* is a :class:`Brief` or its data.
    """
    data = jsonable(brief_data(brief))
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _spec_summary(spec: dict) -> dict:
    weights = spec.get("weights") or {}
    return {
        "respondents": f"coded items: {spec['respondents']['coded']}; counts: {spec['respondents']['numeric']}",
        "normalisation": spec["normalisation"]["default"],
        "normalisation_overrides": sorted(spec["normalisation"].get("items") or {}),
        "min_answered_share": spec["min_answered_share"],
        "imputation": spec["imputation"],
        "item_aggregation": spec["item_aggregation"],
        "aggregation": spec["aggregation"],
        "item_weights": "equal" if not weights.get("items") else "custom",
        "dimension_weights": "equal" if not weights.get("dimensions") else weights.get("dimensions"),
        "composite_requires_all_dimensions": spec["composite_requires_all_dimensions"],
    }


def _header(iso3: str, results: SurveyResults, migration: dict | None) -> dict:
    cb = load_codebook()
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    answers = results.answers.loc[inst_id] if inst_id in results.answers.index else pd.Series(dtype=object)
    accreditation = whole(answers.get("accreditation"))
    inst_type = whole(answers.get("inst_type"))
    date_last = answers.get("survey_date")
    date_first = answers.get("survey_date_first")
    institutions = [
        {"inst_id": str(r["inst_id"]), "name": clean_text(r["institution"]), "n_respondents": whole(r["n_respondents"])}
        for _, r in results.institutions(iso3).iterrows()
    ]
    return {
        "country": clean_text(country_name(iso3, strict=False)) or iso3,
        "iso3": iso3,
        "region": clean_text(inst["region"]) or (migration or {}).get("region"),
        "institution": clean_text(inst["institution"]),
        "inst_id": inst_id,
        "institutions": institutions,
        "institution_type": cb["inst_type"].choices.get(inst_type) if inst_type else None,
        "accreditation": accreditation,
        "accreditation_label": _ACCREDITATION_LABELS.get(accreditation, "Not reported"),
        "n_respondents": whole(inst["n_respondents"]),
        "survey_date": jsonable(date_last) if not is_missing(date_last) else None,
        "survey_date_first": jsonable(date_first) if not is_missing(date_first) else None,
        "synthetic": bool(results.synthetic),
        "synthetic_notice": SYNTHETIC_NOTICE if results.synthetic else None,
        "generated": today_iso(),
        "title": f"{clean_text(country_name(iso3, strict=False)) or iso3}: capacity to protect migrants' rights",
    }


def _methods(results: SurveyResults, migration, treaties_section) -> dict:
    edition = (migration or {}).get("edition") or "International Migrant Stock 2020"
    sources = [
        {
            "key": "un_desa",
            "name": f"UN DESA {edition}",
            "citation": MIGRANT_STOCK_CITATION,
            "licence": MIGRANT_STOCK_LICENCE,
            "note": "Licensed under Creative Commons Attribution 3.0 IGO; citation required. "
            "Migrant stock at mid-year; refugees include asylum seekers.",
        },
        {
            "key": "treaties",
            "name": "UN human rights treaty status",
            "citation": TREATY_SOURCE,
            "licence": "United Nations; reproduced for information with attribution",
            "note": f"Ratification {TREATY_VINTAGE}; later ratifications are not shown.",
        },
    ]
    meta = results.meta
    survey = {
        "file_name": meta.get("file_name"),
        "sha256": meta.get("sha256"),
        "format": meta.get("format"),
        "n_institutions": meta.get("n_institutions"),
        "n_countries": meta.get("n_countries"),
        "n_respondents": meta.get("n_rows"),
        "synthetic": bool(results.synthetic),
    }
    return {
        "sources": sources,
        "survey": survey,
        "scoring": _spec_summary(results.spec),
        "intervals": {
            "n_draws": meta.get("n_draws"),
            "seed": meta.get("seed"),
            "description": "Each score's 90% range (5th to 95th percentile) over method draws that vary "
            "weights, normalisation and aggregation.",
        }
        if not results.intervals.empty
        else None,
        "toolkit_version": toolkit_version(),
        "generated": today_iso(),
        "synthetic_notice": (
            "The survey answers, scores, practices and institution names in this brief are invented for "
            "illustration (synthetic sample); they say nothing about the real institution. The UN migration "
            "figures and treaty status are real."
            if results.synthetic
            else None
        ),
    }


@dataclass
class Brief:
    """One country's brief.

    Render it with :mod:`nhri_capacity.render`: ``brief_figures(brief)``,
    ``render_html(brief)``, ``write_brief_files(brief, out_dir)``, which use
    :attr:`data` only.

    Attributes
    ----------
    data : dict
        JSON-serialisable; every number, label and chart point the brief
        shows, by section (see :data:`SECTIONS`). Sections without data are
        absent. ``Brief(json.loads(text))`` is the brief of a ``data.json``.
    results : SurveyResults, optional
        The survey results the brief was built from, for further analysis
        (rendering never uses them).
    """

    data: dict
    results: SurveyResults | None = field(default=None, repr=False, compare=False)

    @property
    def iso3(self) -> str:
        return self.data["header"]["iso3"]

    @property
    def synthetic(self) -> bool:
        return bool(self.data["header"]["synthetic"])

    @property
    def sections(self) -> list[str]:
        """Sections present in :attr:`data`, in display order."""
        return [s for s in SECTIONS if s in self.data]

    def key_figures(self) -> dict:
        """A few headline figures, for the batch index (see :mod:`nhri_capacity.brief.keyfigures`)."""
        return key_figures(self.data)

    def to_json(self) -> str:
        """:attr:`data` as JSON text (see :func:`brief_json`)."""
        return brief_json(self)

    def __repr__(self) -> str:
        h = self.data["header"]
        note = ", synthetic" if h["synthetic"] else ""
        return f"<Brief {h['iso3']} {h['institution']!r}: {len(self.sections)} sections{note}>"


def build_brief(country, *, survey=None, year=None, results=None, spec=None, stock=None, treaties=None) -> Brief:
    """Build the brief of one country.

    Parameters
    ----------
    country : str
        ISO3 code (any case) of a country with an institution in the survey.
    survey : str, Path or DataFrame, optional
        Survey (default: the bundled sample); ignored when *results* is given.
    year : int, optional
        Migrant-stock year; default the latest in the table.
    results : SurveyResults, optional
        From :func:`survey_results`; computed (or read from the cache) if omitted.
    spec : optional
        Scoring spec, used when *results* is computed here.
    stock, treaties : DataFrame, optional
        Reference tables (loaded from the cache if omitted).

    Returns
    -------
    Brief

    Raises
    ------
    BriefParameterError
        If *country* is not a known ISO3 code or has no institution in the
        survey (the message lists the available codes), or *year* is not a
        year of the migrant-stock table.

    Examples
    --------
    >>> brief = build_brief("MEX")
    >>> brief.data["migration"]["migrants"]
    1197624
    """
    if results is None:
        results = survey_results(survey, spec=spec)
    iso3 = check_country(country, results)
    stock = load_stock(stock)
    year = check_year(year, stock=stock)
    treaties = load_treaties(treaties)
    inst = results.primary_institution(iso3)

    data: dict = {}
    migration = migration_context(iso3, year=year, stock=stock)
    data["header"] = _header(iso3, results, migration)
    if migration is not None:
        data["migration"] = migration
    tre = treaty_context(iso3, treaties=treaties)
    if tre is not None:
        data["treaties"] = tre
    data["capacity"] = capacity_profile(iso3, results)
    need = need_capacity_section(iso3, str(inst["inst_id"]), need_and_capacity(results, year=year, stock=stock))
    if need is not None:
        data["need_capacity"] = need
    themes = theme_profile(iso3, results)
    if themes:
        data["themes"] = {"items": themes, "scale": load_codebook().choice_lists["activity4"], "region": data["header"]["region"]}
    values = rule_facts(iso3, results, treaties=treaties, stock=stock, year=year)
    recs = recommend(iso3, results, values=values)
    if recs:
        data["recommendations"] = recs
    peers = peer_practices(iso3, results)
    if peers:
        data["good_practices"] = peers
    constraints = constraints_profile(iso3, results)
    if constraints is not None:
        data["constraints"] = constraints
    data["methods"] = _methods(results, migration, tre)
    data = jsonable(data)
    data["key_figures"] = jsonable(key_figures(data))
    return Brief(data=data, results=results)
