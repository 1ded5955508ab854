"""Reading survey files (SPSS, Stata, CSV, Excel, Kobo exports) and writing them back."""

import pandas as pd
import pyreadstat
import pytest

from nhri_capacity.errors import OutputFormatError, SurveyReadError, SurveyValidationError
from nhri_capacity.survey.files import read_survey_raw
from nhri_capacity.survey.metadata import SYNTHETIC_FILE_LABEL, is_synthetic, survey_meta
from nhri_capacity.survey.readers import read_survey
from nhri_capacity.survey.writers import write_survey

PII = ["respondent_name", "respondent_email", "respondent_phone"]


def valid_frame():
    """Three respondents with the required variables and a few items of each kind."""
    return pd.DataFrame(
        {
            "resp_id": ["R1", "R2", "R3"],
            "inst_id": ["I1", "I2", "I3"],
            "country": ["México", "NA", "Côte d'Ivoire"],
            "inst_name": ["CNDH", "Ombudsman of Namibia", "CNDH Côte d'Ivoire"],
            "inst_type": [1, 2, 1],
            "year_established": [1990, 1990, 2001],
            "staff_total": [100, 20.5, 50],
            "staff_migration": [10, 2, 0],
            "budget_migration_pct": [12.5, 3, 0],
            "survey_date": ["2024-03-01", "2024-03-02", "2024-03-05"],
            "ch1_complaints_open": [1, 0, 1],
            "ch2_complaints_received": [120, 0, 35],
            "ch4_detention_access": [3, 0, 2],
            "lr3_share_accepted": [40, 0, 100],
            "gp1_title": ["Hotline", "", ""],
            "gp1_description": ["Free hotline for migrants", "", ""],
            "constraints_budget": [1, 0, 1],
            "constraints_mandate": [0, 1, 0],
            "support_needed": ["Training", "=1+1 funding", ""],
        }
    )


def to_csv(df, path, **kwargs):
    df.to_csv(path, index=False, **{"encoding": "utf-8", **kwargs})
    return path


@pytest.fixture
def survey_csv(tmp_path):
    return to_csv(valid_frame(), tmp_path / "survey.csv")


# ------------------------------------------------------------------ contract
def test_survey_frame_follows_the_contract(survey_csv):
    df = read_survey(survey_csv)
    assert list(df["resp_id"]) == ["R1", "R2", "R3"]
    assert list(df["country"]) == ["MEX", "NAM", "CIV"]
    assert list(df["country_input"]) == ["México", "NA", "Côte d'Ivoire"]
    assert df.columns.get_loc("country_input") == df.columns.get_loc("country") + 1
    assert str(df["ch1_complaints_open"].dtype) == "Float64"
    assert str(df["constraints_budget"].dtype) == "Float64"
    assert str(df["inst_name"].dtype) == "string"
    assert str(df["survey_date"].dtype) == "datetime64[ns]"
    assert df["survey_date"].iloc[2] == pd.Timestamp("2024-03-05")
    assert df["staff_total"].tolist() == [100, 20.5, 50]
    # variables absent from the file are there, all missing
    assert df["ch8_referral_followup"].isna().all()
    assert df["support_needed"].isna().tolist() == [False, False, True]
    meta = df.attrs["survey"]
    assert set(meta) == {
        "source", "sha256", "format", "synthetic", "file_label", "n_rows", "notices", "missing_codes"
    }
    assert meta["format"] == "csv" and meta["n_rows"] == 3 and meta["synthetic"] is False
    assert len(meta["sha256"]) == 64 and meta["source"] == str(survey_csv)
    assert survey_meta(df) == meta


