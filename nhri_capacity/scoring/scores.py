"""Capacity scores: from survey answers to dimension and composite scores.

The method follows composite-indicator practice (JRC/OECD *Handbook on
Constructing Composite Indicators*, 2008; COINr):

1. **Combine respondents** (:func:`combine_respondents`): one row per
   institution, item by item (median of the codes for coded items, mean for
   counts and percentages, missing answers ignored).
2. **Normalise** (:func:`normalise_items`): every section C item to 0-100,
   100 best, with the method of the codebook or of the scoring spec.
3. **Availability**: a dimension is scored only when at least
   ``min_answered_share`` of its items were answered.
4. **Impute** (optional) the remaining gaps, then **aggregate** items into the
   five dimensions and the dimensions into the composite, with the weights and
   the aggregation (arithmetic or geometric) of the spec.

The rules live in ``resources/scoring_spec.yaml`` (documented there); a user's
YAML or dict is merged over it by :func:`load_spec`. Everything after the
respondent combination is plain numpy on an institution x item matrix, so a
whole survey scores in milliseconds and :mod:`nhri_capacity.scoring.uncertainty` can
re-run the arithmetic thousands of times.

Theme activity (section D) is reported by :func:`score_themes` and kept out of
the composite: it describes *what* an institution works on, not its capacity.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..common.yamlfile import load_yaml
from ..common.io import atomic_path
from ..survey import DIMENSIONS, Codebook, Item, load_codebook
from ..errors import OutputFormatError, SpecError, SurveyValidationError
from ..survey import SYNTHETIC_NOTICE, is_synthetic

__all__ = [
    "load_spec",
    "combine_respondents",
    "normalise_items",
    "item_scores",
    "score_survey",
    "score_themes",
    "write_scores",
    "SCORE_COLUMNS",
    "NORMALISATIONS",
    "IMPUTATIONS",
    "AGGREGATIONS",
]

#: Normalisation methods a spec may name (``codebook`` = each item's own).
NORMALISATIONS = ("codebook", "minmax", "goalposts", "log_goalposts", "zscore", "rank")
#: Ways to fill missing items of a dimension that passed the availability rule.
IMPUTATIONS = ("none", "dimension_mean", "group_mean")
#: Ways to combine items into dimensions and dimensions into the composite.
AGGREGATIONS = ("arithmetic", "geometric")
_COMBINE_RULES = ("median", "mean")

#: Columns of the frame :func:`score_survey` returns, in order.
SCORE_COLUMNS = (
    "inst_id",
    "iso3",
    "institution",
    "region",
    "n_respondents",
    *DIMENSIONS,
    "composite",
    *(f"answered_{d}" for d in DIMENSIONS),
    "flags",
)

# Types whose answers are codes on an ordered scale (median), versus
# quantities (mean).
_CODED_TYPES = frozenset({"binary", "likert5", "ordinal3"})
_QUANTITY_TYPES = frozenset({"count", "percent", "integer"})
# Sections whose numeric items are combined per institution: knowledge and
# agenda (B) for analysis, capacities (C) for scoring, themes (D).
_COMBINED_SECTIONS = ("B", "C", "D")

# Geometric means work on 1-100 so that a zero does not zero the product.
_GEO_FLOOR = 1.0
_GEO_SLOPE = (100.0 - _GEO_FLOOR) / 100.0

_SPEC_KEYS = {
    "version": "the spec format version (1)",
    "respondents": "how respondents of one institution are combined",
    "normalisation": "how items are put on 0-100",
    "zscore_clip": "the z-score clipping bound, in standard deviations",
    "min_answered_share": "the share of a dimension's items that must be answered",
    "imputation": "how remaining missing items are filled",
    "weights": "item and dimension weights",
    "aggregation": "how dimensions are combined into the composite",
    "item_aggregation": "how items are combined into dimensions",
    "composite_requires_all_dimensions": "whether one missing dimension makes the composite missing",
}


# --------------------------------------------------------------------- spec
@functools.lru_cache(maxsize=1)
def _default_spec() -> dict:
    return _read_spec_file(config.RESOURCES_DIR / "scoring_spec.yaml")


def _read_spec_file(path) -> dict:
    return load_yaml(path, what="Scoring spec", allow_empty=True)


def _merge(base: dict, over: dict) -> dict:
    """Recursive merge: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _allowed(values) -> str:
    return ", ".join(repr(v) for v in values)


def _fail(where, key, value, allowed) -> SpecError:
    return SpecError(f"{where}: {key} = {value!r} is not allowed; allowed values: {allowed}")


