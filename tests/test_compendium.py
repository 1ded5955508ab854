"""The good-practice compendium: consent everywhere, escaped text, counts, filters, the command.

A planted survey (the bundled sample written as CSV, then edited) carries:

* a practice WITHOUT consent whose institution would otherwise be a peer in
  Mexico's brief (``UNCONSENTED-ZQX`` in its title and description);
* a practice reported by two respondents of one institution, one of whom did
  not consent (``SHARED-ZQY``): it must not be published either;
* a consented practice with markup in its text (``<script>``, ``<b>``) that
  Mexico's brief shows as a peer's practice;
* a consented practice whose title starts with ``=`` (a spreadsheet formula);
* one theme whose practices all lack consent (the "no practices" case).

None of the withheld text may appear in any output: the compendium's HTML, PDF,
CSV and XLSX, the brief's HTML, PDF and ``data.json``, and the executed brief
notebook of a batch run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from nhri_capacity import (
    BriefParameterError,
    batch,
    build_brief,
    check_practice_filter,
    config,
    practice_compendium,
    practice_overview,
    publication_counts,
    published_practices,
    read_survey,
    survey_results,
    write_brief_files,
    write_compendium,
    write_survey,
)
from nhri_capacity.survey import DIMENSIONS, load_codebook

WITHHELD = ("UNCONSENTED-ZQX", "SHARED-ZQY", "shared-zqy")
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>bold</b>"
FORMULA = "=1+1 formula-looking title"
THEMES = list(load_codebook().themes)


def _run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "nhri_capacity.cli", *args],
        capture_output=True, text=True, timeout=600, **kwargs,
    )


def _pdf_text(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def _assert_withheld_absent(text: str, where: str):
    for marker in WITHHELD:
        assert marker.casefold() not in text.casefold(), f"{marker} leaked into {where}"


def _assert_markup_escaped(html: str, where: str):
    assert "<script" not in html.lower(), where
    assert BOLD not in html, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, where
    assert "&lt;b&gt;bold&lt;/b&gt;" in html, where


def _slot_of(table, inst_id, title):
    for k in (1, 2, 3):
        rows = table.index[(table["inst_id"] == inst_id) & (table[f"gp{k}_title"] == title)]
        if len(rows):
            return rows[0], k
    raise AssertionError(f"practice {title!r} of {inst_id} not found")


@pytest.fixture(scope="module")
def sample():
    return survey_results(config.SAMPLE_SURVEY, n_draws=50)


@pytest.fixture(scope="module")
def planted(tmp_path_factory, sample):
    """The planted survey file and what was planted where."""
    folder = tmp_path_factory.mktemp("planted")
    peers = build_brief("MEX", results=sample).data["good_practices"]
    hidden, marked = peers[0], peers[1]
    path = write_survey(read_survey(config.SAMPLE_SURVEY), folder / "survey.csv")
    t = pd.read_csv(path, dtype=str, keep_default_na=False)

    row, k = _slot_of(t, hidden["inst_id"], hidden["title"])
    t.loc[row, [f"gp{k}_title", f"gp{k}_description", f"gp{k}_consent"]] = [
        "UNCONSENTED-ZQX secret practice", "UNCONSENTED-ZQX secret description of the practice", "0"]

    row, k = _slot_of(t, marked["inst_id"], marked["title"])
    t.loc[row, f"gp{k}_title"] = f"{marked['title']} {BOLD}"
    t.loc[row, f"gp{k}_description"] = f"Worked with {SCRIPT} partners. {t.loc[row, f'gp{k}_description']}"
    marked_theme = t.loc[row, f"gp{k}_theme"]

    taken = {hidden["inst_id"], marked["inst_id"], "MEX-01"}
    counts = t["inst_id"].value_counts()
    shared_inst = next(i for i in counts.index if counts[i] >= 2 and i not in taken)
    r0, r1 = t.index[t["inst_id"] == shared_inst][:2]
    t.loc[r0, ["gp1_title", "gp1_description", "gp1_consent"]] = ["SHARED-ZQY practice", "SHARED-ZQY first", "1"]
    t.loc[r1, ["gp1_title", "gp1_description", "gp1_consent"]] = ["  shared-zqy   PRACTICE ", "SHARED-ZQY other", "0"]
    t.loc[[r0, r1], "gp1_theme"] = marked_theme
    taken.add(shared_inst)

    empty_code = next(str(c) for c in range(1, 10) if str(c) != marked_theme)
    for k in (1, 2, 3):
        t.loc[t[f"gp{k}_theme"] == empty_code, f"gp{k}_consent"] = "0"

    row = next(i for i in t.index if t.loc[i, "inst_id"] not in taken and t.loc[i, "gp1_consent"] == "1"
               and t.loc[i, "gp1_theme"] not in ("", empty_code))
    t.loc[row, "gp1_title"] = FORMULA
    t.to_csv(path, index=False)
    return {
        "path": path,
        "hidden": hidden,
        "marked": marked,
        "shared_inst": shared_inst,
        "empty_theme": THEMES[int(empty_code) - 1],
        "folder": folder,
    }


@pytest.fixture(scope="module")
def planted_results(planted):
    return survey_results(planted["path"], n_draws=50)


@pytest.fixture(scope="module")
def cli_out(planted, tmp_path_factory):
    out = tmp_path_factory.mktemp("compendium")
    res = _run("practices", "--survey", str(planted["path"]), "--out", str(out))
    assert res.returncode == 0, res.stderr + res.stdout
    return out, res.stdout


# --------------------------------------------------------------------------- #
# The library: counts on the bundled sample, order, filters
# --------------------------------------------------------------------------- #
def test_counts_on_the_sample(sample):
    table = practice_compendium(sample)
    counts = publication_counts(sample)
    assert counts == {"n_reported": 180, "n_published": 140, "n_withheld": 40,
                      "n_institutions": 110, "n_institutions_published": 85}
    assert len(table) == 140 == int((sample.practices["consent"] == 1).sum())
    assert table["inst_id"].nunique() == 85
    assert table.attrs["synthetic"] is True
    overview = practice_overview(table)
    assert int(overview.loc["All themes", "All regions"]) == 140
    assert overview.drop(index="All themes")["All regions"].sum() == 140  # one theme per practice in the sample
    assert list(overview.index[:-1]) == list(load_codebook().themes.values())


def test_one_row_per_practice_no_scores_ordered_by_theme_capacity_country(sample):
    table = practice_compendium(sample)
    assert not table.duplicated(["inst_id", "title"]).any()
    assert not set(table.columns) & {*DIMENSIONS, "composite", "rank", "score", "consent"}
    theme_rank = table["theme"].map(THEMES.index)
    assert theme_rank.is_monotonic_increasing
    for _, group in table.groupby("theme"):
        assert group["capacity"].map(DIMENSIONS.index).is_monotonic_increasing
    assert all(isinstance(ts, tuple) and ts[0] == t for ts, t in zip(table["themes"], table["theme"], strict=True))


def test_filters(sample):
    table = practice_compendium(sample, theme="Trafficking and smuggling", region="latin america and the caribbean")
    assert len(table) == 4
    assert set(table["theme"]) == {"trafficking_smuggling"}
    assert set(table["region"]) == {"Latin America and the Caribbean"}
    by_capacity = practice_compendium(sample, capacity="law_reform")
    assert set(by_capacity["capacity"]) == {"law_reform"} and len(by_capacity) > 0
    empty = practice_compendium(sample, theme="mechanisms", region="Australia and New Zealand", capacity="campaigns")
    assert empty.empty and list(empty.columns) == list(table.columns)


@pytest.mark.parametrize(
    "kwargs, valid",
    [({"theme": "unknown"}, "trafficking_smuggling"), ({"capacity": "courage"}, "law_reform"),
     ({"region": "Latin America"}, "Latin America and the Caribbean")],
)
def test_unknown_filter_lists_the_valid_values(kwargs, valid):
    with pytest.raises(BriefParameterError, match="choose one of") as err:
        check_practice_filter(**kwargs)
    assert valid in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------- #
# Consent: the library
# --------------------------------------------------------------------------- #
def test_library_publishes_consented_practices_only(planted, planted_results):
    table = practice_compendium(planted_results)
    text = table.astype(str).to_csv()
    _assert_withheld_absent(text, "practice_compendium")
    assert SCRIPT in text  # the table holds the text as written; the page escapes it
    assert (published_practices(planted_results)["consent"] == 1).all()
    assert planted["empty_theme"] not in set(table["theme"])
    # good_practices keeps the first respondent's answer; the compendium needs every respondent's yes.
    first = planted_results.practices
    assert ((first["inst_id"] == planted["shared_inst"]) & (first["title"] == "SHARED-ZQY practice")
            & (first["consent"] == 1)).any()


# --------------------------------------------------------------------------- #
# Consent and escaping: the command's files
# --------------------------------------------------------------------------- #
def test_command_writes_html_pdf_csv_xlsx(cli_out, planted_results):
    out, stdout = cli_out
    assert sorted(p.name for p in out.iterdir()) == [
        "compendium.csv", "compendium.html", "compendium.pdf", "compendium.xlsx"]
    n = len(practice_compendium(planted_results))
    assert f"Published {n} good practices" in stdout
    assert "synthetic" in stdout.lower()


def test_withheld_practices_appear_in_no_compendium_file(cli_out):
    out, _ = cli_out
    _assert_withheld_absent((out / "compendium.html").read_text(encoding="utf-8"), "compendium.html")
    _assert_withheld_absent("\n".join(_pdf_text(out / "compendium.pdf")), "compendium.pdf")
    _assert_withheld_absent((out / "compendium.csv").read_text(encoding="utf-8"), "compendium.csv")
    xlsx = pd.read_excel(out / "compendium.xlsx", dtype=str)
    _assert_withheld_absent(xlsx.to_csv(), "compendium.xlsx")


def test_markup_is_escaped_and_formulas_neutralised(cli_out):
    out, _ = cli_out
    html = (out / "compendium.html").read_text(encoding="utf-8")
    _assert_markup_escaped(html, "compendium.html")
    assert "alert(1)" in "\n".join(_pdf_text(out / "compendium.pdf"))  # shown as text
    table = pd.read_csv(out / "compendium.csv", dtype=str, keep_default_na=False)
    assert f"'{FORMULA}" in set(table["title"])
    assert not table.apply(lambda col: col.str.startswith(("=", "+", "@"))).any().any()
    assert set(table["data_note"]) == {"Illustrative synthetic data, not real survey results"}


def test_pdf_says_synthetic_on_every_page(cli_out):
    out, _ = cli_out
    pages = _pdf_text(out / "compendium.pdf")
    assert len(pages) > 10
    assert all("ILLUSTRATIVE SYNTHETIC DATA" in page for page in pages)


def test_real_survey_has_no_synthetic_notice(planted, tmp_path):
    t = pd.read_csv(planted["path"], dtype=str, keep_default_na=False).assign(synthetic_data="0")
    path = tmp_path / "real.csv"
    t.to_csv(path, index=False)
    results = survey_results(path, n_draws=20)
    assert practice_compendium(results).attrs["synthetic"] is False
    written = write_compendium(results, tmp_path / "out", formats=("html", "csv"))
    html = written["compendium.html"].read_text(encoding="utf-8")
    # (The sample's institution names say "synthetic" themselves; the notices must be gone.)
    assert "illustrative synthetic" not in html.lower() and 'class="synthetic-banner"' not in html
    assert "data_note" not in written["compendium.csv"].read_text(encoding="utf-8")


def test_unknown_theme_exits_2_with_one_line(planted, tmp_path):
    res = _run("practices", "--survey", str(planted["path"]), "--theme", "unknown", "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Unknown theme 'unknown'" in lines[0] and "trafficking_smuggling" in lines[0]
    assert not (tmp_path / "o").exists()


def test_theme_without_practices_writes_nothing_and_says_why(planted, tmp_path):
    theme = planted["empty_theme"]
    res = _run("practices", "--survey", str(planted["path"]), "--theme", theme, "--out", str(tmp_path / "o"))
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"No good practice on '{load_codebook().themes[theme]}'" in lines[0]
    assert "Themes with published practices:" in lines[0] and theme not in lines[0].split(":")[-1]
    assert not (tmp_path / "o").exists()


def test_themed_compendium(planted_results, tmp_path):
    written = write_compendium(planted_results, tmp_path, theme="trafficking_smuggling", formats=("html",))
    html = written["compendium_trafficking_smuggling.html"].read_text(encoding="utf-8")
    n = len(practice_compendium(planted_results, theme="trafficking_smuggling"))
    assert f'<span class="fact-value">{n}</span>' in html
    assert html.count('<article class="practice">') == n
    assert 'id="theme-trafficking_smuggling"' in html and 'id="theme-mechanisms"' not in html


# --------------------------------------------------------------------------- #
# Consent and escaping: briefs
# --------------------------------------------------------------------------- #
def test_brief_of_the_affected_country(planted, planted_results, tmp_path):
    brief = build_brief("MEX", results=planted_results)
    peers = brief.data["good_practices"]
    assert planted["hidden"]["inst_id"] not in {p["inst_id"] for p in peers}
    assert any(SCRIPT in p["description"] for p in peers)
    written = write_brief_files(brief, tmp_path / "MEX", formats=("html", "pdf"), figure_formats=("png",), dpi=72)
    data_json = written["data.json"].read_text(encoding="utf-8")
    _assert_withheld_absent(data_json, "data.json")
    html = written["brief.html"].read_text(encoding="utf-8")
    _assert_withheld_absent(html, "brief.html")
    _assert_markup_escaped(html, "brief.html")
    _assert_withheld_absent("\n".join(_pdf_text(written["brief.pdf"])), "brief.pdf")


@pytest.mark.slow
def test_batch_brief_notebook_shows_no_withheld_practice(planted, tmp_path):
    out = tmp_path / "briefs"
    result = batch.run_batch(["MEX"], survey=planted["path"], out=out, jobs=1, formats=("html",),
                             n_draws=50, progress=False)
    assert result.exit_code == 0, batch.format_summary(result)
    folder = out / "MEX"
    notebook = (folder / "brief.ipynb").read_text(encoding="utf-8")
    _assert_withheld_absent(notebook, "brief.ipynb")
    nb = nbformat.reads(notebook, as_version=4)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html_outputs = "".join(str(o.get("data", {}).get("text/html", "")) for o in shown)
    # The notebook's table of peers' practices shows their titles: the planted one's markup is escaped.
    assert "&lt;b&gt;bold&lt;/b&gt;" in html_outputs and BOLD not in html_outputs
    assert "<script" not in html_outputs.lower()
    _assert_withheld_absent((folder / "data.json").read_text(encoding="utf-8"), "batch data.json")
    _assert_withheld_absent((folder / "brief.html").read_text(encoding="utf-8"), "batch brief.html")
    assert json.loads((folder / "data.json").read_text(encoding="utf-8"))["header"]["iso3"] == "MEX"
