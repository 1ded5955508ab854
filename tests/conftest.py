"""Fixtures shared by the brief tests: the sample scored once per test session."""

import pytest

from nhri_capacity import config
from nhri_capacity.brief.model import build_brief
from nhri_capacity.brief.results import SurveyResults, survey_results

#: Method draws for the shared results: enough for stable intervals, fast to compute.
N_DRAWS = 200


@pytest.fixture(scope="session")
def results(tmp_path_factory) -> SurveyResults:
    """The bundled sample's results, cached in a session folder (never in data/processed)."""
    return survey_results(
        config.SAMPLE_SURVEY, n_draws=N_DRAWS, processed_dir=tmp_path_factory.getbasetemp() / "shared-processed"
    )


@pytest.fixture(scope="session")
def mex(results):
    return build_brief("MEX", results=results)


@pytest.fixture(scope="session")
def deu(results):
    return build_brief("DEU", results=results)