def _check_keys(where, key, given: dict, allowed) -> None:
    for k in given:
        if k not in allowed:
            close = difflib.get_close_matches(str(k), list(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            name = f"{key}.{k}" if key else repr(k)
            raise SpecError(
                f"{where}: unknown key {name}{hint}; allowed keys: {_allowed(allowed)}"
            )


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _check_choice(where, key, value, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, key, value, _allowed(allowed))


def _check_mapping(where, key, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, key, value, "a mapping of names to values")
    return value


def _validate(spec: dict, codebook: Codebook, where: str) -> None:
    _check_keys(where, "", spec, _SPEC_KEYS)
    if spec.get("version", 1) != 1:
        raise _fail(where, "version", spec["version"], "1")

    resp = _check_mapping(where, "respondents", spec["respondents"])
    _check_keys(where, "respondents", resp, ("coded", "numeric"))
    for k, v in resp.items():
        _check_choice(where, f"respondents.{k}", v, _COMBINE_RULES)

    scored = {it.name: it for it in codebook.scored_items()}
    norm = _check_mapping(where, "normalisation", spec["normalisation"])
    _check_keys(where, "normalisation", norm, ("default", "items"))
    _check_choice(where, "normalisation.default", norm.get("default"), NORMALISATIONS)
    for name, how in _check_mapping(where, "normalisation.items", norm.get("items")).items():
        key = f"normalisation.items.{name}"
        if name not in scored:
            raise _fail(where, "normalisation.items", name, f"scored items ({_allowed(scored)})")
        if isinstance(how, dict):
            _check_keys(where, key, how, ("method", "goalposts"))
            _check_choice(where, f"{key}.method", how.get("method"), NORMALISATIONS)
            gp = how.get("goalposts")
            if gp is not None and not (
                isinstance(gp, (list, tuple))
                and len(gp) == 2
                and all(_is_number(g) and math.isfinite(g) for g in gp)
                and gp[0] < gp[1]
            ):
                raise _fail(where, f"{key}.goalposts", gp, "[low, high] with low < high")
        else:
            _check_choice(where, key, how, NORMALISATIONS)

    clip = spec["zscore_clip"]
    if not (_is_number(clip) and math.isfinite(clip) and clip > 0):
        raise _fail(where, "zscore_clip", clip, "a number > 0")
    share = spec["min_answered_share"]
    if not (_is_number(share) and 0 <= share <= 1):
        raise _fail(where, "min_answered_share", share, "a number from 0 to 1")
    _check_choice(where, "imputation", spec["imputation"], IMPUTATIONS)
    _check_choice(where, "aggregation", spec["aggregation"], AGGREGATIONS)
    _check_choice(where, "item_aggregation", spec["item_aggregation"], AGGREGATIONS)
    req = spec["composite_requires_all_dimensions"]
    if not isinstance(req, bool):
        raise _fail(where, "composite_requires_all_dimensions", req, "true, false")

    weights = _check_mapping(where, "weights", spec["weights"])
    _check_keys(where, "weights", weights, ("items", "dimensions"))
    for level, names in (("items", scored), ("dimensions", DIMENSIONS)):
        for name, w in _check_mapping(where, f"weights.{level}", weights.get(level)).items():
            if name not in names:
                raise _fail(where, f"weights.{level}", name, _allowed(names))
            if not (_is_number(w) and math.isfinite(w) and w >= 0):
                raise _fail(where, f"weights.{level}.{name}", w, "a number >= 0")
    item_w, dim_w = _weights(spec, codebook)
    if not (dim_w > 0).any():
        raise _fail(where, "weights.dimensions", weights.get("dimensions"), "at least one weight > 0")
    items = codebook.scored_items()
    for d, dim in enumerate(DIMENSIONS):
        in_dim = [i for i, it in enumerate(items) if it.dimension == dim]
        if dim_w[d] > 0 and not any(item_w[i] > 0 for i in in_dim):
            raise SpecError(
                f"{where}: every item of dimension {dim!r} has weight 0 while the dimension "
                f"has weight {dim_w[d]:g}; give an item a weight > 0 or the dimension weight 0"
            )


def load_spec(spec=None, *, codebook=None) -> dict:
    """Return a complete, validated scoring specification.

    Parameters
    ----------
    spec : None, str, Path or dict
        ``None`` for the bundled ``resources/scoring_spec.yaml``; a path to a
        YAML file, or a dict, merged over the bundled spec key by key.
        ``normalisation`` may be given as a bare method name, short for
        ``{"default": name}``.
    codebook : Codebook, optional
        Item names in the spec are checked against it (default: the bundled one).

    Returns
    -------
    dict
        A new dict with every key of the bundled spec.

    Raises
    ------
    SpecError
        For a file that is missing or not YAML, an unknown key, or a value
        outside what the key allows; the message names the key, the value and
        the allowed values.

    Examples
    --------
    >>> spec = load_spec({"aggregation": "geometric", "normalisation": "rank"})
    >>> spec["aggregation"], spec["normalisation"]["default"], spec["min_answered_share"]
    ('geometric', 'rank', 0.6)
    >>> try:
    ...     load_spec({"aggregation": "harmonic"})
    ... except SpecError as exc:
    ...     print(exc)
    scoring spec: aggregation = 'harmonic' is not allowed; allowed values: 'arithmetic', 'geometric'
    """
    cb = codebook if codebook is not None else load_codebook()
    where = "scoring spec"
    if spec is None:
        user = {}
    elif isinstance(spec, (str, Path)):
        user = _read_spec_file(spec)
        where = f"scoring spec {spec}"
    elif isinstance(spec, dict):
        user = copy.deepcopy(spec)
    else:
        raise SpecError(f"scoring spec must be None, a path or a dict, not {type(spec).__name__}")
    for key in ("respondents", "normalisation", "weights"):
        # An empty section in YAML (`weights:`) reads as None: keep the defaults.
        if key in user and user[key] is None:
            del user[key]
    if isinstance(user.get("normalisation"), str):
        user["normalisation"] = {"default": user["normalisation"]}
    _check_keys(where, "", user, _SPEC_KEYS)
    merged = _merge(copy.deepcopy(_default_spec()), user)
    for key in ("respondents", "normalisation", "weights"):
        if not isinstance(merged[key], dict):
            raise _fail(where, key, merged[key], "a mapping of names to values")
    for level in ("items", "dimensions"):
        merged["weights"][level] = merged["weights"].get(level) or {}
    merged["normalisation"]["items"] = merged["normalisation"].get("items") or {}
    _validate(merged, cb, where)
    return merged


# ------------------------------------------------------------- item metadata
def _weights(spec: dict, codebook: Codebook) -> tuple[np.ndarray, np.ndarray]:
    over_items = (spec.get("weights") or {}).get("items") or {}
    over_dims = (spec.get("weights") or {}).get("dimensions") or {}
    item_w = np.array(
        [float(over_items.get(it.name, it.weight)) for it in codebook.scored_items()]
    )
    dim_w = np.array([float(over_dims.get(d, 1.0)) for d in DIMENSIONS])
    return item_w, dim_w


def _item_method(item: Item, spec: dict) -> tuple[str, float, float]:
    """Resolve (method, low, high) for one item; ``codebook`` becomes the item's own."""
    norm = spec["normalisation"]
    how = norm["items"].get(item.name, norm["default"])
    goalposts = None
    if isinstance(how, dict):
        goalposts = how.get("goalposts")
        how = how["method"]
    if how == "codebook":
        how = item.normalisation or "minmax"
    if how in ("goalposts", "log_goalposts"):
        # Coded items have no goalposts: their scale bounds are the natural ones.
        lo, hi = goalposts or item.goalposts or (item.min, item.max)
    else:
        lo, hi = item.min, item.max
    return how, float(lo), float(hi)


@dataclass
class _Prepared:
    """Everything the arithmetic needs, computed once per survey."""

    combined: pd.DataFrame  # one row per institution, sorted
    items: list  # scored Items, codebook order
    X: np.ndarray  # institutions x scored items, raw combined values (NaN = missing)
    dim_of: np.ndarray  # item -> dimension index
    membership: np.ndarray  # items x dimensions, 0/1
    region: pd.Series | None  # one per institution (string, may be NA)


def _combine_matrix(values: np.ndarray, codes: np.ndarray, n_groups: int, rules: list) -> np.ndarray:
    grouped = pd.DataFrame(values).groupby(codes, sort=True)
    out = np.full((n_groups, values.shape[1]), np.nan)
    rules = np.asarray(rules)
    for rule in np.unique(rules):
        # Aggregating every column then picking is cheaper than selecting columns first.
        agg = getattr(grouped, rule)().to_numpy(dtype=float)
        out[:, rules == rule] = agg[:, rules == rule]
    return out


def _combine(data, cb: Codebook, spec: dict):
    """Respondents -> (institution meta frame, institutions x items matrix, items), sorted."""
    inst_col, country_col = cb.institution_variable, cb.country_variable
    absent = [c for c in (inst_col, country_col) if c not in data.columns]
    if absent:
        raise SurveyValidationError(
            f"Cannot combine respondents: column(s) {', '.join(absent)} missing from the survey"
        )
    items = [
        it
        for it in cb
        if it.section in _COMBINED_SECTIONS and (it.type in _CODED_TYPES or it.type in _QUANTITY_TYPES)
    ]
    wanted = [inst_col, country_col, "inst_name", *(it.name for it in items)]
    # pandas deep-copies attrs (the survey metadata) into every derived
    # object; take the needed columns once and drop the attrs from the copy.
    data = data[[c for c in dict.fromkeys(wanted) if c in data.columns]]
    data.attrs = {}
    ids = data[inst_col].astype("string")
    if ids.isna().any():
        rows = list(data.index[ids.isna().to_numpy()][:5])
        raise SurveyValidationError(
            f"Cannot combine respondents: {inst_col} is missing on row(s) {rows}"
        )
    codes, uniques = pd.factorize(ids, sort=True)
    n = len(uniques)

    present = [it.name for it in items if it.name in data.columns]
    dtypes = data.dtypes
    numeric = [c for c in present if pd.api.types.is_numeric_dtype(dtypes[c])]
    values = pd.DataFrame(index=data.index)
    if numeric:
        values = data[numeric]
    others = [c for c in present if c not in numeric]
    if others:
        # Text from a hand-made frame: numbers where they parse, missing elsewhere.
        values = pd.concat([values, data[others].apply(pd.to_numeric, errors="coerce")], axis=1)
    # copy=True: the array is edited below and must never be a view of the caller's frame.
    values = (
        values[present].to_numpy(dtype=float, na_value=np.nan, copy=True)
        if present
        else np.empty((len(data), 0))
    )
    # A frame built by hand may still hold -7/-8/-9: never let them count as answers.
    if cb.missing_codes and values.size:
        values[np.isin(values, list(cb.missing_codes))] = np.nan
    type_of = {it.name: it.type for it in items}
    rules = [
        spec["respondents"]["coded"] if type_of[c] in _CODED_TYPES else spec["respondents"]["numeric"]
        for c in present
    ]
    combined = _combine_matrix(values, codes, n, rules)

    firsts = pd.DataFrame(
        {
            "iso3": data[country_col].astype("string").str.strip().str.upper(),
            "institution": data["inst_name"].astype("string")
            if "inst_name" in data.columns
            else pd.Series(pd.NA, index=data.index, dtype="string"),
        }
    ).groupby(codes, sort=True).first()
    meta = pd.DataFrame(
        {
            "inst_id": pd.array(uniques, dtype="string"),
            "iso3": pd.array(firsts["iso3"].to_numpy(), dtype="string"),
            "institution": pd.array(firsts["institution"].to_numpy(), dtype="string"),
            "n_respondents": np.bincount(codes, minlength=n).astype("int64"),
        }
    )
    order = meta.sort_values(["iso3", "inst_id"], na_position="last", kind="stable").index.to_numpy()
    meta = meta.iloc[order].reset_index(drop=True)
    matrix = np.full((n, len(items)), np.nan)
    col_of = {c: j for j, c in enumerate(present)}
    for k, it in enumerate(items):
        if it.name in col_of:
            matrix[:, k] = combined[order, col_of[it.name]]
    return meta, matrix, items


def combine_respondents(data, *, codebook=None, spec=None) -> pd.DataFrame:
    """Combine the respondents of each institution into one row.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame as :func:`nhri_capacity.survey.readers.read_survey` returns it
        (one row per respondent).
    codebook : Codebook, optional
        Default: the bundled codebook.
    spec : None, path or dict, optional
        Only ``respondents`` is used: by default the median of the codes for
        binary, Likert and ordinal items (not rounded: two answers 2 and 3
        give 2.5) and the mean for counts and percentages. Missing answers are
        ignored; an item nobody answered stays missing.

    Returns
    -------
    pandas.DataFrame
        ``inst_id``, ``iso3``, ``institution``, ``n_respondents``, then the
        numeric items of sections B, C and D (``Float64``), one row per
        institution, sorted by ``iso3`` then ``inst_id``. Item columns absent
        from *data* are all missing.

    Raises
    ------
    SurveyValidationError
        If ``inst_id`` or ``country`` is missing from *data*.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A", "A", "A"], "country": ["MEX"] * 3,
    ...                    "inst_name": ["CNDH"] * 3,
    ...                    "ch8_referral_followup": [2, 3, 5],
    ...                    "ch5_detention_visits": [10, 20, 60]})
    >>> row = combine_respondents(df).iloc[0]
    >>> row["n_respondents"], row["ch8_referral_followup"], row["ch5_detention_visits"]
    (np.int64(3), np.float64(3.0), np.float64(30.0))
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    meta, matrix, items = _combine(data, cb, spec)
    block = pd.DataFrame(matrix, columns=[it.name for it in items]).astype("Float64")
    return pd.concat([meta, block], axis=1)


def _regions_for(iso3: pd.Series, regions) -> pd.Series:
    """UN SDG region per institution; NA where unknown."""
    if regions is not None:
        mapping = regions if isinstance(regions, dict) else dict(regions)
        return pd.Series([mapping.get(c, pd.NA) if not pd.isna(c) else pd.NA for c in iso3],
                         index=iso3.index, dtype="string")
    from ..reference import region_of
    from ..errors import NHRICapacityError

    uniq = [c for c in pd.unique(iso3.dropna())]
    try:
        found = region_of(list(uniq), strict=False) if uniq else []
    except NHRICapacityError as exc:
        warnings.warn(f"Regions unavailable ({exc}); region is left empty", stacklevel=3)
        found = [pd.NA] * len(uniq)
    mapping = dict(zip(uniq, found))
    return pd.Series([mapping.get(c, pd.NA) if not pd.isna(c) else pd.NA for c in iso3],
                     index=iso3.index, dtype="string")


def _prepare(data, codebook, spec, *, regions=None, need_regions=True) -> _Prepared:
    meta, matrix, all_items = _combine(data, codebook, spec)
    items = codebook.scored_items()
    pos = {it.name: k for k, it in enumerate(all_items)}
    X = matrix[:, [pos[it.name] for it in items]]
    dim_of = np.array([DIMENSIONS.index(it.dimension) for it in items])
    membership = np.zeros((len(items), len(DIMENSIONS)))
    membership[np.arange(len(items)), dim_of] = 1.0
    region = _regions_for(meta["iso3"], regions) if need_regions else None
    return _Prepared(meta, items, X, dim_of, membership, region)


# ------------------------------------------------------------ the arithmetic
def _normalise_matrix(X: np.ndarray, items: list, spec: dict) -> np.ndarray:
    """Institutions x items raw values -> 0-100 (NaN stays NaN)."""
    out = np.full(X.shape, np.nan)
    resolved = [_item_method(it, spec) for it in items]
    lo = np.array([r[1] for r in resolved])
    hi = np.array([r[2] for r in resolved])
    methods = np.array([r[0] for r in resolved])
    clip = float(spec["zscore_clip"])
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing items
        for method in np.unique(methods):
            j = np.flatnonzero(methods == method)
            x, a, b = X[:, j], lo[j], hi[j]
            if method in ("minmax", "goalposts"):
                v = (np.clip(x, a, b) - a) / (b - a)
            elif method == "log_goalposts":
                v = np.log1p(np.clip(x, a, b) - a) / np.log1p(b - a)
            elif method == "zscore":
                mean = np.nanmean(x, axis=0)
                sd = np.nanstd(x, axis=0, ddof=1)
                z = (x - mean) / sd
                # No variance (or a single answer): nobody is above or below average.
                z = np.where(np.isfinite(sd) & (sd > 0), z, 0.0)
                v = (np.clip(z, -clip, clip) + clip) / (2 * clip)
            elif method == "rank":
                from scipy.stats import rankdata

                r = rankdata(x, axis=0, nan_policy="omit") if x.shape[0] else x
                cnt = (~np.isnan(x)).sum(axis=0)
                v = np.where(cnt > 1, (r - 1) / np.maximum(cnt - 1, 1), 0.5)
            else:  # pragma: no cover - load_spec refuses anything else
                raise SpecError(f"normalisation {method!r} is not one of {NORMALISATIONS}")
            out[:, j] = np.where(np.isnan(x), np.nan, v * 100.0)
    negative = np.array([it.direction == "negative" for it in items])
    out[:, negative] = 100.0 - out[:, negative]
    return out


def _to_geo(v):
    return np.log(_GEO_FLOOR + _GEO_SLOPE * v)


def _from_geo(logmean):
    return (np.exp(logmean) - _GEO_FLOOR) / _GEO_SLOPE


def _weighted_mean(values: np.ndarray, weights: np.ndarray, membership: np.ndarray, how: str):
    """Weighted mean of the non-missing values of each group (columns of *membership*)."""
    present = ~np.isnan(values)
    v = _to_geo(values) if how == "geometric" else values
    v = np.where(present, v, 0.0)
    wm = weights[:, None] * membership
    num = v @ wm
    den = present.astype(float) @ wm
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / den
    mean[den <= 0] = np.nan
    return _from_geo(mean) if how == "geometric" else mean


def _impute(N, prep: _Prepared, item_w, dim_ok, how: str):
    """Fill gaps of the dimensions that passed the availability rule."""
    if how == "none":
        return N, np.zeros(dim_ok.shape, dtype=int)
    missing = np.isnan(N) & (item_w > 0)[None, :] & dim_ok[:, prep.dim_of]
    if not missing.any():
        return N, np.zeros(dim_ok.shape, dtype=int)
    if how == "dimension_mean":
        fill = _weighted_mean(N, item_w, prep.membership, "arithmetic")[:, prep.dim_of]
    else:  # group_mean
        present = ~np.isnan(N)
        overall = np.where(present, N, 0.0).sum(0) / np.maximum(present.sum(0), 1)
        overall[present.sum(0) == 0] = np.nan
        groups = prep.region.fillna("\0unknown").to_numpy(dtype=object)
        gcode, _ = pd.factorize(groups)
        G = np.zeros((len(gcode), gcode.max() + 1 if len(gcode) else 0))
        G[np.arange(len(gcode)), gcode] = 1.0
        sums = G.T @ np.where(present, N, 0.0)
        cnts = G.T @ present.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            gmean = np.where(cnts > 0, sums / cnts, overall[None, :])
        fill = gmean[gcode]
    out = np.where(missing & ~np.isnan(fill), fill, N)
    imputed = (missing & ~np.isnan(out)).astype(float) @ prep.membership
    return out, imputed.astype(int)


def _dimension_scores(prep: _Prepared, spec: dict, codebook: Codebook, *, N=None):
    """Normalised items -> (N imputed, dimension scores, answered shares, imputed counts)."""
    item_w, _ = _weights(spec, codebook)
    if N is None:
        N = _normalise_matrix(prep.X, prep.items, spec)
    counted = prep.membership * (item_w > 0)[:, None]
    n_counted = counted.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (~np.isnan(N)).astype(float) @ counted / n_counted
    share = np.where(n_counted > 0, share, np.nan)
    # A small tolerance: 3/5 must pass a 0.6 threshold whatever the rounding.
    dim_ok = (share + 1e-12 >= spec["min_answered_share"]) & (share > 0)
    Nf, imputed = _impute(N, prep, item_w, dim_ok, spec["imputation"])
    D = _weighted_mean(Nf, item_w, prep.membership, spec["item_aggregation"])
    D[~dim_ok] = np.nan
    return Nf, D, share, imputed


def _composite(D: np.ndarray, dim_w: np.ndarray, how: str, require_all: bool) -> np.ndarray:
    """Dimension scores (..., n_dims) -> composite (...); weights may be (..., n_dims)."""
    w = np.broadcast_to(dim_w, D.shape)
    present = ~np.isnan(D)
    v = _to_geo(D) if how == "geometric" else D
    v = np.where(present, v, 0.0)
    ww = np.where(present, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (v * ww).sum(-1) / ww.sum(-1)
    mean = _from_geo(mean) if how == "geometric" else mean
    if require_all:
        mean = np.where(((~present) & (w > 0)).any(-1), np.nan, mean)
    return mean


# ------------------------------------------------------------- public scores
def normalise_items(combined, *, spec=None, codebook=None) -> pd.DataFrame:
    """Normalise the capacity items of combined institution rows to 0-100.

    Parameters
    ----------
    combined : pandas.DataFrame
        Output of :func:`combine_respondents`.
    spec : None, path or dict, optional
        Uses ``normalisation`` and ``zscore_clip``.
    codebook : Codebook, optional

    Returns
    -------
    pandas.DataFrame
        Index ``inst_id``, one ``float64`` column per section C item, 100 best;
        NaN where the item was not answered (no imputation).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A"], "country": ["MEX"],
    ...                    "ch8_referral_followup": [4], "ch5_detention_visits": [30]})
    >>> n = normalise_items(combine_respondents(df))
    >>> n.loc["A", ["ch8_referral_followup", "ch5_detention_visits"]].tolist()
    [75.0, 100.0]
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    items = cb.scored_items()
    X = combined.reindex(columns=[it.name for it in items]).to_numpy(dtype=float, na_value=np.nan)
    N = _normalise_matrix(X, items, spec)
    return pd.DataFrame(
        N, index=pd.Index(combined["inst_id"].astype("string"), name="inst_id"),
        columns=[it.name for it in items],
    )


