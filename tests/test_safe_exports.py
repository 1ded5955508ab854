"""CSV and XLSX exports cannot smuggle a formula into a spreadsheet (OWASP "CSV injection").

Text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
planted in survey free text, institution names and identifiers, scores,
intervals and audit tables; every CSV and XLSX writer must write it with an
apostrophe in front, never as an Excel formula, keep numbers (negative ones
too) as numbers, and the survey readers must give the text back unchanged.
"""

from __future__ import annotations

import csv
import math

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nhri_capacity as nc
from nhri_capacity import config
from nhri_capacity.cli import cli
from nhri_capacity.common.spreadsheet import (
    FORMULA_PREFIXES,
    neutralise_frame,
    neutralise_text,
    restore_text,
    write_csv,
    write_xlsx,
)
from nhri_capacity.survey.parsing import parse_text
from nhri_capacity.survey.xlsform_builder import write_xlsform, xlsform

#: One dangerous text per formula character.
PLANTED = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
#: Survey text is stripped on reading, so leading tabs and returns cannot reach a survey file.
SURVEY_PLANTED = PLANTED[:4] + ["'=already quoted", "=1+1 funding"]
SURVEY_TEXT = ["inst_name", "gp1_title", "gp1_description", "support_needed"]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _texts(column):
    return [None if pd.isna(v) else v for v in column]


def _csv_cells(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def _xlsx_cells(path):
    wb = openpyxl.load_workbook(path)
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def check_csv(path, planted):
    """Every planted text is there with its apostrophe; no other cell could be a formula."""
    cells = _csv_cells(path)
    for text in planted:
        assert neutralise_text(text) in cells, (path.name, text)
        assert neutralise_text(text).startswith("'")
    risky = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _is_number(c)]
    assert risky == [], path.name
    return cells


def check_xlsx(path, planted):
    """No cell is a formula, every text cell is text, planted text has its apostrophe."""
    cells = _xlsx_cells(path)
    assert [c.coordinate for c in cells if c.data_type == "f"] == [], path.name
    values = [c.value for c in cells]
    for text in planted:
        # openpyxl writes a carriage return as &#13; (with lxml, installed with python-pptx), so it survives.
        assert neutralise_text(text) in values, (path.name, text)
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            assert not cell.value.startswith(FORMULA_PREFIXES), (path.name, cell.coordinate, cell.value)
    return cells


@pytest.fixture(scope="module")
def planted_survey():
    """The sample survey with dangerous text in six institutions' identifiers, names and free text."""
    survey = nc.read_survey(config.SAMPLE_SURVEY)
    chosen = list(dict.fromkeys(survey["inst_id"]))[: len(SURVEY_PLANTED)]
    for text, inst in zip(SURVEY_PLANTED, chosen, strict=True):
        rows = survey["inst_id"] == inst
        for column in SURVEY_TEXT:
            survey.loc[rows, column] = text
        survey.loc[rows, "inst_id"] = text
    # A negative missing-data code in a numeric column must stay a number.
    survey.loc[survey.index[0], "ch2_complaints_received"] = -8
    return survey


# ------------------------------------------------------------------ the helpers
def test_neutralise_and_restore_are_exact_inverses():
    for text in PLANTED + ["'=x", "''+x", "'", "''", "'quoted'", "plain", "", "- item", "x=1"]:
        written = neutralise_text(text)
        assert restore_text(written) == text
        if text.lstrip("'").startswith(FORMULA_PREFIXES):
            assert written == "'" + text
        else:
            assert written == text
    # Numbers and missing values are never text to neutralise.
    assert neutralise_text(-7) == -7 and neutralise_text(-2.5) == -2.5 and neutralise_text(None) is None


