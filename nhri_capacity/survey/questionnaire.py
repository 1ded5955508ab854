"""The printable questionnaire: Markdown or a self-contained HTML page.

For filling in on paper or sending as a document. The questionnaire is laid
out once (sections, headings, notes, numbered questions and the grid of
themes) and rendered twice: as Markdown by :func:`questionnaire_markdown` and
as HTML by :func:`questionnaire_html`, through the template
``resources/templates/questionnaire.html.j2``. Questions are numbered on paper
only ("C1.1"); the XLSForm (:mod:`nhri_capacity.survey.xlsform_builder`) asks
the same questions under their codebook texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..common.io import atomic_write_text
from ..common.templates import render_template
from ..errors import OutputFormatError
from . import instrument
from .codebook import Codebook, Item, resolve_codebook

__all__ = ["questionnaire_markdown", "questionnaire_html", "write_questionnaire"]

_BOX = "\u2610"  # BALLOT BOX, prints as an empty tick box


def _range_text(item: Item) -> str:
    lo, hi = instrument.number_text(item.min), instrument.number_text(item.max)
    if item.type == "percent":
        return f"{lo} to {hi} %"
    return f"{lo} to {hi}"


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
    q.missing = instrument.missing_choices(cb, item)
    if item.type == "multi_select":
        q.kind = "multi"
        q.options = [(str(code), str(label)) for code, label in item.choices.items()]
    elif instrument.is_select_one(item):
        q.kind = "choice"
        q.options = [(str(code), str(label)) for code, label in item.choices.items()]
    elif instrument.is_number(item):
        q.kind = "number"
        q.range_text = _range_text(item)
    elif item.type == "date":
        q.kind = "date"
    elif instrument.is_long_text(item):
        q.kind = "longtext"
    return q


def _document(cb: Codebook) -> list[_Section]:
    """The questionnaire laid out once, rendered by both Markdown and HTML."""
    sections = []
    office = {cb.institution_variable}  # assigned by the survey organiser
    for letter, meta in cb.sections.items():
        items = [it for it in instrument.asked_items(cb) if it.section == letter and it.name not in office]
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
        elif letter == "D" and all(instrument.is_select_one(it) for it in items) and len(
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
        elif letter == "E" and all(instrument.GOOD_PRACTICE.match(it.name) for it in items):
            practices: dict[str, list[Item]] = {}
            for it in items:
                practices.setdefault(instrument.GOOD_PRACTICE.match(it.name).group(1), []).append(it)
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
    codebook : Codebook, str or Path, optional
        The codebook to lay out (the bundled one by default).

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
    cb = resolve_codebook(codebook)
    inst = cb[cb.institution_variable] if cb.institution_variable in cb else None
    out = [f"# {_md(cb.title)}", "", f"Questionnaire version {_md(cb.version)}", ""]
    out += ["## Introduction", ""]
    for para in instrument.intro_paragraphs(cb):
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
    out += ["---", "", f"*Thank you. Form `{instrument.FORM_ID}`, codebook version {_md(cb.version)}.*", ""]
    return "\n".join(out)


def questionnaire_html(*, codebook=None) -> str:
    """Render the printable questionnaire as a self-contained HTML page.

    The page has inline CSS only (no external files or scripts), prints on
    A4 with questions kept whole across page breaks, and escapes every text
    taken from the codebook.

    Parameters
    ----------
    codebook : Codebook, str or Path, optional
        As in :func:`questionnaire_markdown`.

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
    cb = resolve_codebook(codebook)
    return render_template(
        "questionnaire.html.j2",
        title=cb.title,
        version=cb.version,
        intro=instrument.intro_paragraphs(cb),
        instructions=_instructions(cb),
        inst=cb[cb.institution_variable] if cb.institution_variable in cb else None,
        sections=_document(cb),
        box=_BOX,
        form_id=instrument.FORM_ID,
    )


def write_questionnaire(path, *, codebook=None) -> Path:
    """Write the printable questionnaire, as Markdown or HTML by the file suffix.

    Parameters
    ----------
    path : str or Path
        Target file ending in ``.md`` (Markdown) or ``.html``/``.htm``.
    codebook : Codebook, str or Path, optional
        As in :func:`questionnaire_markdown`.

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
