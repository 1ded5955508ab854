"""The survey instrument, generated from the codebook.

Two products come out of :mod:`nhri_capacity.survey.codebook`, so that the questions
respondents see and the variables the toolkit reads can never drift apart:

* a printable questionnaire (:func:`questionnaire_markdown`,
  :func:`questionnaire_html`, :func:`write_questionnaire`) for filling in on
  paper or sending as a document;
* an XLSForm (:func:`xlsform`, :func:`write_xlsform`) for KoboToolbox, ODK or
  Enketo, whose exports :func:`nhri_capacity.survey.readers.read_survey` reads back.

Nothing here is hand-maintained except the introduction text and a few
presentation rules; question texts, codes, ranges and hints all come from the
codebook.

XLSForm export column names
---------------------------
Every section is one group and section C has one group per dimension; groups
are not nested. With KoboToolbox's default export ("XML values and headers",
group names included, ``/`` as separator) the columns are therefore
``<group>/<variable>``, e.g. ``a_profile/inst_name``,
``c1_case_handling/ch1_complaints_open``, ``d_themes/th1_legal_framework``.
The exceptions:

* ``resp_id`` is a top-level ``calculate`` (``once(uuid())``): column ``resp_id``;
* the multi-select ``constraints`` is exported as ``f_constraints/constraints``
  (space-separated choice names) and, when select-multiples are split, as one
  0/1 column per choice, ``f_constraints/constraints/budget`` and so on.

:func:`kobo_export_columns` returns this mapping. Coded answers are stored
under their numeric codes (choice names ``"0"``, ``"1"``, ``"-8"``...), so a
"XML values" export needs no recoding. Counts and percentages take the
missing-data codes (-7, -8, -9) typed in as numbers. Question labels are the
codebook question texts verbatim (numbers such as "C1.1" appear only on
paper), so that a "Labels" export maps back onto the variables too. The
``synthetic_data`` flag is not part of the form: real responses simply lack
it. The ``intro`` note holds no data; exports that keep it get an empty
``intro`` column, which the readers ignore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..common.io import atomic_path, atomic_write_text
from .codebook import Codebook, Item, load_codebook
from ..errors import OutputFormatError, SpecError

__all__ = [
    "FORM_ID",
    "SECTION_GROUPS",
    "questionnaire_markdown",
    "questionnaire_html",
    "write_questionnaire",
    "xlsform",
    "write_xlsform",
    "kobo_export_columns",
    "form_group",
]

#: ``form_id`` of the XLSForm (KoboToolbox and ODK key submissions on it).
FORM_ID = "nhri_migrant_rights"

#: XLSForm group name of each unscored section; section C gets one group per
#: dimension, ``c<i>_<dimension>`` (see :func:`form_group`).
SECTION_GROUPS = {
    "A": "a_profile",
    "B": "b_knowledge",
    "D": "d_themes",
    "E": "e_good_practices",
    "F": "f_constraints",
}

# A dataset flag set by the synthetic-sample generator; nobody is asked it.
_NOT_ASKED = frozenset({"synthetic_data"})

# Sections whose coded questions get no missing-data options (see _missing_choices).
_NO_MISSING_FOR_CODED = frozenset({"A", "E"})

# Filled in with today's date when the form opens; the respondent can change it.
_DEFAULT_TODAY = frozenset({"survey_date"})

_GOOD_PRACTICE = re.compile(r"^(gp\d+)_(\w+)$")
_LIST_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BOX = "\u2610"  # BALLOT BOX, prints as an empty tick box

_SURVEY_COLUMNS = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "default",
    "calculation",
]


# --------------------------------------------------------------------- helpers
def _codebook(codebook) -> Codebook:
    return load_codebook() if codebook is None else codebook


def _num(value) -> str:
    """``1900.0`` -> ``'1900'``; keep decimals only when there are some."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _is_select_one(item: Item) -> bool:
    return item.choices is not None and item.type != "multi_select"


def _is_number(item: Item) -> bool:
    return item.is_numeric and item.choices is None


def _asked(codebook: Codebook) -> list[Item]:
    """Items a respondent answers (no dataset flag, no generated respondent id)."""
    return [
        it
        for it in codebook
        if it.name not in _NOT_ASKED and it.name != codebook.id_variable
    ]