def item_scores(data, *, spec=None, codebook=None, regions=None, impute=True) -> pd.DataFrame:
    """The institution x item matrix of normalised scores (0-100), for audit and advice.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame (one row per respondent).
    spec : None, path or dict, optional
    codebook : Codebook, optional
    regions : dict, optional
        ISO3 -> region, instead of :func:`nhri_capacity.reference.countries.region_of`
        (used only by ``group_mean`` imputation).
    impute : bool, default True
        Apply the spec's imputation (only in dimensions that pass the
        availability rule); False leaves every gap as NaN.

    Returns
    -------
    pandas.DataFrame
        Index ``inst_id`` (sorted like :func:`score_survey`), one ``float64``
        column per section C item; ``attrs["dimensions"]`` maps item -> dimension.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A"], "country": ["MEX"], "ch1_complaints_open": [1]})
    >>> float(item_scores(df).loc["A", "ch1_complaints_open"])
    100.0
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    need = impute and spec["imputation"] == "group_mean"
    prep = _prepare(data, cb, spec, regions=regions, need_regions=need)
    N = _normalise_matrix(prep.X, prep.items, spec)
    if impute:
        N, _, _, _ = _dimension_scores(prep, spec, cb, N=N)
    out = pd.DataFrame(
        N,
        index=pd.Index(prep.combined["inst_id"], name="inst_id"),
        columns=[it.name for it in prep.items],
    )
    out.attrs["dimensions"] = {it.name: it.dimension for it in prep.items}
    out.attrs["synthetic"] = is_synthetic(data)
    return out


def _score_arrays(prep: _Prepared, spec: dict, codebook: Codebook) -> dict:
    """All the numbers of a scoring run, as arrays (rows = institutions)."""
    _, dim_w = _weights(spec, codebook)
    N = _normalise_matrix(prep.X, prep.items, spec)
    Nf, D, share, imputed = _dimension_scores(prep, spec, codebook, N=N)
    composite = _composite(D, dim_w, spec["aggregation"], spec["composite_requires_all_dimensions"])
    return {"N": N, "N_imputed": Nf, "D": D, "share": share, "imputed": imputed,
            "composite": composite, "dim_w": dim_w}


def _flags(D, imputed, composite, dim_w, region) -> list[str]:
    flags = [[] for _ in range(D.shape[0])]
    low = np.isnan(D)
    for d, dim in enumerate(DIMENSIONS):
        for i in np.flatnonzero(low[:, d]):
            flags[i].append(f"below_min_answered:{dim}")
        for i in np.flatnonzero(imputed[:, d] > 0):
            flags[i].append(f"imputed:{dim}")
    counted = low & (dim_w > 0)
    for i in np.flatnonzero(counted.any(1)):
        if np.isnan(composite[i]):
            flags[i].append("composite_na")
        else:
            gone = ",".join(DIMENSIONS[d] for d in np.flatnonzero(counted[i]))
            flags[i].append(f"composite_partial:{gone}")
    if region is not None:
        for i in np.flatnonzero(region.isna().to_numpy()):
            flags[i].append("region_unknown")
    return [";".join(f) for f in flags]


def score_survey(data, *, spec=None, codebook=None, regions=None) -> pd.DataFrame:
    """Score every institution of a survey on the five capacities and the composite.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame from :func:`nhri_capacity.survey.readers.read_survey` (one row
        per respondent).
    spec : None, path or dict, optional
        Scoring rules merged over ``resources/scoring_spec.yaml`` (see
        :func:`load_spec`).
    codebook : Codebook, optional
        Default: the bundled codebook.
    regions : dict, optional
        ISO3 -> UN SDG region; by default looked up with
        :func:`nhri_capacity.reference.countries.region_of`.

    Returns
    -------
    pandas.DataFrame
        One row per institution, sorted by ``iso3`` then ``inst_id``, with
        exactly :data:`SCORE_COLUMNS`: ``inst_id``, ``iso3``, ``institution``,
        ``region``, ``n_respondents``, the five dimensions (0-100, ``<NA>``
        below the availability threshold), ``composite``,
        ``answered_<dimension>`` (0-1) and ``flags`` (``;``-separated, empty
        when none). ``attrs["synthetic"]`` tells whether the survey is
        synthetic; ``attrs["spec"]`` holds the complete spec used.

    Examples
    --------
    >>> import pandas as pd
    >>> from nhri_capacity import load_codebook
    >>> row = {it.name: it.max for it in load_codebook().scored_items()}
    >>> df = pd.DataFrame([{"inst_id": "MEX-1", "country": "MEX", **row}])
    >>> s = score_survey(df, regions={"MEX": "Latin America and the Caribbean"})
    >>> float(s.loc[0, "case_handling"]), float(s.loc[0, "composite"]), s.loc[0, "flags"]
    (100.0, 100.0, '')
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    prep = _prepare(data, cb, spec, regions=regions)
    arr = _score_arrays(prep, spec, cb)
    D, share, composite = arr["D"], arr["share"], arr["composite"]
    c = prep.combined
    out = {
        "inst_id": c["inst_id"].astype("string"),
        "iso3": c["iso3"].astype("string"),
        "institution": c["institution"].astype("string"),
        "region": prep.region.astype("string"),
        "n_respondents": c["n_respondents"].astype("Int64"),
    }
    for d, dim in enumerate(DIMENSIONS):
        out[dim] = pd.array(D[:, d], dtype="Float64")
    out["composite"] = pd.array(composite, dtype="Float64")
    for d, dim in enumerate(DIMENSIONS):
        out[f"answered_{dim}"] = pd.array(share[:, d], dtype="Float64")
    out["flags"] = pd.array(
        _flags(D, arr["imputed"], composite, arr["dim_w"], prep.region), dtype="string"
    )
    scores = pd.DataFrame(out)[list(SCORE_COLUMNS)]
    scores.attrs["synthetic"] = is_synthetic(data)
    scores.attrs["spec"] = spec
    return scores