def test_neutralise_frame_keeps_dtypes_and_numbers():
    frame = pd.DataFrame(
        {
            "text": pd.Series(["=1", None, "ok"], dtype=object),
            "string": pd.array(["+1", pd.NA, "ok"], dtype="string"),
            "category": pd.Categorical(["@x", "@x", "ok"]),
            "number": [-1.5, -2.0, 3.0],
            "nullable": pd.array([-7, pd.NA, 1], dtype="Int64"),
            "-starts-with-minus": ["a", "b", "c"],
        }
    )
    out = neutralise_frame(frame)
    assert list(out.columns)[-1] == "'-starts-with-minus"
    assert out["text"].tolist()[::2] == ["'=1", "ok"] and out["text"].iloc[1] is None
    assert out["string"].dtype == frame["string"].dtype and out["string"].iloc[0] == "'+1"
    assert list(out["category"].cat.categories) == ["'@x", "ok"]
    pd.testing.assert_series_equal(out["number"], frame["number"])
    pd.testing.assert_series_equal(out["nullable"], frame["nullable"])
    assert frame["text"].iloc[0] == "=1", "the input frame must not change"


def test_write_helpers_on_every_dangerous_prefix(tmp_path):
    frame = pd.DataFrame({"note": PLANTED, "value": [-1.5, -2.0, 0.0, 1.0, -7.0, 2.5]})
    write_csv(frame, tmp_path / "t.csv")
    cells = check_csv(tmp_path / "t.csv", PLANTED)
    assert "-1.5" in cells and "-7.0" in cells
    write_xlsx({"t": frame}, tmp_path / "t.xlsx")
    cells = check_xlsx(tmp_path / "t.xlsx", PLANTED)
    numbers = [c for c in cells if c.column_letter == "B" and c.row > 1]
    assert [c.value for c in numbers] == [-1.5, -2, 0, 1, -7, 2.5]
    assert {c.data_type for c in numbers} == {"n"}


# ------------------------------------------------------------------ survey files
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_survey_export_neutralises_text_and_reads_back_unchanged(planted_survey, tmp_path, suffix):
    path = nc.write_survey(planted_survey, tmp_path / f"survey{suffix}")
    if suffix == ".csv":
        cells = check_csv(path, SURVEY_PLANTED)
        assert "-8" in cells and "'-8" not in cells
    else:
        cells = check_xlsx(path, SURVEY_PLANTED)
        minus8 = [c for c in cells if c.value == -8]
        assert minus8 and {c.data_type for c in minus8} == {"n"}
    again = nc.read_survey(path)
    for column in ["inst_id", *SURVEY_TEXT]:
        assert _texts(again[column]) == _texts(planted_survey[column]), column
    # read_survey turns the code into a missing value; the raw file still holds the number.
    assert pd.isna(again["ch2_complaints_received"].iloc[0])
    raw, _ = nc.read_survey_raw(path)
    assert float(raw["ch2_complaints_received"].iloc[0]) == -8
    assert "'=already quoted" in again["inst_name"].tolist()


def test_survey_export_is_the_same_in_every_format(planted_survey, tmp_path):
    """The reading side undoes the apostrophes: CSV and XLSX give what Parquet and SPSS give."""
    frames = {s: nc.read_survey(nc.write_survey(planted_survey, tmp_path / f"s{s}")) for s in
              (".csv", ".xlsx", ".parquet", ".sav")}
    for suffix in (".csv", ".xlsx", ".sav"):
        for column in ["inst_id", *SURVEY_TEXT]:
            assert _texts(frames[suffix][column]) == _texts(frames[".parquet"][column]), (suffix, column)
    scores = {s: nc.score_survey(f).sort_values("inst_id").reset_index(drop=True) for s, f in frames.items()}
    for suffix in (".csv", ".xlsx", ".sav"):
        pd.testing.assert_frame_equal(scores[suffix], scores[".parquet"], check_exact=False, rtol=1e-9)