def _missing_choices(codebook: Codebook, item: Item) -> list[tuple[str, str]]:
    """Missing-data codes offered for *item*.

    Offered for every figure (count, percentage, year) and for the coded
    questions of the substantive sections. Not for the coded questions of the
    profile and good-practice sections: their lists are already exhaustive
    (``Other``, ``Unknown``) and "Don't know" beside "Unknown" only confuses.
    """
    if not item.is_numeric:
        return []
    if _is_select_one(item) and item.section in _NO_MISSING_FOR_CODED:
        return []
    return [(str(code), label) for code, label in codebook.missing_codes.items()]


def _missing_phrase(codebook: Codebook) -> str:
    return ", ".join(f"{code} = {label}" for code, label in codebook.missing_codes.items())


def _range_text(item: Item) -> str:
    lo, hi = _num(item.min), _num(item.max)
    if item.type == "percent":
        return f"{lo} to {hi} %"
    return f"{lo} to {hi}"


def form_group(codebook: Codebook, item: Item) -> str:
    """XLSForm group name holding *item* (the prefix of its export column).

    Parameters
    ----------
    codebook : Codebook
    item : Item

    Returns
    -------
    str
        ``a_profile`` ... ``f_constraints``, or ``c<i>_<dimension>`` in section C.

    Examples
    --------
    >>> from nhri_capacity import load_codebook
    >>> cb = load_codebook()
    >>> form_group(cb, cb["ch1_complaints_open"]), form_group(cb, cb["th1_legal_framework"])
    ('c1_case_handling', 'd_themes')
    """
    if item.section == "C" and item.dimension in codebook.dimensions:
        index = list(codebook.dimensions).index(item.dimension) + 1
        return f"c{index}_{item.dimension}"
    if item.section in SECTION_GROUPS:
        return SECTION_GROUPS[item.section]
    # A section added to the codebook later: letter plus its title, XML-safe.
    title = codebook.sections.get(item.section, {}).get("title", "")
    slug = re.sub(r"[^a-z0-9]+", "_", str(title).lower()).strip("_")[:24]
    return f"{item.section.lower()}_{slug or 'section'}"


def _choice_list_key(codebook: Codebook, item: Item) -> str:
    """Name of the codebook choice list behind *item* (items keep only the dict)."""
    for key, choices in codebook.choice_lists.items():
        if dict(choices) == item.choices:
            return str(key)
    return f"{item.name}_choices"


def _list_names(codebook: Codebook) -> dict[str, str]:
    """XLSForm list name for every select item.

    A codebook list becomes one XLSForm list per way it is offered: with the
    missing-data codes (named as in the codebook), without them
    (``<list>_nomissing``) and as a select_multiple (``<list>_multi``). The
    suffixes appear only when a list is used in more than one way.
    """
    usage: dict[tuple, str] = {}
    for it in _asked(codebook):
        if it.choices is None:
            continue
        key = _choice_list_key(codebook, it)
        if not _LIST_NAME.match(key):
            raise SpecError(
                f"Choice list {key!r} (item {it.name!r}) is not a valid XLSForm list name: "
                "use letters, digits and '_', starting with a letter."
            )
        if it.type == "multi_select":
            variant = "multi"
        else:
            variant = "missing" if _missing_choices(codebook, it) else "nomissing"
        usage[it.name] = (key, variant)
    variants: dict[str, set] = {}
    for key, variant in usage.values():
        variants.setdefault(key, set()).add(variant)
    names = {}
    for name, (key, variant) in usage.items():
        plain = len(variants[key]) == 1 or variant == "missing"
        names[name] = key if plain else f"{key}_{variant}"
    return names


