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
YAML or dict is merged over it by :func:`~nhri_capacity.scoring.spec.load_spec`.
The functions here take and return DataFrames; the arithmetic itself is plain
numpy in :mod:`nhri_capacity.scoring.engine`, shared with the audit and the
uncertainty analysis.

Theme activity (section D) is reported by :func:`score_themes` and kept out of
the composite: it describes *what* an institution works on, not its capacity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..common.io import atomic_path
from ..common.spreadsheet import write_csv, write_xlsx
from ..errors import OutputFormatError
from ..survey import DIMENSIONS, SYNTHETIC_NOTICE, Codebook, is_synthetic, load_codebook
from .engine import combine_institutions, dimension_scores, normalise_matrix, prepare, score_arrays
from .spec import load_spec

__all__ = [
    "combine_respondents",
    "normalise_items",
    "item_scores",
    "score_survey",
    "score_themes",
    "write_scores",
    "SCORE_COLUMNS",
]

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
    meta, matrix, items = combine_institutions(data, cb, spec)
    block = pd.DataFrame(matrix, columns=[it.name for it in items]).astype("Float64")
    return pd.concat([meta, block], axis=1)


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
    N = normalise_matrix(X, items, spec)
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
    prep = prepare(data, cb, spec, regions=regions, need_regions=need)
    N = normalise_matrix(prep.X, prep.items, spec)
    if impute:
        N, _, _, _ = dimension_scores(prep, spec, cb, N=N)
    out = pd.DataFrame(
        N,
        index=pd.Index(prep.combined["inst_id"], name="inst_id"),
        columns=[it.name for it in prep.items],
    )
    out.attrs["dimensions"] = {it.name: it.dimension for it in prep.items}
    out.attrs["synthetic"] = is_synthetic(data)
    return out


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
    prep = prepare(data, cb, spec, regions=regions)
    arr = score_arrays(prep, spec, cb)
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
        In ``.csv`` and ``.xlsx`` files, text that a spreadsheet would take
        for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
        carriage return) gets an apostrophe in front, and no Excel cell is a
        formula (:mod:`nhri_capacity.common.spreadsheet`); numbers are
        written as numbers.
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
            write_csv(scores, tmp)
        elif suffix == ".xlsx":
            write_xlsx({"scores": scores}, tmp)
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
