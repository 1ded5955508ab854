"""The questionnaire and the XLSForm are generated from the codebook and read back.

The XLSForm must convert with pyxform without warnings, carry every codebook
question with the right type and choices, and produce the export column names
that :func:`nhri_capacity.survey.xlsform_builder.kobo_export_columns` documents; a simulated
KoboToolbox export of it must come back through ``read_survey``.
"""

import html
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
import yaml

from nhri_capacity import config
from nhri_capacity.errors import NHRICapacityError, SpecError
from nhri_capacity.survey.codebook import load_codebook
from nhri_capacity.survey.instrument import FORM_ID
from nhri_capacity.survey.questionnaire import questionnaire_html, questionnaire_markdown, write_questionnaire
from nhri_capacity.survey.xlsform_builder import kobo_export_columns, write_xlsform, xlsform

NOT_ASKED = {"synthetic_data"}
KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes",
             "_status", "_submitted_by", "__version__", "_tags", "_index"]


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


@pytest.fixture(scope="module")
def sheets():
    return xlsform()


@pytest.fixture(scope="module")
def survey(sheets):
    return sheets["survey"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from pyxform.xls2xform import convert

    path = write_xlsform(tmp_path_factory.mktemp("form") / "nhri_migrant_rights.xlsx")
    return convert(xlsform=path, pretty_print=True)


def _rows(survey):
    """Question rows keyed by name (groups and notes left out)."""
    rows = survey[~survey["type"].isin(["begin_group", "end_group", "note"])]
    return rows.set_index("name")


def _satisfies(constraint, value):
    """Evaluate an XLSForm range constraint such as '(. >= 0 and . <= 5) or . = -8'."""
    expr = re.sub(r"(?<![\w.])\.(?![\w.])", "v", constraint)
    expr = re.sub(r"(?<![<>!=])=(?!=)", "==", expr)
    return eval(expr, {}, {"v": value})  # noqa: S307 - test-only, expression built by us


def _asked(cb):
    return [it for it in cb if it.name not in NOT_ASKED and it.name != cb.id_variable]


# ------------------------------------------------------------------ XLSForm
def test_xlsform_converts_with_pyxform_without_warnings(converted, cb):
    assert converted.warnings == []
    root = ET.fromstring(converted.xform)
    ns = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
    data = root.find("h:head/x:model/x:instance/x:data", ns)
    assert data.get("id") == FORM_ID
    assert data.get("version") == cb.version
    title = root.find("h:head/h:title", ns).text
    assert title == cb.title


def test_xform_instance_paths_are_the_documented_export_columns(converted):
    """The form's data paths are exactly the names kobo_export_columns promises."""
    root = ET.fromstring(converted.xform)
    ns = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
    data = root.find("h:head/x:model/x:instance/x:data", ns)

    def leaves(node, prefix=""):
        for child in node:
            name = child.tag.split("}")[-1]
            path = f"{prefix}{name}"
            if len(child):
                yield from leaves(child, path + "/")
            else:
                yield path

    paths = {p for p in leaves(data) if not p.startswith("meta/")}
    assert paths - {"intro"} == set(kobo_export_columns().values())


def test_export_columns_are_group_prefixed(cb):
    cols = kobo_export_columns()
    assert cols["resp_id"] == "resp_id"
    assert cols["inst_name"] == "a_profile/inst_name"
    assert cols["b1_knowledge_intl"] == "b_knowledge/b1_knowledge_intl"
    assert cols["ch1_complaints_open"] == "c1_case_handling/ch1_complaints_open"
    assert cols["ca1_public_campaigns"] == "c2_campaigns/ca1_public_campaigns"
    assert cols["lr1_laws_reviewed"] == "c3_law_reform/lr1_laws_reviewed"
    assert cols["id1_network_work"] == "c4_international_dialogue/id1_network_work"
    assert cols["al1_government_agreements"] == "c5_alliances/al1_government_agreements"
    assert cols["th1_legal_framework"] == "d_themes/th1_legal_framework"
    assert cols["gp1_title"] == "e_good_practices/gp1_title"
    assert cols["constraints"] == "f_constraints/constraints"
    assert "synthetic_data" not in cols
    split = kobo_export_columns(split_multi_select=True)
    assert "constraints" not in split
    for column, choice in cb.multi_select_columns("constraints").items():
        assert split[column] == f"f_constraints/constraints/{choice}"


def test_every_asked_item_is_in_the_form_once(cb, survey):
    names = survey.loc[~survey["type"].isin(["begin_group", "end_group"]), "name"]
    assert not names.duplicated().any()
    rows = _rows(survey)
    for it in _asked(cb):
        assert it.name in rows.index, it.name
        assert rows.loc[it.name, "label"] == it.question
        assert (rows.loc[it.name, "required"] == "yes") == it.required, it.name
    assert "synthetic_data" not in rows.index
    assert rows.loc["resp_id", "type"] == "calculate"
    assert rows.loc["resp_id", "calculation"] == "once(uuid())"


def test_scored_items_have_the_right_type_and_choices(cb, sheets):
    rows = _rows(sheets["survey"])
    choices = sheets["choices"]
    missing = [str(c) for c in cb.missing_codes]
    for it in cb.scored_items():
        row = rows.loc[it.name]
        if it.choices is not None:
            kind, list_name = row["type"].split()
            assert kind == "select_one", it.name
            listed = choices[choices["list_name"] == list_name]
            assert list(listed["name"]) == [str(c) for c in it.choices] + missing, it.name
            labels = dict(zip(listed["name"], listed["label"], strict=True))
            for code, label in it.choices.items():
                assert labels[str(code)] == label
            for code, label in cb.missing_codes.items():
                assert labels[str(code)] == label
        else:
            expected = "decimal" if it.type == "percent" else "integer"
            assert row["type"] == expected, it.name
            constraint = row["constraint"]
            assert _satisfies(constraint, it.min) and _satisfies(constraint, it.max)
            assert not _satisfies(constraint, it.max + 1)
            assert not _satisfies(constraint, it.min - 1) or it.min - 1 in cb.missing_codes
            for code in cb.missing_codes:
                assert _satisfies(constraint, code), (it.name, code)
            assert row["constraint_message"] and row["hint"]


def test_types_of_the_other_items(cb, survey):
    rows = _rows(survey)
    assert rows.loc["survey_date", "type"] == "date"
    assert rows.loc["survey_date", "default"] == "today()"
    assert rows.loc["constraints", "type"] == "select_multiple constraints"
    assert rows.loc["country", "type"] == "text"
    assert "ISO" in rows.loc["country", "hint"]
    assert "office use" in rows.loc["inst_id", "hint"].lower()
    for name in cb.pii_variables:
        assert rows.loc[name, "type"] == "text"
        assert "removed before analysis" in rows.loc[name, "hint"]
    email = rows.loc["respondent_email", "constraint"]
    assert email.startswith("regex(")
    # Section D is a grid: one screen, answers laid out as a scale.
    assert survey.set_index("name").loc["d_themes"].query("type == 'begin_group'")[
        "appearance"
    ].item() == "field-list"
    assert set(rows.loc[[it.name for it in cb.theme_items()], "appearance"]) == {"likert"}


def test_every_referenced_choice_list_exists_and_names_are_valid(sheets):
    survey, choices = sheets["survey"], sheets["choices"]
    referenced = {t.split()[1] for t in survey["type"] if t.startswith("select_")}
    defined = set(choices["list_name"])
    assert referenced <= defined
    assert defined <= referenced, "unused choice lists clutter the form"
    for name in defined:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), name
    assert not choices.duplicated(["list_name", "name"]).any()
    multi = choices[choices["list_name"] == "constraints"]
    assert not multi["name"].str.contains(" ").any()
    assert not multi["name"].str.startswith("-").any(), "no missing codes in a select_multiple"