# ------------------------------------------------------------------ XLSForm
def xlsform(*, codebook=None) -> dict[str, pd.DataFrame]:
    """Build the XLSForm (KoboToolbox / ODK) of the questionnaire.

    Parameters
    ----------
    codebook : Codebook, optional
        Defaults to the bundled codebook.

    Returns
    -------
    dict of str to pandas.DataFrame
        Sheets ``survey``, ``choices`` and ``settings``, all cells strings
        (``""`` when empty). Coded questions are ``select_one`` with the
        numeric codes as choice names, missing-data codes included; counts
        are ``integer`` and percentages ``decimal`` with range constraints
        that also accept the missing-data codes.

    Raises
    ------
    SpecError
        If a choice list name or a multi-select choice name cannot be used in
        an XLSForm.

    Examples
    --------
    >>> sheets = xlsform()
    >>> survey = sheets["survey"].set_index("name")
    >>> survey.loc["ch1_complaints_open", "type"]
    'select_one yesno'
    >>> survey.loc["lr3_share_accepted", "constraint"]
    '(. >= 0 and . <= 100) or . = -7 or . = -8 or . = -9'
    >>> sheets["settings"].loc[0, "form_id"]
    'nhri_migrant_rights'
    """
    cb = _codebook(codebook)
    list_names = _list_names(cb)
    rows: list[dict] = []
    if cb.id_variable in cb:
        # once(): ODK recalculates on every edit, and the id must not change.
        rows.append({"type": "calculate", "name": cb.id_variable, "calculation": "once(uuid())"})
    rows.append({"type": "note", "name": "intro", "label": " ".join(_intro_paragraphs(cb))})
    group = None
    for item in _asked(cb):
        name = form_group(cb, item)
        if name != group:
            if group is not None:
                rows.append({"type": "end_group", "name": group})
            rows.append(_begin_group(cb, item, name))
            group = name
        rows.append(_survey_row(cb, item, list_names))
    if group is not None:
        rows.append({"type": "end_group", "name": group})
    survey = pd.DataFrame(rows, columns=_SURVEY_COLUMNS).fillna("").astype(str)

    choices = pd.DataFrame(_choice_rows(cb, list_names), columns=["list_name", "name", "label"])
    settings = pd.DataFrame(
        [
            {
                "form_title": cb.title,
                "form_id": FORM_ID,
                "version": cb.version,
                "default_language": "English",
            }
        ]
    ).astype(str)
    return {"survey": survey, "choices": choices.astype(str), "settings": settings}


def _begin_group(cb: Codebook, item: Item, name: str) -> dict:
    title = cb.sections.get(item.section, {}).get("title", item.section)
    row = {"type": "begin_group", "name": name, "label": f"{item.section}. {title}"}
    if item.section == "C" and item.dimension in cb.dimensions:
        index = list(cb.dimensions).index(item.dimension) + 1
        label = cb.dimensions[item.dimension].get("label", item.dimension)
        row["label"] = f"C{index}. {title}: {label}"
    if item.section == "D":
        # One screen for the nine themes, answered as rows of a grid.
        row["appearance"] = "field-list"
    return row


def _survey_row(cb: Codebook, item: Item, list_names: dict) -> dict:
    row = {"name": item.name, "label": item.question, "hint": item.hint or ""}
    if item.required:
        row["required"] = "yes"
        row["required_message"] = f"{item.question}: an answer is required."
    missing = " or ".join(f". = {code}" for code in cb.missing_codes)

    if item.type == "multi_select":
        row["type"] = f"select_multiple {list_names[item.name]}"
        row["hint"] = row["hint"] or "Select all that apply."
    elif _is_select_one(item):
        row["type"] = f"select_one {list_names[item.name]}"
        if item.section == "D":
            row["appearance"] = "likert"
    elif _is_number(item):
        whole = item.type != "percent"
        row["type"] = "integer" if whole else "decimal"
        lo, hi = _num(item.min), _num(item.max)
        row["constraint"] = f"(. >= {lo} and . <= {hi})" + (f" or {missing}" if missing else "")
        kind = "a whole number" if whole else "a number"
        row["constraint_message"] = (
            f"Enter {kind} from {lo} to {hi}, or a code: {_missing_phrase(cb)}."
        )
        row["hint"] = row["hint"] or (
            f"{'Whole number' if whole else 'Number'} from {lo} to {hi}. "
            f"If you cannot give a figure, enter {_missing_phrase(cb)}."
        )
    elif item.type == "date":
        row["type"] = "date"
        if item.name in _DEFAULT_TODAY:
            row["default"] = "today()"
    elif item.type == "pii":
        row["type"] = "text"
        row["hint"] = row["hint"] or "Contact details are removed before analysis."
        if "email" in item.name:
            row["constraint"] = r"regex(., '^[^@\s]+@[^@\s]+\.[^@\s]+$')"
            row["constraint_message"] = "Enter an email address such as name@example.org."
        elif "phone" in item.name:
            row["constraint"] = r"regex(., '^[+0-9 ().\-]{6,25}$')"
            row["constraint_message"] = "Enter a phone number with country code, e.g. +254 20 1234567."
    else:  # text
        row["type"] = "text"
        if item.name == cb.institution_variable:
            row["hint"] = row["hint"] or (
                "For office use: the identifier given by the survey organiser in your invitation. "
                "If you have none, ask the organiser."
            )
        elif item.name == cb.country_variable:
            row["hint"] = row["hint"] or "Country name or ISO code, e.g. Kenya or KEN."
        elif _long_text(item):
            row["appearance"] = "multiline"

    relevant = _relevance(cb, item)
    if relevant:
        row["relevant"] = relevant
    return row


