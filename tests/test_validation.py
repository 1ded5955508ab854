"""Every validation rule, each on a small broken file; the report; the CLI entry point."""

import pandas as pd
import pytest

from nhri_capacity.survey.files import read_survey_raw
from nhri_capacity.survey.problems import Problem, format_report
from nhri_capacity.survey.validation import validate_command, validate_survey
from nhri_capacity.survey.writers import write_survey


def valid_frame():
    """Three valid respondents (all strings, as typed in a spreadsheet)."""
    return pd.DataFrame(
        {
            "resp_id": ["R1", "R2", "R3"],
            "inst_id": ["I1", "I2", "I3"],
            "country": ["Mexico", "NA", "Ghana"],
            "inst_name": ["CNDH", "Ombudsman", "CHRAJ"],
            "inst_type": ["1", "2", "1"],
            "year_established": ["1990", "1990", "1993"],
            "staff_total": ["100", "20.5", "50"],
            "staff_migration": ["10", "2", "0"],
            "budget_migration_pct": ["12.5", "3", "0"],
            "survey_date": ["2024-03-01", "2024-03-02", "2024-03-05"],
            "ch1_complaints_open": ["1", "0", "1"],
            "ch2_complaints_received": ["120", "0", "35"],
            "ch4_detention_access": ["3", "0", "2"],
            "lr3_share_accepted": ["40", "0", "100"],
            "gp1_title": ["Hotline", "", ""],
            "gp1_description": ["Free hotline", "", ""],
            "constraints": ["budget mandate", "language", "budget"],
        }
    )


def write(tmp_path, df, name="survey.csv", **kwargs):
    path = tmp_path / name
    df.to_csv(path, index=False, encoding="utf-8", **kwargs)
    return path


def broken(tmp_path, **columns):
    """A CSV of the valid frame with some columns replaced."""
    df = valid_frame()
    for name, values in columns.items():
        df[name] = values
    return write(tmp_path, df)


def only(problems, severity="error", column=None):
    return [p for p in problems if p.severity == severity and (column is None or p.column == column)]


def test_valid_file_has_no_problems(tmp_path):
    path = write(tmp_path, valid_frame())
    assert validate_survey(path) == []
    code, report = validate_command(path)
    assert code == 0
    assert report.splitlines()[-1] == f"OK: {path} can be scored."


# ------------------------------------------------------------------ file-level errors
@pytest.mark.parametrize(
    "name, content, words",
    [
        ("missing.csv", None, "not found"),
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n  \n", "empty"),
        ("header_only.csv", b"resp_id,inst_id,country,inst_name\n", "no rows"),
        ("survey.json", b"{}", ".xlsx"),
        ("damaged.xlsx", b"PK not really", "Excel"),
        ("damaged.dta", b"garbage", "Stata"),
    ],
)
def test_unreadable_or_empty_file_is_an_error_not_an_exception(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    problems = validate_survey(path)
    assert len(problems) == 1
    p = problems[0]
    assert (p.severity, p.row, p.file) == ("error", None, str(path))
    assert words in p.message and name in p.message
    code, report = validate_command(path)
    assert code == 2 and "1 error, 0 warnings" in report


def test_missing_required_variable(tmp_path):
    path = write(tmp_path, valid_frame().drop(columns=["country", "inst_name"]))
    errors = only(validate_survey(path))
    assert [(p.column, p.row) for p in errors] == [("country", None), ("inst_name", None)]
    assert "Required column country" in errors[0].message


def test_blank_required_value(tmp_path):
    path = broken(tmp_path, inst_id=["I1", "", "I3"])
    [p] = only(validate_survey(path))
    assert (p.row, p.respondent, p.column, p.value) == (3, "R2", "inst_id", "")


# ------------------------------------------------------------------ wrong types
def test_text_in_numeric_item(tmp_path):
    path = broken(tmp_path, ch2_complaints_received=["120", "many", "35"], ch1_complaints_open=["1", "Maybe", "0"])
    errors = only(validate_survey(path))
    assert [(p.row, p.respondent, p.column, p.value) for p in errors] == [
        (3, "R2", "ch1_complaints_open", "Maybe"),
        (3, "R2", "ch2_complaints_received", "many"),
    ]
    assert "text, not a number" in errors[1].message
    assert "0 = No, 1 = Yes" in errors[0].expected and "-8 = don't know" in errors[0].expected


def test_non_integer_in_integer_and_coded_items(tmp_path):
    path = broken(tmp_path, year_established=["1990.5", "1990", "1993"], ch4_detention_access=["3", "0", "1.5"])
    errors = only(validate_survey(path))
    assert [(p.row, p.column, p.value) for p in errors] == [
        (2, "year_established", "1990.5"),
        (4, "ch4_detention_access", "1.5"),
    ]
    assert all("whole number" in p.message for p in errors)


def test_counts_may_be_fractional_but_not_thousands_separated(tmp_path):
    path = broken(tmp_path, staff_total=["100.5", "1,200", "50"])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value) == (3, "staff_total", "1,200")
    assert "thousands separator" in p.message