def test_survey_text_with_leading_tab_or_return_is_stripped_then_neutralised(planted_survey, tmp_path):
    survey = planted_survey.copy()
    survey.loc[survey.index[0], "support_needed"] = "\t=1+1"
    survey.loc[survey.index[1], "support_needed"] = "\r@SUM(A1)"
    for suffix in (".csv", ".xlsx"):
        path = nc.write_survey(survey, tmp_path / f"s{suffix}")
        (check_csv if suffix == ".csv" else check_xlsx)(path, ["=1+1", "@SUM(A1)"])
        assert nc.read_survey(path)["support_needed"].tolist()[:2] == ["=1+1", "@SUM(A1)"]


def test_a_return_inside_survey_text_cannot_start_a_new_row_or_cell(planted_survey, tmp_path):
    """Python's csv module quotes a lone CR only when records end in CRLF: without that, Excel
    would split the row at the CR and read '=1+1' as a new cell."""
    survey = planted_survey.head(3).copy()
    survey["support_needed"] = ["Hotline\r=1+1", "Line one\r\n@SUM(A1)", "ok"]
    path = nc.write_survey(survey, tmp_path / "s.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 4 and {len(r) for r in rows} == {len(rows[0])}
    check_csv(path, [])
    assert nc.read_survey(path)["support_needed"].tolist() == survey["support_needed"].tolist()
    # XLSX keeps them too (openpyxl writes a carriage return as &#13;).
    back = nc.read_survey(nc.write_survey(survey, tmp_path / "s.xlsx"))["support_needed"].tolist()
    assert back == survey["support_needed"].tolist()


def test_hand_typed_apostrophe_before_a_formula_character_is_dropped(tmp_path):
    """The one ambiguous case: a file not written by the toolkit with '=x is read as =x."""
    path = tmp_path / "typed.csv"
    path.write_text("resp_id,inst_id,country,inst_name,support_needed\n"
                    "R1,I1,NAM,'=Ombudsman,'quoted'\n", encoding="utf-8")
    row = nc.read_survey(path).iloc[0]
    assert row["inst_name"] == "=Ombudsman"
    assert row["support_needed"] == "'quoted'"


# ------------------------------------------------------------------ scores, intervals, audit
@pytest.fixture(scope="module")
def planted_scores(planted_survey):
    scores = nc.score_survey(planted_survey)
    # Tabs and returns cannot come from a survey (they are stripped): plant them directly.
    scores.loc[scores.index[: len(PLANTED)], "flags"] = PLANTED
    scores["change"] = pd.array([-2.5] * len(scores), dtype="Float64")
    return scores


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_scores_neutralises_text_and_keeps_negative_numbers(planted_scores, tmp_path, suffix):
    path = nc.write_scores(planted_scores, tmp_path / f"scores{suffix}")
    planted = PLANTED + SURVEY_PLANTED[:4]  # flags, and inst_id / institution from the survey
    if suffix == ".csv":
        cells = check_csv(path, planted)
        assert "-2.5" in cells and "'-2.5" not in cells
        back = pd.read_csv(path)
        assert back["change"].dtype == float and (back["change"] == -2.5).all()
    else:
        cells = check_xlsx(path, planted)
        change = [c for c in cells if c.value == -2.5]
        assert len(change) == len(planted_scores) and {c.data_type for c in change} == {"n"}
        back = pd.read_excel(path)
        assert (back["change"] == -2.5).all() and back["composite"].dtype == float


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_scores_of_intervals_neutralises_text(planted_survey, tmp_path, suffix):
    intervals = nc.score_intervals(planted_survey, n_draws=10, seed=1)
    path = nc.write_scores(intervals, tmp_path / f"intervals{suffix}")
    (check_csv if suffix == ".csv" else check_xlsx)(path, SURVEY_PLANTED[:4])


def test_write_audit_neutralises_every_table(planted_survey, tmp_path):
    audit = nc.audit_scores(planted_survey)
    audit["planted"] = pd.DataFrame({"note": PLANTED, "value": [-1.0, -2.5, 3.0, -7.0, 0.0, 1.0]})
    check_xlsx(nc.write_audit(audit, tmp_path / "audit.xlsx"), PLANTED + SURVEY_PLANTED[:4])
    folder = nc.write_audit(audit, tmp_path / "audit")
    check_csv(folder / "planted.csv", PLANTED)
    check_csv(folder / "availability_institutions.csv", SURVEY_PLANTED[:4])
    for table in folder.glob("*.csv"):
        check_csv(table, [])
    assert pd.read_csv(folder / "planted.csv")["value"].tolist() == [-1.0, -2.5, 3.0, -7.0, 0.0, 1.0]


def test_command_line_exports_are_neutralised(planted_survey, tmp_path):
    survey = nc.write_survey(planted_survey, tmp_path / "planted.csv")
    runner = CliRunner()
    for args in (["score", str(survey), "-o", str(tmp_path / "scores.xlsx")],
                 ["intervals", str(survey), "-n", "10", "-o", str(tmp_path / "intervals.csv")],
                 ["audit", str(survey), "-o", str(tmp_path / "audit.xlsx")]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, res.output
    check_xlsx(tmp_path / "scores.xlsx", SURVEY_PLANTED[:4])
    check_csv(tmp_path / "intervals.csv", SURVEY_PLANTED[:4])
    check_xlsx(tmp_path / "audit.xlsx", SURVEY_PLANTED[:4])


# ------------------------------------------------------------------ the XLSForm
def test_xlsform_cells_are_text_and_unchanged(tmp_path):
    """Form expressions and choice names such as '-7' reach pyxform as they are, as text."""
    sheets = xlsform()
    path = write_xlsform(tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(path)
    starting = 0
    for name, frame in sheets.items():
        ws = wb[name]
        assert [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(row=i, column=j)
                assert cell.value == (value if value != "" else None), (name, cell.coordinate)
                if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                    starting += 1
                    assert cell.data_type == "s"
    assert starting > 0, "the choice names -7/-8/-9 start with '-' and must stay as they are"


# ------------------------------------------------------------------ any text, both ways
_PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''+", "'-", "\t", "\r", "\n", " ", "=\r", "-\t"])
# openpyxl refuses the other control characters in a cell, whatever this toolkit does.
_CHARACTERS = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["\t", "\r", "\n", "'", "="])


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.tuples(_PREFIXES, st.text(_CHARACTERS, max_size=15)).map("".join), min_size=3, max_size=3))
def test_any_text_survives_write_survey_and_read_survey(planted_survey, tmp_path_factory, texts):
    survey = planted_survey.head(3).copy()
    survey["support_needed"] = texts
    folder = tmp_path_factory.mktemp("text")
    for suffix, expected in ((".csv", [parse_text(t) for t in texts]),
                             (".xlsx", [parse_text(t) for t in texts])):
        path = nc.write_survey(survey, folder / f"s{suffix}")
        (check_csv if suffix == ".csv" else check_xlsx)(path, [])
        assert _texts(nc.read_survey(path)["support_needed"]) == expected, suffix


def test_control_characters_do_not_stop_an_xlsx_export(tmp_path):
    """XLSX cannot hold most control characters; they become U+FFFD instead of crashing the export."""
    import openpyxl

    from nhri_capacity import read_survey, write_survey
    from nhri_capacity.common.spreadsheet import write_xlsx

    frame = pd.DataFrame({"name": ["Hotline\x01 24/7", "ok"], "score": [1.0, -2.0]})
    path = tmp_path / "t.xlsx"
    write_xlsx({"scores": frame}, path)
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path)["scores"].iter_rows(min_row=2)]
    assert rows == [["Hotline\ufffd 24/7", 1], ["ok", -2]]

    survey = read_survey(config.SAMPLE_SURVEY)
    survey.loc[0, "inst_name"] = "Commission\x02 nationale"
    again = read_survey(write_survey(survey, tmp_path / "survey.xlsx"))
    assert again.loc[0, "inst_name"] == "Commission\ufffd nationale"
    assert again.loc[1:, "inst_name"].tolist() == survey.loc[1:, "inst_name"].tolist()
