"""Survey results: everything computed from one survey, once, and cached.

:func:`survey_results` scores a survey (scores, theme activity, item scores,
score intervals over method draws, the respondents' answers combined per
institution, the good practices reported) and caches the result under
``data/processed/survey_results/``, so that a batch of 110 briefs does the
1,000 interval draws once. Every brief of the survey reads from the same
:class:`SurveyResults`.

The cache holds no pickle: each cached result is a folder of Parquet tables
and a JSON manifest (:mod:`nhri_capacity.common.framestore`), so a shared or
synced project folder cannot make the toolkit run code. A cache entry that
fails any check is rebuilt with a warning, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..common.clock import utc_now_iso
from ..common.framestore import FrameStoreError, read_frame_store, write_frame_store
from ..common.io import sha256_file
from ..common.version import toolkit_version
from ..errors import BriefParameterError, SurveyReadError
from ..scoring import (
    combine_respondents,
    item_scores,
    load_spec,
    score_intervals,
    score_survey,
    score_themes,
)
from ..survey import DIMENSIONS, is_synthetic, load_codebook, read_survey, survey_meta
from .values import clean_text, dimension_labels, jsonable, median, theme_labels, whole

__all__ = ["SurveyResults", "survey_results", "good_practices", "INTERVAL_SEED"]

log = logging.getLogger(__name__)

#: Seed of the interval draws (the command line's default too).
INTERVAL_SEED = 12345
_RESULTS_DIRNAME = "survey_results"
# Part of the cache key: bump when what SurveyResults holds, or how it is
# cached, changes. 3: moved to brief.results. 4: Parquet tables and a JSON
# manifest instead of a pickle (old .pkl files are never opened).
_RESULTS_FORMAT = 4
# The frames of a SurveyResults, each cached as one Parquet table.
_RESULTS_TABLES = ("survey", "scores", "themes", "items", "intervals", "answers")
_GP_SLOTS = (1, 2, 3)
# Profile items (section A) combined per institution here (scoring combines B-D).
_PROFILE_CODED = ("inst_type", "accreditation", "focal_point")
_PROFILE_NUMERIC = ("year_established", "staff_total", "staff_migration", "budget_migration_pct")


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
        return {k: median(self.scores[k]) for k in (*DIMENSIONS, "composite")}

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


def _results_cache_dir(sha: str, key: str, processed_dir) -> Path:
    folder = Path(processed_dir) if processed_dir is not None else Path(config.PROCESSED_DATA_DIR)
    return folder / _RESULTS_DIRNAME / f"{sha[:16]}-{key}"


def _cache_identity(sha: str, key: str, spec: dict, n_draws, seed) -> dict:
    """What a cache entry must say about itself to be used (its manifest's entries)."""
    return {
        "format": _RESULTS_FORMAT,
        "content_sha256": sha,
        "key": key,
        "spec": spec,
        "n_draws": int(n_draws),
        "seed": seed,
        "toolkit_version": toolkit_version(),
    }


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


def _compute_results(frame, spec, *, n_draws, seed, sha, key, path) -> SurveyResults:
    meta_in = survey_meta(frame)
    scores = score_survey(frame, spec=spec)
    themes = score_themes(frame, spec=spec)
    items = item_scores(frame, spec=spec)
    intervals = score_intervals(frame, n_draws=int(n_draws), seed=seed, spec=spec)
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
        "created": utc_now_iso(),
        "toolkit_version": toolkit_version(),
    }
    synthetic = bool(is_synthetic(frame) or scores.attrs.get("synthetic"))
    meta["survey_attrs"] = jsonable(dict(frame.attrs.get("survey") or {}))
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


def _read_cached_results(folder: Path, identity: dict) -> tuple[SurveyResults | None, bool]:
    """The cached results at *folder*, and whether a cache entry was there at all.

    An entry that fails any check (see :func:`~nhri_capacity.common.framestore.read_frame_store`)
    is reported and not used.
    """
    try:
        info, frames = read_frame_store(folder, expect=identity)
        if set(frames) != set(_RESULTS_TABLES):
            raise FrameStoreError(f"it holds the tables {sorted(frames)}, not {sorted(_RESULTS_TABLES)}")
        if not isinstance(info.get("meta"), dict) or not isinstance(info.get("synthetic"), bool):
            raise FrameStoreError("its manifest has no results metadata")
    except FileNotFoundError:
        return None, False
    except FrameStoreError as exc:
        log.warning("Rebuilding the survey results cache %s: %s", folder, exc)
        return None, True
    return SurveyResults(**frames, synthetic=info["synthetic"], meta=info["meta"], spec=info["spec"]), True