def test_missing_codes_become_na_and_are_counted(tmp_path):
    df = valid_frame()
    df["ch1_complaints_open"] = [1, -8, -9]
    df["ch2_complaints_received"] = [-7, 0, 35]
    df["constraints_budget"] = [1, -8, 1]
    df["constraints_mandate"] = [0, -8, 0]
    df["gp1_title"] = ["", "", ""]
    df["gp1_description"] = ["", "", ""]
    out = read_survey(to_csv(df, tmp_path / "s.csv"))
    assert out["ch1_complaints_open"].isna().tolist() == [False, True, True]
    assert out["ch2_complaints_received"].isna().tolist() == [True, False, False]
    assert out.attrs["survey"]["missing_codes"] == {
        "ch1_complaints_open": 2, "ch2_complaints_received": 1, "constraints": 1
    }
    assert out["constraints_budget"].isna().tolist() == [False, True, False]


def test_survey_meta_defaults_for_a_plain_frame():
    meta = survey_meta(pd.DataFrame({"a": [1, 2]}))
    assert meta["synthetic"] is False and meta["notices"] == [] and meta["n_rows"] == 2


# ------------------------------------------------------------------ CSV flavours
@pytest.mark.parametrize(
    "encoding, sep",
    [("utf-8", ","), ("utf-8-sig", ","), ("latin-1", ","), ("cp1252", ";"), ("utf-8", ";"),
     ("utf-8", "\t"), ("utf-8", "|")],
)
def test_csv_encodings_and_delimiters(tmp_path, encoding, sep):
    path = to_csv(valid_frame(), tmp_path / "s.csv", encoding=encoding, sep=sep)
    df = read_survey(path)
    assert list(df["country"]) == ["MEX", "NAM", "CIV"]
    assert list(df["country_input"]) == ["México", "NA", "Côte d'Ivoire"]
    assert df["inst_name"].iloc[2] == "CNDH Côte d'Ivoire"
    assert df["budget_migration_pct"].tolist() == [12.5, 3, 0]
    raw, meta = read_survey_raw(path)
    assert meta["delimiter"] == sep


def test_decimal_comma_in_semicolon_csv(tmp_path):
    text = (
        "resp_id;inst_id;country;inst_name;staff_total;staff_migration;budget_migration_pct\n"
        "R1;I1;Namibia;Ombudsman;20,5;2;12,5\n"
    )
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    df = read_survey(tmp_path / "s.csv")
    assert df["staff_total"].iloc[0] == 20.5 and df["budget_migration_pct"].iloc[0] == 12.5


def test_namibia_na_survives_csv_and_excel(tmp_path):
    df = valid_frame()
    df["country"] = ["NA", "Namibia", "NAM"]
    for path in (to_csv(df, tmp_path / "s.csv"), tmp_path / "s.xlsx"):
        if path.suffix == ".xlsx":
            df.to_excel(path, index=False)
        out = read_survey(path)
        assert list(out["country"]) == ["NAM", "NAM", "NAM"], path
        assert out["country_input"].iloc[0] == "NA"


def test_blank_and_double_dot_cells_are_missing(tmp_path):
    df = valid_frame()
    df["ch2_complaints_received"] = ["..", "", "35"]
    df["support_needed"] = ["..", " ", "Funding"]
    out = read_survey(to_csv(df, tmp_path / "s.csv"), validate=False)
    assert out["ch2_complaints_received"].isna().tolist() == [True, True, False]
    assert out["support_needed"].isna().tolist() == [True, True, False]


def test_raw_frame_keeps_values_and_spreadsheet_row_numbers(tmp_path):
    df = valid_frame().astype(str)
    df.loc[1, "ch1_complaints_open"] = "maybe"
    raw, meta = read_survey_raw(to_csv(df, tmp_path / "s.csv"))
    assert list(raw.index) == [2, 3, 4] and raw.index.name == "row"
    assert raw.loc[3, "ch1_complaints_open"] == "maybe"
    assert raw.loc[2, "country"] == "México"
    assert raw.attrs["survey"] == meta