def _long_text(item: Item) -> bool:
    return item.type == "text" and item.section != "A" and not item.name.endswith("_title")


def _relevance(cb: Codebook, item: Item) -> str:
    """Good-practice details show once their title is filled in.

    The next good practice's title shows once the previous one has a title,
    so a respondent with one practice does not scroll past two empty blocks.
    """
    match = _GOOD_PRACTICE.match(item.name)
    if item.section != "E" or not match:
        return ""
    prefix, part = match.groups()
    if part != "title":
        title = f"{prefix}_title"
        return f"string-length(${{{title}}}) > 0" if title in cb else ""
    number = int(prefix[2:])
    previous = f"gp{number - 1}_title"
    return f"string-length(${{{previous}}}) > 0" if previous in cb else ""


def _choice_rows(cb: Codebook, list_names: dict) -> list[dict]:
    rows, done = [], set()
    for item in _asked(cb):
        list_name = list_names.get(item.name)
        if list_name is None or list_name in done:
            continue
        done.add(list_name)
        for code, label in item.choices.items():
            code = str(code)
            if item.type == "multi_select" and (" " in code or not code):
                raise SpecError(
                    f"Choice {code!r} of list {list_name!r} (item {item.name!r}) cannot be a "
                    "select_multiple choice name: remove the spaces."
                )
            rows.append({"list_name": list_name, "name": code, "label": str(label)})
        for code, label in _missing_choices(cb, item):
            rows.append({"list_name": list_name, "name": code, "label": label})
    return rows


