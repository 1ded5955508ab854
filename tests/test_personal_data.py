"""Respondents' personal data never reaches an output.

Names, emails and phone numbers are planted in the survey's personal-data
columns; the survey then goes through validate, score, audit, intervals and
a batch brief (executed notebook, HTML, PDF, data.json, figures, index), and
every file those steps write, caches included, is searched for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import nhri_capacity as nc
from nhri_capacity import config

PLANTED = {
    "respondent_name": "Zenobia Quillfeather",
    "respondent_email": "zenobia.quillfeather@example.org",
    "respondent_phone": "+52 55 5555 0199",
}


@pytest.fixture(scope="module")
def survey_with_pii(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pii")
    plain = nc.write_survey(nc.read_survey(config.SAMPLE_SURVEY), folder / "plain.csv")
    table = pd.read_csv(plain, dtype=str, keep_default_na=False)
    for column, value in PLANTED.items():
        table[column] = [f"{value} {i}" if i else value for i in range(len(table))]
    path = folder / "survey_with_contacts.csv"
    table.to_csv(path, index=False)
    assert PLANTED["respondent_email"] in path.read_text(encoding="utf-8")
    return path


def _cli(*args, cwd):
    res = subprocess.run(
        [sys.executable, "-m", "nhri_capacity.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout + res.stderr


def _text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", errors="ignore")


def _leaks(folders) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file():
                continue
            text = _text_of(path)
            for column, value in PLANTED.items():
                if value in text:
                    found.append(f"{path}: {column}")
    return found


@pytest.mark.slow
def test_no_personal_data_in_any_output(survey_with_pii, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    printed = [
        _cli("validate", str(survey_with_pii), cwd=out),
        _cli("score", str(survey_with_pii), "-o", "scores.csv", cwd=out),
        _cli("score", str(survey_with_pii), "-o", "scores.xlsx", cwd=out),
        _cli("score", str(survey_with_pii), "-o", "scores.sav", cwd=out),
        _cli("audit", str(survey_with_pii), "-o", "audit.xlsx", cwd=out),
        _cli("intervals", str(survey_with_pii), "--draws", "50", "-o", "intervals.csv", cwd=out),
    ]
    result = nc.run_batch(["MEX"], survey=survey_with_pii, out=out / "briefs", n_draws=50, progress=False)
    assert result.exit_code == 0, nc.format_summary(result)
    written = {p.name for p in out.rglob("*") if p.is_file()}
    assert {"scores.csv", "scores.xlsx", "audit.xlsx", "brief.html", "brief.pdf", "data.json", "brief.ipynb"} <= written

    assert "respondent_email" in printed[0]  # the report says the columns were dropped ...
    for value in PLANTED.values():
        assert all(value not in text for text in printed)  # ... but never shows their values
    leaks = _leaks([out, os.environ["NHRI_CAPACITY_PROCESSED_DIR"], config.PROCESSED_DATA_DIR])
    assert leaks == []


def test_the_search_would_find_a_leak(tmp_path):
    (tmp_path / "brief.html").write_text(f"<p>{PLANTED['respondent_phone']}</p>", encoding="utf-8")
    assert _leaks([tmp_path]) == [f"{tmp_path / 'brief.html'}: respondent_phone"]
