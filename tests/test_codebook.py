"""The codebook is the single source of truth: check its shape and its loader."""

import pytest

from nhri_capacity.errors import SpecError
from nhri_capacity.survey.codebook import DIMENSIONS, load_codebook


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def test_five_capacities_with_four_to_eight_items_each(cb):
    assert tuple(cb.dimensions) == DIMENSIONS
    for dim in DIMENSIONS:
        assert 4 <= len(cb.scored_items(dim)) <= 8, dim


def test_nine_themes_scored_zero_to_three(cb):
    themes = cb.theme_items()
    assert [it.dimension for it in themes] == list(cb.themes)
    assert len(themes) == 9
    assert all((it.min, it.max) == (0.0, 3.0) for it in themes)


def test_every_scored_item_has_bounds_direction_normalisation_and_weight(cb):
    for it in cb.scored_items():
        assert it.min is not None and it.max is not None and it.min < it.max, it.name
        assert it.direction in {"positive", "negative"}
        assert it.normalisation in {"minmax", "goalposts", "log_goalposts"}
        assert it.weight > 0
        if it.normalisation != "minmax":
            assert it.type == "count" and it.goalposts is not None


def test_variable_names_are_spss_and_stata_safe(cb):
    for col in cb.columns(include_pii=True):
        assert len(col) <= 32 and col.replace("_", "").isalnum() and col[0].isalpha(), col


def test_pii_and_required_and_multiselect(cb):
    assert set(cb.pii_variables) == {"respondent_name", "respondent_email", "respondent_phone"}
    assert {"resp_id", "inst_id", "country"} <= set(cb.required_variables)
    cols = cb.multi_select_columns("constraints")
    assert cols["constraints_budget"] == "budget"
    assert len(cols) == 8
    assert cb.column_item("constraints_staff_safety").name == "constraints"
    assert "respondent_email" not in cb.columns()


def test_value_labels_include_missing_codes(cb):
    labels = cb.value_labels("ch1_complaints_open")
    assert labels[0] == "No" and labels[1] == "Yes" and labels[-8] == "Don't know"
    assert cb.is_missing_code(-9) and cb.is_missing_code("-7") and not cb.is_missing_code(3)


def test_malformed_codebook_names_the_file_and_item(tmp_path):
    bad = tmp_path / "cb.yaml"
    bad.write_text(
        "items:\n  - {name: x1, section: C, type: likert9, question: q}\n", encoding="utf-8"
    )
    with pytest.raises(SpecError, match=r"cb\.yaml.*'x1'.*likert9"):
        load_codebook(bad)
    missing = tmp_path / "none.yaml"
    with pytest.raises(SpecError, match="not found"):
        load_codebook(missing)
