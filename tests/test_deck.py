"""Trainers' decks: chart files, the PowerPoint deck, the PDF handout, and the command line.

The PPTX is opened with python-pptx: slide count and titles, alt text on every
picture, speaker notes with numbers and sources, the synthetic notice on every
slide; no other institution is named anywhere.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from nhri_capacity.training import DECK_CHARTS, build_deck, deck_slides, write_pptx

NOTICE = "ILLUSTRATIVE SYNTHETIC DATA"
LAC = "Latin America and the Caribbean"


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "nhri_capacity.cli", *args], capture_output=True, text=True,
                          timeout=600, **kwargs)


def _png_size_and_dpi(path: Path):
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    at = data.find(b"pHYs")
    ppm = struct.unpack(">I", data[at + 4:at + 8])[0]
    return width, height, round(ppm * 0.0254)


def _slide_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def check_deck(files: dict, kind: str):
    """Everything a trainer relies on, for a deck written by build_deck or the command line."""
    n_charts = len(DECK_CHARTS[kind])
    pngs = [p for p in files["charts"] if p.suffix == ".png"]
    svgs = [p for p in files["charts"] if p.suffix == ".svg"]
    assert len(pngs) == len(svgs) == n_charts
    for png in pngs:
        width, height, dpi = _png_size_and_dpi(png)
        assert dpi >= 200 and width >= 2666 and abs(width / height - 16 / 9) < 0.01, png.name
    for svg in svgs:
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml"), svg.name

    slides = json.loads(files["json"].read_text(encoding="utf-8"))
    prs = Presentation(str(files["pptx"]))
    assert len(prs.slides) == n_charts + 2 == len(slides)
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    for slide, data in zip(prs.slides, slides, strict=True):
        assert slide.shapes.title.text == data["title"] and data["title"]
        assert any(NOTICE in text for text in _slide_texts(slide)), data["number"]
        notes = slide.notes_slide.notes_text_frame.text
        assert "Sources:" in notes and "Illustrative synthetic data" in notes
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        if data["kind"] == "chart":
            assert len(pictures) == 1
            descr = pictures[0]._element.nvPicPr.cNvPr.get("descr")
            assert descr and not descr.endswith(".png") and data["chart_title"] in descr
            assert any(ch.isdigit() for ch in notes)
            assert "Survey:" in notes or "UN DESA" in notes or "Treaties:" in notes
        else:
            assert not pictures
    assert [s.shapes.title.text for s in prs.slides][-1] == "Sources and method"

    reader = PdfReader(str(files["pdf"]))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert 3 <= len(reader.pages) <= n_charts + 2
    assert "Slide 2" in text and "Sources and method" in text and "ILLUSTRATIVE SYNTHETIC DATA" in text
    return prs, slides, text


@pytest.fixture(scope="module")
def mex_deck(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck") / "MEX"
    return build_deck(results, country="MEX", out=out)


def test_country_deck(mex_deck, results):
    prs, slides, handout = check_deck(mex_deck, "country")
    assert mex_deck["pptx"].name == "deck_MEX.pptx" and mex_deck["pdf"].name == "handout_MEX.pdf"
    assert [s["chart"] for s in slides[1:-1]] == list(DECK_CHARTS["country"])
    assert slides[2]["title"].startswith("Mexico: ")
    # No other institution is named: not on a slide, in the notes, or in the handout.
    own = set(results.institutions("MEX")["institution"])
    others = set(results.scores["institution"].dropna()) - own
    texts = handout + "".join(
        "\n".join(_slide_texts(s)) + s.notes_slide.notes_text_frame.text for s in prs.slides
    )
    assert not [name for name in others if name in texts]
    assert "UN DESA" in texts and "CC BY 3.0 IGO" in texts and "compiled in 2022" in texts


def test_slides_as_data_match_the_deck(mex_deck, results):
    slides = deck_slides(results, country="MEX")
    written = json.loads(mex_deck["json"].read_text(encoding="utf-8"))
    assert [s["title"] for s in slides] == [s["title"] for s in written]
    assert all(s["synthetic"] for s in slides)
    json.dumps(slides)  # plain data


def test_small_region_medians_are_withheld(results):
    slides = deck_slides(results, country="AUS")
    profile = next(s for s in slides if s["chart"] == "capacity_profile")
    assert any("withheld" in note for note in profile["notes"])
    assert not any("regional median" in note for note in profile["notes"][1:-2])


def test_pptx_is_reproducible(mex_deck, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    slides = json.loads(mex_deck["json"].read_text(encoding="utf-8"))
    images = {s["chart"]: mex_deck["pptx"].parent / s["files"]["png"] for s in slides if s["chart"]}
    first = write_pptx(slides, images, tmp_path / "a.pptx").read_bytes()
    second = write_pptx(slides, images, tmp_path / "b.pptx").read_bytes()
    assert first == second
    assert Presentation(str(tmp_path / "a.pptx")).core_properties.created.year == 2025


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, kind, folder",
    [
        (["--country", "mex"], "country", "MEX"),
        (["--region", LAC], "region", "latin-america-and-the-caribbean"),
        (["--global"], "global", "global"),
    ],
)
def test_deck_command(args, kind, folder, tmp_path):
    res = _run("deck", *args, "--draws", "200", "--out", str(tmp_path / folder))
    assert res.returncode == 0, res.stderr + res.stdout
    out = tmp_path / folder
    files = {
        "pptx": out / f"deck_{folder}.pptx",
        "pdf": out / f"handout_{folder}.pdf",
        "json": out / "slides.json",
        "charts": sorted((out / "charts").iterdir()),
    }
    assert str(files["pptx"]) in res.stdout
    _, slides, _ = check_deck(files, kind)
    if kind == "region":
        assert LAC in slides[0]["title"]


def test_deck_default_folder(results, tmp_path, monkeypatch):
    from nhri_capacity import config

    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    files = build_deck(results, region=LAC)
    assert files["pptx"].parent == tmp_path / "reports" / "decks" / "latin-america-and-the-caribbean"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--region", "Latin America"], "Unknown region 'Latin America'; choose one of:"),
        (["--region", "Australia and New Zealand"], "at least 5"),
        (["--country", "XXX"], "'XXX' is not a known ISO3 country code"),
        (["--country", "USA"], "No institution from United States"),
        (["--country", "MEX", "--region", LAC], "only one of --country, --region and --global"),
    ],
)
def test_deck_errors_are_one_line_and_exit_2(args, fragment, tmp_path):
    res = _run("deck", *args, "--draws", "200", "--out", str(tmp_path / "deck"))
    assert res.returncode == 2, res.stderr + res.stdout
    assert fragment in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "deck").exists()

