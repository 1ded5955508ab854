"""The bundled sample saved in every survey format validates and scores to the same numbers."""

import subprocess
import sys

import pandas as pd
import pytest

from nhri_capacity import config
from nhri_capacity.scoring.scores import score_survey, score_themes
from nhri_capacity.survey.metadata import is_synthetic
from nhri_capacity.survey.readers import read_survey
from nhri_capacity.survey.validation import validate_survey
from nhri_capacity.survey.writers import write_survey


@pytest.fixture(scope="module")
def sample():
    return read_survey(config.SAMPLE_SURVEY)


@pytest.fixture(scope="module")
def reference_scores(sample):
    return score_survey(sample)


def test_bundled_sample_validates_from_the_command_line():
    res = subprocess.run(
        [sys.executable, "-m", "nhri_capacity.cli", "validate", str(config.SAMPLE_SURVEY)],
        capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "can be scored" in res.stdout


@pytest.mark.parametrize("suffix", [".dta", ".csv", ".xlsx"])
def test_sample_in_other_formats_scores_the_same(tmp_path, sample, reference_scores, suffix):
    path = write_survey(sample, tmp_path / f"sample{suffix}")
    errors = [p for p in validate_survey(path) if p.severity == "error"]
    assert errors == []
    again = read_survey(path)
    assert is_synthetic(again)
    assert len(again) == len(sample) == 134
    scores = score_survey(again)
    pd.testing.assert_frame_equal(scores, reference_scores, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(score_themes(again), score_themes(sample))
