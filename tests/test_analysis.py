"""Brief content (nhri_capacity.brief): no kernel, no rendering.

One SurveyResults of the bundled sample (200 draws, cached in a temporary
folder) is shared by the whole session.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.brief.context import migration_context
from nhri_capacity.brief.model import SECTIONS, build_brief
from nhri_capacity.brief.peers import peer_practices
from nhri_capacity.brief.profiles import need_and_capacity, theme_profile, weakness_order
from nhri_capacity.brief.results import survey_results
from nhri_capacity.brief.rules import (
    RULE_OPS,
    condition_evidence,
    evaluate_condition,
    load_rules,
    recommend,
    rule_facts,
)
from nhri_capacity.errors import BriefParameterError, SpecError
from nhri_capacity.survey.codebook import DIMENSIONS


# --------------------------------------------------------------------------- survey results
def test_survey_results_shape(results):
    assert results.synthetic is True
    assert len(results.scores) == results.meta["n_institutions"] == 110
    assert {"MEX", "DEU"} <= set(results.countries)
    assert {"composite_p05", "composite_p95", "rank_p05", "rank_p95"} <= set(results.intervals.columns)
    assert results.meta["n_draws"] == 200  # tests/conftest.py N_DRAWS
    assert len(results.meta["sha256"]) == 64
    assert set(results.items.index) == set(results.scores["inst_id"])


def test_survey_results_cache_hit_new_key_and_damage(tmp_path, caplog):
    first = survey_results(config.SAMPLE_SURVEY, n_draws=20, processed_dir=tmp_path)
    entries = list((tmp_path / "survey_results").iterdir())
    assert len(entries) == 1 and entries[0].is_dir()
    assert entries[0].name.startswith(first.meta["sha256"][:16] + "-")
    again = survey_results(config.SAMPLE_SURVEY, n_draws=20, processed_dir=tmp_path)
    assert again.meta["created"] == first.meta["created"]  # read back, not recomputed
    pd.testing.assert_frame_equal(again.scores, first.scores)
    # Another spec (or number of draws) is another cache entry.
    survey_results(config.SAMPLE_SURVEY, n_draws=20, spec={"aggregation": "geometric"}, processed_dir=tmp_path)
    assert len(list((tmp_path / "survey_results").iterdir())) == 2
    # A damaged entry is rebuilt, never fatal.
    (entries[0] / "scores.parquet").write_bytes(b"not a table")
    rebuilt = survey_results(config.SAMPLE_SURVEY, n_draws=20, processed_dir=tmp_path)
    pd.testing.assert_frame_equal(rebuilt.scores, first.scores)
    assert "Rebuilding the survey results cache" in caplog.text
    assert not list((tmp_path / "survey_results").glob(".*"))  # no temporary folders left


def test_survey_results_missing_file(tmp_path):
    from nhri_capacity.errors import SurveyReadError

    with pytest.raises(SurveyReadError):
        survey_results(tmp_path / "nope.sav", processed_dir=tmp_path)


# --------------------------------------------------------------------------- the brief
def test_mex_migrant_stock_2020(mex):
    mig = mex.data["migration"]
    assert mig["year"] == 2020
    assert mig["migrants"] == 1197624
    assert [t["year"] for t in mig["trend"]] == [1990, 1995, 2000, 2005, 2010, 2015, 2020]
    assert [r["level"] for r in mig["comparison"]] == ["country", "region", "world"]
    assert mig["comparison"][2]["migrants"] == 280598105
    assert mig["licence"] == "CC BY 3.0 IGO"
    assert "International Migrant Stock 2020" in mig["citation"]


@pytest.mark.parametrize("brief_name", ["mex", "deu"])
def test_every_section_present(brief_name, request):
    brief = request.getfixturevalue(brief_name)
    assert brief.sections == list(SECTIONS)
    h = brief.data["header"]
    assert h["synthetic"] is True and h["iso3"] == brief.iso3
    assert h["institution"] and h["accreditation_label"] and h["survey_date"]
    assert len(brief.data["themes"]["items"]) == 9
    assert brief.data["treaties"]["vintage"] == "status as compiled in 2022"
    assert [r["key"] for r in brief.data["capacity"]["rows"]] == [*DIMENSIONS, "composite"]
    assert 3 <= len(brief.data["recommendations"]) <= 6
    assert 1 <= len(brief.data["good_practices"]) <= 4


def test_brief_data_is_plain_json(mex, deu):
    for brief in (mex, deu):
        text = json.dumps(brief.data, allow_nan=False, sort_keys=True)
        assert json.loads(text) == brief.data
        assert brief.to_json() == json.dumps(brief.data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_treaties_icmw(mex, deu):
    assert mex.data["treaties"]["icmw"] == {"status": "party", "year": 1999, "name": mex.data["treaties"]["icmw"]["name"]}
    assert deu.data["treaties"]["icmw"]["status"] == "none"
    assert [t["code"] for t in deu.data["treaties"]["core"]][0] == "ICMW"


def test_capacity_not_a_league_table(mex):
    cap = mex.data["capacity"]
    assert cap["rank_interval"]["rank_p05"] <= cap["rank_interval"]["rank_p95"]
    for row in cap["rows"]:
        if row["p05"] is not None:
            assert row["p05"] <= row["p95"]
    assert all(s["gap_global"] > 0 for s in cap["strengths"])
    assert all(a["gap_global"] < 0 for a in cap["areas_to_develop"])
    from nhri_capacity.render.html import render_html

    html = render_html(mex, figures={})
    assert "rank" not in html.lower().replace("not a ranking", "")


def test_key_figures(mex):
    k = mex.key_figures()
    assert k["iso3"] == "MEX" and k["country"] == "Mexico"
    assert k["migrants"] == 1197624 and k["icmw_status"] == "party"
    assert math.isfinite(k["composite"])
    assert mex.data["key_figures"] == k


def test_need_and_capacity_frame(results):
    frame = need_and_capacity(results, year=2020)
    assert len(frame) == len(results.scores) and frame.attrs["year"] == 2020
    row = frame[frame["iso3"] == "MEX"].iloc[0]
    assert row["migrants"] == 1197624
    assert row["staff_per_100k_migrants"] == pytest.approx(row["staff_migration"] / 1197624 * 1e5)


def test_need_capacity_points(mex, results):
    section = mex.data["need_capacity"]
    frame = need_and_capacity(results, year=2020)
    drawn = frame.dropna(subset=["migrant_share_pct", "composite"])
    drawn = drawn[drawn["migrant_share_pct"] > 0]
    points = section["points"]
    assert len(points) == len(drawn) == 110
    # Full precision, in the order of the survey's institutions.
    assert [p["migrant_share_pct"] for p in points] == drawn["migrant_share_pct"].tolist()
    assert [p["composite"] for p in points] == drawn["composite"].tolist()
    this = [p for p in points if p["group"] == "this"]
    assert len(this) == 1
    assert round(this[0]["migrant_share_pct"], 2) == section["migrant_share_pct"] == 0.93
    assert round(this[0]["composite"], 2) == section["composite"]
    assert section["region"] == mex.data["header"]["region"] == "Latin America and the Caribbean"
    same_region = drawn[(drawn["region"] == section["region"]) & (drawn["iso3"] != "MEX")]
    assert sum(p["group"] == "region" for p in points) == len(same_region) > 0


def test_theme_profile_levels(results):
    items = theme_profile("MEX", results)
    assert len(items) == 9
    for t in items:
        assert t["level"] is None or 0 <= t["level"] <= 3


def test_migration_context_unknown_country_is_none():
    assert migration_context("ATA", year=2020) is None  # Antarctica: not in the UN table


# --------------------------------------------------------------------------- parameter validation
def test_unknown_iso3_lists_available_codes(results):
    with pytest.raises(BriefParameterError) as err:
        build_brief("XXX", results=results)
    assert "not a known ISO3" in str(err.value)
    assert "MEX" in str(err.value) and "DEU" in str(err.value)


def test_iso3_not_in_survey_lists_available_codes(results):
    from nhri_capacity.reference.migration import load_migrant_stock

    stock = load_migrant_stock()
    absent = sorted(set(stock.loc[stock["is_country"], "iso3"].dropna()) - set(results.countries))[0]
    with pytest.raises(BriefParameterError) as err:
        build_brief(absent, results=results)
    assert "No institution" in str(err.value)
    assert "MEX" in str(err.value)


def test_country_name_gets_iso3_hint_and_lower_case_is_fine(results):
    with pytest.raises(BriefParameterError, match="MEX"):
        build_brief("Mexico", results=results)
    assert build_brief("mex", results=results).iso3 == "MEX"


@pytest.mark.parametrize("year", [2019, "abc", 1985.5, True])
def test_bad_year(results, year):
    with pytest.raises(BriefParameterError, match="2020"):
        build_brief("MEX", results=results, year=year)


def test_earlier_year(results):
    brief = build_brief("MEX", results=results, year=2010)
    assert brief.data["migration"]["year"] == 2010
    assert brief.data["migration"]["migrants"] == 969710
    assert brief.data["migration"]["trend"][-1]["year"] == 2010


# --------------------------------------------------------------------------- rules
def test_bundled_rules_valid():
    rules = load_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    real = [r for r in rules if not r.filler]
    assert 25 <= len(real) <= 45
    assert {r.dimension for r in real} == {*DIMENSIONS, "context"}
    assert all(len(r.text) > 60 for r in rules)


@pytest.mark.parametrize(
    "op, value, actual, expected",
    [
        ("<", 2, 1, True), ("<", 2, 2, False),
        ("<=", 2, 2, True), ("<=", 2, 3, False),
        (">", 2, 3, True), (">", 2, 2, False),
        (">=", 2, 2, True), (">=", 2, 1, False),
        ("==", 0, 0.0, True), ("==", "party", "party", True), ("==", 1, 0, False),
        ("!=", "party", "none", True), ("!=", "party", "party", False),
        ("in", [3, 4], 4, True), ("in", [3, 4], 2, False),
        ("not in", ["party"], "signatory", True), ("not in", ["party"], "party", False),
        ("missing", None, None, True), ("missing", None, 1, False),
        ("present", None, 0, True), ("present", None, None, False),
    ],
)
def test_rule_ops(op, value, actual, expected):
    cond = {"fact": "x", "op": op, "value": value}
    assert evaluate_condition(cond, {"x": actual}) is expected


def test_rule_ops_cover_every_op():
    assert set(RULE_OPS) == {"<", "<=", ">", ">=", "==", "!=", "in", "not in", "missing", "present"}


@pytest.mark.parametrize("op", ["<", "==", "!=", "in", "not in"])
def test_missing_values_never_fire(op):
    value = [1] if op in ("in", "not in") else 1
    for missing in (None, float("nan"), pd.NA):
        assert evaluate_condition({"item": "x", "op": op, "value": value}, {"x": missing}) is False
    assert evaluate_condition({"item": "x", "op": op, "value": value}, {}) is False


def test_combinators_and_evidence():
    values = {"ch4_detention_access": 1, "icmw_status": "none", "ch3_interpretation": 3}
    cond = {"all": [{"item": "ch4_detention_access", "op": "<", "value": 2},
                    {"fact": "icmw_status", "op": "!=", "value": "party"}]}
    assert evaluate_condition(cond, values)
    assert condition_evidence(cond, values) == [
        "ch4_detention_access = 1 (Access only with prior notice or permission)",
        "icmw_status = none",
    ]
    anyc = {"any": [{"item": "ch3_interpretation", "op": "<=", "value": 1},
                    {"item": "ch4_detention_access", "op": "==", "value": 1}]}
    assert evaluate_condition(anyc, values)
    assert condition_evidence(anyc, values) == ["ch4_detention_access = 1 (Access only with prior notice or permission)"]
    assert evaluate_condition({"not": anyc}, values) is False
    assert evaluate_condition({"always": True}, {}) is True


@pytest.mark.parametrize(
    "condition, message",
    [
        ({"item": "no_such_item", "op": "==", "value": 1}, "not a survey column"),
        ({"fact": "no_such_fact", "op": "==", "value": 1}, "not one of"),
        ({"item": "ch1_complaints_open", "op": "~=", "value": 1}, "op"),
        ({"item": "ch1_complaints_open", "op": "<", "value": "1"}, "number"),
        ({"item": "ch1_complaints_open", "op": "in", "value": 1}, "list"),
        ("ch1_complaints_open == 0", "mapping"),
        ({"eval": "__import__('os')"}, "exactly one"),
    ],
)
def test_invalid_rules_refused(condition, message):
    rule = {"id": "bad", "dimension": "case_handling", "priority": 1, "condition": condition,
            "text": "A recommendation text that is long enough to pass."}
    with pytest.raises(SpecError, match=message):
        recommend("MEX", None, rules=[rule], values={})


def test_rules_file_errors(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - {id: a, dimension: nowhere, condition: {always: true}, text: 'x'}\n")
    with pytest.raises(SpecError, match="dimension"):
        load_rules(bad)


def test_recommend_with_hand_made_rules(results):
    values = rule_facts("MEX", results)
    rules = [
        {"id": "fires", "dimension": "case_handling", "priority": 1,
         "condition": {"item": "ch4_detention_access", "op": "present"},
         "text": "Always recommended here because the answer is present."},
        {"id": "never", "dimension": "campaigns", "priority": 1,
         "condition": {"item": "ch4_detention_access", "op": "missing"},
         "text": "Never recommended here because the answer is present."},
        {"id": "fill", "dimension": "alliances", "priority": 3, "filler": True,
         "condition": {"always": True}, "text": "A standing recommendation used to reach the minimum."},
    ]
    recs = recommend("MEX", results, rules=rules, values=values, min_items=2, max_items=6)
    assert [r["id"] for r in recs] == ["fires", "fill"] or [r["id"] for r in recs] == ["fill", "fires"]
    fired = next(r for r in recs if r["id"] == "fires")
    assert fired["evidence"].startswith("ch4_detention_access = ")


def test_recommendations_ordered_by_weakest_dimension(results):
    for iso3 in results.countries[::8] + ["MEX", "DEU"]:
        recs = recommend(iso3, results)
        assert 3 <= len(recs) <= 6, iso3
        order = {d: i for i, d in enumerate(weakness_order(iso3, results))}
        order["context"] = len(order)
        ranks = [order[r["dimension"]] for r in recs]
        assert ranks == sorted(ranks), (iso3, [r["dimension"] for r in recs])
        assert len({r["id"] for r in recs}) == len(recs)
        assert all(r["evidence"] for r in recs)


# --------------------------------------------------------------------------- good practices
def test_peer_practices_consent_never_self(results):
    practices = results.practices
    consent = {(p["inst_id"], p["title"]): p["consent"] for p in practices.to_dict("records")}
    for iso3 in results.countries[::5] + ["MEX", "DEU"]:
        own = results.primary_institution(iso3)["inst_id"]
        peers = peer_practices(iso3, results)
        assert len(peers) <= 4
        for p in peers:
            assert p["inst_id"] != own
            assert consent[(p["inst_id"], p["title"])] == 1
            assert p["description"] and p["capacity_key"] in weakness_order(iso3, results)[:2]


def test_peer_practices_without_consent_are_never_shown(results, tmp_path):
    survey = results.survey.copy()
    for slot in (1, 2, 3):
        survey[f"gp{slot}_consent"] = pd.array([0] * len(survey), dtype="Float64")
    # One institution keeps consent for its first practice.
    keep = survey.index[survey["gp1_title"].notna() & (survey["country"] != "MEX")][0]
    survey.loc[keep, "gp1_consent"] = 1
    res = survey_results(survey, n_draws=10, processed_dir=tmp_path, cache=False)
    for iso3 in res.countries[::4]:
        for p in peer_practices(iso3, res):
            assert p["inst_id"] == survey.loc[keep, "inst_id"]


def test_several_institutions_in_one_country(results, tmp_path):
    survey = results.survey.copy()
    extra = survey[survey["inst_id"] == "MEX-01"].copy()
    extra["inst_id"] = "MEX-02"
    extra["resp_id"] = extra["resp_id"] + "b"
    extra["inst_name"] = "Second institution (synthetic)"
    survey = pd.concat([survey, extra], ignore_index=True)
    res = survey_results(survey, n_draws=10, processed_dir=tmp_path, cache=False)
    brief = build_brief("MEX", results=res)
    assert [i["inst_id"] for i in brief.data["header"]["institutions"]] == ["MEX-01", "MEX-02"]
    assert brief.data["capacity"]["inst_id"] == "MEX-01"
    assert brief.data["capacity"]["other_institutions"][0]["inst_id"] == "MEX-02"
    assert all(p["inst_id"] != "MEX-01" for p in brief.data.get("good_practices", []))
    # The chart highlights the brief's institution; the country's other one is
    # drawn with its region (same answers, so the same point).
    section = brief.data["need_capacity"]
    mexico = [p["group"] for p in section["points"]
              if round(p["migrant_share_pct"], 2) == section["migrant_share_pct"]]
    assert sorted(mexico) == ["region", "this"]