def write_xlsform(path, *, codebook=None) -> Path:
    """Write the XLSForm to an ``.xlsx`` file, atomically.

    Upload the file to KoboToolbox ("Upload an XLSForm") or convert it with
    ``xls2xform`` for ODK Central.

    Parameters
    ----------
    path : str or Path
        Target file; must end in ``.xlsx``.
    codebook : Codebook, optional
        Defaults to the bundled codebook.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    OutputFormatError
        If *path* does not end in ``.xlsx``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_xlsform(pathlib.Path(tempfile.mkdtemp()) / "form.xlsx")
    >>> out.suffix
    '.xlsx'
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise OutputFormatError(
            f"Cannot write an XLSForm to {path}: the file name must end in .xlsx."
        )
    sheets = xlsform(codebook=codebook)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                # Blank cells, not empty strings, so that form builders see them as empty.
                frame.where(frame != "", None).to_excel(writer, sheet_name=name, index=False)
                sheet = writer.sheets[name]
                for column in sheet.columns:
                    width = max(len(str(c.value or "")) for c in column)
                    sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 60) + 2
                sheet.freeze_panes = "A2"
    return path


def kobo_export_columns(*, codebook=None, split_multi_select=False) -> dict[str, str]:
    """Map each variable to its column name in a KoboToolbox export of the form.

    Assumes the default KoboToolbox export: "XML values and headers", group
    names included, ``/`` as group separator.

    Parameters
    ----------
    codebook : Codebook, optional
        Defaults to the bundled codebook.
    split_multi_select : bool, default False
        If False, a multi-select item maps to its single space-separated
        column (``constraints`` -> ``f_constraints/constraints``). If True,
        its 0/1 data columns map to Kobo's split columns
        (``constraints_budget`` -> ``f_constraints/constraints/budget``).

    Returns
    -------
    dict of str to str
        Variable (or data column) name -> export column name, in form order.
        Personal-data items are included (they are in the export);
        ``synthetic_data`` is not (it is not in the form).

    Examples
    --------
    >>> cols = kobo_export_columns()
    >>> cols["resp_id"], cols["ch1_complaints_open"]
    ('resp_id', 'c1_case_handling/ch1_complaints_open')
    >>> kobo_export_columns(split_multi_select=True)["constraints_budget"]
    'f_constraints/constraints/budget'
    """
    cb = _codebook(codebook)
    out = {cb.id_variable: cb.id_variable} if cb.id_variable in cb else {}
    for item in _asked(cb):
        column = f"{form_group(cb, item)}/{item.name}"
        if item.type == "multi_select" and split_multi_select:
            for data_column, choice in cb.multi_select_columns(item.name).items():
                out[data_column] = f"{column}/{choice}"
        else:
            out[item.name] = column
    return out


# -------------------------------------------------- printable questionnaire
@dataclass
class _Question:
    number: str
    item: Item
    kind: str  # choice | multi | number | text | longtext | date
    options: list = field(default_factory=list)  # (code, label)
    missing: list = field(default_factory=list)  # (code, label)
    range_text: str = ""
    hint: str = ""


@dataclass
class _Block:
    kind: str  # heading | note | question | grid
    text: str = ""
    question: _Question | None = None
    rows: list = field(default_factory=list)  # grid rows (_Question)
    columns: list = field(default_factory=list)  # grid columns (code, label)


@dataclass
class _Section:
    letter: str
    title: str
    blocks: list


def _intro_paragraphs(cb: Codebook) -> list[str]:
    labels = [str(d.get("label", key)).lower() for key, d in cb.dimensions.items()]
    capacities = ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else "".join(labels)
    return [
        "This questionnaire asks National Human Rights Institutions (NHRIs) about their "
        f"capacity to protect the rights of migrants: {capacities}, the migration themes "
        "they work on, good practices and the constraints they face. The answers are used "
        "to produce capacity profiles and country briefs that help institutions and their "
        "partners plan support.",
        "Please answer for the institution as a whole. Your contact details are used only "
        "to follow up on your answers: they are removed before analysis and never published. "
        "Good practices are published with the institution's name only if you agree.",
    ]


def _instructions(cb: Codebook) -> list[str]:
    named = [f"{label} ({code})" for code, label in cb.missing_codes.items()]
    codes = ", ".join(named[:-1]) + f" or {named[-1]}" if len(named) > 1 else "".join(named)
    return [
        f"Tick one box ({_BOX}) per question unless the question says to select all that apply. "
        "The numbers beside the boxes are codes for data entry.",
        f"If you cannot answer a question, tick {codes}; for questions asking for a number, "
        "write the figure or tick one of these boxes.",
    ]


def _question(cb: Codebook, item: Item, number: str) -> _Question:
    q = _Question(number=number, item=item, kind="text", hint=item.hint or "")
    q.missing = _missing_choices(cb, item)
    if item.type == "multi_select":
        q.kind = "multi"
        q.options = [(str(code), str(label)) for code, label in item.choices.items()]
    elif _is_select_one(item):
        q.kind = "choice"
        q.options = [(str(code), str(label)) for code, label in item.choices.items()]
    elif _is_number(item):
        q.kind = "number"
        q.range_text = _range_text(item)
    elif item.type == "date":
        q.kind = "date"
    elif _long_text(item):
        q.kind = "longtext"
    return q


def _document(cb: Codebook) -> list[_Section]:
    """The questionnaire laid out once, rendered by both Markdown and HTML."""
    sections = []
    office = {cb.institution_variable}  # assigned by the survey organiser
    for letter, meta in cb.sections.items():
        items = [it for it in _asked(cb) if it.section == letter and it.name not in office]
        if not items:
            continue
        blocks: list[_Block] = []
        if letter == "C":
            for index, (dim, dmeta) in enumerate(cb.dimensions.items(), start=1):
                dim_items = [it for it in items if it.dimension == dim]
                if not dim_items:
                    continue
                blocks.append(_Block("heading", text=f"C{index}. {dmeta.get('label', dim)}"))
                for k, it in enumerate(dim_items, start=1):
                    blocks.append(_Block("question", question=_question(cb, it, f"C{index}.{k}")))
            # Unscored section-C items (none today) follow the dimensions.
            rest = [it for it in items if it.dimension not in cb.dimensions]
            for k, it in enumerate(rest, start=len(cb.dimensions) + 1):
                blocks.append(_Block("question", question=_question(cb, it, f"C{k}")))
        elif letter == "D" and all(_is_select_one(it) for it in items) and len(
            {tuple(it.choices.items()) for it in items}
        ) == 1:
            rows = [_question(cb, it, f"D{k}") for k, it in enumerate(items, start=1)]
            blocks.append(
                _Block(
                    "note",
                    text="For each theme, tick one box for the institution's level of activity.",
                )
            )
            blocks.append(
                _Block("grid", rows=rows, columns=rows[0].options + rows[0].missing)
            )
        elif letter == "E" and all(_GOOD_PRACTICE.match(it.name) for it in items):
            practices: dict[str, list[Item]] = {}
            for it in items:
                practices.setdefault(_GOOD_PRACTICE.match(it.name).group(1), []).append(it)
            blocks.append(
                _Block(
                    "note",
                    text="Describe up to three good practices of the institution on migrants' "
                    "rights. Leave a block empty if you have fewer.",
                )
            )
            for index, (prefix, gp_items) in enumerate(practices.items(), start=1):
                blocks.append(_Block("heading", text=f"Good practice {prefix[2:]}"))
                for k, it in enumerate(gp_items, start=1):
                    blocks.append(_Block("question", question=_question(cb, it, f"E{index}.{k}")))
        else:
            number = 0
            for it in items:
                if it.type == "pii" and not any(
                    b.kind == "heading" for b in blocks
                ):
                    blocks.append(
                        _Block(
                            "heading",
                            text="Contact details (used only to follow up; removed before analysis)",
                        )
                    )
                number += 1
                blocks.append(_Block("question", question=_question(cb, it, f"{letter}{number}")))
        sections.append(_Section(letter, str(meta.get("title", letter)), blocks))
    return sections


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text) -> str:
    """Escape Markdown (and raw HTML) syntax so that text prints as written."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def _md_question(q: _Question) -> list[str]:
    lines = [f"**{q.number}.** {_md(q.item.question)}" + (" *(required)*" if q.item.required else "")]
    if q.hint:
        lines.append(f"*{_md(q.hint)}*")
    lines.append("")
    if q.kind in {"choice", "multi"}:
        if q.kind == "multi":
            lines += [f"- {_BOX} {_md(label)} `{code}`" for code, label in q.options]
        else:
            lines += [f"- {_BOX} `{code}` {_md(label)}" for code, label in q.options]
    elif q.kind == "number":
        lines.append(f"Answer: ____________ ({_md(q.range_text)})")
    elif q.kind == "date":
        lines.append("Date (year-month-day): ______ - ____ - ____")
    elif q.kind == "longtext":
        lines += ["", "_" * 70, "", "_" * 70, "", "_" * 70, "", "_" * 70]
    else:
        lines.append("_" * 50)
    if q.missing:
        lines += ["", "   ".join(f"{_BOX} `{code}` {_md(label)}" for code, label in q.missing)]
    lines += ["", f"<sub>variable `{q.item.name}`</sub>", ""]
    return lines


