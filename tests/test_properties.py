"""Property-based tests (hypothesis): any valid survey, any input file.

Surveys are drawn from the codebook: a random subset of the sample's
institutions and respondents keeps the identifying columns, and every scored
and theme item gets a random valid answer, or no answer, as the codebook
allows. Files are drawn as arbitrary bytes and arbitrary tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nhri_capacity as nc
from nhri_capacity import config

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CB = nc.load_codebook()
ITEMS = [it for it in CB if it.section in ("C", "D") and it.is_numeric]
SCORES = ["case_handling", "campaigns", "law_reform", "international_dialogue", "alliances", "composite"]


@pytest.fixture(scope="module")
def sample():
    return nc.read_survey(config.SAMPLE_SURVEY)


@st.composite
def surveys(draw, sample):
    """A valid survey frame: some of the sample's institutions with redrawn answers."""
    institutions = sorted(sample["inst_id"].unique())
    chosen = draw(st.lists(st.sampled_from(institutions), min_size=3, max_size=12, unique=True))
    frame = sample[sample["inst_id"].isin(chosen)].reset_index(drop=True).copy()
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p_missing = draw(st.sampled_from([0.0, 0.1, 0.4]))
    for item in ITEMS:
        if item.valid_codes is not None:
            values = rng.choice(np.asarray(item.valid_codes, dtype=float), size=len(frame))
        else:
            high = item.max if item.max is not None else 1000.0
            values = np.round(rng.uniform(item.min or 0.0, high, size=len(frame)) ** rng.uniform(0.3, 1.0))
            values = np.clip(values, item.min or 0.0, high)
        values = pd.array(values, dtype="Float64")
        values[rng.random(len(frame)) < p_missing] = pd.NA
        frame[item.name] = values
    return frame


def _sorted(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.sort_values("inst_id").reset_index(drop=True)


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_any_valid_survey_scores_within_0_100_whatever_the_row_order(sample, data):
    frame = data.draw(surveys(sample))
    scores = nc.score_survey(frame)
    values = scores[SCORES].astype("Float64")
    inside = ((values >= 0) & (values <= 100)) | values.isna()
    assert bool(inside.all().all()), scores[SCORES]
    assert sorted(scores["inst_id"]) == sorted(frame["inst_id"].unique())

    order = data.draw(st.permutations(range(len(frame))))
    shuffled = frame.iloc[list(order)].reset_index(drop=True)
    pd.testing.assert_frame_equal(_sorted(nc.score_survey(shuffled)), _sorted(scores), check_exact=False, rtol=1e-12)


@settings(max_examples=8, **SETTINGS)
@given(data=st.data())
def test_any_valid_survey_scores_the_same_in_every_file_format(sample, data, tmp_path_factory):
    frame = data.draw(surveys(sample))
    expected = _sorted(nc.score_survey(frame))
    folder = tmp_path_factory.mktemp("formats")
    for suffix in (".sav", ".dta", ".csv", ".xlsx"):
        path = nc.write_survey(frame, folder / f"survey{suffix}")
        again = nc.read_survey(path)
        pd.testing.assert_frame_equal(
            _sorted(nc.score_survey(again)), expected, check_exact=False, rtol=1e-9, obj=f"scores from {suffix}"
        )


@settings(max_examples=60, **SETTINGS)
@given(
    content=st.binary(max_size=4096),
    suffix=st.sampled_from([".sav", ".dta", ".csv", ".xlsx", ".parquet"]),
)
def test_arbitrary_bytes_raise_only_the_toolkits_errors(content, suffix, tmp_path_factory):
    path = tmp_path_factory.mktemp("bytes") / f"survey{suffix}"
    path.write_bytes(content)
    try:
        nc.read_survey(path)
    except nc.NHRICapacityError:
        pass


_CELLS = st.one_of(
    st.none(),
    st.integers(-10, 200_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.sampled_from(["MEX", "Mexico", "-8", "1e3", "2020-10-02", "yes", "=1+1", "", " ", "+1", "@SUM(A1)", "'=1+1", "'-8"]),
)


@settings(max_examples=60, **SETTINGS)
@given(
    columns=st.lists(st.sampled_from(CB.columns() + ["extra", "Country", ""]), min_size=1, max_size=12),
    rows=st.integers(0, 6),
    data=st.data(),
    suffix=st.sampled_from([".csv", ".xlsx"]),
)
def test_arbitrary_tables_raise_only_the_toolkits_errors(columns, rows, data, suffix, tmp_path_factory):
    table = pd.DataFrame(
        {f"{name}" if i == columns.index(name) else f"{name}.{i}": data.draw(st.lists(_CELLS, min_size=rows, max_size=rows))
         for i, name in enumerate(columns)}
    )
    path = tmp_path_factory.mktemp("tables") / f"survey{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.astype(object).where(table.notna(), None).map(
            lambda v: None if isinstance(v, float) and not np.isfinite(v) else v
        ).to_excel(path, index=False)
    for validate in (True, False):
        try:
            nc.read_survey(path, validate=validate)
        except nc.NHRICapacityError:
            pass
