"""The survey instrument: what the form asks, and how, generated from the codebook.

Two products come out of :mod:`nhri_capacity.survey.codebook`, so that the
questions respondents see and the variables the toolkit reads can never drift
apart:

* an XLSForm (:mod:`nhri_capacity.survey.xlsform_builder`) for KoboToolbox,
  ODK or Enketo, whose exports :func:`nhri_capacity.survey.readers.read_survey`
  reads back;
* a printable questionnaire (:mod:`nhri_capacity.survey.questionnaire`) for
  filling in on paper or sending as a document.

This module holds the rules both follow: which items are asked, which
missing-data options each offers, which texts get several lines, and the
introduction. Nothing here is hand-maintained except the introduction text
and these few presentation rules; question texts, codes, ranges and hints all
come from the codebook.
"""

from __future__ import annotations

import re

from .codebook import Codebook, Item

__all__ = ["FORM_ID"]

#: ``form_id`` of the XLSForm (KoboToolbox and ODK key submissions on it).
FORM_ID = "nhri_migrant_rights"

#: Names of good-practice items: ``gp<k>_<part>`` (title, description, theme...).
GOOD_PRACTICE = re.compile(r"^(gp\d+)_(\w+)$")

# A dataset flag set by the synthetic-sample generator; nobody is asked it.
_NOT_ASKED = frozenset({"synthetic_data"})

# Sections whose coded questions get no missing-data options (see missing_choices).
_NO_MISSING_FOR_CODED = frozenset({"A", "E"})


def number_text(value) -> str:
    """``1900.0`` -> ``'1900'``; keep decimals only when there are some.

    Examples
    --------
    >>> number_text(1900.0), number_text(0.5)
    ('1900', '0.5')
    """
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def is_select_one(item: Item) -> bool:
    """True for a question answered with one code from a choice list."""
    return item.choices is not None and item.type != "multi_select"


def is_number(item: Item) -> bool:
    """True for a question answered with a figure (count, percentage, year)."""
    return item.is_numeric and item.choices is None


def is_long_text(item: Item) -> bool:
    """True for free text that gets several lines (not profile facts, not titles)."""
    return item.type == "text" and item.section != "A" and not item.name.endswith("_title")


def asked_items(codebook: Codebook) -> list[Item]:
    """Items a respondent answers (no dataset flag, no generated respondent id).

    Examples
    --------
    >>> from nhri_capacity.survey.codebook import load_codebook
    >>> names = [it.name for it in asked_items(load_codebook())]
    >>> "resp_id" in names, "synthetic_data" in names, "inst_id" in names
    (False, False, True)
    """
    return [
        it
        for it in codebook
        if it.name not in _NOT_ASKED and it.name != codebook.id_variable
    ]


def missing_choices(codebook: Codebook, item: Item) -> list[tuple[str, str]]:
    """Missing-data codes offered for *item*, as ``(code, label)``.

    Offered for every figure (count, percentage, year) and for the coded
    questions of the substantive sections. Not for the coded questions of the
    profile and good-practice sections: their lists are already exhaustive
    (``Other``, ``Unknown``) and "Don't know" beside "Unknown" only confuses.

    Examples
    --------
    >>> from nhri_capacity.survey.codebook import load_codebook
    >>> cb = load_codebook()
    >>> missing_choices(cb, cb["ch1_complaints_open"])[1], missing_choices(cb, cb["inst_type"])
    (('-8', "Don't know"), [])
    """
    if not item.is_numeric:
        return []
    if is_select_one(item) and item.section in _NO_MISSING_FOR_CODED:
        return []
    return [(str(code), label) for code, label in codebook.missing_codes.items()]


def intro_paragraphs(cb: Codebook) -> list[str]:
    """The introduction to the questionnaire (the XLSForm's first note, the paper's first page)."""
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