# ------------------------------------------------------------------ Excel
def test_excel_prefers_a_sheet_named_data(tmp_path):
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"note": ["read me"]}).to_excel(xl, sheet_name="README", index=False)
        valid_frame().to_excel(xl, sheet_name="Data", index=False)
    df = read_survey(path)
    assert list(df["resp_id"]) == ["R1", "R2", "R3"]
    assert read_survey_raw(path)[1]["sheet"] == "Data"


def test_excel_text_starting_with_equals_stays_text(tmp_path):
    df = read_survey(to_csv(valid_frame(), tmp_path / "s.csv"))
    out = write_survey(df, tmp_path / "s.xlsx")
    assert read_survey(out)["support_needed"].iloc[1] == "=1+1 funding"


# ------------------------------------------------------------------ Kobo exports
KOBO_HEADERS = [
    "start", "end", "today", "_id", "_uuid", "_submission_time", "_index", "__version__",
    "meta/instanceID", "_validation_status",
    "a_profile/resp_id", "a_profile/INST_ID", "Country (name or ISO code)",
    "a_profile/inst_name", "Type of institution",
    "c1_case_handling/ch1_complaints_open",
    "What access does the institution have to places where migrants are detained?",
    "c1_case_handling/sub/ch2_complaints_received",
]
KOBO_ROWS = [
    ["2024-03-01T10:00:00", "2024-03-01T10:30:00", "2024-03-01", "101", "u1", "2024-03-01", "1", "v1",
     "uuid:1", "", "R1", "I1", "Mexico", "CNDH", "Human rights commission",
     "Yes", "Unannounced access to all places of detention", "12"],
    ["2024-03-02T10:00:00", "2024-03-02T10:30:00", "2024-03-02", "102", "u2", "2024-03-02", "2", "v1",
     "uuid:2", "", "R2", "I2", "NA", "Ombudsman", "Ombudsperson",
     "No", "No access to places of immigration detention", "0"],
    ["2024-03-03T10:00:00", "2024-03-03T10:30:00", "2024-03-03", "103", "u3", "2024-03-03", "3", "v1",
     "uuid:3", "", "R3", "I3", "Ghana", "CHRAJ", "Ombudsperson",
     "Don\u2019t know", "Access only with prior notice or permission", "3"],
]


def kobo_frame(multi=("split",)):
    df = pd.DataFrame(KOBO_ROWS, columns=KOBO_HEADERS)
    if "space" in multi:
        df["f_constraints/constraints"] = ["budget mandate", "", "language detention_access"]
    if "split" in multi:
        df["f_constraints/constraints/budget"] = ["True", "", "False"]
        df["f_constraints/constraints/mandate"] = ["1", "", "0"]
        df["f_constraints/constraints/language"] = ["False", "", "True"]
        df["f_constraints/constraints/detention_access"] = ["0", "", "1"]
    if "labels" in multi:
        q = "Which constraints limit the institution's work on migrants' rights? (select all that apply)"
        df[f"{q}/Budget"] = [1, None, 0]
        df[f"{q}/Mandate"] = [1, None, 0]
        df[f"{q}/Language barriers"] = [0, None, 1]
        df[f"{q}/Access to places of detention"] = [0, None, 1]
    return df


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("multi", [("split",), ("space",), ("space", "split"), ("labels",)])
def test_kobo_export(tmp_path, suffix, multi):
    df = kobo_frame(multi)
    path = tmp_path / f"kobo{suffix}"
    if suffix == ".csv":
        to_csv(df, path)
    else:
        df.to_excel(path, index=False, sheet_name="NHRI survey")
    out = read_survey(path)
    assert list(out["resp_id"]) == ["R1", "R2", "R3"]
    assert list(out["inst_id"]) == ["I1", "I2", "I3"]
    assert list(out["country"]) == ["MEX", "NAM", "GHA"]
    assert out["inst_type"].tolist() == [1, 2, 2]
    assert out["ch1_complaints_open"].tolist()[:2] == [1, 0] and pd.isna(out["ch1_complaints_open"].iloc[2])
    assert out["ch4_detention_access"].tolist() == [3, 0, 1]
    assert out["ch2_complaints_received"].tolist() == [12, 0, 3]
    assert out.attrs["survey"]["missing_codes"] == {"ch1_complaints_open": 1}
    assert out["constraints_budget"].tolist()[0::2] == [1, 0]
    assert out["constraints_mandate"].tolist()[0::2] == [1, 0]
    assert out["constraints_language"].tolist()[0::2] == [0, 1]
    assert out["constraints_detention_access"].tolist()[0::2] == [0, 1]
    assert out["constraints_budget"].isna().tolist() == [False, True, False]
    # Kobo bookkeeping columns are dropped silently
    assert not any(c.startswith("_") or c in {"start", "end", "today"} for c in out.columns)
    assert not any("Ignored columns" in n for n in out.attrs["survey"]["notices"])
    raw, meta = read_survey_raw(path)
    assert meta["unknown_columns"] == []
    assert meta["columns"]["ch1_complaints_open"] == "c1_case_handling/ch1_complaints_open"


