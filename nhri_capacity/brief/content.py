"""Country brief content: every number, list and sentence a brief shows.

This module turns the scored survey and the reference data into the content of
one country's brief, as plain data. Nothing here draws or renders:
:mod:`nhri_capacity.render.plots` draws the charts and :mod:`nhri_capacity.render.html`
writes HTML and PDF, both from :attr:`Brief.data`.

Main entry points
-----------------
:func:`survey_results`
    Scores, theme activity, item scores and score intervals of every
    institution in a survey, computed once and cached under
    ``data/processed/survey_results/`` so that a batch of 110 briefs does the
    1,000 interval draws once.
:func:`build_brief`
    The brief of one country (:class:`Brief`): ``brief.data`` is a
    JSON-serialisable dict holding every number the brief shows.

The helpers :func:`migration_context`, :func:`treaty_context`,
:func:`capacity_profile`, :func:`need_and_capacity`, :func:`theme_profile`,
:func:`recommend` and :func:`peer_practices` each build one section and can be
used (and tested) on their own.

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
* **Recommendations are data.** ``resources/recommendation_rules.yaml`` holds
  the rules as declarative conditions (see that file); :func:`evaluate_condition`
  interprets them without ``eval``.

:class:`Brief` has two conveniences that call modules further down the
pipeline at call time (:attr:`Brief.figures` uses :mod:`nhri_capacity.render.plots`,
:meth:`Brief.to_html` uses :mod:`nhri_capacity.render.html`); nothing in this
module imports them at import time.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
import numbers
import os
import pickle
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.version import toolkit_version
from .keyfigures import key_figures
from .. import config
from ..common.yamlfile import load_yaml
from ..common.values import is_missing as _isna
from ..common.io import atomic_path, sha256_file
from ..survey import DIMENSIONS, load_codebook
from ..errors import BriefParameterError, SpecError, SurveyReadError, SurveyValidationError
from ..survey import SYNTHETIC_NOTICE

__all__ = [
    "SurveyResults",
    "Brief",
    "Rule",
    "survey_results",
    "build_brief",
    "check_year",
    "migration_context",
    "treaty_context",
    "capacity_profile",
    "need_and_capacity",
    "theme_profile",
    "rule_facts",
    "recommend",
    "peer_practices",
    "good_practices",
    "constraints_profile",
    "load_rules",
    "evaluate_condition",
    "condition_evidence",
    "weakness_order",
    "INTERVAL_SEED",
    "SECTIONS",
    "RULE_OPS",
    "RULE_FACTS",
]

log = logging.getLogger(__name__)

#: Seed of the interval draws (the command line's default too).
INTERVAL_SEED = 12345
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
#: Comparison operators a rule condition may use.
RULE_OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "not in", "missing", "present")
CONTEXT = "context"
#: Facts a rule condition may test besides survey items (see the rule file).
RULE_FACTS = (
    "icmw_status",
    "opcat_status",
    "cat_status",
    "cedaw_status",
    "crc_status",
    "icerd_status",
    "migrants",
    "migrant_share_pct",
    "female_share_pct",
    "refugee_share_pct",
    "staff_per_100k_migrants",
    "complaints_per_10k_migrants",
    "composite",
    "region",
    *DIMENSIONS,
    *(f"{d}_gap" for d in DIMENSIONS),
)
_FACT_TREATIES = {"icmw": "ICMW", "opcat": "OPCAT", "cat": "CAT", "cedaw": "CEDAW", "crc": "CRC", "icerd": "ICERD"}
_RESULTS_DIRNAME = "survey_results"
_RESULTS_FORMAT = 2  # bump when what SurveyResults holds changes
_GP_SLOTS = (1, 2, 3)
# Profile items (section A) combined per institution here (scoring combines B-D).
_PROFILE_CODED = ("inst_type", "accreditation", "focal_point")
_PROFILE_NUMERIC = ("year_established", "staff_total", "staff_migration", "budget_migration_pct")
_ACCREDITATION_LABELS = {1: "A status", 2: "B status", 3: "Not accredited", 4: "Accreditation status unknown"}


# =============================================================================
# Small helpers
# =============================================================================
def _num(value):
    """A Python float, or None when missing or not a number."""
    if _isna(value) or isinstance(value, (bool, np.bool_)):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _round(value, digits=1):
    value = _num(value)
    return None if value is None else round(value, digits)


def _int(value):
    value = _num(value)
    return None if value is None else int(round(value))


def _median(series) -> float | None:
    values = pd.to_numeric(pd.Series(series), errors="coerce").astype("float64").dropna()
    return None if values.empty else float(values.median())


def _text(value) -> str:
    return "" if _isna(value) else str(value).strip()


def _jsonable(obj):
    """Plain JSON types: numpy scalars to Python, NA/NaN to None, dates to ISO text."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if _isna(obj):
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (numbers.Integral, np.integer)):
        return int(obj)
    if isinstance(obj, (numbers.Real, np.floating)):
        value = float(obj)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return obj.date().isoformat() if isinstance(obj, (pd.Timestamp, _dt.datetime)) else obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    return str(obj) if not isinstance(obj, str) else obj