def score_themes(data, *, codebook=None, spec=None) -> pd.DataFrame:
    """Activity on the nine migration themes (section D), per institution.

    Theme activity is descriptive (what the institution works on) and is kept
    out of the composite.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame (one row per respondent).
    codebook : Codebook, optional
    spec : None, path or dict, optional
        Only ``respondents.coded`` is used (median by default).

    Returns
    -------
    pandas.DataFrame
        ``inst_id``, ``iso3`` and one ``Float64`` column per theme key (0 none
        to 3 core programme; medians may fall half-way), sorted like
        :func:`score_survey`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A", "A"], "country": ["KEN", "KEN"],
    ...                    "th2_mechanisms": [1, 2]})
    >>> float(score_themes(df).loc[0, "mechanisms"])
    1.5
    """
    cb = codebook if codebook is not None else load_codebook()
    combined = combine_respondents(data, codebook=cb, spec=spec)
    themes = cb.theme_items()
    out = combined[["inst_id", "iso3"]].copy()
    for it in themes:
        out[it.dimension] = combined[it.name].astype("Float64")
    out.attrs["synthetic"] = is_synthetic(data)
    return out


# -------------------------------------------------------------------- export
_EXPORT_LABELS = {
    "inst_id": "Institution identifier",
    "iso3": "Country (ISO 3166-1 alpha-3)",
    "institution": "Name of the institution",
    "region": "UN SDG region",
    "n_respondents": "Number of respondents combined",
    "composite": "Composite capacity score (0-100)",
    "composite_median": "Composite: median over uncertainty draws",
    "composite_p05": "Composite: 5th percentile over uncertainty draws",
    "composite_p95": "Composite: 95th percentile over uncertainty draws",
    "rank": "Rank on the composite (1 = highest)",
    "rank_p05": "Rank: 5th percentile over uncertainty draws",
    "rank_p95": "Rank: 95th percentile over uncertainty draws",
    "flags": "Scoring flags (;-separated)",
}


