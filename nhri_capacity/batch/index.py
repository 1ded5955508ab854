"""The batch's index page, ``<out>/index.html``: one row per brief, linking its files.

The page is the template ``resources/templates/index.html.j2``. Its columns
are the brief's own key figures (:data:`nhri_capacity.brief.KEY_FIGURES`),
read from each brief's ``data.json`` and shown with the filters the brief page
uses (:data:`nhri_capacity.render.FILTERS`), so the index and the briefs agree.
"""

from __future__ import annotations

from pathlib import Path

from ..brief import KEY_FIGURES
from ..common.clock import utc_now_iso
from ..common.io import atomic_write_text
from ..common.templates import render_template
from ..common.version import toolkit_version
from ..render import FILTERS
from ..survey import SYNTHETIC_NOTICE
from .markers import read_json
from .outcome import DATA_NAME, INDEX_NAME, NOTEBOOK_NAME, BatchResult

__all__ = ["write_index"]

TEMPLATE = "index.html.j2"

# Files an index row links to, in order; the first present is the main link.
INDEX_LINKS = (("brief.html", "HTML"), ("brief.pdf", "PDF"), (NOTEBOOK_NAME, "notebook"), (DATA_NAME, "data"))


def _format_as(value, name: str) -> str:
    """The filter named *name* applied to *value* (Jinja cannot pick a filter by a variable)."""
    return FILTERS[name](value)


def _row(outcome) -> dict:
    """One completed brief: its key figures (from ``data.json``) and its files, as the page shows them."""
    data = read_json(outcome.directory / DATA_NAME)
    figures = data.get("key_figures") if isinstance(data, dict) else None
    figures = figures if isinstance(figures, dict) else {}
    links = [(f"{outcome.country}/{rel}", label) for rel, label in INDEX_LINKS if rel in outcome.files]
    main = next(rel for rel, _ in INDEX_LINKS if rel in outcome.files or rel == NOTEBOOK_NAME)
    return {
        "iso3": outcome.country,
        "name": figures.get("country") or outcome.country,
        "href": f"{outcome.country}/{main}",
        "figures": {figure.key: figures.get(figure.key) for figure in KEY_FIGURES},
        "links": links,
    }


def _failure(outcome, out: Path) -> dict:
    """One failed brief: its error line and, when inside *out*, a link to its failed notebook."""
    notebook = outcome.notebook
    href = notebook.relative_to(out).as_posix() if notebook is not None and notebook.is_relative_to(out) else None
    return {"iso3": outcome.country, "error": outcome.error or "unknown error", "notebook": href}


def render_index(result: BatchResult) -> str:
    """The index page of *result* as HTML (every text escaped by the template)."""
    return render_template(
        TEMPLATE,
        filters={**FILTERS, "format_as": _format_as},
        columns=KEY_FIGURES,
        rows=[_row(o) for o in result.outcomes if o.ok],
        failed=[_failure(o, Path(result.out)) for o in result.outcomes if not o.ok],
        n_briefs=sum(o.ok for o in result.outcomes),
        generated=utc_now_iso(),
        version=toolkit_version(),
        survey_name=result.survey.name if result.survey else None,
        synthetic=result.synthetic,
        synthetic_notice=SYNTHETIC_NOTICE,
    ) + "\n"  # Jinja drops the template's final newline


def write_index(result: BatchResult) -> Path:
    """Write ``<out>/index.html`` atomically: a self-contained table of the briefs.

    Each completed brief is a row with relative links to its files and its
    key figures read from its ``data.json``; failed briefs, and those an
    interrupted batch did not finish, are listed with their error line. All
    text is HTML-escaped.
    """
    return atomic_write_text(Path(result.out) / INDEX_NAME, render_index(result))