def test_profile_and_good_practice_lists_offer_no_missing_codes(sheets):
    rows = _rows(sheets["survey"])
    choices = sheets["choices"]
    for name in ["accreditation", "gp1_consent"]:
        list_name = rows.loc[name, "type"].split()[1]
        assert not choices.loc[choices["list_name"] == list_name, "name"].str.startswith("-").any()
    # ...while the yes/no questions of section C keep them.
    yes_no = rows.loc["ch1_complaints_open", "type"].split()[1]
    assert "-8" in set(choices.loc[choices["list_name"] == yes_no, "name"])


def test_good_practice_details_show_only_when_titled(survey):
    rows = _rows(survey)
    for n in (1, 2, 3):
        for part in ["description", "theme", "capacity", "year", "consent"]:
            assert rows.loc[f"gp{n}_{part}", "relevant"] == f"string-length(${{gp{n}_title}}) > 0"
    assert rows.loc["gp1_title", "relevant"] == ""
    assert rows.loc["gp2_title", "relevant"] == "string-length(${gp1_title}) > 0"


def test_groups_are_balanced_and_settings_complete(sheets, cb):
    survey = sheets["survey"]
    depth = 0
    for t in survey["type"]:
        depth += t == "begin_group"
        depth -= t == "end_group"
        assert depth in (0, 1), "groups are not nested"
    assert depth == 0
    settings = sheets["settings"].iloc[0]
    assert settings["form_id"] == FORM_ID
    assert settings["version"] == cb.version
    assert settings["form_title"] == cb.title
    assert settings["default_language"] == "English"