def _today() -> str:
    """Today's date; ``SOURCE_DATE_EPOCH`` fixes it for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return _dt.date.today().isoformat()



def _dimension_labels() -> dict:
    cb = load_codebook()
    return {d: cb.dimensions.get(d, {}).get("label", d.replace("_", " ").capitalize()) for d in DIMENSIONS}


def _theme_labels() -> dict:
    return dict(load_codebook().themes)


# =============================================================================
# Survey results (scores computed once, cached)
# =============================================================================
@dataclass
class SurveyResults:
    """Everything computed from one survey, shared by all of its briefs.

    Attributes
    ----------
    survey : DataFrame
        The survey frame (one row per respondent), as read.
    scores : DataFrame
        :func:`nhri_capacity.scoring.scores.score_survey`: one row per institution.
    themes : DataFrame
        :func:`nhri_capacity.scoring.scores.score_themes`: theme activity 0-3.
    items : DataFrame
        Normalised item scores 0-100 (index ``inst_id``).
    intervals : DataFrame
        :func:`nhri_capacity.scoring.uncertainty.score_intervals`.
    synthetic : bool
        Whether the survey is illustrative synthetic data.
    meta : dict
        ``source``, ``file_name``, ``sha256``, ``format``, ``n_rows``,
        ``n_institutions``, ``n_draws``, ``seed``, ``key`` (spec hash),
        ``created``, ``toolkit_version``, ``notices``.
    spec : dict
        The complete scoring spec used.
    answers : DataFrame
        One row per institution (index ``inst_id``): the respondents' answers
        combined (sections B-D as in scoring, profile items, constraints as
        "selected by any respondent", latest ``survey_date``).
    """

    survey: pd.DataFrame
    scores: pd.DataFrame
    themes: pd.DataFrame
    items: pd.DataFrame
    intervals: pd.DataFrame
    synthetic: bool
    meta: dict
    spec: dict
    answers: pd.DataFrame = field(default_factory=pd.DataFrame)

    @cached_property
    def global_medians(self) -> dict:
        """Median of each dimension and the composite over all institutions."""
        return {k: _median(self.scores[k]) for k in (*DIMENSIONS, "composite")}

    @cached_property
    def practices(self) -> pd.DataFrame:
        """Every good practice reported in the survey (see :func:`good_practices`)."""
        return good_practices(self)

    @property
    def countries(self) -> list[str]:
        """ISO3 codes of the countries with an institution in the survey, sorted."""
        return sorted({str(c) for c in self.scores["iso3"].dropna()})

    def institutions(self, iso3: str) -> pd.DataFrame:
        """Score rows of one country's institutions, sorted by ``inst_id``."""
        rows = self.scores[self.scores["iso3"] == iso3]
        return rows.sort_values("inst_id", kind="stable")

    def primary_institution(self, iso3: str) -> pd.Series:
        """The institution a country's brief is about: the first by ``inst_id``."""
        rows = self.institutions(iso3)
        if rows.empty:
            raise BriefParameterError(
                f"No institution from {iso3} in the survey. Available ISO3 codes "
                f"({len(self.countries)}): {', '.join(self.countries)}"
            )
        return rows.iloc[0]

    def __repr__(self) -> str:
        kind = "synthetic" if self.synthetic else "survey"
        return (
            f"<SurveyResults {self.meta.get('file_name')}: {len(self.scores)} institutions, "
            f"{kind}, {self.meta.get('n_draws')} draws>"
        )


