"""Scoring: hand-computed expectations on small frames built here."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from nhri_capacity.errors import OutputFormatError, SpecError, SurveyValidationError
from nhri_capacity.scoring.scores import (
    SCORE_COLUMNS,
    combine_respondents,
    item_scores,
    normalise_items,
    score_survey,
    score_themes,
    write_scores,
)
from nhri_capacity.scoring.spec import load_spec
from nhri_capacity.survey.codebook import DIMENSIONS, load_codebook

CB = load_codebook()
SCORED = [it.name for it in CB.scored_items()]
REGIONS = {
    "MEX": "Latin America and the Caribbean",
    "CRI": "Latin America and the Caribbean",
    "KEN": "Sub-Saharan Africa",
}
# Only one item per dimension answered, so each dimension score is that item's
# normalised value (with min_answered_share 0): 100, 0, 50, 100, 100.
ONE_ITEM_EACH = {
    "ch1_complaints_open": 1,  # binary -> 100
    "ca6_hr_education": 0,  # binary -> 0
    "lr5_policy_input": 3,  # likert 1-5 -> 50
    "id3_upr_input": 1,  # -> 100
    "al2_civil_society": 5,  # -> 100
}
LOOSE = {"min_answered_share": 0}


def row(inst="MEX-1", country="MEX", name="Comision", **answers):
    return {"inst_id": inst, "country": country, "inst_name": name, **answers}


def full_answers(value="max"):
    """Every scored item answered at its codebook max (or min)."""
    return {it.name: getattr(it, value) for it in CB.scored_items()}


def score(rows, **kw):
    kw.setdefault("regions", REGIONS)
    return score_survey(pd.DataFrame(rows), **kw)


# ------------------------------------------------------------ normalisation
def test_codebook_normalisations_by_hand():
    df = pd.DataFrame(
        [
            row(
                ch8_referral_followup=4,  # likert 1-5: (4-1)/(5-1) = 75
                ch5_detention_visits=30,  # goalposts [0, 24], capped -> 100
                ch2_complaints_received=49,  # log goalposts [0, 500]
                ch3_interpretation=2,  # 0-3 -> 66.7
                lr3_share_accepted=40,  # percent 0-100
                ca3_officials_training=3,  # goalposts [0, 12] -> 25
            )
        ]
    )
    n = normalise_items(combine_respondents(df)).loc["MEX-1"]
    assert n["ch8_referral_followup"] == pytest.approx(75.0)
    assert n["ch5_detention_visits"] == pytest.approx(100.0)
    assert n["ch2_complaints_received"] == pytest.approx(math.log(50) / math.log(501) * 100)
    assert n["ch3_interpretation"] == pytest.approx(200 / 3)
    assert n["lr3_share_accepted"] == pytest.approx(40.0)
    assert n["ca3_officials_training"] == pytest.approx(25.0)
    assert np.isnan(n["ch1_complaints_open"])


def test_global_and_per_item_normalisation_overrides():
    df = pd.DataFrame([row(ch5_detention_visits=12, ch2_complaints_received=49)])
    combined = combine_respondents(df)
    lin = normalise_items(combined, spec={"normalisation": "goalposts"}).loc["MEX-1"]
    assert lin["ch2_complaints_received"] == pytest.approx(49 / 500 * 100)
    spec = {"normalisation": {"items": {"ch5_detention_visits": {"method": "goalposts", "goalposts": [0, 48]}}}}
    assert normalise_items(combined, spec=spec).loc["MEX-1", "ch5_detention_visits"] == pytest.approx(25.0)
    # Theoretical min-max on a count uses the codebook max (5,000 visits).
    mm = normalise_items(combined, spec={"normalisation": "minmax"}).loc["MEX-1"]
    assert mm["ch5_detention_visits"] == pytest.approx(12 / 5000 * 100)


def test_rank_and_zscore_normalisations_by_hand():
    df = pd.DataFrame(
        [
            row("A", ch8_referral_followup=1, ca5_media_work=1),
            row("B", ch8_referral_followup=3, ca5_media_work=2),
            row("C", ch8_referral_followup=3, ca5_media_work=3),
        ]
    )
    combined = combine_respondents(df)
    r = normalise_items(combined, spec={"normalisation": "rank"})
    # ranks 1, 2.5, 2.5 of 3 -> (r - 1) / (n - 1)
    assert r["ch8_referral_followup"].tolist() == pytest.approx([0.0, 75.0, 75.0])
    z = normalise_items(combined, spec={"normalisation": "zscore"})
    # mean 2, sd 1 -> z = -1, 0, 1 -> (z + 3) / 6
    assert z["ca5_media_work"].tolist() == pytest.approx([100 / 3, 50.0, 200 / 3])
    clipped = normalise_items(combined, spec={"normalisation": "zscore", "zscore_clip": 0.5})
    assert clipped["ca5_media_work"].tolist() == pytest.approx([0.0, 50.0, 100.0])


def test_negative_direction_is_reversed():
    item = dataclasses.replace(CB["ch8_referral_followup"], direction="negative")
    cb = dataclasses.replace(CB, items={**CB.items, item.name: item})
    df = pd.DataFrame([row(ch8_referral_followup=4)])
    n = normalise_items(combine_respondents(df, codebook=cb), codebook=cb)
    assert n.loc["MEX-1", "ch8_referral_followup"] == pytest.approx(25.0)


# ------------------------------------------------------------- respondents
def test_median_for_codes_mean_for_counts_over_three_respondents():
    df = pd.DataFrame(
        [
            row(ch8_referral_followup=2, ch5_detention_visits=6, th2_mechanisms=1),
            row(ch8_referral_followup=5, ch5_detention_visits=12, th2_mechanisms=pd.NA),
            row(ch8_referral_followup=4, ch5_detention_visits=30, th2_mechanisms=2),
        ]
    )
    c = combine_respondents(df).iloc[0]
    assert c["n_respondents"] == 3
    assert c["ch8_referral_followup"] == 4  # median of 2, 4, 5
    assert c["ch5_detention_visits"] == pytest.approx(16.0)  # mean of 6, 12, 30
    assert c["th2_mechanisms"] == pytest.approx(1.5)  # tie: mean of the two middle codes
    n = normalise_items(combine_respondents(df)).iloc[0]
    assert n["ch8_referral_followup"] == pytest.approx(75.0)
    assert n["ch5_detention_visits"] == pytest.approx(16 / 24 * 100)


def test_combination_rules_can_be_swapped_and_missing_codes_are_ignored():
    df = pd.DataFrame(
        [row(ch8_referral_followup=2), row(ch8_referral_followup=5), row(ch8_referral_followup=-8)]
    )
    assert combine_respondents(df).loc[0, "ch8_referral_followup"] == pytest.approx(3.5)
    mean = combine_respondents(df, spec={"respondents": {"coded": "mean"}})
    assert mean.loc[0, "ch8_referral_followup"] == pytest.approx(3.5)
    df.loc[2, "ch8_referral_followup"] = 1
    assert combine_respondents(df).loc[0, "ch8_referral_followup"] == 2
    assert combine_respondents(df, spec={"respondents": {"coded": "mean"}}).loc[
        0, "ch8_referral_followup"
    ] == pytest.approx(8 / 3)


def test_combined_frame_shape_and_order():
    df = pd.DataFrame([row("Z", "KEN"), row("B", "MEX"), row("A", "MEX"), row("B", "MEX")])
    c = combine_respondents(df)
    assert c[["inst_id", "iso3"]].values.tolist() == [["Z", "KEN"], ["A", "MEX"], ["B", "MEX"]]
    assert c["n_respondents"].tolist() == [1, 1, 2]
    assert list(c.columns[:4]) == ["inst_id", "iso3", "institution", "n_respondents"]
    assert set(SCORED) <= set(c.columns)
    assert str(c["ch1_complaints_open"].dtype) == "Float64"


def test_missing_identifier_columns_are_reported():
    with pytest.raises(SurveyValidationError, match="inst_id"):
        combine_respondents(pd.DataFrame({"country": ["MEX"]}))


# ------------------------------------------------------------ the contract
def test_score_frame_matches_the_contract():
    df = pd.DataFrame(
        [row("K-1", "KEN", **full_answers()), row("M-2", "MEX", **full_answers("min")),
         row("M-1", "MEX", **full_answers())]
    )
    df.attrs["survey"] = {"synthetic": True}
    s = score_survey(df, regions=REGIONS)
    assert tuple(s.columns) == SCORE_COLUMNS
    assert s["inst_id"].tolist() == ["K-1", "M-1", "M-2"]
    assert s["region"].tolist() == ["Sub-Saharan Africa", *["Latin America and the Caribbean"] * 2]
    assert s.loc[0, list(DIMENSIONS)].tolist() == [100.0] * 5
    assert s.loc[2, list(DIMENSIONS)].tolist() == [0.0] * 5
    assert s["composite"].tolist() == [100.0, 100.0, 0.0]
    assert s[[f"answered_{d}" for d in DIMENSIONS]].eq(1.0).all().all()
    assert s["flags"].tolist() == ["", "", ""]
    assert s.attrs["synthetic"] is True
    assert s.attrs["spec"] == load_spec()
    assert str(s["case_handling"].dtype) == "Float64"


def test_region_unknown_is_flagged():
    s = score(
        [row("X", "XKX", **full_answers())],
        regions={},
    )
    assert s["region"].isna().all()
    assert s.loc[0, "flags"] == "region_unknown"


# ------------------------------------------------------- availability rule
def test_sixty_percent_rule_gives_na_and_flags():
    answers = full_answers()
    ch = [it.name for it in CB.scored_items("case_handling")]  # 8 items
    for name in ch[:4]:  # 4 of 8 answered: 50% < 60%
        answers[name] = None
    al = [it.name for it in CB.scored_items("alliances")]  # 5 items
    for name in al[:2]:  # 3 of 5 answered: exactly 60% passes
        answers[name] = None
    s = score([row(**answers)])
    assert pd.isna(s.loc[0, "case_handling"])
    assert s.loc[0, "answered_case_handling"] == pytest.approx(0.5)
    assert s.loc[0, "alliances"] == pytest.approx(100.0)
    assert s.loc[0, "answered_alliances"] == pytest.approx(0.6)
    assert pd.isna(s.loc[0, "composite"])
    assert s.loc[0, "flags"] == "below_min_answered:case_handling;composite_na"

    partial = score([row(**answers)], spec={"composite_requires_all_dimensions": False})
    assert partial.loc[0, "composite"] == pytest.approx(100.0)
    assert partial.loc[0, "flags"] == "below_min_answered:case_handling;composite_partial:case_handling"

    lenient = score([row(**answers)], spec={"min_answered_share": 0.5})
    assert lenient.loc[0, "case_handling"] == pytest.approx(100.0)


# ---------------------------------------------------------------- imputation
def _gappy():
    # MEX-1: ch8 answered 4 (75) and ch1 1 (100), ch3 missing; CRI-1 (same
    # region) answered ch3 = 3 (100); KEN-1 answered ch3 = 0 (0).
    base = full_answers()
    mex = {**base, "ch8_referral_followup": 4, "ch3_interpretation": None}
    cri = {**base, "ch3_interpretation": 3}
    ken = {**base, "ch3_interpretation": 0}
    return [row("MEX-1", "MEX", **mex), row("CRI-1", "CRI", **cri), row("KEN-1", "KEN", **ken)]


def test_dimension_mean_imputation():
    rows = _gappy()
    items = item_scores(pd.DataFrame(rows), spec={"imputation": "dimension_mean"}, regions=REGIONS)
    # mean of the 7 other case-handling items: six at 100, ch8 at 75
    assert items.loc["MEX-1", "ch3_interpretation"] == pytest.approx((6 * 100 + 75) / 7)
    raw = item_scores(pd.DataFrame(rows), spec={"imputation": "dimension_mean"}, impute=False)
    assert np.isnan(raw.loc["MEX-1", "ch3_interpretation"])
    s = score(rows, spec={"imputation": "dimension_mean"})
    none = score(rows)
    mex = s.set_index("inst_id").loc["MEX-1"]
    # Arithmetic aggregation of the available items already is the dimension mean.
    assert mex["case_handling"] == pytest.approx((6 * 100 + 75) / 7)
    assert none.set_index("inst_id").loc["MEX-1", "case_handling"] == pytest.approx(mex["case_handling"])
    assert mex["flags"] == "imputed:case_handling"
    assert mex["answered_case_handling"] == pytest.approx(7 / 8)


def test_group_mean_imputation_uses_the_region():
    s = score(_gappy(), spec={"imputation": "group_mean"}).set_index("inst_id")
    # ch3 filled with CRI-1's 100 (same region), not KEN-1's 0.
    assert s.loc["MEX-1", "case_handling"] == pytest.approx((7 * 100 + 75) / 8)
    assert s.loc["MEX-1", "flags"] == "imputed:case_handling"
    assert s.loc["KEN-1", "flags"] == ""


def test_dimension_mean_differs_from_none_under_geometric_item_aggregation():
    rows = [row(**{**full_answers(), "ch1_complaints_open": 0, "ch3_interpretation": None})]
    geo = {"item_aggregation": "geometric"}
    a = score(rows, spec=geo).loc[0, "case_handling"]
    b = score(rows, spec={**geo, "imputation": "dimension_mean"}).loc[0, "case_handling"]
    # none: geometric mean over 7 items (one at 0 -> 1 on the 1-100 scale)
    expect_a = (math.exp((6 * math.log(100) + math.log(1)) / 7) - 1) / 0.99
    assert a == pytest.approx(expect_a)
    # dimension_mean fills ch3 with the arithmetic mean of the other 7: 600/7
    fill = 1 + 0.99 * 600 / 7
    expect_b = (math.exp((6 * math.log(100) + math.log(1) + math.log(fill)) / 8) - 1) / 0.99
    assert b == pytest.approx(expect_b)


# --------------------------------------------------------------- aggregation
def test_arithmetic_and_geometric_composites_by_hand():
    rows = [row(**ONE_ITEM_EACH)]
    ar = score(rows, spec=LOOSE).iloc[0]
    assert ar[list(DIMENSIONS)].tolist() == pytest.approx([100, 0, 50, 100, 100])
    assert ar["composite"] == pytest.approx(70.0)
    geo = score(rows, spec={**LOOSE, "aggregation": "geometric"}).iloc[0]
    logs = 3 * math.log(100) + math.log(1) + math.log(1 + 0.99 * 50)
    assert geo["composite"] == pytest.approx((math.exp(logs / 5) - 1) / 0.99)
    assert geo["composite"] < ar["composite"]


def test_geometric_of_equal_scores_is_that_score():
    rows = [row(ch8_referral_followup=3, ca5_media_work=3, lr5_policy_input=3,
                id5_migration_dialogues=3, al2_civil_society=3)]
    geo = score(rows, spec={**LOOSE, "aggregation": "geometric"}).iloc[0]
    assert geo["composite"] == pytest.approx(50.0)


def test_weight_overrides():
    rows = [row(**ONE_ITEM_EACH)]
    s = score(rows, spec={**LOOSE, "weights": {"dimensions": {"case_handling": 2}}})
    assert s.loc[0, "composite"] == pytest.approx((2 * 100 + 0 + 50 + 100 + 100) / 6)
    s = score(rows, spec={**LOOSE, "weights": {"dimensions": {"campaigns": 0}}})
    assert s.loc[0, "composite"] == pytest.approx(350 / 4)
    assert s.loc[0, "campaigns"] == pytest.approx(0.0)  # still reported
    items = [row(ch1_complaints_open=1, ch8_referral_followup=4)]
    s = score(items, spec={**LOOSE, "weights": {"items": {"ch1_complaints_open": 3}}})
    assert s.loc[0, "case_handling"] == pytest.approx((3 * 100 + 75) / 4)


# ---------------------------------------------------------------------- spec
def test_spec_defaults_and_merge(tmp_path):
    spec = load_spec()
    assert spec["normalisation"]["default"] == "codebook"
    assert spec["min_answered_share"] == 0.6
    assert spec["imputation"] == "none"
    assert spec["aggregation"] == "arithmetic"
    path = tmp_path / "spec.yaml"
    path.write_text("aggregation: geometric\nweights:\n  dimensions: {alliances: 2}\n")
    merged = load_spec(path)
    assert merged["aggregation"] == "geometric"
    assert merged["weights"]["dimensions"] == {"alliances": 2}
    assert merged["weights"]["items"] == {}
    assert merged["respondents"] == {"coded": "median", "numeric": "mean"}


@pytest.mark.parametrize(
    ("spec", "pieces"),
    [
        ({"aggregaton": "geometric"}, ["unknown key 'aggregaton'", "did you mean 'aggregation'"]),
        ({"aggregation": "harmonic"}, ["aggregation", "'harmonic'", "'arithmetic', 'geometric'"]),
        ({"normalisation": "log"}, ["normalisation.default", "'log'", "'zscore'", "'rank'"]),
        ({"imputation": "knn"}, ["imputation", "'knn'", "'group_mean'"]),
        ({"min_answered_share": 1.5}, ["min_answered_share", "1.5", "from 0 to 1"]),
        ({"weights": {"dimensions": {"case_handling": -1}}}, ["case_handling", "-1", ">= 0"]),
        ({"weights": {"items": {"nope": 1}}}, ["weights.items", "'nope'"]),
        ({"normalisation": {"items": {"ch1_complaints_open": "cube"}}}, ["ch1_complaints_open", "'cube'"]),
        ({"respondents": {"coded": "mode"}}, ["respondents.coded", "'mode'", "'median', 'mean'"]),
        ({"weights": {"dimensions": dict.fromkeys(DIMENSIONS, 0)}}, ["weights.dimensions", "> 0"]),
    ],
)
def test_invalid_spec_names_key_value_and_allowed(spec, pieces):
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    for piece in pieces:
        assert piece in str(err.value)


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("imputation: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("imputation: mice\n")
    with pytest.raises(SpecError, match="wrong.yaml"):
        load_spec(wrong)


# -------------------------------------------------------------------- themes
def test_themes_are_medians_and_separate_from_the_composite():
    rows = [row(th1_legal_framework=3, th9_discrimination_xenophobia=1),
            row(th1_legal_framework=2, th9_discrimination_xenophobia=2)]
    t = score_themes(pd.DataFrame(rows))
    assert list(t.columns) == ["inst_id", "iso3", *CB.themes]
    assert t.loc[0, "legal_framework"] == pytest.approx(2.5)
    assert t.loc[0, "discrimination_xenophobia"] == pytest.approx(1.5)
    assert pd.isna(t.loc[0, "mechanisms"])
    full = score([row(**full_answers(), th1_legal_framework=0)])
    assert full.loc[0, "composite"] == pytest.approx(100.0)


# -------------------------------------------------------------------- export
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".sav", ".dta"])
def test_write_scores_round_trip(tmp_path, suffix):
    answers = full_answers()
    answers["ch1_complaints_open"] = None
    for name in [it.name for it in CB.scored_items("law_reform")][:3]:
        answers[name] = None
    df = pd.DataFrame([row("M-1", **answers), row("K-1", "KEN", **full_answers("min"))])
    df.attrs["survey"] = {"synthetic": True}
    s = score_survey(df, regions=REGIONS)
    out = write_scores(s, tmp_path / f"scores{suffix}")
    assert out.exists() and not list(tmp_path.glob(".scores*"))
    if suffix in (".sav", ".dta"):
        import pyreadstat

        reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
        back, meta = reader(str(out))
        assert list(back.columns) == list(SCORE_COLUMNS)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert labels["composite"] == "Composite capacity score (0-100)"
        assert labels["answered_law_reform"].startswith("Law reform")
        assert "SYNTHETIC" in meta.file_label
        assert np.isnan(back.loc[back["inst_id"] == "M-1", "law_reform"]).all()
    else:
        back = {".csv": pd.read_csv, ".xlsx": pd.read_excel, ".parquet": pd.read_parquet}[suffix](out)
        # No file label in these formats: the synthetic notice is on every row.
        assert list(back.columns) == [*SCORE_COLUMNS, "data_note"]
        assert (back["data_note"] == "Illustrative synthetic data, not real survey results").all()
        assert back["composite"].isna().tolist() == s["composite"].isna().tolist()


def test_write_scores_of_real_data_has_no_synthetic_note(tmp_path):
    df = pd.DataFrame([row("M-1", **full_answers())])
    s = score_survey(df, regions=REGIONS)
    back = pd.read_csv(write_scores(s, tmp_path / "scores.csv"))
    assert list(back.columns) == list(SCORE_COLUMNS)


def test_write_themes_sav_has_value_labels(tmp_path):
    import pyreadstat

    t = score_themes(pd.DataFrame([row(th1_legal_framework=3)]))
    out = write_scores(t, tmp_path / "themes.sav")
    _, meta = pyreadstat.read_sav(str(out))
    assert meta.variable_value_labels["legal_framework"][3.0] == "Core programme"


def test_write_scores_refuses_unknown_suffix(tmp_path):
    with pytest.raises(OutputFormatError, match=r"'\.json'"):
        write_scores(pd.DataFrame({"a": [1]}), tmp_path / "x.json")


def test_input_frame_is_not_modified():
    df = pd.DataFrame([row(ch8_referral_followup=-8, ch1_complaints_open=1), row(ch8_referral_followup=4)])
    df.attrs["survey"] = {"synthetic": False, "notices": ["x"]}
    before = df.copy()
    score_survey(df, regions=REGIONS)
    item_scores(df, spec={"imputation": "dimension_mean"})
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs["survey"] == {"synthetic": False, "notices": ["x"]}


def test_scores_the_bundled_sample_when_present():
    from nhri_capacity import config

    if not config.SAMPLE_SURVEY.exists():
        pytest.skip("sample survey not generated")
    from nhri_capacity.survey.readers import read_survey

    survey = read_survey(config.SAMPLE_SURVEY)
    s = score_survey(survey, regions={})  # regions: not what this test is about
    assert tuple(s.columns) == SCORE_COLUMNS
    assert s["inst_id"].is_unique and len(s) == survey["inst_id"].nunique()
    assert s.attrs["synthetic"] is True
    dims = s[list(DIMENSIONS) + ["composite"]].astype(float)
    assert ((dims >= 0) & (dims <= 100) | dims.isna()).all().all()
    assert (s["n_respondents"] >= 1).all()
