"""The good practices that may be published, as tables: the compendium's content.

The survey asks each respondent for up to three good practices and, for each,
"may it be published with the institution's name?" (``gpN_consent``). This
module decides which practices are published and lays them out as tables;
:mod:`nhri_capacity.training.compendium` renders them.

Rules
-----
* **Consent.** A practice is published only when every respondent of the
  institution who reported it answered *yes* (code 1). A *no*, a missing
  answer or any other code keeps it out, everywhere: the compendium, the
  peers' practices of the briefs (:func:`nhri_capacity.brief.peers.peer_practices`
  uses :func:`published_practices` too) and whatever is built from them.
* **One row per practice.** Several respondents of one institution reporting
  the same practice (same title, ignoring case and spacing) make one row; the
  themes they gave are all kept (``themes``), the first respondent's theme,
  capacity, year and description are shown.
* **No league table.** No score, rank or interval appears in these tables;
  rows are ordered by theme, capacity and country.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import pandas as pd

from ..errors import BriefParameterError
from ..reference import SDG_REGIONS, country_name
from ..survey import DIMENSIONS, load_codebook
from .results import SurveyResults, good_practices, survey_results
from .values import clean_text, dimension_labels, theme_labels

__all__ = [
    "published_practices",
    "practice_compendium",
    "practice_overview",
    "publication_counts",
    "check_practice_filter",
    "COMPENDIUM_COLUMNS",
]

#: Columns of :func:`practice_compendium`, in order.
COMPENDIUM_COLUMNS = [
    "inst_id", "institution", "country", "iso3", "region", "year", "title", "description",
    "theme", "theme_label", "themes", "themes_label", "capacity", "capacity_label",
]
_ALL_REGIONS = "All regions"
_ALL_THEMES = "All themes"
_GP_PREFIXES = ("gp1_", "gp2_", "gp3_")


def _title_key(title) -> str:
    return " ".join(str(title).split()).casefold()


def _sort_key(text) -> str:
    """Text for sorting: accents and case ignored (Côte d'Ivoire sorts under C)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _reports(results: SurveyResults) -> pd.DataFrame:
    """Every practice as each respondent reported it (one row per respondent and practice).

    :func:`~nhri_capacity.brief.results.good_practices` keeps one report per
    institution and title; the survey is split so that each part holds one
    respondent per institution, and the parts' practices are stacked.
    """
    survey = results.survey
    cb = load_codebook()
    if survey.empty or cb.institution_variable not in survey.columns:
        return good_practices(results).assign(respondent=pd.Series(dtype="int64"))
    # Only the columns good_practices reads (it goes through rows as dicts).
    wanted = [cb.institution_variable, cb.country_variable, "inst_name"]
    wanted += [c for c in survey.columns if c.startswith(_GP_PREFIXES)]
    survey = survey[[c for c in dict.fromkeys(wanted) if c in survey.columns]]
    order = survey.groupby(survey[cb.institution_variable].astype("string").to_numpy(), sort=False).cumcount()
    order = order.to_numpy()
    parts = []
    for k in sorted(set(order.tolist())):
        part = dataclasses.replace(results, survey=survey[order == k])
        parts.append(good_practices(part).assign(respondent=k))
    return pd.concat(parts, ignore_index=True)


def _with_keys(reports: pd.DataFrame) -> pd.DataFrame:
    """*reports* with the practice key (title ignoring case and spacing) and a yes-to-consent flag."""
    return reports.assign(
        _key=reports["title"].map(_title_key),
        _yes=reports["consent"].astype("Float64").eq(1).fillna(False).astype(bool),
    )


def published_practices(results: SurveyResults) -> pd.DataFrame:
    """The practices that may be published with the institution's name, one row each.

    Parameters
    ----------
    results : SurveyResults

    Returns
    -------
    DataFrame
        The columns of :func:`~nhri_capacity.brief.results.good_practices`
        (``consent`` is 1 on every row) plus ``themes``, a tuple of every theme
        key given for the practice (the first respondent's first), and
        ``n_reports``, how many respondents reported it. Ordered by
        respondent (first respondents of every institution first) and slot.

    Examples
    --------
    >>> res = survey_results(n_draws=200)
    >>> pub = published_practices(res)
    >>> bool((pub["consent"] == 1).all()), len(pub) <= len(res.practices)
    (True, True)
    """
    reports = _with_keys(_reports(results)).sort_values(["respondent", "slot"], kind="stable")
    keys = ["inst_id", "_key"]
    reports = reports[reports.groupby(keys, sort=False)["_yes"].transform("all").astype(bool)]
    groups = reports.groupby(keys, sort=False)
    themes = groups["theme"].agg(lambda s: tuple(dict.fromkeys(t for t in s if isinstance(t, str))))
    described = reports["description"].where(reports["description"].map(bool))
    out = reports.drop_duplicates(keys, keep="first").set_index(keys)
    out["description"] = described.groupby([reports[k] for k in keys], sort=False).first().reindex(out.index)
    out["description"] = out["description"].fillna("")
    out["themes"] = themes.reindex(out.index)
    out["n_reports"] = groups.size().reindex(out.index).astype("int64")
    out = out.reset_index(drop=False).drop(columns=["_key", "_yes", "respondent"])
    out = out[[*[c for c in reports.columns if c not in ("_key", "_yes", "respondent")], "themes", "n_reports"]]
    out.attrs = {"synthetic": bool(results.synthetic)}
    return out.reset_index(drop=True)


def publication_counts(results: SurveyResults) -> dict:
    """How many practices were reported, published and left out (counts only, never their text).

    Returns
    -------
    dict
        ``n_reported`` (distinct practices: institution and title),
        ``n_published``, ``n_withheld`` (without consent to publication),
        ``n_institutions`` (in the survey) and ``n_institutions_published``
        (with at least one published practice).
    """
    reports = _with_keys(_reports(results))
    n_institutions = int(results.scores["inst_id"].nunique())
    if reports.empty:
        return {"n_reported": 0, "n_published": 0, "n_withheld": 0,
                "n_institutions": n_institutions, "n_institutions_published": 0}
    published = reports.groupby(["inst_id", "_key"])["_yes"].all()
    n_published = int(published.sum())
    institutions = published[published].index.get_level_values(0)
    return {
        "n_reported": int(len(published)),
        "n_published": n_published,
        "n_withheld": int(len(published) - n_published),
        "n_institutions": n_institutions,
        "n_institutions_published": int(institutions.nunique()),
    }


def _choose(kind: str, value, options: dict):
    """The key of *value* among *options* (key -> label), by key or label, any case."""
    if value is None:
        return None
    text = " ".join(str(value).split()).casefold()
    for key, label in options.items():
        if text in (str(key).casefold(), str(label).casefold()):
            return key
    listed = ", ".join(f"{k} ({v})" if k != v else str(k) for k, v in options.items())
    raise BriefParameterError(f"Unknown {kind} {value!r}; choose one of: {listed}")


def check_practice_filter(*, theme=None, capacity=None, region=None) -> dict:
    """Check a theme, capacity and region choice; return their keys (None where not given).

    A theme or capacity is given by its key or its label, a region by its UN
    SDG region name; case does not matter.

    Raises
    ------
    BriefParameterError
        For an unknown value, with the list of valid ones.

    Examples
    --------
    >>> check_practice_filter(theme="Trafficking and smuggling", region="sub-saharan africa")
    {'theme': 'trafficking_smuggling', 'capacity': None, 'region': 'Sub-Saharan Africa'}
    """
    regions = {name: name for name in SDG_REGIONS.values()}
    return {
        "theme": _choose("theme", theme, theme_labels()),
        "capacity": _choose("capacity", capacity, dimension_labels()),
        "region": _choose("region", region, regions),
    }


def practice_compendium(results_or_survey=None, *, theme=None, capacity=None, region=None) -> pd.DataFrame:
    """The good practices that may be published, for a compendium: one row per practice.

    Only practices whose institution consented to publication with its name
    are included (see the module's rules); no score or rank appears.

    Parameters
    ----------
    results_or_survey : SurveyResults, str, Path or DataFrame, optional
        Survey results, or a survey (file or frame) to compute them from with
        :func:`~nhri_capacity.brief.results.survey_results`. Default: the
        bundled synthetic sample.
    theme : str, optional
        Keep the practices serving this agenda theme (key or label, e.g.
        ``"trafficking_smuggling"``).
    capacity : str, optional
        Keep the practices of this capacity (key or label, e.g. ``"law_reform"``).
    region : str, optional
        Keep the practices of institutions in this UN SDG region.

    Returns
    -------
    DataFrame
        :data:`COMPENDIUM_COLUMNS`: ``inst_id``, ``institution``, ``country``,
        ``iso3``, ``region``, ``year``, ``title``, ``description``, ``theme``
        (main theme key), ``theme_label``, ``themes`` (tuple of every theme
        key it serves), ``themes_label`` (their labels, ``"; "``-separated),
        ``capacity``, ``capacity_label``. Sorted by theme (agenda order),
        capacity, country, institution and title. ``attrs["synthetic"]`` says
        whether the survey is the synthetic sample. Empty (with these
        columns) when nothing matches.

    Raises
    ------
    BriefParameterError
        For an unknown theme, capacity or region (the message lists the valid ones).

    Examples
    --------
    >>> table = practice_compendium(survey_results(n_draws=200), theme="trafficking_smuggling")
    >>> sorted(set(table["theme"])), table.attrs["synthetic"]
    (['trafficking_smuggling'], True)
    """
    chosen = check_practice_filter(theme=theme, capacity=capacity, region=region)
    results = results_or_survey if isinstance(results_or_survey, SurveyResults) else survey_results(results_or_survey)
    labels = theme_labels()
    table = published_practices(results).copy()
    table["country"] = [clean_text(country_name(c, strict=False)) or c for c in table["iso3"]]
    table["themes_label"] = ["; ".join(labels.get(t, t) for t in ts) for ts in table["themes"]]
    if chosen["theme"]:
        table = table[[chosen["theme"] in ts for ts in table["themes"]]]
    if chosen["capacity"]:
        table = table[table["capacity"] == chosen["capacity"]]
    if chosen["region"]:
        table = table[table["region"] == chosen["region"]]
    theme_rank = {k: i for i, k in enumerate(labels)}
    cap_rank = {k: i for i, k in enumerate(DIMENSIONS)}
    order = sorted(
        range(len(table)),
        key=lambda i: (
            theme_rank.get(table["theme"].iloc[i], len(theme_rank)),
            cap_rank.get(table["capacity"].iloc[i], len(cap_rank)),
            _sort_key(table["country"].iloc[i]),
            _sort_key(table["institution"].iloc[i]),
            _sort_key(table["title"].iloc[i]),
        ),
    )
    out = table.iloc[order][COMPENDIUM_COLUMNS].reset_index(drop=True)
    out["year"] = out["year"].astype("Int64")
    out.attrs = {"synthetic": bool(results.synthetic)}
    return out


def practice_overview(compendium: pd.DataFrame, *, themes=None) -> pd.DataFrame:
    """Counts of published practices by agenda theme (rows) and UN SDG region (columns).

    A practice serving several themes counts in each of their rows; the last
    row (``"All themes"``) counts every practice once. Regions are those of
    the practices, in the UN DESA workbook's order, then ``"All regions"``.

    Parameters
    ----------
    compendium : DataFrame
        From :func:`practice_compendium`.
    themes : sequence of str, optional
        Theme keys for the rows, in order (default: every agenda theme, so a
        theme without practices shows zeros).

    Returns
    -------
    DataFrame
        Index: theme labels (named ``theme``); integer counts.

    Examples
    --------
    >>> table = practice_compendium(survey_results(n_draws=200))
    >>> overview = practice_overview(table)
    >>> int(overview.loc["All themes", "All regions"]) == len(table)
    True
    """
    labels = theme_labels()
    keys = list(themes) if themes is not None else list(labels)
    region = compendium["region"].astype(object).where(compendium["region"].notna(), "Region unknown")
    present = set(region)
    regions = [r for r in SDG_REGIONS.values() if r in present] + sorted(present - set(SDG_REGIONS.values()))
    served = pd.DataFrame({"region": region, "theme": compendium["themes"]}).explode("theme").dropna()
    table = pd.crosstab(served["theme"], served["region"]).reindex(index=keys, columns=regions, fill_value=0)
    table[_ALL_REGIONS] = served.groupby("theme").size().reindex(keys, fill_value=0)
    total = region.value_counts().reindex(regions, fill_value=0).tolist() + [len(compendium)]
    table.loc[_ALL_THEMES] = total
    table.index = pd.Index([labels.get(k, k) for k in keys] + [_ALL_THEMES], name="theme")
    table.columns.name = "region"
    table = table.astype("int64")
    table.attrs = {"synthetic": bool(compendium.attrs.get("synthetic"))}
    return table
