"""Statistical audit of the capacity scores (JRC/OECD Handbook steps 4 and 9, COINr).

Before trusting a composite indicator one checks that

* the items of a dimension measure something in common (Cronbach's alpha,
  item-rest correlations, alpha if an item is deleted),
* the dimensions are related but not redundant (correlations between
  dimensions and with the composite, principal components),
* enough data stands behind each item and institution (availability).

:func:`audit_scores` returns these checks as tidy tables; :func:`format_audit`
prints them as a short text report and :func:`write_audit` saves them.
Reliability is computed on the normalised items *before* imputation: filling
gaps with means would make items look more consistent than the answers are.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.io import atomic_path
from ..common.spreadsheet import write_csv, write_xlsx
from ..survey import DIMENSIONS, SYNTHETIC_NOTICE, is_synthetic, load_codebook
from .engine import prepare, score_arrays
from .spec import load_spec, spec_weights

__all__ = [
    "cronbach_alpha",
    "item_rest_correlations",
    "audit_scores",
    "format_audit",
    "write_audit",
    "AUDIT_TABLES",
]

#: Keys of the dict :func:`audit_scores` returns, in report order.
AUDIT_TABLES = (
    "alpha",
    "item_rest",
    "dimension_correlations",
    "pca",
    "pca_loadings",
    "availability_items",
    "availability_institutions",
)


def _numeric_frame(items) -> pd.DataFrame:
    frame = pd.DataFrame(items)
    out = {}
    for col in frame.columns:
        try:
            out[col] = frame[col].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise ValueError(f"Column {col!r} is not numeric") from None
    return pd.DataFrame(out, index=frame.index)


def cronbach_alpha(items, *, ci=0.95, nan_policy="pairwise") -> tuple[float, tuple[float, float]]:
    """Cronbach's alpha with Feldt's confidence interval, as ``pingouin.cronbach_alpha``.

    Parameters
    ----------
    items : pandas.DataFrame or 2-D array
        One row per subject (institution), one column per item.
    ci : float, default 0.95
        Confidence level of the interval.
    nan_policy : {'pairwise', 'listwise'}, default 'pairwise'
        ``pairwise`` computes each covariance from the rows where both items
        are present; ``listwise`` first drops every row with a missing value.

    Returns
    -------
    alpha : float
    (low, high) : tuple of float
        Not rounded (pingouin rounds them to 3 decimals).

    Raises
    ------
    ValueError
        With fewer than two items or two rows, a non-numeric column, or an
        unknown *nan_policy*.

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - trace(C) / sum(C))`` with ``C`` the item
    covariance matrix (ddof 1), and Feldt's interval
    ``1 - (1 - alpha) * F(q; n - 1, (n - 1)(k - 1))`` at ``q = (1 - ci)/2``
    and ``1 - (1 - ci)/2`` upper-tail points. As in pingouin, ``n`` is the
    number of rows passed, also under listwise deletion; drop incomplete rows
    yourself to base the interval on complete rows only.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> a, (lo, hi) = cronbach_alpha(df)
    >>> round(a, 4), round(lo, 3), round(hi, 3)
    (0.9538, 0.766, 0.995)
    """
    from scipy.stats import f

    if nan_policy not in ("pairwise", "listwise"):
        raise ValueError(f"nan_policy = {nan_policy!r} is not allowed; allowed values: 'pairwise', 'listwise'")
    if not (0 < ci < 1):
        raise ValueError(f"ci = {ci!r} is not allowed; allowed values: a number between 0 and 1")
    data = _numeric_frame(items)
    n, k = data.shape
    if k < 2:
        raise ValueError(f"Cronbach's alpha needs at least two items, got {k}")
    if n < 2:
        raise ValueError(f"Cronbach's alpha needs at least two rows, got {n}")
    if nan_policy == "listwise":
        data = data.dropna(axis=0, how="any")
    cov = data.cov()
    # pandas' sum skips covariances that no pair of rows supports, as pingouin does.
    alpha = (k / (k - 1)) * (1 - np.trace(cov.to_numpy()) / cov.sum().sum())
    df1 = n - 1
    df2 = df1 * (k - 1)
    tail = 1 - ci
    low = 1 - (1 - alpha) * f.isf(tail / 2, df1, df2)
    high = 1 - (1 - alpha) * f.isf(1 - tail / 2, df1, df2)
    return float(alpha), (float(low), float(high))


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Alpha from a (pairwise) covariance matrix; NaN entries skipped as pandas' sum does."""
    k = cov.shape[0]
    if k < 2:
        return np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return float((k / (k - 1)) * (1 - np.trace(cov) / np.nansum(cov)))


