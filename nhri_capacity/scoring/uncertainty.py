"""Uncertainty analysis: how much do scores and ranks depend on the method choices?

Following the JRC/OECD Handbook (step 7) and COINr's ``get_sensitivity``, the
scoring is re-run many times, each draw picking at random

* a normalisation method (applied to every item, per-item overrides of the
  spec kept),
* an imputation method,
* a composite aggregation (arithmetic or geometric), and
* dimension weights: each nominal weight multiplied by an independent
  ``Uniform(1 - weight_noise, 1 + weight_noise)`` factor (then re-scaled to
  sum to one). This keeps the nominal weights at the centre of the draws and
  leaves a dimension with weight 0 out, which a Dirichlet draw would not.

The result is, per institution, the median and the 5th-95th percentile range
of the composite, of its rank and of each dimension score. Wide rank intervals
mean the league table position is an artefact of method choices, not data.

Only a handful of normalisation x imputation combinations exist, so each is
computed once; the draws then index into them and apply their weights with
numpy broadcasting (no per-draw Python work).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..survey import DIMENSIONS, is_synthetic, load_codebook
from .engine import composite_scores, dimension_scores, prepare, score_arrays
from .spec import AGGREGATIONS, IMPUTATIONS, NORMALISATIONS, load_spec, spec_weights

__all__ = ["score_intervals", "DEFAULT_NORMALISATIONS", "DEFAULT_IMPUTATIONS", "DEFAULT_AGGREGATIONS"]

#: Plausible alternatives to the codebook normalisation. Theoretical ``minmax``
#: is left out: on counts it divides by the codebook's plausibility bound
#: (e.g. 100,000 complaints), squashing every answer to about zero.
DEFAULT_NORMALISATIONS = ("codebook", "goalposts", "rank", "zscore")
#: ``dimension_mean`` is left out: with arithmetic item aggregation it gives
#: exactly the scores of ``none``, so it would add no variation.
DEFAULT_IMPUTATIONS = ("none", "group_mean")
DEFAULT_AGGREGATIONS = ("arithmetic", "geometric")


def _check_alternatives(name, values, allowed) -> tuple:
    values = (values,) if isinstance(values, str) else tuple(values)
    if not values:
        raise SpecError(f"score_intervals: {name} is empty; give one or more of {', '.join(map(repr, allowed))}")
    for v in values:
        if v not in allowed:
            raise SpecError(
                f"score_intervals: {name} contains {v!r}; allowed values: {', '.join(map(repr, allowed))}"
            )
    return tuple(dict.fromkeys(values))


def _ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks along the last axis, 1 = highest; NaN stays NaN.

    Counting how many institutions score strictly higher gives ties the same
    (best) rank and works on a whole stack of draws at once.
    """
    higher = (values[..., None, :] > values[..., :, None]).sum(-1)
    return np.where(np.isnan(values), np.nan, higher + 1.0)


def _quantiles(x: np.ndarray, q, *, method="linear") -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # institutions with no score at all
        if np.isnan(x).any():
            return np.nanquantile(x, q, axis=0, method=method)
        return np.quantile(x, q, axis=0, method=method)