def _export_labels(columns, codebook: Codebook) -> tuple[dict, dict]:
    """Variable labels for every column, value labels for theme columns."""
    dim_label = {k: v.get("label", k) for k, v in codebook.dimensions.items()}
    theme_of = {it.dimension: it for it in codebook.theme_items()}
    var, val = {}, {}
    for col in columns:
        label = _EXPORT_LABELS.get(col)
        if label is None and col in dim_label:
            label = f"{dim_label[col]} capacity score (0-100)"
        elif label is None and col.startswith("answered_") and col[9:] in dim_label:
            label = f"{dim_label[col[9:]]}: share of items answered (0-1)"
        elif label is None and col in theme_of:
            label = f"Theme activity (0-3): {codebook.themes.get(col, col)}"
            val[col] = {float(k): v for k, v in (theme_of[col].choices or {}).items()}
        elif label is None:
            for suffix, what in (("_median", "median"), ("_p05", "5th percentile"), ("_p95", "95th percentile")):
                base = col[: -len(suffix)]
                if col.endswith(suffix) and base in dim_label:
                    label = f"{dim_label[base]}: {what} over uncertainty draws"
        var[col] = (label or col)[:80]  # Stata's limit
    return var, val


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes -> int64 / float64 / object, which pyreadstat writes reliably."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            if not s.isna().any() and (pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s)):
                out[col] = s.to_numpy(dtype="int64")
            else:
                out[col] = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            out[col] = pd.Series(["" if pd.isna(v) else str(v) for v in s], index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index)