def test_write_xlsform_is_atomic_and_checks_the_suffix(tmp_path):
    out = write_xlsform(tmp_path / "sub" / "form.xlsx")
    assert out.exists()
    assert [p.name for p in out.parent.iterdir()] == ["form.xlsx"]
    back = pd.read_excel(out, sheet_name=None, dtype=str)
    assert set(back) == {"survey", "choices", "settings"}
    # Numeric choice names survive Excel as text.
    assert "-8" in set(back["choices"]["name"])
    with pytest.raises(NHRICapacityError, match=r"\.xlsx"):
        write_xlsform(tmp_path / "form.csv")


def test_invalid_choice_list_name_is_a_spec_error(tmp_path, cb):
    raw = yaml.safe_load((config.RESOURCES_DIR / "codebook.yaml").read_text(encoding="utf-8"))
    raw["choice_lists"]["2bad list"] = raw["choice_lists"].pop("plan3")
    for entry in raw["items"]:
        if entry.get("choices") == "plan3":
            entry["choices"] = "2bad list"
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError, match="not a valid XLSForm list name"):
        xlsform(codebook=load_codebook(path))


# ---------------------------------------------------- printable questionnaire
@pytest.fixture(scope="module")
def md(cb):
    return questionnaire_markdown(codebook=cb)


@pytest.fixture(scope="module")
def page(cb):
    return questionnaire_html(codebook=cb)


def test_markdown_has_every_question_and_code(cb, md):
    assert md.startswith(f"# {cb.title}")
    assert f"version {cb.version}" in md
    assert "removed before analysis" in md
    assert "For office use" in md and "inst_id" in md
    for it in cb:
        if it.section in "BCDEF":
            assert it.question in md, it.name
        if it.choices is not None and it.section in "BCDEF":
            for code in it.choices:
                assert f"`{code}`" in md, (it.name, code)
    for code, label in cb.missing_codes.items():
        assert f"`{code}` {label}" in md
    assert "synthetic_data" not in md and "Dataset flag" not in md
    assert "resp_id" not in md
    # Numbered questions, themes as one grid row each, three good-practice blocks.
    assert "**C1.1.**" in md and "**F1.**" in md
    assert sum(line.startswith("| **D") for line in md.splitlines()) == 9
    assert all(f"### Good practice {n}" in md for n in (1, 2, 3))
    assert "(0 to 100000)" in md


def test_html_has_every_question_and_code(cb, page):
    assert page.startswith("<!DOCTYPE html>")
    for it in cb:
        if it.section in "BCDEF":
            assert html.escape(it.question).replace("&#x27;", "&#39;") in page, it.name
        if it.choices is not None and it.section in "BCDEF":
            for code in it.choices:
                assert f'<span class="code">{code}</span>' in page, (it.name, code)
    assert page.count('<table class="grid">') == 1
    assert "synthetic_data" not in page
    assert "resp_id" not in page