def score_intervals(
    data,
    *,
    n_draws=1000,
    seed=12345,
    spec=None,
    codebook=None,
    regions=None,
    weight_noise=0.25,
    normalisations=DEFAULT_NORMALISATIONS,
    aggregations=DEFAULT_AGGREGATIONS,
    imputations=DEFAULT_IMPUTATIONS,
) -> pd.DataFrame:
    """Monte Carlo intervals for composite scores, ranks and dimension scores.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame (one row per respondent).
    n_draws : int, default 1000
        Number of random method combinations.
    seed : int, default 12345
        Seed of the random generator: the same seed gives identical output.
    spec : None, path or dict, optional
        The nominal spec (see :func:`nhri_capacity.scoring.spec.load_spec`); its
        item weights, availability rule, item aggregation and per-item
        normalisation overrides hold in every draw.
    codebook : Codebook, optional
    regions : dict, optional
        ISO3 -> region for ``group_mean`` imputation (default: looked up).
    weight_noise : float, default 0.25
        Each dimension weight is multiplied by ``Uniform(1 - weight_noise,
        1 + weight_noise)`` in each draw; 0 keeps the nominal weights.
    normalisations, aggregations, imputations : sequence of str
        Alternatives drawn with equal probability. The defaults leave out
        theoretical ``minmax`` (it squashes counts to about zero) and
        ``dimension_mean`` (identical to ``none`` under arithmetic item
        aggregation).

    Returns
    -------
    pandas.DataFrame
        One row per institution, in the order of
        :func:`nhri_capacity.scoring.scores.score_survey`: ``inst_id``, ``iso3``,
        ``composite`` (nominal), ``composite_median``, ``composite_p05``,
        ``composite_p95``, ``rank`` (nominal, 1 = highest, ties share the best
        rank), ``rank_p05``, ``rank_p95`` (observed ranks, not interpolated),
        then ``<dimension>_median``, ``_p05``, ``_p95`` for each dimension.
        ``attrs`` holds ``synthetic``, ``spec`` and ``uncertainty`` (the
        settings used).

    Raises
    ------
    SpecError
        For an unknown alternative, ``n_draws < 1`` or ``weight_noise``
        outside [0, 1).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"inst_id": ["A", "B"], "country": ["KEN", "MEX"],
    ...                    "ch1_complaints_open": [1, 0], "ca6_hr_education": [1, 1]})
    >>> iv = score_intervals(df, n_draws=50, regions={}, spec={"min_answered_share": 0,
    ...                      "composite_requires_all_dimensions": False})
    >>> iv[["inst_id", "rank", "rank_p05", "rank_p95"]].to_string(index=False)
    'inst_id  rank  rank_p05  rank_p95\\n      A     1         1         1\\n      B     2         2         2'
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    normalisations = _check_alternatives("normalisations", normalisations, NORMALISATIONS)
    aggregations = _check_alternatives("aggregations", aggregations, AGGREGATIONS)
    imputations = _check_alternatives("imputations", imputations, IMPUTATIONS)
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise SpecError(f"score_intervals: n_draws = {n_draws!r} is not allowed; allowed values: an integer >= 1")
    if not (isinstance(weight_noise, (int, float)) and 0 <= weight_noise < 1):
        raise SpecError(
            f"score_intervals: weight_noise = {weight_noise!r} is not allowed; allowed values: a number in [0, 1)"
        )

    need_regions = "group_mean" in imputations or spec["imputation"] == "group_mean"
    prep = prepare(data, cb, spec, regions=regions, need_regions=need_regions)
    nominal = score_arrays(prep, spec, cb)
    _, dim_w = spec_weights(spec, cb)

    # The few distinct dimension-score matrices, computed once.
    stack = []
    for norm in normalisations:
        for imp in imputations:
            alt = copy.deepcopy(spec)
            alt["normalisation"]["default"] = norm
            alt["imputation"] = imp
            stack.append(dimension_scores(prep, alt, cb)[1])
    stack = np.stack(stack)  # combinations x institutions x dimensions

    rng = np.random.default_rng(seed)
    combo = rng.integers(len(stack), size=n_draws)
    agg = rng.integers(len(aggregations), size=n_draws)
    factors = rng.uniform(1 - weight_noise, 1 + weight_noise, size=(n_draws, len(DIMENSIONS)))
    weights = (dim_w * factors)[:, None, :]  # draws x 1 x dimensions

    D = stack[combo]  # draws x institutions x dimensions
    require_all = spec["composite_requires_all_dimensions"]
    composite = np.empty(D.shape[:2])
    for a, how in enumerate(aggregations):
        pick = agg == a
        if pick.any():
            composite[pick] = composite_scores(D[pick], weights[pick], how, require_all)
    ranks = _ranks(composite)

    c_q = _quantiles(composite, [0.05, 0.5, 0.95])
    r_q = _quantiles(ranks, [0.05, 0.95], method="inverted_cdf")
    d_q = _quantiles(D, [0.05, 0.5, 0.95])  # 3 x institutions x dimensions

    def f64(x):
        return pd.array(np.asarray(x, dtype=float), dtype="Float64")

    def i64(x):
        return f64(x).astype("Int64")  # ranks are whole numbers; NA stays NA

    meta = prep.combined
    out = {
        "inst_id": meta["inst_id"].astype("string"),
        "iso3": meta["iso3"].astype("string"),
        "composite": f64(nominal["composite"]),
        "composite_median": f64(c_q[1]),
        "composite_p05": f64(c_q[0]),
        "composite_p95": f64(c_q[2]),
        "rank": i64(_ranks(nominal["composite"])),
        "rank_p05": i64(r_q[0]),
        "rank_p95": i64(r_q[1]),
    }
    for d, dim in enumerate(DIMENSIONS):
        out[f"{dim}_median"] = f64(d_q[1][:, d])
        out[f"{dim}_p05"] = f64(d_q[0][:, d])
        out[f"{dim}_p95"] = f64(d_q[2][:, d])
    result = pd.DataFrame(out)
    result.attrs["synthetic"] = is_synthetic(data)
    result.attrs["spec"] = spec
    result.attrs["uncertainty"] = {
        "n_draws": int(n_draws),
        "seed": seed,
        "weight_noise": float(weight_noise),
        "normalisations": list(normalisations),
        "aggregations": list(aggregations),
        "imputations": list(imputations),
    }
    return result