def write_scores(scores, path, *, codebook=None) -> Path:
    """Write a scores (or themes, or intervals) frame, keeping labels where the format can.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`score_survey`, :func:`score_themes` or
        :func:`nhri_capacity.scoring.uncertainty.score_intervals`.
    path : str or Path
        The format follows the suffix: ``.csv``, ``.xlsx``, ``.parquet``,
        ``.sav`` (SPSS) or ``.dta`` (Stata). SPSS and Stata files get a
        variable label on every column, value labels on theme columns, and a
        file label starting ``SYNTHETIC`` when ``attrs["synthetic"]`` is true.
    codebook : Codebook, optional

    Returns
    -------
    Path
        The file written (atomically: a reader never sees half a file).

    Raises
    ------
    SpecError
        For a suffix not listed above.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A"], "composite": [55.0]})
    >>> out = write_scores(df, pathlib.Path(tempfile.mkdtemp()) / "scores.csv")
    >>> out.read_text().splitlines()[0]
    'inst_id,composite'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    cb = codebook if codebook is not None else load_codebook()
    synthetic = bool(scores.attrs.get("synthetic", False))
    if suffix not in {".csv", ".xlsx", ".parquet", ".sav", ".dta"}:
        raise OutputFormatError(
            f"Cannot write scores to {path}: suffix {path.suffix!r} is not one of "
            "'.csv', '.xlsx', '.parquet', '.sav', '.dta'"
        )
    if synthetic and suffix in {".csv", ".xlsx", ".parquet"}:
        # These formats have no file label: say it on every row instead.
        scores = scores.assign(data_note=SYNTHETIC_NOTICE)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            scores.to_csv(tmp, index=False)
        elif suffix == ".xlsx":
            scores.to_excel(tmp, index=False, sheet_name="scores")
        elif suffix == ".parquet":
            frame = scores.copy()
            # attrs travel in the Parquet metadata only when JSON-serialisable.
            frame.attrs = {"synthetic": synthetic, "spec": scores.attrs.get("spec")}
            frame.to_parquet(tmp, index=False)
        else:
            import pyreadstat

            var, val = _export_labels(list(scores.columns), cb)
            plain = _plain(scores)
            label = ("SYNTHETIC illustrative data - " if synthetic else "") + "NHRI capacity scores"
            if suffix == ".sav":
                text = {c for c in plain.columns if not pd.api.types.is_numeric_dtype(plain[c])}
                measure = {
                    c: "nominal" if c in text else ("ordinal" if c.startswith("rank") or c in val else "scale")
                    for c in plain.columns
                }
                fmt = {c: "F8.0" if plain[c].dtype.kind in "iu" else "F8.2" for c in plain.columns if c not in text}
                pyreadstat.write_sav(
                    plain, str(tmp), file_label=label, column_labels=var,
                    variable_value_labels=val or None, variable_measure=measure,
                    variable_format=fmt,
                )
            else:
                # Stata value labels attach to integer variables only; theme medians may be x.5.
                pyreadstat.write_dta(plain, str(tmp), file_label=label[:80], column_labels=var)
    return path
