"""Uncertainty intervals: determinism, ordering of quantiles, rank bounds."""

import numpy as np
import pandas as pd
import pytest
from latent_surveys import latent_survey

from nhri_capacity.errors import SpecError
from nhri_capacity.scoring.scores import score_survey
from nhri_capacity.scoring.uncertainty import _ranks, score_intervals
from nhri_capacity.survey.codebook import DIMENSIONS, load_codebook

CB = load_codebook()
REGIONS = {"MEX": "Latin America and the Caribbean", "KEN": "Sub-Saharan Africa", "IND": "Central and Southern Asia"}


def _survey(n=30, seed=5):
    return latent_survey(n, seed, countries=list(REGIONS), max_respondents=2)


@pytest.fixture(scope="module")
def survey():
    return _survey()


@pytest.fixture(scope="module")
def intervals(survey):
    return score_intervals(survey, n_draws=300, regions=REGIONS)


def test_columns_and_order(intervals, survey):
    expected = ["inst_id", "iso3", "composite", "composite_median", "composite_p05", "composite_p95",
                "rank", "rank_p05", "rank_p95"]
    for d in DIMENSIONS:
        expected += [f"{d}_median", f"{d}_p05", f"{d}_p95"]
    assert list(intervals.columns) == expected
    scores = score_survey(survey, regions=REGIONS)
    assert intervals["inst_id"].tolist() == scores["inst_id"].tolist()
    # The nominal composite is exactly score_survey's.
    pd.testing.assert_series_equal(intervals["composite"], scores["composite"], check_names=False)
    assert intervals.attrs["uncertainty"]["n_draws"] == 300


def test_same_seed_same_output_other_seed_differs(survey, intervals):
    again = score_intervals(survey, n_draws=300, regions=REGIONS)
    pd.testing.assert_frame_equal(intervals, again)
    other = score_intervals(survey, n_draws=300, seed=1, regions=REGIONS)
    assert not other["composite_p05"].equals(intervals["composite_p05"])


def test_quantiles_are_ordered_and_cover_the_nominal(intervals):
    ok = intervals.dropna(subset=["composite"])
    assert (ok["composite_p05"] <= ok["composite_median"]).all()
    assert (ok["composite_median"] <= ok["composite_p95"]).all()
    inside = (ok["composite"] >= ok["composite_p05"] - 1e-9) & (ok["composite"] <= ok["composite_p95"] + 1e-9)
    assert inside.mean() >= 0.8
    for d in DIMENSIONS:
        sub = intervals.dropna(subset=[f"{d}_median"])
        assert (sub[f"{d}_p05"] <= sub[f"{d}_median"]).all()
        assert (sub[f"{d}_median"] <= sub[f"{d}_p95"]).all()
        assert sub[f"{d}_p05"].between(0, 100).all() and sub[f"{d}_p95"].between(0, 100).all()


def test_rank_intervals_within_one_to_n(intervals):
    ranked = intervals.dropna(subset=["rank"])
    n = len(ranked)
    for col in ("rank", "rank_p05", "rank_p95"):
        assert ranked[col].between(1, n).all()
        assert str(ranked[col].dtype) == "Int64"
    assert (ranked["rank_p05"] <= ranked["rank_p95"]).all()
    assert sorted(ranked["rank"].tolist()) == list(range(1, n + 1))  # no ties here
    assert ranked.loc[ranked["composite"].idxmax(), "rank"] == 1


def test_no_noise_and_one_method_reproduces_the_nominal_scores(survey):
    iv = score_intervals(survey, n_draws=20, weight_noise=0, normalisations=["codebook"],
                         aggregations=["arithmetic"], imputations=["none"], regions=REGIONS)
    ok = iv.dropna(subset=["composite"])
    for col in ("composite_p05", "composite_median", "composite_p95"):
        assert ok[col].to_numpy() == pytest.approx(ok["composite"].to_numpy())
    assert (ok["rank_p05"] == ok["rank"]).all() and (ok["rank_p95"] == ok["rank"]).all()


def test_competition_ranks_with_ties_and_gaps():
    ranks = _ranks(np.array([[10.0, 30.0, 30.0, np.nan, 5.0]]))
    assert ranks[0, :3].tolist() == [3.0, 1.0, 1.0]
    assert np.isnan(ranks[0, 3]) and ranks[0, 4] == 4.0


def test_institutions_without_composite_stay_missing():
    df = _survey(n=6)
    ch = [it.name for it in CB.scored_items("case_handling")]
    df.loc[df["inst_id"] == "I00", ch] = np.nan
    iv = score_intervals(df, n_draws=50, regions=REGIONS).set_index("inst_id")
    assert iv.loc["I00", ["composite", "composite_median", "rank", "rank_p95"]].isna().all()
    assert pd.isna(iv.loc["I00", "case_handling_median"])
    others = iv.drop(index="I00").dropna(subset=["composite"])
    assert sorted(others["rank"].tolist()) == list(range(1, len(others) + 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"normalisations": ["cube"]}, "normalisations contains 'cube'"),
        ({"aggregations": []}, "aggregations is empty"),
        ({"imputations": ["mice"]}, "'dimension_mean'"),
        ({"n_draws": 0}, "n_draws = 0"),
        ({"weight_noise": 1.5}, "weight_noise = 1.5"),
    ],
)
def test_bad_arguments(survey, kwargs, message):
    with pytest.raises(SpecError, match=message):
        score_intervals(survey, regions=REGIONS, **kwargs)