def test_space_separated_choice_labels(tmp_path):
    df = kobo_frame(())
    df["constraints"] = ["Budget Expertise on migration", "", "Access to places of detention"]
    out = read_survey(to_csv(df, tmp_path / "s.csv"))
    assert out["constraints_expertise"].tolist()[0::2] == [1, 0]
    assert out["constraints_detention_access"].tolist()[0::2] == [0, 1]


def test_unknown_columns_are_dropped_with_a_notice(tmp_path):
    df = valid_frame()
    df["comments"] = ["a", "b", "c"]
    out = read_survey(to_csv(df, tmp_path / "s.csv"))
    assert "comments" not in out.columns
    assert any("comments" in n for n in out.attrs["survey"]["notices"])


# ------------------------------------------------------------------ PII
def test_pii_is_dropped_on_ingest_and_never_written(tmp_path):
    df = valid_frame()
    df["Respondent Name"] = ["Ana Pérez", "John Doe", "Awa K."]
    df["a/respondent_email"] = ["ana@example.org", "", "awa@example.org"]
    df["Respondent phone (contact only; removed before analysis)"] = ["+52 1", "", ""]
    path = to_csv(df, tmp_path / "s.csv")
    out = read_survey(path)
    assert not set(PII) & set(out.columns)
    notice = " ".join(out.attrs["survey"]["notices"])
    assert all(p in notice for p in PII) and "Ana" not in notice
    raw, meta = read_survey_raw(path)
    assert not set(PII) & set(raw.columns) and meta["pii_dropped"] == PII
    assert "Ana" not in repr(raw) and "example.org" not in repr(raw)
    # a frame that still carries PII is written without it
    leaky = out.assign(respondent_name="Ana Pérez", respondent_email="ana@example.org")
    for suffix in (".csv", ".sav", ".dta", ".xlsx", ".parquet"):
        target = write_survey(leaky, tmp_path / f"out{suffix}")
        assert b"example.org" not in target.read_bytes(), suffix
        assert not set(PII) & set(read_survey(target).columns)
    assert "example.org" not in (tmp_path / "out.csv").read_text(encoding="utf-8")


# ------------------------------------------------------------------ SPSS / Stata
def test_spss_file_storing_labels_instead_of_codes(tmp_path):
    df = valid_frame().drop(columns=["survey_date"])
    df["ch1_complaints_open"] = ["Yes", "No", "Don't know"]
    path = tmp_path / "labels.sav"
    pyreadstat.write_sav(df, str(path))
    out = read_survey(path)
    assert out["ch1_complaints_open"].tolist()[:2] == [1, 0]
    assert out.attrs["survey"]["missing_codes"] == {"ch1_complaints_open": 1}


