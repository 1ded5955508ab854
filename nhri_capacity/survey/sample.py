"""A seeded synthetic survey: illustrative data for demos, tests and notebooks.

Nothing in this data set is a survey result. The rows are invented by
:func:`generate_sample` from a model (see below); institutions are placed in real
countries (so that the survey can be joined to the real UN DESA migrant-stock
figures), but every name, answer, practice and number is fictional and says
nothing about the real institution of that country. Every row carries
``synthetic_data = 1``, every institution name ends in ``(synthetic)``, and
:func:`write_sample` writes the file through
:func:`nhri_capacity.survey.writers.write_survey` with ``synthetic=True`` (a
``SYNTHETIC`` file label).

The model (the countries drawn, latent capacities, answer distributions,
missing data, good practices and constraints) is described, with its
parameters, in :mod:`nhri_capacity.survey.sample_model`; the words (names,
practice and support texts) are in ``resources/sample_texts.yaml``.

Determinism
    The same seed gives the same frame, value for value: all randomness comes
    from ``numpy.random.Generator`` streams spawned from the seed (one per
    concern, so that changing the practice texts does not move a single
    score), countries are processed in sorted order, and dates are fixed
    calendar days. :func:`write_sample` also overwrites the creation
    date and time that ReadStat stamps into the ``.sav`` header with a fixed
    value, so the file is byte-identical from run to run.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..common.io import atomic_path
from ..errors import NHRICapacityError
from ..reference import country_name, load_migrant_stock
from .codebook import DIMENSIONS, load_codebook
from .sample_model import (
    ACCREDITATION_EFFECT,
    ACCREDITATION_SHARES,
    CODED_ITEMS,
    COUNT_ITEMS,
    LAC,
    MISSING_KINDS,
    MISSING_SHARES,
    SSA,
    SURVEY_END,
    SURVEY_START,
    THEME_DRIVER,
    THEME_ITEMS,
    THEME_REGION,
    THEME_SHARES,
    TYPE_MIX,
    TYPE_MIX_DEFAULT,
    categorise,
    cuts,
    neg_binomial,
    quota,
    standardise,
)
from .sample_texts import load_sample_texts
from .writers import write_survey

__all__ = [
    "SampleParameterError",
    "DEFAULT_SEED",
    "DEFAULT_N_INSTITUTIONS",
    "MIN_INSTITUTIONS",
    "NHRI_COUNTRIES",
    "ALWAYS_INCLUDED",
    "generate_sample",
    "write_sample",
]

#: Seed of the bundled sample (18 December 2020, International Migrants Day).
DEFAULT_SEED = 20201218

#: Institutions in the bundled sample.
DEFAULT_N_INSTITUTIONS = 110

#: Fewest institutions a sample can have (Mexico, Germany and one per SDG region fit in it).
MIN_INSTITUTIONS = 10

#: Always in the sample: Mexico (host of the round table) and Germany.
ALWAYS_INCLUDED = ("MEX", "DEU")

#: Countries with a national human rights institution (accredited or not), as
#: a hand-curated list of ISO3 codes. Used only to place synthetic
#: institutions in plausible countries; it is not a statement about any
#: institution's accreditation or work.
NHRI_COUNTRIES = tuple(
    sorted(
        """
        AGO BDI BEN BFA BWA CIV CMR COD COG CPV ETH GAB GHA GMB KEN LBR MDG MLI
        MOZ MRT MUS MWI NAM NER NGA RWA SEN SLE SDN SSD SYC TCD TGO TZA UGA ZAF
        ZMB ZWE
        DZA EGY MAR TUN LBY JOR QAT PSE IRQ OMN BHR SAU TUR ARM AZE GEO CYP LBN
        AFG BGD IND KAZ KGZ LKA MDV NPL PAK TJK UZB
        IDN KOR MMR MNG MYS PHL THA TLS
        ARG BOL BRA CHL COL CRI DOM ECU GTM HND HTI MEX NIC PAN PER PRY SLV URY
        VEN BLZ GUY BRB TTO
        WSM FJI
        AUS NZL
        ALB AUT BEL BGR BIH CAN CZE DEU DNK ESP EST FIN FRA GBR GRC HRV HUN IRL
        LTU LUX LVA MDA MKD MNE NLD NOR POL PRT ROU RUS SRB SVK SVN SWE UKR CHE
        """.split()
    )
)

# ReadStat stamps the wall-clock time into the .sav header; a fixed stamp (the
# seed's date) makes the file reproducible byte for byte.
_SAV_STAMP = b"18 Dec 2000:00:00"  # creation_date[9] + creation_time[8]
_SAV_STAMP_OFFSET = 92


class SampleParameterError(NHRICapacityError, ValueError):
    """The sample was asked for with a seed or size that cannot be used."""


def _reference_table() -> pd.DataFrame:
    """Candidate countries with their 2020 migrant stock, population and region."""
    stock = load_migrant_stock()
    rows = stock[stock["is_country"].astype(bool) & (stock["year"] == 2020)]
    rows = rows[rows["iso3"].isin(NHRI_COUNTRIES)]
    rows = rows.dropna(subset=["migrant_share_pct", "migrants", "population", "region"])
    rows = rows.drop_duplicates("iso3").sort_values("iso3", kind="stable")
    out = pd.DataFrame(
        {
            "iso3": rows["iso3"].astype(str).to_numpy(),
            "region": rows["region"].astype(str).to_numpy(),
            "migrant_share_pct": rows["migrant_share_pct"].astype(float).to_numpy(),
            "migrants": rows["migrants"].astype(float).to_numpy(),
            "population": rows["population"].astype(float).to_numpy(),
        }
    )
    return out


def _choose_countries(ref: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    chosen = [c for c in ALWAYS_INCLUDED if c in set(ref["iso3"])]
    for region in sorted(ref["region"].unique()):
        covered = ref.loc[ref["iso3"].isin(chosen), "region"]
        if region in set(covered):
            continue
        pool = ref.loc[ref["region"] == region, "iso3"].tolist()
        chosen.append(pool[rng.integers(len(pool))])
    pool = [c for c in ref["iso3"] if c not in chosen]
    extra = rng.choice(len(pool), size=n - len(chosen), replace=False)
    chosen.extend(pool[i] for i in sorted(extra))
    return ref[ref["iso3"].isin(chosen)].reset_index(drop=True)


# -- the generator --------------------------------------------------------------
def generate_sample(*, seed=DEFAULT_SEED, n_institutions=DEFAULT_N_INSTITUTIONS) -> pd.DataFrame:
    """Generate the synthetic survey: one row per respondent, in codebook variables.

    See the module docstring for the model. The frame is what a survey file
    holds before it is read: numeric items are floats with the missing-data
    codes -7/-8/-9 (and NaN for blank answers), text items are strings (``""``
    when blank), ``survey_date`` is a ``datetime.date``, the personal data
    columns are filled with fake values and ``synthetic_data`` is 1.

    Parameters
    ----------
    seed : int, default 20201218
        Seed of the random streams; the same seed gives an identical frame.
    n_institutions : int, default 110
        Number of institutions (countries), from :data:`MIN_INSTITUTIONS`
        (10) to the number of candidate countries (138).

    Returns
    -------
    pandas.DataFrame
        Columns ``Codebook.columns(include_pii=True)`` in that order.

    Raises
    ------
    SampleParameterError
        If *n_institutions* is out of range or *seed* is not a whole number >= 0
        (a ``ValueError`` too).

    Examples
    --------
    >>> from nhri_capacity import generate_sample
    >>> df = generate_sample()
    >>> df["inst_id"].nunique(), bool((df["synthetic_data"] == 1).all())
    (110, True)
    >>> sorted({"MEX-01", "DEU-01"} & set(df["inst_id"]))
    ['DEU-01', 'MEX-01']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SampleParameterError(f"The seed must be a whole number >= 0, not {seed!r}.")
    ref = _reference_table()
    if (
        isinstance(n_institutions, bool)
        or not isinstance(n_institutions, (int, np.integer))
        or not MIN_INSTITUTIONS <= n_institutions <= len(ref)
    ):
        raise SampleParameterError(
            f"The number of institutions must be a whole number from {MIN_INSTITUTIONS} to "
            f"{len(ref)} (one per candidate country), not {n_institutions!r}."
        )
    n = int(n_institutions)
    cb = load_codebook()
    texts = load_sample_texts()
    streams = np.random.SeedSequence(int(seed)).spawn(8)
    r_country, r_profile, r_latent, r_items, r_missing, r_practice, r_constraint, r_resp = (
        np.random.default_rng(s) for s in streams
    )

    # -- institutions ------------------------------------------------------
    inst = _choose_countries(ref, n, r_country)
    region = inst["region"].to_numpy()
    z_share = standardise(np.log(inst["migrant_share_pct"].clip(lower=0.01)))
    log_mig = np.log(inst["migrants"].clip(lower=100.0))
    log_mig = log_mig - np.median(log_mig)
    log_pop = np.log(inst["population"].clip(lower=1.0))
    log_pop = log_pop - np.median(log_pop)

    accreditation = r_profile.permutation(quota(ACCREDITATION_SHARES, n)).astype(int)
    type_p = [np.array(TYPE_MIX.get(reg, TYPE_MIX_DEFAULT)) for reg in region]
    inst_type = np.array([1 + int(r_profile.choice(6, p=p / p.sum())) for p in type_p])
    is_a = (accreditation == 1).astype(float)

    # -- latent capacity ---------------------------------------------------
    acc_effect = np.array([ACCREDITATION_EFFECT[a] for a in accreditation])
    g = standardise(0.45 * z_share + acc_effect + 0.8 * r_latent.standard_normal(n))
    dims = {}
    for dim in DIMENSIONS:
        d = 0.8 * g + 0.6 * r_latent.standard_normal(n)
        if dim == "case_handling":
            # Ombudspersons are built around complaints; advisory bodies and institutes rarely take cases.
            d = d + np.select([inst_type == 2, inst_type == 4, inst_type == 5], [0.3, -0.6, -0.8], 0.0)
        if dim == "international_dialogue":
            d = d + 0.3 * is_a
        dims[dim] = standardise(d)
    dims["knowledge"] = standardise(0.75 * g + 0.66 * r_latent.standard_normal(n))
    dims["agenda"] = standardise(0.6 * g + 0.3 * z_share + 0.74 * r_latent.standard_normal(n))

    # -- respondents -------------------------------------------------------
    n_multi = min(n, int(round(n * 15 / 110)))
    n_resp = np.ones(n, dtype=int)
    multi = np.sort(r_resp.choice(n, size=n_multi, replace=False))
    n_resp[multi] = r_resp.choice([2, 3, 4], size=n_multi, p=[0.6, 0.3, 0.1])
    row_inst = np.repeat(np.arange(n), n_resp)
    order_in_inst = np.concatenate([np.arange(k) for k in n_resp])
    first = order_in_inst == 0
    n_rows = len(row_inst)
    n_days = (SURVEY_END - SURVEY_START).days
    start_day = r_resp.integers(0, n_days + 1, size=n)
    lag = np.where(first, 0, r_resp.integers(0, 22, size=n_rows))
    day = np.minimum(start_day[row_inst] + lag, n_days)
    roles_first = r_resp.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.30, 0.40, 0.10, 0.05])
    role = np.empty(n_rows, dtype=int)
    for i in range(n):
        rows = np.flatnonzero(row_inst == i)
        others = [r for r in (2, 3, 4, 1) if r != roles_first[i]]
        role[rows] = [roles_first[i], *others][: len(rows)]
    resp_noise_sd = 0.3

    data = {}

    # -- profile (section A) -----------------------------------------------
    year_est = np.clip(np.round(2000 - 4 * is_a + 10 * r_profile.standard_normal(n)), 1948, 2019)
    log_staff = math.log(60) + 0.4 * log_pop + 0.35 * g + 0.6 * r_profile.standard_normal(n)
    staff_total = np.clip(np.round(np.exp(log_staff)), 3, cb["staff_total"].max)
    p_mig = 1 / (1 + np.exp(-(-3.2 + 0.6 * dims["case_handling"] + 0.4 * z_share)))
    staff_mig = r_profile.binomial(staff_total.astype(int), p_mig).astype(float)
    budget_logit = -1.7 + 0.5 * dims["case_handling"] + 0.3 * z_share + 0.5 * r_profile.standard_normal(n)
    budget = np.round(40 / (1 + np.exp(-budget_logit))) / 2  # 0-20 %, steps of 0.5
    focal_latent = np.log1p(staff_mig) + 0.4 * dims["case_handling"] + 0.4 * r_profile.standard_normal(n)
    focal = np.searchsorted([0.35, 1.9], focal_latent, side="right").astype(float)

    # Other respondents of an institution sometimes give slightly different facts.
    differs = (~first) & (r_profile.random(n_rows) < 0.3)
    st_row = staff_total[row_inst].copy()
    n_differs = int(differs.sum())
    st_row[differs] = np.maximum(
        1, np.round(st_row[differs] * np.exp(0.05 * r_profile.standard_normal(n_differs)))
    )
    sm_row = np.minimum(staff_mig[row_inst], st_row)
    bud_row = budget[row_inst].copy()
    bud_row[differs] = np.clip(bud_row[differs] + r_profile.choice([-0.5, 0.5], size=n_differs), 0, 20)
    bud_row[r_profile.random(n_rows) < 0.06] = -8.0
    acc_row = accreditation[row_inst].astype(float)
    acc_row[(~first) & (r_profile.random(n_rows) < 0.1)] = 4.0

    iso3 = inst["iso3"].to_numpy()
    names = np.array([texts.institution_name(c, t) for c, t in zip(iso3, inst_type, strict=True)], dtype=object)
    country_names = np.array([country_name(c) for c in iso3], dtype=object)
    as_code = r_profile.random(n_rows) < 0.1
    data["inst_id"] = [f"{c}-01" for c in iso3[row_inst]]
    data["country"] = np.where(as_code, iso3[row_inst], country_names[row_inst]).tolist()
    data["inst_name"] = names[row_inst].tolist()
    data["inst_type"] = inst_type[row_inst].astype(float)
    data["accreditation"] = acc_row
    data["year_established"] = year_est[row_inst]
    data["staff_total"] = st_row
    data["staff_migration"] = sm_row
    data["budget_migration_pct"] = bud_row
    data["focal_point"] = focal[row_inst]
    data["respondent_role"] = role.astype(float)
    data["synthetic_data"] = np.ones(n_rows)
    data["survey_date"] = [SURVEY_START + dt.timedelta(days=int(d)) for d in day]

    # -- coded items (sections B and C) ------------------------------------
    total_sd = math.sqrt(1 + resp_noise_sd**2)
    item_latent = {}
    for name in cb.columns():
        if name in CODED_ITEMS:
            source, shares = CODED_ITEMS[name]
        elif name in COUNT_ITEMS:
            source = COUNT_ITEMS[name][0]
        else:
            continue
        lat = 0.7 * dims[source] + 0.71 * r_items.standard_normal(n)
        item_latent[name] = lat
        if name in CODED_ITEMS:
            row_lat = lat[row_inst] + resp_noise_sd * r_items.standard_normal(n_rows)
            low = int(cb[name].min)
            data[name] = categorise(row_lat, shares, low, total_sd)

    # -- counts and percentages --------------------------------------------
    for name, (_source, median, slope, elasticity, shape) in COUNT_ITEMS.items():
        mean = median * np.exp(slope * item_latent[name] + elasticity * log_mig)
        counts = neg_binomial(r_items, mean, shape)
        counts = np.minimum(counts, cb[name].max)
        row = counts[row_inst]
        jitter = np.exp(0.15 * r_items.standard_normal(n_rows))
        row = np.where(first, row, np.round(row * jitter))
        data[name] = np.minimum(row, cb[name].max)
    # No access to detention means no visits, whatever the latent activity.
    no_access = data["ch4_detention_access"] == 0
    data["ch5_detention_visits"] = np.where(no_access, 0.0, data["ch5_detention_visits"])
    lr3_lat = 0.7 * dims["law_reform"] + 0.71 * r_items.standard_normal(n)
    share = 100 / (1 + np.exp(-(-0.3 + 0.6 * lr3_lat)))
    share_row = share[row_inst] + np.where(first, 0, 5 * r_items.standard_normal(n_rows))
    data["lr3_share_accepted"] = np.clip(np.round(share_row / 5) * 5, 0, 100)

    # -- themes (section D) --------------------------------------------------
    for name in THEME_ITEMS:
        shift = np.array([THEME_REGION.get(reg, {}).get(name, 0.0) for reg in region])
        lat = 0.6 * dims[THEME_DRIVER[name]] + 0.8 * r_items.standard_normal(n) + shift
        if name == "th4_detention_deportation":
            lat = lat + 0.3 * (data["ch4_detention_access"][first] - 1.5)
        row_lat = lat[row_inst] + resp_noise_sd * r_items.standard_normal(n_rows)
        data[name] = categorise(row_lat, THEME_SHARES, 0, math.sqrt(1.2 + resp_noise_sd**2))

    # -- missing answers (sections B-D) --------------------------------------
    g_row = g[row_inst]
    for it in cb:
        if it.section not in {"B", "C", "D"} or not it.is_numeric:
            continue
        base = 0.09 if it.type in {"count", "percent"} else 0.035
        # exp(0.08) is the mean of exp(-0.4 g) for a standard normal g: the average rate stays at base.
        p = base * np.exp(-0.4 * g_row) / math.exp(0.08)
        hit = r_missing.random(n_rows) < p
        kinds = r_missing.choice(len(MISSING_KINDS), size=n_rows, p=MISSING_SHARES)
        values = np.asarray(data[it.name], dtype=float).copy()
        values[hit] = np.array(MISSING_KINDS)[kinds[hit]]
        data[it.name] = values
    # A share of recommendations accepted is not applicable without recommendations.
    no_recommendations = data["lr2_recommendations"] == 0
    data["lr3_share_accepted"] = np.where(no_recommendations, -7.0, data["lr3_share_accepted"])

    # -- good practices (section E) --------------------------------------------
    gp_latent = 0.6 * g + 0.8 * r_practice.standard_normal(n)
    n_gp = np.searchsorted(cuts([0.10, 0.32, 0.36, 0.22]), gp_latent, side="right")
    gp = {
        f"gp{k}_{f}": [""] * n_rows if f in {"title", "description"} else np.full(n_rows, np.nan)
        for k in (1, 2, 3)
        for f in ("title", "description", "theme", "capacity", "year", "consent")
    }
    first_rows = np.flatnonzero(first)
    survey_year = np.array([d.year for d in data["survey_date"]])
    for i in range(n):
        row = first_rows[i]
        activity = np.array([data[t][row] for t in THEME_ITEMS], dtype=float)
        activity = np.where(activity >= 0, activity, 1.0)
        w_theme = np.exp(0.8 * activity)
        themes = r_practice.choice(9, size=int(n_gp[i]), replace=False, p=w_theme / w_theme.sum()) + 1
        levels = np.array([dims[d][i] for d in DIMENSIONS])
        w_cap = np.exp(0.8 * levels)
        places = texts.places(iso3[i])
        used = set()
        for k, theme in enumerate(themes, start=1):
            capacity = int(r_practice.choice(5, p=w_cap / w_cap.sum())) + 1
            title, text = texts.practice(
                r_practice, capacity, int(theme), places, levels[capacity - 1], used
            )
            gp[f"gp{k}_title"][row] = title
            gp[f"gp{k}_description"][row] = text
            gp[f"gp{k}_theme"][row] = float(theme)
            gp[f"gp{k}_capacity"][row] = float(capacity)
            gp[f"gp{k}_year"][row] = float(r_practice.integers(2015, survey_year[row] + 1))
            gp[f"gp{k}_consent"][row] = float(r_practice.random() < 0.8)
    data.update(gp)

    # -- constraints and support (section F) ------------------------------------
    access = data["ch4_detention_access"][first]
    access = np.where(access >= 0, access, 1.5)  # unknown access counts as middling
    logits = {
        "budget": 0.7 - 0.5 * g,
        "expertise": -0.4 - 0.6 * dims["case_handling"],
        "mandate": -1.6 + 1.0 * np.isin(inst_type, [4, 5]) - 0.3 * g,
        "detention_access": -1.0 - 0.8 * (access - 1.5),
        "gov_cooperation": -0.8 - 0.4 * dims["law_reform"],
        "data": 0.0 - 0.3 * g,
        "language": -0.8 + 0.3 * z_share - 0.3 * dims["campaigns"],
        "staff_safety": -2.2 + np.select([region == LAC, region == SSA], [0.9, 0.5], 0.0),
    }
    # The codebook owns the choice list; a choice this model does not know gets a neutral rate.
    constraint_names = list(cb["constraints"].choices)
    chosen = {}
    for c in constraint_names:
        inst_choice = r_constraint.random(n) < 1 / (1 + np.exp(-logits.get(c, -1.0 - 0.3 * g)))
        row_choice = inst_choice[row_inst].copy()
        flip = (~first) & (r_constraint.random(n_rows) < 0.1)
        row_choice[flip] = ~row_choice[flip]
        chosen[c] = row_choice
        data[f"constraints_{c}"] = row_choice.astype(float)
    data["support_needed"] = [
        texts.support(r_constraint, [c for c in constraint_names if chosen[c][r] and c in texts.support_topics])
        for r in range(n_rows)
    ]

    # -- assemble in arrival order ---------------------------------------------
    frame = pd.DataFrame(data)
    frame["_day"] = day
    frame["_order"] = np.arange(n_rows)
    frame = frame.sort_values(["_day", "inst_id", "_order"], kind="stable").reset_index(drop=True)
    frame = frame.drop(columns=["_day", "_order"])
    seq = np.arange(1, n_rows + 1)
    frame["resp_id"] = [f"R{i:04d}" for i in seq]
    frame["respondent_name"] = [f"Respondent {i:03d}" for i in seq]
    frame["respondent_email"] = [f"respondent{i:03d}@example.org" for i in seq]
    frame["respondent_phone"] = [f"+00 000 000 {i:03d}" for i in seq]

    columns = cb.columns(include_pii=True)
    frame = frame[columns]
    for col in columns:
        item = cb.column_item(col)
        if item.is_numeric or item.type == "multi_select":
            frame[col] = frame[col].astype("float64")
        elif item.type != "date":
            frame[col] = frame[col].astype(object)
    frame.attrs["synthetic"] = True
    frame.attrs["seed"] = int(seed)
    return frame