def _frame_sha(frame: pd.DataFrame) -> str:
    """Content hash of a survey frame (so an edited frame never hits a stale cache)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in frame.columns]).encode())
    try:
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    except Exception:  # noqa: BLE001 - unhashable cells: fall back to their text
        h.update(frame.to_csv(index=False).encode("utf-8"))
    return h.hexdigest()


def _results_key(spec: dict, n_draws: int, seed) -> str:
    """Hash of everything besides the survey that the cached results depend on."""
    payload = {
        "format": _RESULTS_FORMAT,
        "spec": spec,
        "n_draws": int(n_draws),
        "seed": seed,
        "toolkit_version": toolkit_version(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _results_cache_file(sha: str, key: str, processed_dir) -> Path:
    folder = Path(processed_dir) if processed_dir is not None else Path(config.PROCESSED_DATA_DIR)
    return folder / _RESULTS_DIRNAME / f"{sha[:16]}-{key}.pkl"


def _institution_answers(survey: pd.DataFrame, combined: pd.DataFrame) -> pd.DataFrame:
    """One row per institution: combined answers, profile, constraints, survey date."""
    cb = load_codebook()
    out = combined.set_index("inst_id").copy()
    ids = survey[cb.institution_variable].astype("string")
    groups = survey.groupby(ids.to_numpy(), sort=True)

    def _mode(series):
        values = pd.to_numeric(series, errors="coerce").dropna()
        if values.empty:
            return np.nan
        counts = values.value_counts()
        return float(counts[counts == counts.max()].index.min())

    for name in _PROFILE_CODED:
        if name in survey.columns:
            out[name] = groups[name].agg(_mode).reindex(out.index).astype("Float64")
    for name in _PROFILE_NUMERIC:
        if name in survey.columns:
            values = pd.to_numeric(survey[name], errors="coerce").astype("float64")
            out[name] = values.groupby(ids.to_numpy()).mean().reindex(out.index).astype("Float64")
    for column in cb.multi_select_columns("constraints"):
        if column in survey.columns:
            values = pd.to_numeric(survey[column], errors="coerce").astype("float64")
            out[column] = values.groupby(ids.to_numpy()).max().reindex(out.index).astype("Float64")
    if "survey_date" in survey.columns:
        dates = pd.to_datetime(survey["survey_date"], errors="coerce")
        out["survey_date"] = dates.groupby(ids.to_numpy()).max().reindex(out.index)
        out["survey_date_first"] = dates.groupby(ids.to_numpy()).min().reindex(out.index)
    return out


def _score_intervals(frame, spec, n_draws, seed) -> pd.DataFrame:
    from ..scoring import score_intervals

    return score_intervals(frame, n_draws=int(n_draws), seed=seed, spec=spec)


def _compute_results(frame, spec, *, n_draws, seed, sha, key, path) -> SurveyResults:
    from ..survey import is_synthetic, survey_meta
    from ..scoring import combine_respondents, item_scores, score_survey, score_themes

    meta_in = survey_meta(frame)
    scores = score_survey(frame, spec=spec)
    themes = score_themes(frame, spec=spec)
    items = item_scores(frame, spec=spec)
    intervals = _score_intervals(frame, spec, n_draws, seed)
    combined = combine_respondents(frame, spec=spec)
    answers = _institution_answers(frame, combined)
    source = meta_in.get("source") or (str(path) if path is not None else None)
    meta = {
        "source": source,
        "file_name": Path(source).name if source else None,
        # The file's SHA-256 (shown in the brief); a frame read from a file keeps
        # its file's. ``content_sha256`` is the cache key (the frame's own hash).
        "sha256": sha if path is not None else (meta_in.get("sha256") or sha),
        "content_sha256": sha,
        "format": meta_in.get("format"),
        "file_label": meta_in.get("file_label"),
        "n_rows": int(len(frame)),
        "n_institutions": int(len(scores)),
        "n_countries": int(scores["iso3"].nunique()),
        "notices": list(meta_in.get("notices") or []),
        "set_aside": dict(meta_in.get("set_aside") or {}),
        "n_draws": int(n_draws),
        "seed": seed,
        "key": key,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "toolkit_version": toolkit_version(),
    }
    synthetic = bool(is_synthetic(frame) or scores.attrs.get("synthetic"))
    meta["survey_attrs"] = _jsonable(dict(frame.attrs.get("survey") or {}))
    # pandas deep-copies attrs on every operation; the metadata lives in
    # ``meta`` and ``spec``, so the frames are kept without it (much faster).
    # Only the synthetic flag stays (small), so that a frame taken out of the
    # results still says it is synthetic (plots and exports check it).
    frame = frame.copy()
    for table in (frame, scores, themes, items, intervals, answers):
        table.attrs = {"synthetic": synthetic}
    return SurveyResults(
        survey=frame,
        scores=scores,
        themes=themes,
        items=items,
        intervals=intervals,
        synthetic=synthetic,
        meta=meta,
        spec=spec,
        answers=answers,
    )


def _read_cached_results(path: Path, sha: str, key: str) -> SurveyResults | None:
    try:
        with open(path, "rb") as fh:
            results = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
        log.warning("Rebuilding survey results cache %s: %s", path.name, exc)
        return None
    if (
        not isinstance(results, SurveyResults)
        or results.meta.get("content_sha256") != sha
        or results.meta.get("key") != key
    ):
        return None
    return results


def survey_results(
    survey=None,
    *,
    spec=None,
    n_draws: int = 1000,
    seed=INTERVAL_SEED,
    processed_dir=None,
    cache: bool = True,
    refresh: bool = False,
) -> SurveyResults:
    """Score a survey once: scores, themes, item scores and score intervals.

    Parameters
    ----------
    survey : str, Path or DataFrame, optional
        A survey file (read with :func:`nhri_capacity.survey.readers.read_survey`) or
        a survey frame. Default: the bundled synthetic sample
        (``config.SAMPLE_SURVEY``).
    spec : None, path or dict, optional
        Scoring spec (see :func:`nhri_capacity.scoring.scores.load_spec`).
    n_draws : int, default 1000
        Method draws for the score intervals.
    seed : int, default 12345
        Seed of the draws.
    processed_dir : str or Path, optional
        Cache root; default ``config.PROCESSED_DATA_DIR``. Results are cached as
        ``<processed_dir>/survey_results/<sha256[:16]>-<key>.pkl``, where
        ``sha256`` is the survey file's (or, for a frame, its content's) hash and
        ``key`` hashes the complete spec, ``n_draws``, ``seed`` and the toolkit
        version: any change to these builds a new entry.
    cache : bool, default True
        Read and write the cache. The file is written atomically (temporary
        file, then rename), so two processes racing to build it both succeed
        and a reader never sees half a file.
    refresh : bool, default False
        Recompute and rewrite the cache even when it is up to date.

    Returns
    -------
    SurveyResults

    Raises
    ------
    SurveyReadError
        If the survey file does not exist.
    SurveyValidationError, SpecError
        From reading the survey or loading the spec.

    Examples
    --------
    >>> res = survey_results(n_draws=200)
    >>> round(float(res.scores.set_index("iso3").loc["MEX", "composite"]), 1)
    28.3
    """
    from ..scoring import load_spec

    spec_dict = load_spec(spec)
    frame = None
    path = None
    if survey is None or isinstance(survey, (str, os.PathLike)):
        path = Path(config.SAMPLE_SURVEY if survey is None else survey).expanduser()
        if not path.is_file():
            raise SurveyReadError(f"Survey file not found: {path}")
        sha = sha256_file(path)
    elif isinstance(survey, pd.DataFrame):
        frame = survey
        sha = _frame_sha(frame)
    else:
        raise BriefParameterError(
            f"survey must be a file path or a survey DataFrame, not {type(survey).__name__}"
        )
    key = _results_key(spec_dict, n_draws, seed)
    cache_file = _results_cache_file(sha, key, processed_dir)
    if cache and not refresh:
        cached = _read_cached_results(cache_file, sha, key)
        if cached is not None:
            return cached

    if frame is None:
        from ..survey import read_survey

        # One institution with broken rows must fail its own brief only.
        frame = read_survey(path, set_aside_invalid=True)
    results = _compute_results(frame, spec_dict, n_draws=n_draws, seed=seed, sha=sha, key=key, path=path)
    if cache:
        try:
            with atomic_path(cache_file) as tmp:
                with open(tmp, "wb") as fh:
                    pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:  # a read-only data folder must not stop a brief
            log.warning("Could not write the survey results cache %s: %s", cache_file, exc)
    return results


# =============================================================================
# Validation of brief parameters
# =============================================================================
def _check_country(country, results: SurveyResults) -> str:
    available = results.countries
    listing = f"Available ISO3 codes in the survey ({len(available)}): {', '.join(available)}"
    if not isinstance(country, str) or not country.strip():
        raise BriefParameterError(f"country must be an ISO3 code such as 'MEX', not {country!r}. {listing}")
    code = country.strip().upper()
    from ..reference import to_iso3

    known = to_iso3(code, strict=False) if len(code) == 3 and code.isalpha() else None
    if not isinstance(known, str) or known != code:
        guess = to_iso3(country.strip(), strict=False)
        hint = f" (did you mean {guess!r}?)" if isinstance(guess, str) else ""
        raise BriefParameterError(f"{country!r} is not a known ISO3 country code{hint}. {listing}")
    if code not in available:
        from ..reference import country_name

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
    years = _stock_years(_load_stock(stock))
    if year is None:
        return years[-1]
    if isinstance(year, bool):
        raise BriefParameterError(f"year must be one of {years}, not {year!r}")
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise BriefParameterError(f"year must be one of {years}, not {year!r}") from None
    if value != year and not (isinstance(year, str) and year.strip().isdigit()):
        raise BriefParameterError(f"year must be one of {years}, not {year!r}")
    if value not in years:
        raise BriefParameterError(f"No migrant-stock figures for {value}; available years: {years}")
    return value


def _load_stock(stock):
    if stock is not None:
        return stock
    from ..reference import load_migrant_stock

    return load_migrant_stock()


def _load_treaties(treaties):
    if treaties is not None:
        return treaties
    from ..reference import load_treaty_status

    return load_treaty_status()


# =============================================================================
# Section helpers
# =============================================================================
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
    from ..reference import MIGRANT_STOCK_CITATION, MIGRANT_STOCK_LICENCE

    stock = _load_stock(stock)
    year = check_year(year, stock=stock)
    rows = stock[stock["is_country"].astype(bool) & (stock["iso3"] == iso3)]
    rows = rows.sort_values("year", kind="stable")
    current = rows[rows["year"] == year]
    if current.empty or _isna(current["migrants"].iloc[0]):
        return None
    row = current.iloc[0]

    def _figures(r) -> dict:
        return {
            "migrants": _int(r["migrants"]),
            "population": _int(r["population"]),
            "migrant_share_pct": _round(r["migrant_share_pct"], 2),
            "female_share_pct": _round(r["female_share_pct"], 1),
            "refugees": _int(r["refugees"]),
            "refugee_share_pct": _round(r["refugee_share_pct"], 1),
            "annual_change_pct": _round(r["annual_change_pct"], 1),
        }

    from ..reference import country_name

    region = _text(row["region"]) or None
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
        {"year": int(r["year"]), "migrants": _int(r["migrants"]), "migrant_share_pct": _round(r["migrant_share_pct"], 2)}
        for _, r in trend_rows.iterrows()
        if not _isna(r["migrants"])
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
        "edition": _text(row["edition"]) or "International Migrant Stock 2020",
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
    from ..errors import CountryNotFoundError
    from ..reference import CORE_TREATIES, TREATY_SOURCE, TREATY_VINTAGE, treaty_profile

    table = _load_treaties(treaties)
    try:
        profile = treaty_profile(iso3, treaties=table)
    except CountryNotFoundError:
        return None
    by_code = {str(r["treaty"]): r for _, r in profile.iterrows()}

    def _entry(code):
        r = by_code.get(code)
        if r is None:
            return None
        return {"code": code, "name": _text(r["treaty_name"]), "status": _text(r["status"]), "year": _int(r["year"])}

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


def _interval_row(results: SurveyResults, inst_id: str):
    iv = results.intervals
    if iv is None or iv.empty or "inst_id" not in iv.columns:
        return None
    rows = iv[iv["inst_id"].astype("string") == inst_id]
    return None if rows.empty else rows.iloc[0]


def _gaps(results: SurveyResults, inst: pd.Series) -> dict:
    med = results.global_medians
    return {d: (None if _isna(inst[d]) or med[d] is None else float(inst[d]) - med[d]) for d in DIMENSIONS}


def weakness_order(iso3: str, results: SurveyResults) -> list[str]:
    """The five capacities of a country's institution, weakest first.

    Weakest means furthest below the global median of all surveyed
    institutions (score minus median); capacities without a score come last,
    ties keep the codebook order.
    """
    inst = results.primary_institution(iso3)
    gaps = _gaps(results, inst)
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
    region = _text(inst["region"]) or None
    regional = scores[scores["region"] == region] if region else scores.iloc[0:0]
    labels = _dimension_labels()
    labels["composite"] = "Composite"
    iv = _interval_row(results, str(inst["inst_id"]))
    rows = []
    for key in (*DIMENSIONS, "composite"):
        score = _round(inst[key], 2)
        gmed = results.global_medians[key]
        row = {
            "key": key,
            "label": labels[key],
            "score": score,
            "p05": _round(iv.get(f"{key}_p05"), 2) if iv is not None else None,
            "p95": _round(iv.get(f"{key}_p95"), 2) if iv is not None else None,
            "median_draws": _round(iv.get(f"{key}_median"), 2) if iv is not None else None,
            "regional_median": _round(_median(regional[key]), 2) if len(regional) else None,
            "global_median": _round(gmed, 2),
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
            "rank_p05": _int(iv.get("rank_p05")),
            "rank_p95": _int(iv.get("rank_p95")),
            "n_institutions": int(len(scores)),
        }
    others = [
        {"inst_id": str(r["inst_id"]), "institution": _text(r["institution"]), "composite": _round(r["composite"], 1)}
        for _, r in results.institutions(iso3).iloc[1:].iterrows()
    ]
    flags = [f for f in _text(inst.get("flags")).split(";") if f]
    return {
        "inst_id": str(inst["inst_id"]),
        "institution": _text(inst["institution"]),
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
    from ..reference import country_name

    stock = _load_stock(stock)
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
    out.insert(2, "country", [country_name(c, strict=False) if not _isna(c) else pd.NA for c in out["iso3"]])
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


def _need_capacity_section(iso3: str, inst_id: str, frame: pd.DataFrame) -> dict | None:
    rows = frame[frame["inst_id"] == inst_id]
    if rows.empty or _isna(rows.iloc[0]["migrant_share_pct"]):
        return None
    row = rows.iloc[0]
    region = row["region"]
    regional = frame[frame["region"] == region] if not _isna(region) else frame.iloc[0:0]
    metrics = {
        "migrant_share_pct": 2,
        "composite": 2,
        "staff_per_100k_migrants": 2,
        "complaints_per_10k_migrants": 2,
    }
    values = {k: _round(row[k], d) for k, d in metrics.items()}
    global_med = {k: _round(_median(frame[k]), d) for k, d in metrics.items()}
    regional_med = {k: _round(_median(regional[k]), d) for k, d in metrics.items()} if len(regional) else {}
    quadrant = None
    if values["migrant_share_pct"] is not None and values["composite"] is not None:
        need = "higher" if row["migrant_share_pct"] >= _median(frame["migrant_share_pct"]) else "lower"
        cap = "higher" if row["composite"] >= _median(frame["composite"]) else "lower"
        quadrant = {"need": need, "capacity": cap}
    return {
        "year": int(frame.attrs.get("year")) if frame.attrs.get("year") is not None else None,
        **values,
        "migrants": _int(row["migrants"]),
        "staff_migration": _round(row["staff_migration"], 1),
        "complaints": _round(row["complaints"], 1),
        "global_median": global_med,
        "regional_median": regional_med,
        "n_institutions": int(frame["composite"].notna().sum()),
        "quadrant": quadrant,
    }


def _level_label(level) -> str | None:
    labels = load_codebook().choice_lists["activity4"]
    value = _num(level)
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
    regional = themes[inst_regions == inst["region"]] if not _isna(inst["region"]) else themes.iloc[0:0]
    out = []
    for key, label in _theme_labels().items():
        if key not in themes.columns:
            continue
        level = _round(mine[key], 1)
        out.append(
            {
                "key": key,
                "label": label,
                "level": level,
                "level_label": _level_label(level),
                "regional_median": _round(_median(regional[key]), 1) if len(regional) else None,
                "global_median": _round(_median(themes[key]), 1),
            }
        )
    if all(t["level"] is None for t in out):
        return []
    return out


# =============================================================================
# Recommendation rules
# =============================================================================
@dataclass(frozen=True)
class Rule:
    """One recommendation rule (see ``resources/recommendation_rules.yaml``)."""

    id: str
    dimension: str
    condition: dict
    text: str
    priority: int = 2
    filler: bool = False
    order: int = 0


def _validate_condition(cond, where: str, columns: set) -> None:
    if not isinstance(cond, dict) or len(cond) == 0:
        raise SpecError(f"{where}: a condition must be a mapping, not {cond!r}")
    if set(cond) == {"always"}:
        if cond["always"] is not True:
            raise SpecError(f"{where}: 'always' must be true")
        return
    for combo in ("all", "any"):
        if combo in cond:
            if set(cond) != {combo} or not isinstance(cond[combo], list) or not cond[combo]:
                raise SpecError(f"{where}: '{combo}' must be the only key and hold a non-empty list of conditions")
            for i, sub in enumerate(cond[combo]):
                _validate_condition(sub, f"{where}.{combo}[{i}]", columns)
            return
    if "not" in cond:
        if set(cond) != {"not"}:
            raise SpecError(f"{where}: 'not' must be the only key")
        _validate_condition(cond["not"], f"{where}.not", columns)
        return
    kinds = [k for k in ("item", "fact") if k in cond]
    if len(kinds) != 1:
        raise SpecError(f"{where}: a comparison needs exactly one of 'item' or 'fact': {cond!r}")
    kind = kinds[0]
    extra = set(cond) - {kind, "op", "value"}
    if extra:
        raise SpecError(f"{where}: unknown key(s) {sorted(extra)} in {cond!r}")
    name = cond[kind]
    if kind == "item" and name not in columns:
        raise SpecError(f"{where}: item {name!r} is not a survey column of the codebook")
    if kind == "fact" and name not in RULE_FACTS:
        raise SpecError(f"{where}: fact {name!r} is not one of {', '.join(RULE_FACTS)}")
    op = cond.get("op")
    if op not in RULE_OPS:
        raise SpecError(f"{where}: op {op!r} is not one of {', '.join(map(repr, RULE_OPS))}")
    if op in ("missing", "present"):
        return
    if "value" not in cond:
        raise SpecError(f"{where}: op {op!r} needs a 'value'")
    value = cond["value"]
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise SpecError(f"{where}: op {op!r} needs a non-empty list as 'value'")
    elif op in ("<", "<=", ">", ">="):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where}: op {op!r} needs a number as 'value', not {value!r}")
    elif isinstance(value, (list, dict)):
        raise SpecError(f"{where}: op {op!r} needs a single value, not {value!r}")


@lru_cache(maxsize=8)
def _load_rules_cached(path: Path, mtime_ns: int) -> tuple:
    raw = load_yaml(path, what="Recommendation rules", expect_key="rules")
    if not isinstance(raw["rules"], list):
        raise SpecError(f"Recommendation rules {path} must have a 'rules' list")
    return tuple(_parse_rules(raw["rules"], str(path)))


def _parse_rules(entries, where: str) -> list[Rule]:
    cb = load_codebook()
    columns = set(cb.columns())
    dimensions = {*DIMENSIONS, CONTEXT}
    seen = set()
    rules = []
    for i, entry in enumerate(entries):
        at = f"{where}: rule {i + 1}"
        if isinstance(entry, Rule):
            rules.append(entry)
            continue
        if not isinstance(entry, dict):
            raise SpecError(f"{at} must be a mapping")
        unknown = set(entry) - {"id", "dimension", "condition", "text", "priority", "filler"}
        if unknown:
            raise SpecError(f"{at}: unknown key(s) {sorted(unknown)}")
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise SpecError(f"{at}: 'id' must be a non-empty text")
        at = f"{where}: rule {rid!r}"
        if rid in seen:
            raise SpecError(f"{at}: id defined twice")
        seen.add(rid)
        if entry.get("dimension") not in dimensions:
            raise SpecError(f"{at}: dimension {entry.get('dimension')!r} is not one of {sorted(dimensions)}")
        text = entry.get("text")
        if not isinstance(text, str) or len(text.strip()) < 20:
            raise SpecError(f"{at}: 'text' must be the recommendation, at least 20 characters")
        priority = entry.get("priority", 2)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            raise SpecError(f"{at}: priority must be a whole number >= 1, not {priority!r}")
        _validate_condition(entry.get("condition"), at, columns)
        rules.append(
            Rule(
                id=rid,
                dimension=entry["dimension"],
                condition=entry["condition"],
                text=" ".join(text.split()),
                priority=priority,
                filler=bool(entry.get("filler", False)),
                order=i,
            )
        )
    return rules


def load_rules(path=None) -> list[Rule]:
    """Load and validate the recommendation rules.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file shaped like the bundled
        ``resources/recommendation_rules.yaml`` (the default).

    Returns
    -------
    list of Rule
        In file order.

    Raises
    ------
    SpecError
        For a missing or malformed file, an unknown item, fact, op or
        dimension, a duplicate id, or a value that does not fit its op.
    """
    path = Path(path) if path is not None else config.RESOURCES_DIR / "recommendation_rules.yaml"
    path = path.resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise SpecError(f"Recommendation rules file not found: {path}") from None
    return list(_load_rules_cached(path, mtime))


def _coerce_rules(rules) -> list[Rule]:
    if rules is None:
        return load_rules()
    if isinstance(rules, (str, os.PathLike)):
        return load_rules(rules)
    rules = list(rules)
    if all(isinstance(r, Rule) for r in rules):
        return rules
    return _parse_rules(rules, "rules")


def _compare(actual, op: str, expected) -> bool:
    if op == "missing":
        return _isna(actual)
    if op == "present":
        return not _isna(actual)
    if _isna(actual):
        return False

    def _same(a, b) -> bool:
        na, nb = _num(a), _num(b)
        if na is not None and nb is not None and not isinstance(a, str) and not isinstance(b, str):
            return na == nb
        return str(a) == str(b)

    if op == "==":
        return _same(actual, expected)
    if op == "!=":
        return not _same(actual, expected)
    if op == "in":
        return any(_same(actual, e) for e in expected)
    if op == "not in":
        return not any(_same(actual, e) for e in expected)
    a, b = _num(actual), _num(expected)
    if a is None or b is None or isinstance(actual, str):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def evaluate_condition(condition: dict, values) -> bool:
    """Tell whether a rule condition holds for *values*.

    Parameters
    ----------
    condition : dict
        ``{item|fact: name, op: op, value: v}``, ``{all: [...]}``,
        ``{any: [...]}``, ``{not: ...}`` or ``{always: true}``.
    values : mapping
        Item and fact values by name (missing names count as missing).

    Returns
    -------
    bool
        A comparison with a missing value is False (except ``missing``).

    Examples
    --------
    >>> evaluate_condition({"item": "ch4_detention_access", "op": "<", "value": 2},
    ...                    {"ch4_detention_access": 1})
    True
    >>> evaluate_condition({"fact": "icmw_status", "op": "!=", "value": "party"},
    ...                    {"icmw_status": "party"})
    False
    >>> evaluate_condition({"all": [{"fact": "x", "op": ">=", "value": 1},
    ...                             {"fact": "y", "op": "in", "value": ["a", "b"]}]},
    ...                    {"x": 3, "y": "b"})
    True
    """
    if "always" in condition:
        return bool(condition["always"])
    if "all" in condition:
        return all(evaluate_condition(c, values) for c in condition["all"])
    if "any" in condition:
        return any(evaluate_condition(c, values) for c in condition["any"])
    if "not" in condition:
        return not evaluate_condition(condition["not"], values)
    name = condition.get("item", condition.get("fact"))
    actual = values.get(name) if hasattr(values, "get") else None
    return _compare(actual, condition["op"], condition.get("value"))


def _describe_value(name: str, value) -> str:
    if _isna(value):
        return f"{name} is missing"
    if isinstance(value, str):
        return f"{name} = {value}"
    number = _num(value)
    cb = load_codebook()
    item = cb.column_item(name)
    if number is not None and float(number).is_integer():
        shown = str(int(number))
        label = None
        if item is not None and item.type == "multi_select":
            choice = cb.multi_select_columns(item.name).get(name)
            label = f"{item.choices.get(choice, choice)}: {'selected' if number else 'not selected'}"
        elif item is not None and item.choices and item.type != "multi_select":
            label = item.choices.get(int(number))
        return f"{name} = {shown}" + (f" ({label})" if label else "")
    if number is not None:
        digits = 2 if abs(number) < 10 else 1
        text = f"{number:,.{digits}f}".rstrip("0").rstrip(".")
        return f"{name} = {text}"
    return f"{name} = {value}"


def condition_evidence(condition: dict, values) -> list[str]:
    """The comparisons behind a condition that held, as readable lines.

    Examples
    --------
    >>> condition_evidence({"item": "ch4_detention_access", "op": "<", "value": 2},
    ...                    {"ch4_detention_access": 1})
    ['ch4_detention_access = 1 (Access only with prior notice or permission)']
    """
    if "always" in condition:
        return []
    if "all" in condition:
        return [line for c in condition["all"] for line in condition_evidence(c, values)]
    if "any" in condition:
        return [line for c in condition["any"] if evaluate_condition(c, values) for line in condition_evidence(c, values)]
    if "not" in condition:
        return [f"not ({'; '.join(condition_evidence(condition['not'], values)) or 'condition'})"]
    name = condition.get("item", condition.get("fact"))
    return [_describe_value(name, values.get(name))]


def rule_facts(iso3: str, results: SurveyResults, *, treaties=None, stock=None, year=None) -> dict:
    """Item answers and derived facts of a country's institution, for the rules.

    Returns
    -------
    dict
        Every combined answer of the institution (``results.answers``) plus
        the facts of :data:`RULE_FACTS`.
    """
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    values: dict = {}
    if inst_id in results.answers.index:
        for key, value in results.answers.loc[inst_id].items():
            values[str(key)] = None if _isna(value) else value
    values["region"] = _text(inst["region"]) or None
    values["composite"] = _num(inst["composite"])
    gaps = _gaps(results, inst)
    for d in DIMENSIONS:
        values[d] = _num(inst[d])
        values[f"{d}_gap"] = gaps[d]
    try:
        table = _load_treaties(treaties)
        rows = table[table["iso3"] == iso3]
        status = {str(r["treaty"]): _text(r["status"]) for _, r in rows.iterrows()}
    except Exception as exc:  # noqa: BLE001 - rules on treaties simply do not fire
        log.warning("No treaty status for the rules: %s", exc)
        status = {}
    for fact, code in _FACT_TREATIES.items():
        values[f"{fact}_status"] = status.get(code) or None
    stock = _load_stock(stock)
    migration = migration_context(iso3, year=year, stock=stock)
    for key in ("migrants", "migrant_share_pct", "female_share_pct", "refugee_share_pct"):
        values[key] = migration.get(key) if migration else None
    migrants = values["migrants"]
    staff, complaints = _num(values.get("staff_migration")), _num(values.get("ch2_complaints_received"))
    values["staff_per_100k_migrants"] = staff / migrants * 1e5 if staff is not None and migrants else None
    values["complaints_per_10k_migrants"] = complaints / migrants * 1e4 if complaints is not None and migrants else None
    return values


def recommend(
    iso3: str,
    results: SurveyResults,
    *,
    rules=None,
    treaties=None,
    max_items: int = 6,
    min_items: int = 3,
    stock=None,
    year=None,
    values: dict | None = None,
) -> list[dict]:
    """Pick 3-6 recommendations for a country's institution from the rule table.

    Selection: every rule whose condition holds is a candidate. Capacity
    rules are taken weakest capacity first (see :func:`weakness_order`),
    by priority, at most two per capacity while others remain; up to two
    context rules (accreditation, ratification, resources) come after them.
    When fewer than *min_items* fire, standing "filler" rules of the weakest
    capacities complete the list.

    Parameters
    ----------
    rules : path or list, optional
        Rules file, or a list of :class:`Rule` or rule dicts; default the
        bundled table.
    treaties, stock, year
        Reference data for the facts (loaded when omitted).
    values : dict, optional
        Precomputed :func:`rule_facts` (avoids recomputing them).

    Returns
    -------
    list of dict
        ``id``, ``dimension``, ``dimension_label``, ``priority``, ``text``,
        ``evidence`` (readable, e.g. ``'ch4_detention_access = 1 (Access
        only with prior notice or permission)'``), ``evidence_items`` (list),
        ``filler``. Ordered by weakest capacity first, context last.
    """
    if max_items < 1 or min_items < 0 or min_items > max_items:
        raise BriefParameterError(f"Need 0 <= min_items <= max_items and max_items >= 1, got {min_items}, {max_items}")
    rule_list = _coerce_rules(rules)
    if values is None:
        values = rule_facts(iso3, results, treaties=treaties, stock=stock, year=year)
    order = weakness_order(iso3, results)
    rank = {d: i for i, d in enumerate(order)}
    rank[CONTEXT] = len(order)

    def _key(rule):
        return (rank[rule.dimension], rule.priority, rule.order)

    fired = [r for r in rule_list if not r.filler and evaluate_condition(r.condition, values)]
    dim_rules = sorted((r for r in fired if r.dimension != CONTEXT), key=_key)
    ctx_rules = sorted((r for r in fired if r.dimension == CONTEXT), key=_key)
    n_ctx = min(len(ctx_rules), 2 if max_items >= 4 else 1)
    room = max_items - n_ctx
    chosen: list[Rule] = []
    per_dim: Counter = Counter()
    for cap in (2, max_items):
        for r in dim_rules:
            if len(chosen) >= room:
                break
            if r in chosen or per_dim[r.dimension] >= cap:
                continue
            chosen.append(r)
            per_dim[r.dimension] += 1
    chosen.extend(ctx_rules[: max_items - len(chosen)])
    if len(chosen) < min_items:
        fillers = sorted((r for r in rule_list if r.filler and evaluate_condition(r.condition, values)), key=_key)
        for r in fillers:
            if len(chosen) >= min_items:
                break
            chosen.append(r)
    chosen.sort(key=_key)
    labels = _dimension_labels()
    labels[CONTEXT] = "Enabling environment"
    out = []
    for r in chosen:
        evidence = condition_evidence(r.condition, values)
        out.append(
            {
                "id": r.id,
                "dimension": r.dimension,
                "dimension_label": labels[r.dimension],
                "priority": r.priority,
                "text": r.text,
                "evidence": "; ".join(evidence) if evidence else "Standing recommendation",
                "evidence_items": evidence,
                "filler": r.filler,
            }
        )
    return out


# =============================================================================
# Good practices, constraints
# =============================================================================
def good_practices(results: SurveyResults) -> pd.DataFrame:
    """Every good practice reported in the survey, one row each.

    Returns
    -------
    DataFrame
        ``inst_id``, ``iso3``, ``institution``, ``region``, ``slot`` (1-3),
        ``title``, ``description``, ``theme`` (key), ``theme_label``,
        ``capacity`` (dimension key), ``capacity_label``, ``year``,
        ``consent`` (1 = may be published with the institution's name).
        Practices without a title are left out; a practice repeated by
        several respondents of one institution appears once.
    """
    survey = results.survey
    cb = load_codebook()
    theme_keys = list(cb.themes)
    theme_labels = _theme_labels()
    dim_labels = _dimension_labels()
    region_of_inst = dict(zip(results.scores["inst_id"].astype(str), results.scores["region"]))
    name_of_inst = dict(zip(results.scores["inst_id"].astype(str), results.scores["institution"]))
    rows = survey.to_dict("records")
    records = []
    for slot in _GP_SLOTS:
        if f"gp{slot}_title" not in survey.columns:
            continue
        for row in rows:
            title = _text(row.get(f"gp{slot}_title"))
            if not title:
                continue
            theme_code = _int(row.get(f"gp{slot}_theme"))
            capacity_code = _int(row.get(f"gp{slot}_capacity"))
            theme = theme_keys[theme_code - 1] if theme_code and 1 <= theme_code <= len(theme_keys) else None
            capacity = DIMENSIONS[capacity_code - 1] if capacity_code and 1 <= capacity_code <= len(DIMENSIONS) else None
            inst_id = _text(row.get(cb.institution_variable))
            records.append(
                {
                    "inst_id": inst_id,
                    "iso3": _text(row.get(cb.country_variable)),
                    "institution": _text(name_of_inst.get(inst_id, row.get("inst_name"))),
                    "region": _text(region_of_inst.get(inst_id)) or None,
                    "slot": slot,
                    "title": title,
                    "description": _text(row.get(f"gp{slot}_description")),
                    "theme": theme,
                    "theme_label": theme_labels.get(theme) if theme else None,
                    "capacity": capacity,
                    "capacity_label": dim_labels.get(capacity) if capacity else None,
                    "year": _int(row.get(f"gp{slot}_year")),
                    "consent": _int(row.get(f"gp{slot}_consent")),
                }
            )
    columns = ["inst_id", "iso3", "institution", "region", "slot", "title", "description", "theme",
               "theme_label", "capacity", "capacity_label", "year", "consent"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.drop_duplicates(["inst_id", "title"], keep="first").reset_index(drop=True)


def peer_practices(iso3: str, results: SurveyResults, *, max_items: int = 4) -> list[dict]:
    """Good practices of peers that are strong where this institution is weakest.

    Only practices whose institution consented to publication
    (``gpN_consent == 1``) are used, never the institution's own. The two
    weakest capacities (:func:`weakness_order`) are targeted. Candidates in
    order of preference: a practice on that capacity from a peer in the top
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
    from ..reference import country_name

    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    region = _text(inst["region"]) or None
    weakest = [d for d in weakness_order(iso3, results) if not _isna(inst[d])][:2]
    practices = results.practices
    if practices.empty or not weakest:
        return []
    practices = practices[(practices["consent"] == 1) & (practices["inst_id"] != inst_id)]
    score_of = {
        d: dict(zip(results.scores["inst_id"].astype(str), pd.to_numeric(results.scores[d], errors="coerce").astype("float64")))
        for d in weakest
    }
    q75_of = {d: float(pd.Series(list(score_of[d].values())).quantile(0.75)) for d in weakest}
    labels = _dimension_labels()
    candidates = []
    for p in practices.to_dict("records"):
        dim = p["capacity"]
        if dim not in weakest:
            continue
        peer_score = _num(score_of[dim].get(p["inst_id"]))
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
                "country": _text(country_name(p["iso3"], strict=False)) or p["iso3"],
                "region": p["region"],
                "same_region": not other_region,
                "title": p["title"],
                "description": p["description"],
                "theme": p["theme_label"],
                "capacity": p["capacity_label"],
                "capacity_key": dim,
                "year": p["year"],
                "peer_score": _round(peer_score, 1),
                "global_median": _round(med, 1),
                "reason": (
                    f"{labels[dim]}: peer score {peer_score:.0f}, global median {med:.0f}"
                    if med is not None else f"{labels[dim]}: peer score {peer_score:.0f}"
                ),
            }
        )
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
            if column in row.index and _num(row[column]) == 1:
                selected.append({"key": choice, "label": cb["constraints"].choices[choice]})
    texts = []
    if "support_needed" in results.survey.columns:
        rows = results.survey[results.survey[cb.institution_variable].astype("string") == inst_id]
        for value in rows["support_needed"]:
            text = _text(value)
            if text and text not in texts:
                texts.append(text)
    if not selected and not texts:
        return None
    return {"selected": selected, "n_options": len(cb["constraints"].choices), "support_needed": texts}