def _write_cached_results(folder: Path, results: SurveyResults, identity: dict, *, replace: bool) -> None:
    info = {
        **identity,
        "survey_sha256": results.meta.get("sha256"),
        "synthetic": results.synthetic,
        "meta": results.meta,
    }
    try:
        write_frame_store(folder, {name: getattr(results, name) for name in _RESULTS_TABLES}, info, replace=replace)
    except (OSError, FrameStoreError) as exc:  # a read-only data folder must not stop a brief
        log.warning("Could not write the survey results cache %s: %s", folder, exc)


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
        Cache root; default ``config.PROCESSED_DATA_DIR``. Results are cached in
        the folder ``<processed_dir>/survey_results/<sha256[:16]>-<key>/``: one
        Parquet file per table and a ``manifest.json`` (the hashes and schemas
        of the tables, the spec, draws, seed, versions and metadata), where
        ``sha256`` is the survey file's (or, for a frame, its content's) hash and
        ``key`` hashes the complete spec, ``n_draws``, ``seed``, the toolkit
        version and the cache format: any change to these builds a new entry.
        An entry that fails a check (hash, schema, manifest) is rebuilt with a
        warning; one that cannot be written (read-only folder) is skipped with
        a warning.
    cache : bool, default True
        Read and write the cache. The folder is written whole beside its place
        and then renamed into it, so two processes racing to build it both
        succeed and a reader never sees half an entry.
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
    cache_dir = _results_cache_dir(sha, key, processed_dir)
    identity = _cache_identity(sha, key, spec_dict, n_draws, seed)
    # Replace an entry that is there but unusable (or to be refreshed); keep
    # one another process writes meanwhile.
    replace = refresh
    if cache and not refresh:
        cached, replace = _read_cached_results(cache_dir, identity)
        if cached is not None:
            return cached

    if frame is None:
        # One institution with broken rows must fail its own brief only.
        frame = read_survey(path, set_aside_invalid=True)
    results = _compute_results(frame, spec_dict, n_draws=n_draws, seed=seed, sha=sha, key=key, path=path)
    if cache:
        _write_cached_results(cache_dir, results, identity, replace=replace)
    return results



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
    theme_names = theme_labels()
    dim_labels = dimension_labels()
    region_of_inst = dict(zip(results.scores["inst_id"].astype(str), results.scores["region"], strict=True))
    name_of_inst = dict(zip(results.scores["inst_id"].astype(str), results.scores["institution"], strict=True))
    rows = survey.to_dict("records")
    records = []
    for slot in _GP_SLOTS:
        if f"gp{slot}_title" not in survey.columns:
            continue
        for row in rows:
            title = clean_text(row.get(f"gp{slot}_title"))
            if not title:
                continue
            theme_code = whole(row.get(f"gp{slot}_theme"))
            capacity_code = whole(row.get(f"gp{slot}_capacity"))
            theme = theme_keys[theme_code - 1] if theme_code and 1 <= theme_code <= len(theme_keys) else None
            capacity = DIMENSIONS[capacity_code - 1] if capacity_code and 1 <= capacity_code <= len(DIMENSIONS) else None
            inst_id = clean_text(row.get(cb.institution_variable))
            records.append(
                {
                    "inst_id": inst_id,
                    "iso3": clean_text(row.get(cb.country_variable)),
                    "institution": clean_text(name_of_inst.get(inst_id, row.get("inst_name"))),
                    "region": clean_text(region_of_inst.get(inst_id)) or None,
                    "slot": slot,
                    "title": title,
                    "description": clean_text(row.get(f"gp{slot}_description")),
                    "theme": theme,
                    "theme_label": theme_names.get(theme) if theme else None,
                    "capacity": capacity,
                    "capacity_label": dim_labels.get(capacity) if capacity else None,
                    "year": whole(row.get(f"gp{slot}_year")),
                    "consent": whole(row.get(f"gp{slot}_consent")),
                }
            )
    columns = ["inst_id", "iso3", "institution", "region", "slot", "title", "description", "theme",
               "theme_label", "capacity", "capacity_label", "year", "consent"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.drop_duplicates(["inst_id", "title"], keep="first").reset_index(drop=True)