@pytest.mark.parametrize("bad", ["2024-02-30", "03/05/2024", "yesterday"])
def test_invalid_date(tmp_path, bad):
    path = broken(tmp_path, survey_date=["2024-03-01", bad, "2024-03-05T10:00:00+01:00"])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value) == (3, "survey_date", bad)
    assert "YYYY-MM-DD" in p.expected


# ------------------------------------------------------------------ ranges
def test_out_of_range_codes(tmp_path):
    path = broken(tmp_path, ch1_complaints_open=["7", "0", "-8"], inst_type=["1", "9", "-9"])
    errors = only(validate_survey(path))
    assert [(p.row, p.column, p.value) for p in errors] == [
        (2, "ch1_complaints_open", "7"),
        (3, "inst_type", "9"),
    ]
    assert "not an answer code" in errors[0].message


def test_out_of_range_integer(tmp_path):
    path = broken(tmp_path, year_established=["1850", "1990", "1993"])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value) == (2, "year_established", "1850")


def test_negative_counts_but_missing_codes_are_fine(tmp_path):
    path = broken(tmp_path, ch2_complaints_received=["-3", "-8", "-7"])
    [p] = only(validate_survey(path))
    assert (p.row, p.respondent, p.column, p.value) == (2, "R1", "ch2_complaints_received", "-3")
    assert "negative" in p.message


@pytest.mark.parametrize("bad", ["120", "-5", "100.1"])
def test_percentages_outside_0_100(tmp_path, bad):
    path = broken(tmp_path, lr3_share_accepted=["40", "0", bad])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value) == (4, "lr3_share_accepted", bad)
    assert "between 0 and 100" in p.message


def test_multi_select_values(tmp_path):
    path = broken(tmp_path, constraints=["budget mandate", "budget weather", "3"])
    errors = only(validate_survey(path))
    assert [(p.row, p.column, p.value) for p in errors] == [
        (3, "constraints", "budget weather"),
        (4, "constraints", "3"),
    ]
    assert "'weather'" in errors[0].message
    df = valid_frame().drop(columns=["constraints"]).assign(
        **{"constraints/budget": ["1", "2", "0"], "constraints/mandate": ["0", "1", "True"]}
    )
    [p] = only(validate_survey(write(tmp_path, df)))
    assert (p.row, p.column, p.value) == (3, "constraints_budget", "2")


# ------------------------------------------------------------------ countries, ids, consistency
def test_unknown_country_with_suggestions(tmp_path):
    path = broken(tmp_path, country=["Mexico", "Germny", "Atlantis"])
    errors = only(validate_survey(path))
    assert [(p.row, p.column, p.value) for p in errors] == [(3, "country", "Germny"), (4, "country", "Atlantis")]
    assert "Germany" in errors[0].message
    assert "ISO2" in errors[1].expected


def test_duplicate_respondent_ids(tmp_path):
    path = broken(tmp_path, resp_id=["R1", "R2", "R1"])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value, p.respondent) == (4, "resp_id", "R1", "R1")
    assert "first on row 2" in p.message


def test_more_migration_staff_than_staff(tmp_path):
    path = broken(tmp_path, staff_migration=["10", "25", "-8"])
    [p] = only(validate_survey(path))
    assert (p.row, p.column, p.value) == (3, "staff_migration", "25")
    assert "20.5" in p.expected


def test_good_practice_title_without_description_is_a_warning(tmp_path):
    path = broken(tmp_path, gp1_title=["Hotline", "Legal clinic", ""])
    problems = validate_survey(path)
    assert only(problems) == []
    [p] = only(problems, "warning")
    assert (p.row, p.column, p.respondent) == (3, "gp1_description", "R2")


def test_column_given_twice(tmp_path):
    df = valid_frame()
    df["Can migrants lodge complaints with the institution whatever their migration status?"] = ["1", "1", "1"]
    problems = validate_survey(write(tmp_path, df))
    [p] = only(problems)
    assert p.column == "ch1_complaints_open" and "differ" in p.message
    df = df.drop(columns=[df.columns[-1]])
    df["CH1_COMPLAINTS_OPEN "] = df["ch1_complaints_open"]
    problems = validate_survey(write(tmp_path, df))
    assert only(problems) == []
    assert [p.column for p in only(problems, "warning")] == ["ch1_complaints_open"]


# ------------------------------------------------------------------ warnings and notes
def test_unknown_extra_columns_warn_but_kobo_meta_columns_do_not(tmp_path):
    df = valid_frame().assign(comments="x", ch1_complaint_open="1", _uuid="u", start="s", **{"meta/instanceID": "i"})
    warnings = only(validate_survey(write(tmp_path, df)), "warning")
    assert [(p.column, p.row) for p in warnings] == [("comments", None), ("ch1_complaint_open", None)]
    assert "Did you mean 'ch1_complaints_open'?" in warnings[1].message