# =============================================================================
# The brief
# =============================================================================
def _spec_summary(spec: dict) -> dict:
    weights = spec.get("weights") or {}
    return {
        "respondents": f"coded items: {spec['respondents']['coded']}; counts: {spec['respondents']['numeric']}",
        "normalisation": spec["normalisation"]["default"],
        "normalisation_overrides": sorted((spec["normalisation"].get("items") or {})),
        "min_answered_share": spec["min_answered_share"],
        "imputation": spec["imputation"],
        "item_aggregation": spec["item_aggregation"],
        "aggregation": spec["aggregation"],
        "item_weights": "equal" if not weights.get("items") else "custom",
        "dimension_weights": "equal" if not weights.get("dimensions") else weights.get("dimensions"),
        "composite_requires_all_dimensions": spec["composite_requires_all_dimensions"],
    }


def _header(iso3: str, results: SurveyResults, migration: dict | None) -> dict:
    from ..reference import country_name

    cb = load_codebook()
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    answers = results.answers.loc[inst_id] if inst_id in results.answers.index else pd.Series(dtype=object)
    accreditation = _int(answers.get("accreditation"))
    inst_type = _int(answers.get("inst_type"))
    date_last = answers.get("survey_date")
    date_first = answers.get("survey_date_first")
    institutions = [
        {"inst_id": str(r["inst_id"]), "name": _text(r["institution"]), "n_respondents": _int(r["n_respondents"])}
        for _, r in results.institutions(iso3).iterrows()
    ]
    return {
        "country": _text(country_name(iso3, strict=False)) or iso3,
        "iso3": iso3,
        "region": _text(inst["region"]) or (migration or {}).get("region"),
        "institution": _text(inst["institution"]),
        "inst_id": inst_id,
        "institutions": institutions,
        "institution_type": cb["inst_type"].choices.get(inst_type) if inst_type else None,
        "accreditation": accreditation,
        "accreditation_label": _ACCREDITATION_LABELS.get(accreditation, "Not reported"),
        "n_respondents": _int(inst["n_respondents"]),
        "survey_date": _jsonable(date_last) if not _isna(date_last) else None,
        "survey_date_first": _jsonable(date_first) if not _isna(date_first) else None,
        "synthetic": bool(results.synthetic),
        "synthetic_notice": SYNTHETIC_NOTICE if results.synthetic else None,
        "generated": _today(),
        "title": f"{_text(country_name(iso3, strict=False)) or iso3}: capacity to protect migrants' rights",
    }


