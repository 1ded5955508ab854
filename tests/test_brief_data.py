"""The brief as data: data.json holds everything the page and its charts show.

* A brief rendered again from its ``data.json`` alone is the same page, with
  the same figures, byte for byte.
* The data of the MEX and DEU briefs equal those made before the package was
  split into sub-packages (``tests/fixtures/data_before_refactor``, written by
  commit 3aa9191 with ``SOURCE_DATE_EPOCH=1764547200``, the bundled sample and
  1,000 method draws), except for the additions listed in :data:`ADDED`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhri_capacity.brief.model import Brief, brief_data, brief_json, build_brief
from nhri_capacity.render.figures import brief_figures, figure_bytes
from nhri_capacity.render.html import render_html, write_brief_files

BEFORE = Path(__file__).parent / "fixtures" / "data_before_refactor"
#: The only keys a brief's data may have gained since the "before" fixtures:
#: the need-and-capacity chart's points (and the region that groups them),
#: which the chart used to recompute from the survey results.
ADDED = {("need_capacity", "points"), ("need_capacity", "region")}


@pytest.fixture(scope="module")
def written(mex, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief-data") / "MEX"
    return out, write_brief_files(mex, out, formats=("html",))


@pytest.fixture(scope="module")
def loaded(written) -> dict:
    out, _ = written
    return json.loads((out / "data.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- re-rendering
def test_data_json_is_the_brief_data(loaded, mex):
    assert loaded == mex.data
    assert brief_json(loaded) == mex.to_json()


def test_html_rendered_again_from_data_json_is_identical(written, loaded):
    out, _ = written
    assert render_html(loaded) == (out / "brief.html").read_text(encoding="utf-8")


def test_files_written_again_from_data_json_are_identical(written, loaded, tmp_path):
    """Page, data.json and every figure (SVG and PNG), byte for byte."""
    out, files = written
    again = write_brief_files(loaded, tmp_path / "again", formats=("html",))
    assert set(again) == set(files)
    assert {rel for rel in files if rel.startswith("figures/")} == {
        f"figures/{name}.{fmt}"
        for name in ("migrant_trend", "capacity_profile", "need_capacity", "themes")
        for fmt in ("png", "svg")
    }
    for rel, path in files.items():
        assert again[rel].read_bytes() == path.read_bytes(), rel


def test_figures_drawn_from_data_json_are_the_saved_ones(written, loaded):
    out, _ = written
    for name, fig in brief_figures(loaded).items():
        assert figure_bytes(fig, "svg") == (out / "figures" / f"{name}.svg").read_bytes(), name


def test_brief_from_data_json(loaded):
    brief = Brief(loaded)
    assert brief.iso3 == "MEX" and brief.results is None
    assert brief_data(brief) is loaded
    assert brief.key_figures() == loaded["key_figures"]
    with pytest.raises(TypeError, match="data.json"):
        brief_data({"capacity": {}})


# --------------------------------------------------------------------------- the need-and-capacity points
def test_points_name_no_other_institution(mex, results):
    section = mex.data["need_capacity"]
    assert all(set(p) == {"migrant_share_pct", "composite", "group"} for p in section["points"])
    text = json.dumps(section)
    others = results.scores[results.scores["iso3"] != "MEX"]
    for inst_id, name in zip(others["inst_id"], others["institution"], strict=True):
        assert inst_id not in text and name not in text


# --------------------------------------------------------------------------- before the refactor
def _without(data: dict, paths) -> dict:
    data = json.loads(json.dumps(data))
    for section, key in paths:
        data.get(section, {}).pop(key, None)
    return data


@pytest.mark.parametrize("iso3", ["MEX", "DEU"])
def test_data_equal_to_before_the_refactor(iso3, monkeypatch):
    fixture_text = (BEFORE / f"{iso3}.json").read_text(encoding="utf-8")
    before = json.loads(fixture_text)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    # The toolkit's version is the one value a release changes on purpose.
    monkeypatch.setattr("nhri_capacity.brief.model.toolkit_version", lambda: before["methods"]["toolkit_version"])
    brief = build_brief(iso3)  # the bundled sample, 1,000 draws: as the fixtures were made
    data = json.loads(brief.to_json())
    added = {(s, k) for s, sec in data.items() if isinstance(sec, dict) for k in sec if k not in before.get(s, {})}
    added |= {(s, None) for s in data if s not in before}
    assert added == ADDED
    # Every key the fixture has, with the same value and type: the file is
    # byte-identical once the additions are taken out.
    assert brief_json(_without(data, ADDED)) == fixture_text
