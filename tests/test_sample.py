"""The seeded synthetic sample survey: determinism, design targets, the committed file."""

import re

import numpy as np
import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.common.io import sha256_file
from nhri_capacity.errors import NHRICapacityError, SpecError
from nhri_capacity.reference.migration import load_migrant_stock
from nhri_capacity.survey.codebook import DIMENSIONS, load_codebook
from nhri_capacity.survey.metadata import SYNTHETIC_FILE_LABEL, survey_meta
from nhri_capacity.survey.readers import read_survey
from nhri_capacity.survey.sample import (
    DEFAULT_SEED,
    SampleParameterError,
    generate_sample,
    write_sample,
)
from nhri_capacity.survey.sample_texts import load_sample_texts

CB = load_codebook()
MISSING = [-7.0, -8.0, -9.0]
REGENERATE = "regenerate it with `make sample` and update the sha256 in data/raw/README.md"


@pytest.fixture(scope="module")
def sample():
    return generate_sample()


@pytest.fixture(scope="module")
def stock2020():
    stock = load_migrant_stock()
    rows = stock[stock["is_country"] & (stock["year"] == 2020) & stock["iso3"].notna()]
    return rows.drop_duplicates("iso3").set_index("iso3")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The default sample written twice, in two files, by this checkout's code."""
    d = tmp_path_factory.mktemp("sample")
    return write_sample(d / "first.sav"), write_sample(d / "second.sav")


def numeric_items(sections):
    return [it.name for it in CB if it.section in sections and it.is_numeric]


def normalised_items(df):
    """Section C items scaled 0-1 the codebook's way, missing codes as NaN."""
    out = {}
    for it in CB.scored_items():
        x = df[it.name].where(~df[it.name].isin(MISSING)).astype(float)
        if it.normalisation == "minmax":
            out[it.name] = (x - it.min) / (it.max - it.min)
        else:
            lo, hi = it.goalposts
            clipped = x.clip(lo, hi) - lo
            if it.normalisation == "goalposts":
                out[it.name] = clipped / (hi - lo)
            else:
                out[it.name] = np.log1p(clipped) / np.log1p(hi - lo)
    frame = pd.DataFrame(out)
    frame["inst_id"] = df["inst_id"].to_numpy()
    return frame.groupby("inst_id").mean()


def cronbach_alpha(items):
    items = items.dropna()
    k = items.shape[1]
    return k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))


# -- determinism ------------------------------------------------------------
def test_same_seed_gives_identical_frame(sample):
    pd.testing.assert_frame_equal(generate_sample(seed=DEFAULT_SEED), sample, check_exact=True)


def test_other_seed_gives_other_frame(sample):
    other = generate_sample(seed=DEFAULT_SEED + 1)
    assert not other["inst_id"].sort_values().reset_index(drop=True).equals(
        sample["inst_id"].sort_values().reset_index(drop=True)
    )
    assert not other["ch2_complaints_received"].equals(sample["ch2_complaints_received"])


def test_written_file_is_byte_identical_from_run_to_run(written):
    first, second = written
    assert sha256_file(first) == sha256_file(second)


@pytest.mark.parametrize(
    "kwargs", [{"seed": -1}, {"seed": 1.5}, {"n_institutions": 9}, {"n_institutions": 10_000}]
)
def test_bad_parameters_raise_a_user_error(kwargs):
    with pytest.raises(SampleParameterError) as info:
        generate_sample(**kwargs)
    assert isinstance(info.value, NHRICapacityError) and isinstance(info.value, ValueError)


# -- design targets -----------------------------------------------------------
def test_columns_are_the_codebook_variables_with_pii(sample):
    assert list(sample.columns) == CB.columns(include_pii=True)


def test_institutions_countries_and_regions(sample, stock2020):
    inst = sample.drop_duplicates("inst_id")
    assert len(inst) == 110
    assert {"MEX-01", "DEU-01"} <= set(inst["inst_id"])
    assert inst["inst_id"].str.fullmatch(r"[A-Z]{3}-01").all()
    iso3 = inst["inst_id"].str[:3]
    assert iso3.is_unique and iso3.isin(stock2020.index).all()
    all_regions = set(stock2020["region"].dropna())
    assert len(all_regions) == 8
    assert set(stock2020.loc[iso3, "region"]) == all_regions