def test_spss_value_labels_of_the_file_are_used(tmp_path):
    df = pd.DataFrame(
        {"resp_id": ["R1", "R2"], "inst_id": ["I1", "I2"], "country": ["DEU", "FRA"],
         "inst_name": ["A", "B"], "inst_type": ["Commission", "Ombud"]}
    )
    path = tmp_path / "own_labels.sav"
    pyreadstat.write_sav(df, str(path))
    # the file's own labels name codes of the codebook differently
    raw, _ = read_survey_raw(path)
    assert raw["inst_type"].tolist() == ["Commission", "Ombud"]
    numeric = df.assign(inst_type=[1.0, 2.0])
    pyreadstat.write_sav(numeric, str(path), variable_value_labels={"inst_type": {1: "Commission", 2: "Ombud"}})
    assert read_survey(path)["inst_type"].tolist() == [1, 2]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_files_carry_labels(tmp_path, survey_csv, suffix):
    df = read_survey(survey_csv)
    path = write_survey(df, tmp_path / f"s{suffix}")
    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    _, meta = reader(str(path), metadataonly=True)
    labels = meta.column_names_to_labels
    assert labels["ch1_complaints_open"].startswith("Can migrants lodge complaints")
    if suffix == ".dta":
        assert max(len(v or "") for v in labels.values()) <= 80
    vl = {float(k): v for k, v in meta.variable_value_labels["ch4_detention_access"].items()}
    assert vl[3.0] == "Unannounced access to all places of detention" and vl[-8.0] == "Don't know"


# ------------------------------------------------------------------ round trip
@pytest.mark.parametrize("suffix", [".sav", ".dta", ".csv", ".xlsx", ".parquet"])
def test_round_trip_gives_identical_frames(tmp_path, survey_csv, suffix):
    first = read_survey(survey_csv)
    path = write_survey(first, tmp_path / f"copy{suffix}")
    again = read_survey(path)
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["survey"]["format"] == suffix[1:]


def test_round_trip_keeps_missing_codes_in_spss(tmp_path):
    df = valid_frame()
    df["ch1_complaints_open"] = [1, -8, -9]
    path = write_survey(df, tmp_path / "codes.sav")
    raw, _ = pyreadstat.read_sav(str(path), user_missing=True)
    assert raw["ch1_complaints_open"].tolist() == [1, -8, -9]
    assert read_survey(path).attrs["survey"]["missing_codes"] == {"ch1_complaints_open": 2}


def test_write_survey_is_atomic_and_rejects_unknown_formats(tmp_path, survey_csv):
    df = read_survey(survey_csv)
    with pytest.raises(OutputFormatError, match=r"\.json"):
        write_survey(df, tmp_path / "s.json")
    write_survey(df, tmp_path / "sub" / "s.csv")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["s.csv"]


# ------------------------------------------------------------------ synthetic flag
@pytest.mark.parametrize("suffix", [".sav", ".dta", ".csv", ".xlsx", ".parquet"])
def test_synthetic_flag_survives_every_format(tmp_path, survey_csv, suffix):
    df = read_survey(survey_csv)
    assert not is_synthetic(df)
    path = write_survey(df, tmp_path / f"synthetic{suffix}", synthetic=True)
    out = read_survey(path)
    assert out.attrs["survey"]["synthetic"] is True and is_synthetic(out)
    assert out["synthetic_data"].tolist() == [1, 1, 1]
    if suffix in {".sav", ".dta"}:
        assert out.attrs["survey"]["file_label"] == SYNTHETIC_FILE_LABEL


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_file_label_alone_marks_synthetic(tmp_path, suffix):
    df = valid_frame().drop(columns=["survey_date"])
    path = tmp_path / f"s{suffix}"
    writer = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
    writer(df, str(path), file_label="Synthetic test data")
    assert read_survey(path).attrs["survey"]["synthetic"] is True