def questionnaire_markdown(*, codebook=None) -> str:
    """Render the printable questionnaire as Markdown.

    Parameters
    ----------
    codebook : Codebook, optional
        Defaults to the bundled codebook.

    Returns
    -------
    str
        Title, version, introduction, an office-use box for the institution
        identifier, then sections A-F with numbered questions, coded tick
        boxes, number ranges and the missing-data options.

    Examples
    --------
    >>> md = questionnaire_markdown()
    >>> md.splitlines()[0].startswith("# NHRI capacity")
    True
    >>> "Don't know" in md and "C1.1." in md
    True
    """
    cb = _codebook(codebook)
    inst = cb[cb.institution_variable] if cb.institution_variable in cb else None
    out = [f"# {_md(cb.title)}", "", f"Questionnaire version {_md(cb.version)}", ""]
    out += ["## Introduction", ""]
    for para in _intro_paragraphs(cb):
        out += [_md(para), ""]
    for para in _instructions(cb):
        out += [_md(para), ""]
    if inst is not None:
        out += [
            "| For office use | |",
            "|---|---|",
            f"| {_md(inst.question)} `{inst.name}` | ____________________ |",
            "",
        ]
    for section in _document(cb):
        out += [f"## {section.letter}. {_md(section.title)}", ""]
        for block in section.blocks:
            if block.kind == "heading":
                out += [f"### {_md(block.text)}", ""]
            elif block.kind == "note":
                out += [f"*{_md(block.text)}*", ""]
            elif block.kind == "question":
                out += _md_question(block.question)
            elif block.kind == "grid":
                header = ["Theme"] + [f"`{code}` {_md(label)}" for code, label in block.columns]
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "---|" * len(header))
                for q in block.rows:
                    cells = [f"**{q.number}.** {_md(q.item.question)}"] + [_BOX] * len(block.columns)
                    out.append("| " + " | ".join(cells) + " |")
                out.append("")
    out += ["---", "", f"*Thank you. Form `{FORM_ID}`, codebook version {_md(cb.version)}.*", ""]
    return "\n".join(out)


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #666; } }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 10.5pt; line-height: 1.35;
       color: #111; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; border-bottom: 1.5pt solid #1f4e79; color: #1f4e79; margin: 8mm 0 3mm;
     padding-bottom: 1mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; break-after: avoid; }