def test_respondents_per_institution(sample):
    assert sample["resp_id"].is_unique
    assert sample["resp_id"].str.fullmatch(r"R\d{4}").all()
    sizes = sample.groupby("inst_id").size()
    assert 13 <= (sizes > 1).sum() <= 17
    assert sizes.between(1, 4).all()


def test_respondents_of_one_institution_mostly_agree(sample):
    multi = sample[sample.groupby("inst_id")["inst_id"].transform("size") > 1]
    coded = [c for c in numeric_items("C") if CB[c].valid_codes is not None]
    agree = multi.groupby("inst_id")[coded].nunique(dropna=False).eq(1).to_numpy().mean()
    assert 0.6 < agree < 0.98


def test_staff_migration_never_exceeds_staff_total(sample):
    both = sample[["staff_total", "staff_migration"]]
    valid = both[~both.isin(MISSING).any(axis=1) & both.notna().all(axis=1)]
    assert len(valid) == len(sample)
    assert (valid["staff_migration"] <= valid["staff_total"]).all()


def test_every_value_is_valid_or_a_missing_code(sample):
    for column in sample.columns:
        item = CB.column_item(column)
        values = sample[column]
        if item.type == "multi_select":
            assert values.isin([0.0, 1.0]).all(), column
        elif item.is_numeric:
            answered = values.dropna()
            answered = answered[~answered.isin(MISSING)]
            if item.valid_codes is not None:
                assert answered.isin([float(c) for c in item.valid_codes]).all(), column
            else:
                assert answered.between(item.min, item.max).all(), column
            if item.type in {"count", "integer"}:
                assert (answered == answered.round()).all(), column
        elif item.type == "date":
            dates = pd.to_datetime(values)
            assert dates.between("2020-10-01", "2021-03-31").all()
        else:
            assert values.map(lambda v: isinstance(v, str)).all(), column


def test_item_missingness_in_sections_b_to_d(sample):
    values = sample[numeric_items("BCD")]
    share = (values.isna() | values.isin(MISSING)).to_numpy().mean()
    assert 0.03 <= share <= 0.08
    counts = {code: int((values == code).to_numpy().sum()) for code in MISSING}
    assert counts[-8.0] > counts[-7.0] > 0 and counts[-9.0] > 0
    assert values.isna().to_numpy().sum() > 0


def test_accreditation_mix(sample):
    share = sample.drop_duplicates("inst_id")["accreditation"].value_counts(normalize=True)
    assert share[1.0] == pytest.approx(0.60, abs=0.02)
    assert share[2.0] == pytest.approx(0.20, abs=0.02)
    assert share[3.0] == pytest.approx(0.15, abs=0.02)
    assert share[4.0] == pytest.approx(0.05, abs=0.02)


def test_synthetic_flags_and_fake_personal_data(sample):
    assert (sample["synthetic_data"] == 1).all()
    assert sample["inst_name"].str.contains(r"synthetic\)$").all()
    number = sample["resp_id"].str[1:].astype(int)
    assert (sample["respondent_name"] == number.map("Respondent {:03d}".format)).all()
    assert sample["respondent_email"].str.fullmatch(r"respondent\d{3}@example\.org").all()
    assert sample["respondent_phone"].str.fullmatch(r"\+00 000 000 \d{3}").all()


def test_good_practices(sample):
    titles = sample[["gp1_title", "gp2_title", "gp3_title"]]
    per_inst = titles.ne("").groupby(sample["inst_id"]).sum().sum(axis=1)
    assert (per_inst >= 1).mean() > 0.75 and per_inst.max() <= 3
    described = sample[["gp1_description", "gp2_description", "gp3_description"]].stack()
    described = described[described != ""]
    assert described.map(lambda t: bool(re.search(r"[^\x00-\x7f]", t))).any()
    assert described.nunique() == len(described)
    consent = sample[["gp1_consent", "gp2_consent", "gp3_consent"]].stack().dropna()
    assert consent.mean() == pytest.approx(0.8, abs=0.1)
    years = sample[["gp1_year", "gp2_year", "gp3_year"]].stack().dropna()
    assert years.between(2015, 2021).all()