def test_high_missingness(tmp_path):
    path = broken(tmp_path, ch2_complaints_received=["", "-8", "35"], ch4_detention_access=["3", "", "2"])
    problems = validate_survey(path)
    assert only(problems) == []
    warnings = only(problems, "warning")
    assert [(p.column, p.value) for p in warnings] == [
        ("ch2_complaints_received", "67%"),
        ("ch4_detention_access", "33%"),
    ]
    assert [p.column for p in only(validate_survey(path, missing_threshold=0.5), "warning")] == [
        "ch2_complaints_received"
    ]
    # items not in the file are not reported; nor the optional good practices
    assert not any(p.column.startswith(("ch8", "gp")) for p in warnings)


def test_pii_columns_are_a_note_and_never_echoed(tmp_path):
    df = valid_frame().assign(respondent_name=["Ana Pérez", "Bo", "Cy"], respondent_email="ana@example.org")
    path = write(tmp_path, df)
    problems = validate_survey(path)
    [p] = problems
    assert p.severity == "info" and "respondent_name" in p.column and "respondent_email" in p.column
    for strict in (False, True):
        code, report = validate_command(path, strict=strict)
        assert code == 0, report
        assert "Ana" not in report and "example.org" not in report
        assert "Notes (1)" in report


# ------------------------------------------------------------------ row numbers across formats
def test_row_numbers_are_what_the_user_sees(tmp_path):
    df = valid_frame()
    df["ch1_complaints_open"] = ["1", "7", "0"]
    csv_path = write(tmp_path, df, sep=";")
    assert only(validate_survey(csv_path))[0].row == 3  # header is row 1 in a spreadsheet
    frame = df.astype(object)
    frame["ch1_complaints_open"] = [1, 7, 0]
    xlsx = tmp_path / "s.xlsx"
    frame.to_excel(xlsx, index=False)
    assert only(validate_survey(xlsx))[0].row == 3
    sav = write_survey(frame.drop(columns=["constraints"]), tmp_path / "s.sav")
    assert only(validate_survey(sav))[0].row == 2  # SPSS shows case numbers
    assert only(validate_survey(frame))[0].row == 2  # DataFrame: 1-based position


def test_blank_lines_keep_row_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "resp_id,inst_id,country,inst_name,ch1_complaints_open\n"
        "R1,I1,Mexico,A,1\n\nR2,I2,Ghana,B,5\n",
        encoding="utf-8",
    )
    [p] = only(validate_survey(path))
    assert (p.row, p.value) == (4, "5")


def test_validate_a_raw_frame_and_labels_in_values(tmp_path):
    df = valid_frame()
    df["ch1_complaints_open"] = ["Yes", "no", "Don\u2019t know"]
    raw, meta = read_survey_raw(write(tmp_path, df))
    assert raw["ch1_complaints_open"].tolist() == [1, 0, -8]
    assert only(validate_survey(raw)) == []


# ------------------------------------------------------------------ report and command
def test_problem_str_is_one_readable_line():
    p = Problem("error", file="s.csv", row=3, respondent="R2", column="inst_type", value="9",
                expected="1-6", message="'9' is not an answer code of this question")
    assert str(p) == "ERROR: s.csv, row 3 (respondent R2), column inst_type: '9' is not an answer code of this question"
    assert "\n" not in str(p)
    assert str(Problem("warning", message="Something")) == "WARNING: Something"


def test_report_groups_errors_then_warnings_with_counts(tmp_path):
    path = broken(
        tmp_path,
        ch1_complaints_open=["7", "0", "1"],
        country=["Mexico", "Atlantis", "Ghana"],
        gp1_title=["Hotline", "Clinic", ""],
    )
    problems = validate_survey(path)
    report = format_report(problems, path=path)
    lines = report.splitlines()
    assert lines[0] == f"Survey check: {path}"
    assert lines.index("Errors (2):") < lines.index("Warnings (1):")
    assert "  - row 2 (respondent R1), column ch1_complaints_open: '7' is not an answer code" in report
    assert lines[-1] == f"2 errors, 1 warning: {path} cannot be scored until the errors are fixed."
    code, text = validate_command(path)
    assert (code, text) == (2, report)


def test_strict_fails_on_warnings_only(tmp_path):
    path = broken(tmp_path, gp1_title=["Hotline", "Clinic", ""])
    code, report = validate_command(path)
    assert code == 0 and report.splitlines()[-1] == f"OK: {path} can be scored (1 warning)."
    code, report = validate_command(path, strict=True)
    assert code == 2 and report.splitlines()[-1].startswith("0 errors, 1 warning")
    assert not list(tmp_path.glob("*.csv"))[1:]  # validate writes nothing


def test_long_reports_summarise_by_column(tmp_path):
    df = pd.concat([valid_frame()] * 5, ignore_index=True)
    df["resp_id"] = [f"R{i}" for i in range(len(df))]
    df["ch1_complaints_open"] = "2"
    report = format_report(validate_survey(write(tmp_path, df)), path="x.csv")
    assert "by column: ch1_complaints_open (15)" in report