def _stamp_sav_header(path: Path) -> None:
    """Overwrite the creation date and time in a .sav header with a fixed value."""
    with open(path, "r+b") as fh:
        magic = fh.read(4)
        if magic not in (b"$FL2", b"$FL3"):
            return
        fh.seek(_SAV_STAMP_OFFSET)
        fh.write(_SAV_STAMP)


def write_sample(path=None, *, seed=DEFAULT_SEED, n_institutions=DEFAULT_N_INSTITUTIONS) -> Path:
    """Generate the synthetic survey and write it as an SPSS ``.sav`` file.

    The file is written by :func:`nhri_capacity.survey.writers.write_survey` with
    ``synthetic=True``: variable and value labels from the codebook, the
    ``SYNTHETIC`` file label, no personal data columns. The creation date in
    the ``.sav`` header is fixed (18 Dec 2020, 00:00:00), so the same seed
    gives a byte-identical file. Other suffixes that ``write_survey`` knows
    (``.dta``, ``.csv``, ``.xlsx``, ``.parquet``) are written too, with the
    same data, but only ``.sav`` and ``.csv`` are byte-reproducible (Stata,
    Excel and Parquet writers stamp their own metadata).

    Parameters
    ----------
    path : str or Path, optional
        Target file; by default ``config.SAMPLE_SURVEY``
        (``data/raw/nhri_migrant_rights_survey_sample.sav``).
    seed, n_institutions
        As in :func:`generate_sample`.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nhri_capacity import write_sample
    >>> out = write_sample(pathlib.Path(tempfile.mkdtemp()) / "sample.sav")
    >>> out.suffix
    '.sav'
    """
    path = Path(path) if path is not None else config.SAMPLE_SURVEY
    frame = generate_sample(seed=seed, n_institutions=n_institutions)
    # Stamp before the file appears under its name, so that no reader ever
    # sees a version with the wall-clock time in it.
    with atomic_path(path) as tmp:
        write_survey(frame, tmp, synthetic=True)
        _stamp_sav_header(tmp)
    return path