def test_every_practice_template_fills_in():
    texts = load_sample_texts()
    for seed in range(5):
        rng = np.random.default_rng(seed)
        for capacity, kinds in texts.tables["practices"].items():
            used = set()
            for _ in kinds:  # each kind once: the generator prefers kinds not yet used
                title, text = texts.practice(rng, capacity, 1 + seed, ["Tapachula"], 0.0, used)
                assert "{" not in title + text and title[0].isupper() and text.endswith(".")
            assert used == {(capacity, k) for k in range(len(kinds))}


def test_institution_names_follow_language_and_type():
    texts = load_sample_texts()
    assert texts.institution_name("PER", 2) == "Defensoría del Pueblo (Peru, synthetic)"
    assert texts.institution_name("PER", 4) == "National Advisory Council on Human Rights of Peru (synthetic)"
    assert texts.institution_name("GBR", 1).startswith("Human Rights Commission of the United Kingdom")


def test_text_tables_missing_a_table_is_a_spec_error(tmp_path):
    path = tmp_path / "texts.yaml"
    path.write_text("institution_names: {}\nthemes: {}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="places"):
        load_sample_texts(path)


def test_capacity_tracks_migrant_share_and_accreditation(sample, stock2020):
    inst_mean = normalised_items(sample).mean(axis=1)
    share = stock2020.loc[inst_mean.index.str[:3], "migrant_share_pct"].astype(float).to_numpy()
    assert np.corrcoef(inst_mean.to_numpy(), np.log(share))[0, 1] > 0.2
    accreditation = sample.groupby("inst_id")["accreditation"].first()
    a_status = accreditation.loc[inst_mean.index] == 1
    assert inst_mean[a_status].mean() > inst_mean[~a_status].mean()


def test_dimensions_are_consistent_and_distinct(sample):
    inst = normalised_items(sample)
    means = {}
    for dim in DIMENSIONS:
        cols = [it.name for it in CB.scored_items(dim)]
        assert 0.6 <= cronbach_alpha(inst[cols]) <= 0.9, dim
        means[dim] = inst[cols].mean(axis=1)
    corr = pd.DataFrame(means).corr().to_numpy()[np.triu_indices(len(DIMENSIONS), 1)]
    assert 0.2 < corr.mean() < 0.7


# -- the committed file ---------------------------------------------------------
def test_committed_file_is_what_the_generator_writes(written):
    assert config.SAMPLE_SURVEY.exists(), f"{config.SAMPLE_SURVEY} is missing: {REGENERATE}"
    committed = read_survey(config.SAMPLE_SURVEY)
    fresh = read_survey(written[0])
    pd.testing.assert_frame_equal(committed, fresh, check_exact=True, obj="committed sample")
    assert sha256_file(config.SAMPLE_SURVEY) == sha256_file(written[0]), (
        f"{config.SAMPLE_SURVEY.name} holds the right data but not the bytes this checkout "
        f"writes (another pyreadstat version?): {REGENERATE}"
    )


def test_committed_file_reads_back_as_the_generated_frame(sample):
    df = read_survey(config.SAMPLE_SURVEY)
    meta = survey_meta(df)
    assert meta["synthetic"] and meta["file_label"] == SYNTHETIC_FILE_LABEL
    assert meta["n_rows"] == len(sample)
    assert not set(CB.pii_variables) & set(df.columns)
    assert df["resp_id"].tolist() == sample["resp_id"].tolist()
    assert df["inst_id"].tolist() == sample["inst_id"].tolist()
    assert (df["country"] == df["inst_id"].str[:3]).all()
    assert df["country_input"].tolist() == sample["country"].tolist()
    assert df["inst_name"].tolist() == sample["inst_name"].tolist()
    for column in numeric_items("ABCD") + list(CB.multi_select_columns("constraints")):
        expected = sample[column].where(~sample[column].isin(MISSING)).astype("Float64")
        pd.testing.assert_series_equal(
            df[column].reset_index(drop=True), expected, check_names=False, obj=column
        )
    codes = {k: v for k, v in meta["missing_codes"].items() if v}
    expected_codes = sample[numeric_items("ABCD")].isin(MISSING).sum()
    assert codes == {k: int(v) for k, v in expected_codes.items() if v}