def test_html_is_self_contained_and_prints_on_a4(page):
    assert "size: A4" in page and "@page" in page
    assert not any(mark in page for mark in ("{{", "{%", "{#"))  # the template rendered whole
    assert "<script" not in page
    assert "<link" not in page and "src=" not in page and "http" not in page.split("</style>")[0]


def test_text_from_the_codebook_is_escaped(tmp_path):
    raw = yaml.safe_load((config.RESOURCES_DIR / "codebook.yaml").read_text(encoding="utf-8"))
    for entry in raw["items"]:
        if entry["name"] == "ch1_complaints_open":
            entry["question"] = "Can <script>alert('x')</script> & *migrants* complain?"
    raw["choice_lists"]["activity4"][3] = "Core <b>programme</b>"
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    cb = load_codebook(path)

    page = questionnaire_html(codebook=cb)
    assert "<script>" not in page and "<b>programme" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; *migrants*" in page
    assert "Core &lt;b&gt;programme&lt;/b&gt;" in page

    md = questionnaire_markdown(codebook=cb)
    assert "<script>" not in md
    assert r"\<script\>alert('x')\</script\> & \*migrants\*" in md

    # The XLSForm keeps the text as it is: pyxform escapes it in the XForm.
    rows = _rows(xlsform(codebook=cb)["survey"])
    assert rows.loc["ch1_complaints_open", "label"].startswith("Can <script>")


def test_a_codebook_path_is_as_good_as_the_codebook(cb, md, page):
    path = config.RESOURCES_DIR / "codebook.yaml"
    assert questionnaire_markdown(codebook=path) == md
    assert questionnaire_html(codebook=str(path)) == page
    for name, sheet in xlsform(codebook=path).items():
        pd.testing.assert_frame_equal(sheet, xlsform(codebook=cb)[name], obj=name)


def test_write_questionnaire_picks_the_format_from_the_suffix(tmp_path):
    md_path = write_questionnaire(tmp_path / "q.md")
    html_path = write_questionnaire(tmp_path / "q.html")
    assert md_path.read_text(encoding="utf-8").startswith("# ")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.html", "q.md"]
    with pytest.raises(NHRICapacityError, match=r"\.md .*\.html"):
        write_questionnaire(tmp_path / "q.txt")


# ------------------------------------------------------------- round trip
COUNTRIES = ["Kenya", "MEX", "Germany"]
ISO3 = ["KEN", "MEX", "DEU"]
# (row, variable) -> missing-data code answered
MISSING = {(1, "ch2_complaints_received"): -8, (1, "ch3_interpretation"): -7,
           (1, "al2_civil_society"): -9, (2, "lr3_share_accepted"): -8}
SELECTED = [["budget", "mandate"], ["data"], ["language", "staff_safety", "budget"]]
GOOD_PRACTICES = [3, 1, 0]  # blocks filled in on each row


def _responses(cb):
    """Three plausible submissions as {variable: answer}; None = not shown/blank."""
    out = []
    for r in range(3):
        row = {"resp_id": f"uuid:0000000{r}-aaaa-bbbb-cccc-000000000000"}
        for i, it in enumerate(_asked(cb)):
            gp = re.match(r"gp(\d)_", it.name)
            if gp and int(gp.group(1)) > GOOD_PRACTICES[r]:
                row[it.name] = None
            elif (r, it.name) in MISSING:
                row[it.name] = MISSING[(r, it.name)]
            elif it.name == cb.country_variable:
                row[it.name] = COUNTRIES[r]
            elif it.name == cb.institution_variable:
                row[it.name] = f"NHRI-{r + 1:03d}"
            elif it.type == "multi_select":
                row[it.name] = SELECTED[r]
            elif it.choices is not None:
                codes = sorted(it.choices)
                row[it.name] = codes[(r + i) % len(codes)]
            elif it.type == "percent":
                row[it.name] = 20.5 + 10 * r
            elif it.type in {"count", "integer"}:
                row[it.name] = int(it.min) + 2 + r
            elif it.type == "date":
                row[it.name] = f"2024-03-1{r}"
            elif it.name == "respondent_email":
                row[it.name] = f"person{r}@example.org"
            elif it.name == "respondent_phone":
                row[it.name] = f"+254 20 123456{r}"
            else:
                row[it.name] = f"{it.name} answer {r}"
        # Staff on migration cannot exceed total staff.
        row["staff_total"], row["staff_migration"] = 40 + r, 4 + r
        out.append(row)
    return out


