"""The scoring engine: plain numpy on an institution x item matrix.

:func:`prepare` combines the respondents of a survey into one row per
institution and keeps the scored (section C) items as a matrix;
:func:`score_arrays` then normalises the items (:func:`normalise_matrix`),
applies the availability rule and the imputation, aggregates items into
dimensions (:func:`dimension_scores`) and dimensions into the composite
(:func:`composite_scores`). Nothing here builds a frame per draw, so a whole survey
scores in milliseconds and :mod:`nhri_capacity.scoring.uncertainty` can re-run
the arithmetic thousands of times.

These names serve :mod:`~nhri_capacity.scoring.scores`,
:mod:`~nhri_capacity.scoring.audit` and
:mod:`~nhri_capacity.scoring.uncertainty`; the package does not re-export
them: its entry points take and return DataFrames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import NHRICapacityError, SpecError, SurveyValidationError
from ..reference import region_of
from ..survey import DIMENSIONS, Codebook, Item
from .spec import NORMALISATIONS, spec_weights

__all__ = [
    "Prepared",
    "combine_institutions",
    "prepare",
    "normalise_matrix",
    "dimension_scores",
    "composite_scores",
    "score_arrays",
]

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
class Prepared:
    """Everything the arithmetic needs, computed once per survey by :func:`prepare`.

    Rows are institutions (sorted by ``iso3`` then ``inst_id``), columns of
    ``X`` the scored items in codebook order.
    """

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


def combine_institutions(data, codebook: Codebook, spec: dict):
    """Combine the respondents of each institution, item by item.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame (one row per respondent).
    codebook : Codebook
    spec : dict
        A complete spec (:func:`~nhri_capacity.scoring.spec.load_spec`); only
        ``respondents`` is used.

    Returns
    -------
    meta : pandas.DataFrame
        ``inst_id``, ``iso3``, ``institution``, ``n_respondents``, one row per
        institution, sorted by ``iso3`` then ``inst_id``.
    matrix : numpy.ndarray
        Institutions x *items*, the combined answers (NaN where none).
    items : list of Item
        The numeric items of sections B, C and D, in codebook order.

    Raises
    ------
    SurveyValidationError
        If the institution or country column is absent, or an institution
        identifier is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from nhri_capacity.survey import load_codebook
    >>> from nhri_capacity.scoring.spec import load_spec
    >>> df = pd.DataFrame({"inst_id": ["B", "A", "A"], "country": ["KEN", "MEX", "MEX"],
    ...                    "ch8_referral_followup": [1, 2, 3]})
    >>> meta, matrix, items = combine_institutions(df, load_codebook(), load_spec())
    >>> j = [it.name for it in items].index("ch8_referral_followup")
    >>> meta["inst_id"].tolist(), matrix[:, j].tolist()
    (['B', 'A'], [1.0, 2.5])
    """
    inst_col, country_col = codebook.institution_variable, codebook.country_variable
    absent = [c for c in (inst_col, country_col) if c not in data.columns]
    if absent:
        raise SurveyValidationError(
            f"Cannot combine respondents: column(s) {', '.join(absent)} missing from the survey"
        )
    items = [
        it
        for it in codebook
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
    if codebook.missing_codes and values.size:
        values[np.isin(values, list(codebook.missing_codes))] = np.nan
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


def _regions_for(iso3: pd.Series, regions) -> pd.Series:
    """UN SDG region per institution; NA where unknown."""
    if regions is not None:
        mapping = regions if isinstance(regions, dict) else dict(regions)
        return pd.Series([mapping.get(c, pd.NA) if not pd.isna(c) else pd.NA for c in iso3],
                         index=iso3.index, dtype="string")
    uniq = [c for c in pd.unique(iso3.dropna())]
    try:
        found = region_of(list(uniq), strict=False) if uniq else []
    except NHRICapacityError as exc:
        warnings.warn(f"Regions unavailable ({exc}); region is left empty", stacklevel=3)
        found = [pd.NA] * len(uniq)
    mapping = dict(zip(uniq, found, strict=True))
    return pd.Series([mapping.get(c, pd.NA) if not pd.isna(c) else pd.NA for c in iso3],
                     index=iso3.index, dtype="string")


def prepare(data, codebook, spec, *, regions=None, need_regions=True) -> Prepared:
    """Combine a survey's respondents and lay out the scored items for the arithmetic.

    Parameters
    ----------
    data, codebook, spec
        As in :func:`combine_institutions`.
    regions : dict, optional
        ISO3 -> region; by default looked up with
        :func:`nhri_capacity.reference.region_of` (a warning, and NA regions,
        when the reference data cannot be read).
    need_regions : bool, default True
        False skips the region lookup (``Prepared.region`` is None): only
        ``group_mean`` imputation and the scores frame need regions.

    Returns
    -------
    Prepared

    Examples
    --------
    >>> import pandas as pd
    >>> from nhri_capacity.survey import load_codebook
    >>> from nhri_capacity.scoring.spec import load_spec
    >>> df = pd.DataFrame({"inst_id": ["A", "B"], "country": ["KEN", "MEX"], "ch1_complaints_open": [1, 0]})
    >>> prep = prepare(df, load_codebook(), load_spec(), regions={"KEN": "Sub-Saharan Africa"})
    >>> prep.X.shape[0], prep.region.tolist()
    (2, ['Sub-Saharan Africa', <NA>])
    """
    meta, matrix, all_items = combine_institutions(data, codebook, spec)
    items = codebook.scored_items()
    pos = {it.name: k for k, it in enumerate(all_items)}
    X = matrix[:, [pos[it.name] for it in items]]
    dim_of = np.array([DIMENSIONS.index(it.dimension) for it in items])
    membership = np.zeros((len(items), len(DIMENSIONS)))
    membership[np.arange(len(items)), dim_of] = 1.0
    region = _regions_for(meta["iso3"], regions) if need_regions else None
    return Prepared(meta, items, X, dim_of, membership, region)


# ------------------------------------------------------------ the arithmetic
def normalise_matrix(X: np.ndarray, items: list, spec: dict) -> np.ndarray:
    """Put raw item values on 0-100, 100 best, with the spec's normalisation.

    Parameters
    ----------
    X : numpy.ndarray
        Institutions x *items*, raw combined values (NaN = not answered).
    items : list of Item
        The items of the columns of *X*.
    spec : dict
        A complete spec; uses ``normalisation`` and ``zscore_clip``.

    Returns
    -------
    numpy.ndarray
        Same shape as *X*; NaN stays NaN (no imputation here).

    Examples
    --------
    >>> import numpy as np
    >>> from nhri_capacity.survey import load_codebook
    >>> from nhri_capacity.scoring.spec import load_spec
    >>> item = load_codebook()["ch8_referral_followup"]  # Likert 1-5
    >>> normalise_matrix(np.array([[1.0], [4.0], [np.nan]]), [item], load_spec()).ravel().tolist()
    [0.0, 75.0, nan]
    """
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


def _impute(N, prep: Prepared, item_w, dim_ok, how: str):
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


def dimension_scores(prep: Prepared, spec: dict, codebook: Codebook, *, N=None):
    """Aggregate normalised items into dimension scores, after availability and imputation.

    Parameters
    ----------
    prep : Prepared
    spec : dict
        A complete spec; uses the weights, ``min_answered_share``,
        ``imputation`` and ``item_aggregation`` (and ``normalisation`` when
        *N* is not given).
    codebook : Codebook
    N : numpy.ndarray, optional
        The normalised items (:func:`normalise_matrix`), when already computed.

    Returns
    -------
    N_imputed : numpy.ndarray
        Institutions x items, gaps filled in the dimensions that passed the
        availability rule.
    D : numpy.ndarray
        Institutions x dimensions, 0-100; NaN below the availability rule.
    share : numpy.ndarray
        Institutions x dimensions, share (0-1) of the weighted items answered.
    imputed : numpy.ndarray
        Institutions x dimensions, number of items imputed (int).

    Examples
    --------
    >>> import pandas as pd
    >>> from nhri_capacity.survey import load_codebook
    >>> from nhri_capacity.scoring.spec import load_spec
    >>> cb, spec = load_codebook(), load_spec({"min_answered_share": 0})
    >>> df = pd.DataFrame({"inst_id": ["A"], "country": ["KEN"], "ch1_complaints_open": [1]})
    >>> _, D, share, _ = dimension_scores(prepare(df, cb, spec, need_regions=False), spec, cb)
    >>> float(D[0, 0]), bool(share[0, 0] < 1)
    (100.0, True)
    """
    item_w, _ = spec_weights(spec, codebook)
    if N is None:
        N = normalise_matrix(prep.X, prep.items, spec)
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


def composite_scores(D: np.ndarray, dim_w: np.ndarray, how: str, require_all: bool) -> np.ndarray:
    """Combine dimension scores into the composite.

    Parameters
    ----------
    D : numpy.ndarray
        Dimension scores, shape ``(..., n_dims)``; NaN where missing.
    dim_w : numpy.ndarray
        Dimension weights, ``(n_dims,)`` or broadcastable to *D* (one set of
        weights per uncertainty draw).
    how : {'arithmetic', 'geometric'}
    require_all : bool
        A missing dimension with weight > 0 makes the composite NaN; else the
        composite is the weighted mean of the dimensions present.

    Returns
    -------
    numpy.ndarray
        Shape ``D.shape[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[50.0, 100.0], [np.nan, 80.0]])
    >>> composite_scores(D, np.array([1.0, 1.0]), "arithmetic", False).tolist()
    [75.0, 80.0]
    >>> composite_scores(D, np.array([1.0, 1.0]), "arithmetic", True).tolist()
    [75.0, nan]
    """
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


def score_arrays(prep: Prepared, spec: dict, codebook: Codebook) -> dict:
    """All the numbers of a scoring run, as arrays (rows = institutions).

    Returns
    -------
    dict
        ``N`` (normalised items, before imputation), ``N_imputed``, ``D``
        (dimension scores), ``share`` (answered shares), ``imputed`` (counts
        per dimension), ``composite`` and ``dim_w`` (dimension weights); see
        :func:`dimension_scores` and :func:`composite_scores`.

    Examples
    --------
    >>> import pandas as pd
    >>> from nhri_capacity.survey import load_codebook
    >>> from nhri_capacity.scoring.spec import load_spec
    >>> cb, spec = load_codebook(), load_spec()
    >>> df = pd.DataFrame({"inst_id": ["A"], "country": ["KEN"], "ch1_complaints_open": [1]})
    >>> arr = score_arrays(prepare(df, cb, spec, need_regions=False), spec, cb)
    >>> arr["D"].shape, bool(pd.isna(arr["composite"][0]))
    ((1, 5), True)
    """
    _, dim_w = spec_weights(spec, codebook)
    N = normalise_matrix(prep.X, prep.items, spec)
    Nf, D, share, imputed = dimension_scores(prep, spec, codebook, N=N)
    comp = composite_scores(D, dim_w, spec["aggregation"], spec["composite_requires_all_dimensions"])
    return {"N": N, "N_imputed": Nf, "D": D, "share": share, "imputed": imputed,
            "composite": comp, "dim_w": dim_w}

