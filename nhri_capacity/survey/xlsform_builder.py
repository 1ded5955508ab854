"""The XLSForm of the questionnaire, for KoboToolbox, ODK or Enketo.

:func:`xlsform` builds its sheets from the codebook and :func:`write_xlsform`
writes them to an ``.xlsx`` file to upload ("Upload an XLSForm" in
KoboToolbox, ``xls2xform`` for ODK Central); :func:`kobo_export_columns` says
what the columns of an export of it are called, and
:func:`nhri_capacity.survey.readers.read_survey` reads such exports back.

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
from pathlib import Path

import pandas as pd

from ..common.io import atomic_path
from ..common.spreadsheet import keep_text
from ..errors import OutputFormatError, SpecError
from . import instrument
from .codebook import Codebook, Item, resolve_codebook

__all__ = [
    "SECTION_GROUPS",
    "xlsform",
    "write_xlsform",
    "kobo_export_columns",
    "form_group",
]

#: XLSForm group name of each unscored section; section C gets one group per
#: dimension, ``c<i>_<dimension>`` (see :func:`form_group`).
SECTION_GROUPS = {
    "A": "a_profile",
    "B": "b_knowledge",
    "D": "d_themes",
    "E": "e_good_practices",
    "F": "f_constraints",
}

# Filled in with today's date when the form opens; the respondent can change it.
_DEFAULT_TODAY = frozenset({"survey_date"})

_LIST_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

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


def _missing_phrase(codebook: Codebook) -> str:
    return ", ".join(f"{code} = {label}" for code, label in codebook.missing_codes.items())


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
    for it in instrument.asked_items(codebook):
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
            variant = "missing" if instrument.missing_choices(codebook, it) else "nomissing"
        usage[it.name] = (key, variant)
    variants: dict[str, set] = {}
    for key, variant in usage.values():
        variants.setdefault(key, set()).add(variant)
    names = {}
    for name, (key, variant) in usage.items():
        plain = len(variants[key]) == 1 or variant == "missing"
        names[name] = key if plain else f"{key}_{variant}"
    return names


def xlsform(*, codebook=None) -> dict[str, pd.DataFrame]:
    """Build the XLSForm (KoboToolbox / ODK) of the questionnaire.

    Parameters
    ----------
    codebook : Codebook, str or Path, optional
        The codebook the form asks (the bundled one by default).

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
    cb = resolve_codebook(codebook)
    list_names = _list_names(cb)
    rows: list[dict] = []
    if cb.id_variable in cb:
        # once(): ODK recalculates on every edit, and the id must not change.
        rows.append({"type": "calculate", "name": cb.id_variable, "calculation": "once(uuid())"})
    rows.append({"type": "note", "name": "intro", "label": " ".join(instrument.intro_paragraphs(cb))})
    group = None
    for item in instrument.asked_items(cb):
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
                "form_id": instrument.FORM_ID,
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
    elif instrument.is_select_one(item):
        row["type"] = f"select_one {list_names[item.name]}"
        if item.section == "D":
            row["appearance"] = "likert"
    elif instrument.is_number(item):
        whole = item.type != "percent"
        row["type"] = "integer" if whole else "decimal"
        lo, hi = instrument.number_text(item.min), instrument.number_text(item.max)
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
        elif instrument.is_long_text(item):
            row["appearance"] = "multiline"

    relevant = _relevance(cb, item)
    if relevant:
        row["relevant"] = relevant
    return row


def _relevance(cb: Codebook, item: Item) -> str:
    """Good-practice details show once their title is filled in.

    The next good practice's title shows once the previous one has a title,
    so a respondent with one practice does not scroll past two empty blocks.
    """
    match = instrument.GOOD_PRACTICE.match(item.name)
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
    for item in instrument.asked_items(cb):
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
        for code, label in instrument.missing_choices(cb, item):
            rows.append({"list_name": list_name, "name": code, "label": label})
    return rows


def write_xlsform(path, *, codebook=None) -> Path:
    """Write the XLSForm to an ``.xlsx`` file, atomically.

    Upload the file to KoboToolbox ("Upload an XLSForm") or convert it with
    ``xls2xform`` for ODK Central. Unlike the data exports, cells are not
    given an apostrophe (expressions such as ``${x} > 0`` and choice names
    such as ``-7`` must reach pyxform as they are), but every text cell is
    stored as text, never as a spreadsheet formula.

    Parameters
    ----------
    path : str or Path
        Target file; must end in ``.xlsx``.
    codebook : Codebook, str or Path, optional
        As in :func:`xlsform`.

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
                # Expressions and choice names ('-7') are form text for pyxform, never
                # spreadsheet formulas; they are written unchanged (not neutralised).
                keep_text(sheet)
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
    codebook : Codebook, str or Path, optional
        As in :func:`xlsform`.
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
    cb = resolve_codebook(codebook)
    out = {cb.id_variable: cb.id_variable} if cb.id_variable in cb else {}
    for item in instrument.asked_items(cb):
        column = f"{form_group(cb, item)}/{item.name}"
        if item.type == "multi_select" and split_multi_select:
            for data_column, choice in cb.multi_select_columns(item.name).items():
                out[data_column] = f"{column}/{choice}"
        else:
            out[item.name] = column
    return out