def item_rest_correlations(items) -> pd.DataFrame:
    """Correlation of each item with the rest of its scale, and alpha without it.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per institution, one column per item of one dimension.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``n`` (rows where the item and at least one other item are
        present), ``r_item_rest`` (Pearson correlation of the item with the
        mean of the *other* items of the row, pairwise complete), and
        ``alpha_if_deleted`` (pairwise Cronbach's alpha of the other items).

    Notes
    -----
    The rest score is the mean, not the sum, of the other items so that a
    row with a missing item is not mistaken for a low one; with complete data
    both give the same correlation. Values below about 0.3 suggest the item
    does not measure what the rest of the dimension measures.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> item_rest_correlations(df).round(2)
      item  n  r_item_rest  alpha_if_deleted
    0    a  5         0.97              0.88
    1    b  5         0.90              0.93
    2    c  5         0.87              0.97
    """
    data = _numeric_frame(items)
    x = data.to_numpy()
    present = ~np.isnan(x)
    # Pairwise covariances do not depend on the other columns, so every
    # alpha-if-deleted is a sub-matrix of one covariance matrix.
    cov = data.cov().to_numpy()
    total = np.where(present, x, 0.0).sum(1)
    count = present.sum(1)
    rows = []
    for j, col in enumerate(data.columns):
        others = count - present[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            rest = (total - np.where(present[:, j], x[:, j], 0.0)) / others
        both = present[:, j] & (others > 0)
        r = np.nan
        if both.sum() >= 2:
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = np.corrcoef(x[both, j], rest[both])[0, 1]
        keep = np.arange(len(data.columns)) != j
        rows.append(
            {
                "item": col,
                "n": int(both.sum()),
                "r_item_rest": float(r),
                "alpha_if_deleted": _alpha_from_cov(cov[np.ix_(keep, keep)]) if len(x) >= 2 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["item", "n", "r_item_rest", "alpha_if_deleted"])


def _pca_tables(frame: pd.DataFrame, label: str) -> tuple[list, list]:
    """Eigenvalues and first-component loadings of standardised, complete rows."""
    from statsmodels.multivariate.pca import PCA

    data = frame.dropna()
    # A constant column cannot be standardised; it carries no information anyway.
    data = data.loc[:, data.std(ddof=0) > 0]
    n, k = data.shape
    if k < 2 or n <= k:
        return [], []
    # A plain array: statsmodels' pandas wrapping costs more than the maths here.
    pca = PCA(data.to_numpy(), standardize=True, demean=True, missing=None, method="eig")
    # statsmodels standardises with ddof 0, so eigenvals / n are the
    # eigenvalues of the correlation matrix (summing to k; Kaiser rule: > 1).
    eig = np.asarray(pca.eigenvals, dtype=float) / n
    share = eig / eig.sum()
    comps = [
        {
            "set": label,
            "component": c + 1,
            "n_obs": n,
            "eigenvalue": eig[c],
            "explained_variance": share[c],
            "cumulative_variance": share[: c + 1].sum(),
        }
        for c in range(k)
    ]
    vec = np.asarray(pca.loadings, dtype=float)[:, 0]
    vec = vec if vec.sum() >= 0 else -vec  # the sign of a component is arbitrary
    loads = [
        {
            "set": label,
            "variable": var,
            "eigenvector_pc1": vec[j],
            # Correlation of the variable with the first component.
            "loading_pc1": vec[j] * np.sqrt(eig[0]),
        }
        for j, var in enumerate(data.columns)
    ]
    return comps, loads


def _correlations(frame: pd.DataFrame) -> pd.DataFrame:
    cols = list(frame.columns)
    pearson = frame.corr(method="pearson")
    spearman = frame.corr(method="spearman")
    present = frame.notna().astype(int)
    counts = present.T @ present
    rows = []
    for i, x in enumerate(cols):
        for y in cols[i + 1 :]:
            rows.append(
                {
                    "var_x": x,
                    "var_y": y,
                    "n": int(counts.loc[x, y]),
                    "pearson": float(pearson.loc[x, y]),
                    "spearman": float(spearman.loc[x, y]),
                }
            )
    return pd.DataFrame(rows, columns=["var_x", "var_y", "n", "pearson", "spearman"])


def audit_scores(data, *, spec=None, codebook=None, regions=None) -> dict[str, pd.DataFrame]:
    """Run the statistical audit of a survey's capacity scores.

    Parameters
    ----------
    data : pandas.DataFrame
        A survey frame (one row per respondent).
    spec : None, path or dict, optional
        The scoring spec (see :func:`nhri_capacity.scoring.spec.load_spec`).
    codebook : Codebook, optional
    regions : dict, optional
        ISO3 -> region (only needed with ``group_mean`` imputation).

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys :data:`AUDIT_TABLES`:

        ``alpha``
            ``dimension``, ``n_items``, ``n_institutions`` (with at least one
            item answered), ``alpha``, ``ci_low``, ``ci_high`` (pairwise,
            95 %; on the normalised items, before imputation).
        ``item_rest``
            ``dimension``, ``item``, ``n``, ``r_item_rest``, ``alpha_if_deleted``.
        ``dimension_correlations``
            ``var_x``, ``var_y``, ``n``, ``pearson``, ``spearman`` for every
            pair of dimensions and each dimension with ``composite``.
        ``pca``
            ``set`` (``dimensions`` for the five dimension scores, else a
            dimension name for its items), ``component``, ``n_obs``,
            ``eigenvalue`` (of the correlation matrix), ``explained_variance``,
            ``cumulative_variance``.
        ``pca_loadings``
            ``set``, ``variable``, ``eigenvector_pc1``, ``loading_pc1``
            (correlation with the first component).
        ``availability_items``
            ``item``, ``dimension``, ``n_answered``, ``share_answered``.
        ``availability_institutions``
            ``inst_id``, ``iso3``, ``answered_overall`` and
            ``answered_<dimension>`` (shares 0-1).

        Every table carries ``attrs["synthetic"]``.

    Examples
    --------
    Twenty institutions whose five alliance answers follow one underlying level:

    >>> import numpy as np, pandas as pd
    >>> from nhri_capacity import load_codebook
    >>> rng = np.random.default_rng(0)
    >>> level = rng.integers(1, 4, size=20)
    >>> df = pd.DataFrame({"inst_id": [f"I{i:02d}" for i in range(20)], "country": "KEN",
    ...                    **{it.name: level + rng.integers(0, 2, size=20)
    ...                       for it in load_codebook().scored_items("alliances")}})
    >>> audit = audit_scores(df, regions={})
    >>> audit["alpha"].set_index("dimension").loc["alliances"].round(2).tolist()
    [5.0, 20.0, 0.92, 0.85, 0.96]
    """
    cb = codebook if codebook is not None else load_codebook()
    spec = load_spec(spec, codebook=cb)
    prep = prepare(data, cb, spec, regions=regions, need_regions=spec["imputation"] == "group_mean")
    arr = score_arrays(prep, spec, cb)
    item_w, _ = spec_weights(spec, cb)
    names = [it.name for it in prep.items]
    N = pd.DataFrame(arr["N"], columns=names)
    used = item_w > 0

    alpha_rows, item_rows = [], []
    pca_rows, load_rows = [], []
    for d, dim in enumerate(DIMENSIONS):
        cols = [names[j] for j in np.flatnonzero((prep.dim_of == d) & used)]
        block = N[cols]
        block = block[block.notna().any(axis=1)]
        if len(cols) >= 2 and len(block) >= 2:
            a, (lo, hi) = cronbach_alpha(block)
        else:
            a, lo, hi = np.nan, np.nan, np.nan
        alpha_rows.append(
            {"dimension": dim, "n_items": len(cols), "n_institutions": len(block),
             "alpha": a, "ci_low": lo, "ci_high": hi}
        )
        if len(cols) >= 2:
            if len(block) >= 2:
                ir = item_rest_correlations(block)
            else:  # nobody answered the dimension: nothing to correlate
                ir = pd.DataFrame({"item": cols, "n": 0, "r_item_rest": np.nan, "alpha_if_deleted": np.nan})
            ir.insert(0, "dimension", dim)
            item_rows.append(ir)
        comps, loads = _pca_tables(block, dim)
        pca_rows += comps
        load_rows += loads

    dims = pd.DataFrame(arr["D"], columns=list(DIMENSIONS))
    comps, loads = _pca_tables(dims, "dimensions")
    pca_rows = comps + pca_rows
    load_rows = loads + load_rows
    with_comp = dims.assign(composite=arr["composite"])

    answered = ~np.isnan(arr["N"][:, used])
    avail_items = pd.DataFrame(
        {
            "item": [n for n, u in zip(names, used, strict=True) if u],
            "dimension": [it.dimension for it, u in zip(prep.items, used, strict=True) if u],
            "n_answered": answered.sum(0),
            "share_answered": answered.mean(0) if answered.shape[0] else np.nan,
        }
    )
    avail_inst = pd.DataFrame(
        {
            "inst_id": prep.combined["inst_id"].astype("string"),
            "iso3": prep.combined["iso3"].astype("string"),
            "answered_overall": answered.mean(1) if answered.shape[1] else np.nan,
        }
    )
    for d, dim in enumerate(DIMENSIONS):
        avail_inst[f"answered_{dim}"] = arr["share"][:, d]

    pca_cols = ["set", "component", "n_obs", "eigenvalue", "explained_variance", "cumulative_variance"]
    load_cols = ["set", "variable", "eigenvector_pc1", "loading_pc1"]
    item_cols = ["dimension", "item", "n", "r_item_rest", "alpha_if_deleted"]
    out = {
        "alpha": pd.DataFrame(alpha_rows),
        "item_rest": pd.concat(item_rows, ignore_index=True) if item_rows else pd.DataFrame(columns=item_cols),
        "dimension_correlations": _correlations(with_comp),
        "pca": pd.DataFrame(pca_rows, columns=pca_cols),
        "pca_loadings": pd.DataFrame(load_rows, columns=load_cols),
        "availability_items": avail_items,
        "availability_institutions": avail_inst,
    }
    synthetic = is_synthetic(data)
    for table in out.values():
        table.attrs["synthetic"] = synthetic
    return out


# -------------------------------------------------------------------- report
def _fmt(x, digits=2) -> str:
    return "NA" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def format_audit(audit: dict) -> str:
    """Render an audit (from :func:`audit_scores`) as a plain-text report.

    Thresholds used in the comments: alpha >= 0.7 acceptable (Nunnally), item-rest
    correlation >= 0.3, dimension correlations above 0.9 suggest redundancy,
    and a first principal component explaining most of the variance supports
    adding the dimensions up.

    Examples
    --------
    >>> import pandas as pd
    >>> text = format_audit({"alpha": pd.DataFrame([{"dimension": "alliances", "n_items": 5,
    ...     "n_institutions": 40, "alpha": 0.81, "ci_low": 0.7, "ci_high": 0.89}])})
    >>> print(text.splitlines()[2])
    Internal consistency (Cronbach's alpha, 95% CI)
    """
    lines = ["STATISTICAL AUDIT OF CAPACITY SCORES", ""]
    first = next(iter(audit.values()), None)
    if first is not None and first.attrs.get("synthetic"):
        lines[0] += " - SYNTHETIC DATA, illustrative only"

    alpha = audit.get("alpha")
    if alpha is not None and len(alpha):
        lines.append("Internal consistency (Cronbach's alpha, 95% CI)")
        for r in alpha.itertuples(index=False):
            verdict = "" if pd.isna(r.alpha) else ("ok" if r.alpha >= 0.7 else "below 0.7")
            lines.append(
                f"  {r.dimension:<24} {_fmt(r.alpha)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
                f"  items={r.n_items} n={r.n_institutions}  {verdict}".rstrip()
            )
        lines.append("")

    ir = audit.get("item_rest")
    if ir is not None and len(ir):
        weak = ir[ir["r_item_rest"] < 0.3]
        lines.append("Items weakly related to their dimension (item-rest r < 0.30)")
        if len(weak):
            for r in weak.itertuples(index=False):
                lines.append(
                    f"  {r.item:<30} {r.dimension:<24} r={_fmt(r.r_item_rest)}"
                    f"  alpha without it={_fmt(r.alpha_if_deleted)}"
                )
        else:
            lines.append("  none")
        lines.append("")

    cor = audit.get("dimension_correlations")
    if cor is not None and len(cor):
        lines.append("Correlations (Pearson / Spearman)")
        for r in cor.itertuples(index=False):
            note = "  possibly redundant" if r.var_y != "composite" and abs(r.pearson) > 0.9 else ""
            lines.append(
                f"  {r.var_x:<24} {r.var_y:<24} {_fmt(r.pearson)} / {_fmt(r.spearman)}  n={r.n}{note}"
            )
        lines.append("")

    pca = audit.get("pca")
    if pca is not None and len(pca):
        lines.append("Principal components (first component; components with eigenvalue > 1)")
        for name, g in pca.groupby("set", sort=False):
            first = g.iloc[0]
            kaiser = int((g["eigenvalue"] > 1).sum())
            lines.append(
                f"  {name:<24} PC1 explains {first['explained_variance']:.0%}"
                f"  eigenvalues > 1: {kaiser}  n={int(first['n_obs'])}"
            )
        lines.append("")

    items = audit.get("availability_items")
    if items is not None and len(items):
        low = items.sort_values("share_answered").head(5)
        lines.append("Least answered items")
        for r in low.itertuples(index=False):
            lines.append(f"  {r.item:<30} {r.share_answered:.0%} ({r.n_answered})")
        lines.append("")

    inst = audit.get("availability_institutions")
    if inst is not None and len(inst):
        lines.append(
            f"Institutions: {len(inst)}; median share of items answered "
            f"{inst['answered_overall'].median():.0%}; below 60%: "
            f"{int((inst['answered_overall'] < 0.6).sum())}"
        )
    return "\n".join(lines).rstrip() + "\n"


def write_audit(audit: dict, path) -> Path:
    """Save an audit: one sheet per table in ``.xlsx``, else one CSV per table in a folder.

    Parameters
    ----------
    audit : dict of str to pandas.DataFrame
        From :func:`audit_scores`.
    path : str or Path
        A ``.xlsx`` file, or a folder (created if needed) that receives
        ``<table>.csv`` files.

    Text that a spreadsheet would take for a formula (starting with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return) gets an apostrophe in front,
    and no Excel cell is a formula (:mod:`nhri_capacity.common.spreadsheet`);
    numbers are written as numbers.

    Returns
    -------
    Path
        *path*. Each file is written atomically.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> out = write_audit({"alpha": pd.DataFrame({"dimension": ["alliances"], "alpha": [0.8]})},
    ...                   pathlib.Path(tempfile.mkdtemp()) / "audit")
    >>> sorted(p.name for p in out.iterdir())
    ['alpha.csv']
    """
    path = Path(path)
    if any(table.attrs.get("synthetic") for table in audit.values()):
        # Tables have no file label: say it on every row, as the score exports do.
        audit = {name: table.assign(data_note=SYNTHETIC_NOTICE) for name, table in audit.items()}
    if path.suffix.lower() == ".xlsx":
        with atomic_path(path) as tmp:
            write_xlsx(audit, tmp)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, table in audit.items():
        with atomic_path(path / f"{name}.csv") as tmp:
            write_csv(table, tmp)
    return path