.version { color: #555; margin: 0 0 4mm; }
.intro p { margin: 0 0 2.5mm; }
.office { border: 1pt solid #333; padding: 2mm 3mm; margin: 4mm 0; width: 100%; border-collapse: collapse; }
.office td { padding: 1.5mm 2mm; }
.line { display: inline-block; border-bottom: 0.8pt solid #333; min-width: 60mm; height: 5mm; }
.q { margin: 0 0 3.5mm; break-inside: avoid; page-break-inside: avoid; }
.qtext { font-weight: 600; display: flex; }
.num { flex: 0 0 13mm; color: #1f4e79; }
.req { font-weight: normal; font-style: italic; color: #555; }
.hint { font-style: italic; color: #444; margin: 0.5mm 0 0 13mm; }
.opts { list-style: none; margin: 1.5mm 0 0 13mm; padding: 0; display: flex; flex-wrap: wrap; gap: 1mm 6mm; }
.opts.vertical { display: block; }
.opts.columns { display: block; columns: 2; column-gap: 6mm; }
.opts li { margin: 0 0 0.8mm; }
.box { font-size: 12pt; margin-right: 1mm; }
.code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; color: #555; margin-right: 1mm; }
.missing { margin: 1mm 0 0 13mm; color: #444; font-size: 9.5pt; }
.missing span.opt { margin-right: 6mm; }
.answer { margin: 1.5mm 0 0 13mm; }
.lines .line { display: block; width: 100%; height: 7mm; }
.var { font-family: monospace; font-size: 7.5pt; color: #888; margin-left: 13mm; }
.note { font-style: italic; margin: 0 0 3mm; }
table.grid { width: 100%; border-collapse: collapse; font-size: 9pt; break-inside: avoid; }
table.grid th, table.grid td { border: 0.6pt solid #999; padding: 1.2mm 1mm; vertical-align: middle; }
table.grid th { background: #eef2f7; font-weight: 600; text-align: center; }
table.grid td.box-cell { text-align: center; font-size: 12pt; }
table.grid td.theme { width: 42%; }
table.grid .rownum { color: #1f4e79; font-weight: 600; margin-right: 1.5mm; }
footer { margin-top: 8mm; color: #555; font-size: 9pt; border-top: 0.6pt solid #999; padding-top: 2mm; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="version">Questionnaire version {{ version }}</p>
<section class="intro">
<h2>Introduction</h2>
{% for para in intro %}<p>{{ para }}</p>
{% endfor %}{% for para in instructions %}<p>{{ para }}</p>
{% endfor %}</section>
{% if inst %}<table class="office"><tr><td><strong>For office use</strong></td>
<td>{{ inst.question }} <span class="code">{{ inst.name }}</span></td>
<td><span class="line"></span></td></tr></table>{% endif %}
{% for section in sections %}
<section class="section" id="section-{{ section.letter }}">
<h2>{{ section.letter }}. {{ section.title }}</h2>
{% for block in section.blocks %}
{% if block.kind == "heading" %}<h3>{{ block.text }}</h3>
{% elif block.kind == "note" %}<p class="note">{{ block.text }}</p>
{% elif block.kind == "grid" %}<table class="grid">
<thead><tr><th>Theme</th>{% for code, label in block.columns %}<th><span class="code">{{ code }}</span><br>{{ label }}</th>{% endfor %}</tr></thead>
<tbody>{% for q in block.rows %}
<tr><td class="theme"><span class="rownum">{{ q.number }}.</span>{{ q.item.question }} <span class="code">{{ q.item.name }}</span></td>{% for c in block.columns %}<td class="box-cell">{{ box }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>
{% else %}{% set q = block.question %}<div class="q" id="q-{{ q.item.name }}">
<div class="qtext"><span class="num">{{ q.number }}.</span>{{ q.item.question }}{% if q.item.required %} <span class="req">(required)</span>{% endif %}</div>
{% if q.hint %}<div class="hint">{{ q.hint }}</div>{% endif %}
{% if q.kind == "choice" %}<ul class="opts{% if q.options|length > 5 %} columns{% elif (q.options|map('last')|map('length')|max) > 30 %} vertical{% endif %}">{% for code, label in q.options %}<li><span class="box">{{ box }}</span><span class="code">{{ code }}</span>{{ label }}</li>{% endfor %}</ul>
{% elif q.kind == "multi" %}<ul class="opts columns">{% for code, label in q.options %}<li><span class="box">{{ box }}</span>{{ label }} <span class="code">{{ code }}</span></li>{% endfor %}</ul>
{% elif q.kind == "number" %}<div class="answer">Answer: <span class="line" style="min-width:40mm"></span> <span class="range">({{ q.range_text }})</span></div>
{% elif q.kind == "date" %}<div class="answer">Date (year-month-day): <span class="line" style="min-width:40mm"></span></div>
{% elif q.kind == "longtext" %}<div class="answer lines"><span class="line"></span><span class="line"></span><span class="line"></span><span class="line"></span></div>
{% else %}<div class="answer"><span class="line" style="min-width:120mm"></span></div>
{% endif %}{% if q.missing %}<div class="missing">{% for code, label in q.missing %}<span class="opt"><span class="box">{{ box }}</span><span class="code">{{ code }}</span>{{ label }}</span>{% endfor %}</div>
{% endif %}<div class="var">{{ q.item.name }}</div>
</div>
{% endif %}{% endfor %}
</section>
{% endfor %}
<footer>Thank you. Form {{ form_id }}, codebook version {{ version }}.</footer>
</body>
</html>
"""


def questionnaire_html(*, codebook=None) -> str:
    """Render the printable questionnaire as a self-contained HTML page.

    The page has inline CSS only (no external files or scripts), prints on
    A4 with questions kept whole across page breaks, and escapes every text
    taken from the codebook.

    Parameters
    ----------
    codebook : Codebook, optional
        Defaults to the bundled codebook.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> page = questionnaire_html()
    >>> page.startswith("<!DOCTYPE html>") and "@page" in page
    True
    >>> "Don&#39;t know" in page
    True
    """
    import jinja2

    cb = _codebook(codebook)
    env = jinja2.Environment(autoescape=True, trim_blocks=False, undefined=jinja2.StrictUndefined)
    template = env.from_string(_HTML_TEMPLATE)
    return template.render(
        title=cb.title,
        version=cb.version,
        intro=_intro_paragraphs(cb),
        instructions=_instructions(cb),
        inst=cb[cb.institution_variable] if cb.institution_variable in cb else None,
        sections=_document(cb),
        box=_BOX,
        form_id=FORM_ID,
    )


def write_questionnaire(path, *, codebook=None) -> Path:
    """Write the printable questionnaire, as Markdown or HTML by the file suffix.

    Parameters
    ----------
    path : str or Path
        Target file ending in ``.md`` (Markdown) or ``.html``/``.htm``.
    codebook : Codebook, optional
        Defaults to the bundled codebook.

    Returns
    -------
    Path
        The written file (written atomically).

    Raises
    ------
    OutputFormatError
        If the suffix is neither Markdown nor HTML.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_questionnaire(pathlib.Path(tempfile.mkdtemp()) / "q.html")
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in {".md", ".markdown"}:
        text = questionnaire_markdown(codebook=codebook)
    elif suffix in {".html", ".htm"}:
        text = questionnaire_html(codebook=codebook)
    else:
        raise OutputFormatError(
            f"Cannot tell the questionnaire format from {path.name!r}: "
            "use a file name ending in .md (Markdown) or .html (HTML); "
            "the XLSForm is written by write_xlsform() (command line: --format xlsform) to a .xlsx file."
        )
    return atomic_write_text(path, text)
