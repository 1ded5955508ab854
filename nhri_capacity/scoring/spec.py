"""The scoring specification: the bundled defaults, a user's overrides, their validation.

The rules live in ``resources/scoring_spec.yaml`` (documented there); a user's
YAML file or dict is merged over it, key by key, by :func:`load_spec`, which
checks every key and value against the codebook and names the offending key,
value and allowed values in its :class:`~nhri_capacity.errors.SpecError`.
:func:`spec_weights` reads the item and dimension weights of a complete spec as
arrays, in codebook and :data:`~nhri_capacity.survey.DIMENSIONS` order.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
from pathlib import Path

import numpy as np

from .. import config
from ..common.yamlfile import load_yaml
from ..errors import SpecError
from ..survey import DIMENSIONS, Codebook, load_codebook

__all__ = [
    "load_spec",
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
    item_w, dim_w = spec_weights(spec, codebook)
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


def spec_weights(spec: dict, codebook: Codebook) -> tuple[np.ndarray, np.ndarray]:
    """Item and dimension weights of a complete spec, as float arrays.

    Parameters
    ----------
    spec : dict
        From :func:`load_spec`.
    codebook : Codebook

    Returns
    -------
    item_w : numpy.ndarray
        One weight per scored item, in ``codebook.scored_items()`` order: the
        spec's ``weights.items`` override, else the codebook's weight.
    dim_w : numpy.ndarray
        One weight per dimension, in :data:`~nhri_capacity.survey.DIMENSIONS`
        order (1 unless ``weights.dimensions`` says otherwise).

    Examples
    --------
    >>> cb = load_codebook()
    >>> item_w, dim_w = spec_weights(load_spec({"weights": {"dimensions": {"alliances": 2}}}), cb)
    >>> len(item_w) == len(cb.scored_items()), dim_w.tolist()
    (True, [1.0, 1.0, 1.0, 1.0, 2.0])
    """
    over_items = (spec.get("weights") or {}).get("items") or {}
    over_dims = (spec.get("weights") or {}).get("dimensions") or {}
    item_w = np.array(
        [float(over_items.get(it.name, it.weight)) for it in codebook.scored_items()]
    )
    dim_w = np.array([float(over_dims.get(d, 1.0)) for d in DIMENSIONS])
    return item_w, dim_w
