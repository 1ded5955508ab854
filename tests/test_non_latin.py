"""Institution names and good practices in non-Latin scripts survive every step.

Cyrillic, Greek, Arabic and Vietnamese text is planted in the survey (the
institution's own name, and the names and practice titles of the peers whose
practices its brief suggests), written to SPSS and CSV, read back, scored,
and rendered as HTML and PDF; the text extracted back from the PDF must hold
every planted string.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

import nhri_capacity as nc
from nhri_capacity import config

TEXTS = {
    "cyrillic": "Уполномоченный по правам человека",
    "greek": "Συνήγορος του Πολίτη",
    "arabic": "المجلس الوطني لحقوق الإنسان",
    "vietnamese": "Ủy ban Nhân quyền Quốc gia Việt Nam",
}
PRACTICES = {
    "cyrillic": "Горячая линия для мигрантов",
    "greek": "Εκστρατεία κατά της ξενοφοβίας",
    "arabic": "زيارات إلى مراكز احتجاز المهاجرين",
    "vietnamese": "Hỗ trợ pháp lý cho người lao động di cư",
}


def _norm(text: str) -> str:
    # PDF text extraction may return presentation forms and its own spacing.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def planted():
    survey = nc.read_survey(config.SAMPLE_SURVEY)
    before = nc.build_brief("MEX", results=nc.survey_results(survey, n_draws=50))
    peers = [gp["inst_id"] for gp in before.data["good_practices"]][:3]
    assert len(peers) == 3
    frame = survey.copy()
    frame.loc[frame["country"] == "MEX", "inst_name"] = TEXTS["cyrillic"]
    for inst_id, script in zip(peers, ["greek", "arabic", "vietnamese"], strict=True):
        frame.loc[frame["inst_id"] == inst_id, "inst_name"] = TEXTS[script]
    for gp in before.data["good_practices"][:3]:
        rows = frame["inst_id"] == gp["inst_id"]
        for slot in (1, 2, 3):
            matches = rows & (frame[f"gp{slot}_title"] == gp["title"])
            if matches.any():
                script = ["cyrillic", "greek", "arabic", "vietnamese"][peers.index(gp["inst_id"]) + 1]
                frame.loc[matches, f"gp{slot}_title"] = PRACTICES[script]
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".sav", ".csv"])
def test_non_latin_text_survives_reading_scoring_html_and_pdf(planted, suffix, tmp_path):
    path = nc.write_survey(planted, tmp_path / f"survey{suffix}")
    survey = nc.read_survey(path)
    assert survey["inst_name"].tolist() == planted["inst_name"].tolist()
    assert survey["gp1_title"].fillna("").tolist() == planted["gp1_title"].fillna("").tolist()

    results = nc.survey_results(survey, n_draws=50)
    names = set(results.scores["institution"])
    assert set(TEXTS.values()) <= names

    brief = nc.build_brief("MEX", results=results)
    shown = [gp["title"] for gp in brief.data["good_practices"]]
    expected = [TEXTS[s] for s in TEXTS] + [t for t in PRACTICES.values() if t in shown]
    assert len(expected) >= 5, shown  # the planted practices are among those the brief suggests

    written = nc.write_brief_files(brief, tmp_path / "MEX")
    html = written["brief.html"].read_text(encoding="utf-8")
    data = written["data.json"].read_text(encoding="utf-8")
    from pypdf import PdfReader

    pdf = _norm("".join(page.extract_text() or "" for page in PdfReader(written["brief.pdf"]).pages))
    for text in expected:
        assert text in html
        assert text in data
        assert _norm(text) in pdf, text