def _methods(results: SurveyResults, migration, treaties_section) -> dict:
    from ..reference import MIGRANT_STOCK_CITATION, MIGRANT_STOCK_LICENCE
    from ..reference import TREATY_SOURCE, TREATY_VINTAGE

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
        "generated": _today(),
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

    Attributes
    ----------
    data : dict
        JSON-serialisable; every number the brief shows, by section (see
        :data:`SECTIONS`). Sections without data are absent.
    results : SurveyResults
        The survey results the brief was built from (for the figures).
    stock : DataFrame
        The migrant-stock table (for the figures).
    """

    data: dict
    results: SurveyResults = field(repr=False)
    stock: pd.DataFrame = field(repr=False)
    _figures: dict | None = field(default=None, repr=False)

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

    @property
    def figures(self) -> dict:
        """Figures by name (built on first access, then kept).

        ``migrant_trend``, ``capacity_profile``, ``need_capacity`` and
        ``themes`` (those whose section is present). They are
        :class:`matplotlib.figure.Figure` objects not registered with pyplot,
        so building briefs in a loop never accumulates open figures.
        """
        if self._figures is None:
            from ..render import brief_figures

            self._figures = brief_figures(self)
        return self._figures

    def close_figures(self) -> None:
        """Drop the built figures (they are rebuilt on next access)."""
        self._figures = None

    def key_figures(self) -> dict:
        """A few headline figures, for the batch index (see :mod:`nhri_capacity.brief.keyfigures`)."""
        return key_figures(self.data)

    def to_json(self) -> str:
        """:attr:`data` as JSON text (sorted keys, indent 2, missing as null)."""
        return json.dumps(_jsonable(self.data), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_html(self, *, embed_figures: bool = True) -> str:
        """The brief as one self-contained HTML page (see :func:`nhri_capacity.render.html.render_html`)."""
        from ..render import render_html

        return render_html(self, embed_figures=embed_figures)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.to_html()

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
    iso3 = _check_country(country, results)
    stock = _load_stock(stock)
    year = check_year(year, stock=stock)
    treaties = _load_treaties(treaties)
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
    need = _need_capacity_section(iso3, str(inst["inst_id"]), need_and_capacity(results, year=year, stock=stock))
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
    brief = Brief(data={}, results=results, stock=stock)
    brief.data = _jsonable(data)
    brief.data["key_figures"] = _jsonable(brief.key_figures())
    return brief