def test_is_synthetic_on_columns_and_scores_frames():
    assert is_synthetic(pd.DataFrame({"synthetic_data": [1, 1]}))
    assert not is_synthetic(pd.DataFrame({"synthetic_data": [1, pd.NA]}))
    scores = pd.DataFrame({"inst_id": ["I1"]})
    scores.attrs["synthetic"] = True
    assert is_synthetic(scores)
    assert not is_synthetic(pd.DataFrame({"inst_id": ["I1"]}))


# ------------------------------------------------------------------ read errors
def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(SurveyReadError, match="not found.*nope.csv|nope.csv.*not found"):
        read_survey(tmp_path / "nope.csv")
    with pytest.raises(SurveyReadError, match="folder"):
        read_survey(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SurveyReadError, match="empty.csv.*empty"):
        read_survey(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("resp_id,inst_id,country,inst_name\n\n", encoding="utf-8")
    with pytest.raises(SurveyReadError, match="header.csv.*no rows"):
        read_survey(tmp_path / "header.csv")
    (tmp_path / "s.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SurveyReadError, match=r"s\.json.*\.sav.*\.dta.*\.csv.*\.xlsx"):
        read_survey(tmp_path / "s.json")
    (tmp_path / "bad.sav").write_bytes(b"not an spss file at all")
    with pytest.raises(SurveyReadError, match="bad.sav"):
        read_survey(tmp_path / "bad.sav")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(SurveyReadError, match="bad.xlsx"):
        read_survey(tmp_path / "bad.xlsx")


def test_invalid_file_raises_validation_error_unless_validate_false(tmp_path):
    df = valid_frame()
    df["ch1_complaints_open"] = [1, 7, "maybe"]
    df["country"] = ["Mexico", "Atlantis", "NA"]
    path = to_csv(df, tmp_path / "s.csv")
    with pytest.raises(SurveyValidationError) as info:
        read_survey(path)
    assert "3 errors" in str(info.value) and "row 3" in str(info.value)
    assert {(p.row, p.column) for p in info.value.problems if p.severity == "error"} == {
        (3, "ch1_complaints_open"), (4, "ch1_complaints_open"), (3, "country")
    }
    out = read_survey(path, validate=False)
    assert out["ch1_complaints_open"].tolist()[0] == 1
    assert out["ch1_complaints_open"].isna().tolist() == [False, False, True]  # 7 is out of range but a number
    assert pd.isna(out["country"].iloc[1]) and out["country_input"].iloc[1] == "Atlantis"
    assert any("could not be read" in n for n in out.attrs["survey"]["notices"])


def test_set_aside_invalid_drops_every_row_of_a_broken_institution(tmp_path):
    df = pd.concat([valid_frame(), valid_frame().iloc[[0]].assign(resp_id="R4")], ignore_index=True)
    df["ch4_detention_access"] = [3, 0, 9, 2]  # row 4 (I3) has an invalid code
    df.loc[3, "inst_id"] = "I3"  # a second respondent of I3, itself valid
    path = to_csv(df, tmp_path / "s.csv")
    with pytest.raises(SurveyValidationError):
        read_survey(path)
    out = read_survey(path, set_aside_invalid=True)
    assert out["inst_id"].tolist() == ["I1", "I2"]
    aside = out.attrs["survey"]["set_aside"]
    assert list(aside) == ["I3"]
    assert aside["I3"]["country"] == "CIV"
    assert len(aside["I3"]["problems"]) == 1 and "row 4" in aside["I3"]["problems"][0]
    assert any("Set aside 1 institution" in n for n in out.attrs["survey"]["notices"])


def test_set_aside_invalid_still_raises_for_file_level_errors(tmp_path):
    path = to_csv(valid_frame().drop(columns=["inst_id"]), tmp_path / "s.csv")
    with pytest.raises(SurveyValidationError, match="inst_id"):
        read_survey(path, set_aside_invalid=True)