def _kobo_values_export(cb, responses, *, split):
    """A KoboToolbox 'XML values and headers' export, groups in headers."""
    cols = kobo_export_columns(codebook=cb)
    records = []
    for row in responses:
        rec = {}
        for name, column in cols.items():
            value = row[name]
            if cb[name].type == "multi_select":
                rec[column] = " ".join(value)
                if split:
                    for choice in cb[name].choices:
                        rec[f"{column}/{choice}"] = int(choice in value)
            else:
                rec[column] = value
        rec.update({m: "" for m in KOBO_META})
        rec["_uuid"] = row["resp_id"].removeprefix("uuid:")
        records.append(rec)
    return pd.DataFrame(records)


def _kobo_labels_export(cb, responses):
    """A 'Labels' export: question texts as headers, choice labels as values."""
    records = []
    for row in responses:
        rec = {}
        for name in kobo_export_columns(codebook=cb):
            it = cb[name] if name != cb.id_variable else None
            value = row[name]
            if it is None:
                rec[name] = value  # a calculate has no label: Kobo uses its name
            elif it.type == "multi_select":
                for choice, label in it.choices.items():
                    rec[f"{it.question}/{label}"] = int(choice in value)
            elif it.choices is not None and value is not None:
                rec[it.question] = cb.value_labels(name)[value]
            else:
                rec[it.question] = value
        records.append(rec)
    return pd.DataFrame(records)


def _check_read_back(cb, df, responses):
    assert len(df) == len(responses)
    assert df.attrs["survey"]["synthetic"] is False
    if "synthetic_data" in df.columns:  # the form has no such question
        assert df["synthetic_data"].isna().all()
    for name in cb.pii_variables:
        assert name not in df.columns
    assert list(df[cb.country_variable]) == ISO3
    assert list(df[cb.institution_variable]) == [r["inst_id"] for r in responses]
    for r, row in enumerate(responses):
        for it in _asked(cb):
            if it.type == "pii":
                continue
            expected = row[it.name]
            if it.type == "multi_select":
                for column, choice in cb.multi_select_columns(it.name).items():
                    assert df.loc[r, column] == int(choice in expected), (r, column)
            elif it.is_numeric:
                got = df.loc[r, it.name]
                if expected is None or cb.is_missing_code(expected):
                    assert pd.isna(got), (r, it.name, got)
                else:
                    assert float(got) == pytest.approx(float(expected)), (r, it.name)
            elif it.type == "date":
                assert pd.Timestamp(df.loc[r, it.name]) == pd.Timestamp(expected)
            elif it.name not in {cb.country_variable}:
                got = df.loc[r, it.name]
                assert (pd.isna(got) if expected is None else got == expected), (r, it.name, got)
    counts = df.attrs["survey"]["missing_codes"]
    assert counts.get("ch2_complaints_received") == 1
    assert counts.get("lr3_share_accepted") == 1


@pytest.mark.parametrize("fmt,split", [("csv", False), ("xlsx", True)])
def test_kobo_values_export_reads_back(tmp_path, cb, fmt, split):
    from nhri_capacity.survey.readers import read_survey

    responses = _responses(cb)
    export = _kobo_values_export(cb, responses, split=split)
    assert "c1_case_handling/ch1_complaints_open" in export.columns
    path = tmp_path / f"kobo_export.{fmt}"
    if fmt == "csv":
        export.to_csv(path, index=False)
    else:
        export.to_excel(path, index=False)
    df = read_survey(path)
    _check_read_back(cb, df, responses)


def test_kobo_labels_export_reads_back(tmp_path, cb):
    from nhri_capacity.survey.readers import read_survey

    responses = _responses(cb)
    export = _kobo_labels_export(cb, responses)
    assert cb["ch1_complaints_open"].question in export.columns
    path = tmp_path / "kobo_labels.xlsx"
    export.to_excel(path, index=False)
    df = read_survey(path)
    _check_read_back(cb, df, responses)
