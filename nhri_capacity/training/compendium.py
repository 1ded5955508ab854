"""The good-practice compendium as files: an HTML page, an A4 PDF and the table.

:func:`write_compendium` writes, into one folder::

    compendium.html   self-contained page (CSS inline, no script, no links out)
    compendium.pdf    A4, from the same HTML with WeasyPrint (offline)
    compendium.csv    the practices as a table (text cells formula-safe)
    compendium.xlsx   the same, for spreadsheet users

With a theme, the names are ``compendium_<theme>.*``, so a themed and a full
compendium can share a folder.

The content is :func:`nhri_capacity.brief.practice_compendium` (consented
practices only, no scores); :func:`compendium_data` lays it out by agenda theme
and capacity, and the template ``resources/templates/compendium.html.j2``
renders it with Jinja2 autoescaping, so survey text can never inject markup.
No survey text goes into the page's CSS (its page header and footer hold fixed
text, the toolkit version and the date only).

An empty compendium is never written: a theme without published practices
(or a survey without any) raises :class:`~nhri_capacity.errors.BriefParameterError`
naming the themes that have some, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import config
from ..brief import (
    SurveyResults,
    check_practice_filter,
    practice_compendium,
    practice_overview,
    publication_counts,
    survey_results,
)
from ..common.clock import today_iso
from ..common.io import atomic_path, atomic_write_text
from ..common.spreadsheet import write_csv, write_xlsx
from ..common.templates import render_template
from ..common.version import toolkit_version
from ..errors import BriefParameterError
from ..reference import MIGRANT_STOCK_CITATION, MIGRANT_STOCK_LICENCE
from ..render import FILTERS, html_to_pdf
from ..survey import DIMENSIONS, SYNTHETIC_NOTICE, load_codebook

__all__ = ["compendium_data", "render_compendium_html", "write_compendium", "COMPENDIUM_FORMATS"]

#: What :func:`write_compendium` can write.
COMPENDIUM_FORMATS = ("html", "pdf", "csv", "xlsx")
TEMPLATE_NAME = "compendium.html.j2"
_NO_THEME = "Theme not given"
_NO_CAPACITY = "Capacity not given"
# Columns of the CSV/XLSX table, in order (no score: the compendium is not a ranking).
_TABLE_COLUMNS = [
    "institution", "country", "iso3", "region", "year", "title", "description",
    "theme_label", "themes_label", "capacity_label", "theme", "themes", "capacity", "inst_id",
]


def _results(results_or_survey) -> SurveyResults:
    if isinstance(results_or_survey, SurveyResults):
        return results_or_survey
    return survey_results(results_or_survey)


def _survey_facts(results: SurveyResults) -> dict:
    """Where the practices come from: the survey file, its dates and how many answered."""
    meta = results.meta
    dates = results.answers.get("survey_date") if not results.answers.empty else None
    first = results.answers.get("survey_date_first") if not results.answers.empty else None
    first = first if first is not None else dates
    return {
        "file_name": meta.get("file_name") or "survey frame",
        "sha256": (meta.get("sha256") or "")[:12],
        "format": meta.get("format"),
        "n_respondents": meta.get("n_rows"),
        "n_institutions": meta.get("n_institutions"),
        "n_countries": meta.get("n_countries"),
        "date_first": pd.Timestamp(first.min()).date().isoformat() if first is not None and first.notna().any() else None,
        "date_last": pd.Timestamp(dates.max()).date().isoformat() if dates is not None and dates.notna().any() else None,
    }


def _practice(row: dict) -> dict:
    return {
        "title": row["title"],
        "description": row["description"],
        "institution": row["institution"],
        "country": row["country"],
        "region": row["region"],
        "year": None if pd.isna(row["year"]) else int(row["year"]),
        "themes": row["themes_label"].split("; ") if row["themes_label"] else [],
        "capacity": row["capacity_label"] or _NO_CAPACITY,
    }


def _sections(table: pd.DataFrame, theme: str | None) -> list[dict]:
    """Practices by theme (agenda order) and, within a theme, by capacity."""
    labels = dict(load_codebook().themes)
    cap_order = {d: i for i, d in enumerate(DIMENSIONS)}
    sections: dict[str, dict] = {}
    for row in table.to_dict("records"):
        key = theme or row["theme"] or "_none"
        section = sections.setdefault(
            key, {"key": key.strip("_"), "label": labels.get(key, _NO_THEME), "n": 0, "groups": {}}
        )
        cap = row["capacity"] or "_none"
        group = section["groups"].setdefault(
            cap, {"key": cap.strip("_"), "label": row["capacity_label"] or _NO_CAPACITY, "practices": []}
        )
        group["practices"].append(_practice(row))
        section["n"] += 1
    ordered = [sections[k] for k in [*labels, "_none"] if k in sections]
    for section in ordered:
        groups = sorted(section["groups"].items(), key=lambda kv: cap_order.get(kv[0], len(cap_order)))
        section["groups"] = [g for _, g in groups]
    return ordered


def _overview(table: pd.DataFrame, theme: str | None) -> dict:
    counts = practice_overview(table, themes=[theme] if theme else None)
    rows = [{"label": str(label), "counts": [int(v) for v in values]} for label, values in counts.iterrows()]
    # One theme: its row is the total row already.
    return {"regions": [str(c) for c in counts.columns], "rows": rows[:-1] if theme else rows}


def compendium_data(results_or_survey=None, *, theme=None) -> dict:
    """Everything the compendium page shows, as plain data.

    Parameters
    ----------
    results_or_survey : SurveyResults, str, Path or DataFrame, optional
        As in :func:`nhri_capacity.brief.practice_compendium` (default: the
        bundled synthetic sample).
    theme : str, optional
        Only this agenda theme (key or label).

    Returns
    -------
    dict
        ``title``, ``theme`` (key and label, or None), ``survey`` (file, dates,
        counts), ``counts`` (:func:`~nhri_capacity.brief.publication_counts`
        plus ``n_shown``), ``overview``, ``sections``, ``synthetic``,
        ``synthetic_notice``, ``sources``, ``generated``, ``toolkit_version``.

    Raises
    ------
    BriefParameterError
        For an unknown theme, or when there is no practice to publish (the
        message names the themes that have some).
    """
    key = check_practice_filter(theme=theme)["theme"]
    results = _results(results_or_survey)
    table = practice_compendium(results, theme=key)
    source = results.meta.get("file_name") or "the survey"
    if table.empty:
        everything = practice_compendium(results)
        if everything.empty:
            raise BriefParameterError(
                f"No good practice from {source} may be published: none was reported with consent to "
                "publication with the institution's name. Nothing was written."
            )
        labels = dict(load_codebook().themes)
        having = [k for k in labels if any(k in ts for ts in everything["themes"])]
        raise BriefParameterError(
            f"No good practice on '{labels[key]}' from {source} may be published, so no compendium was "
            f"written for it. Themes with published practices: {', '.join(having)}"
        )
    labels = dict(load_codebook().themes)
    synthetic = bool(table.attrs.get("synthetic"))
    heading = "Good practices of National Human Rights Institutions in protecting migrants' rights"
    return {
        "title": heading,
        "theme": {"key": key, "label": labels[key]} if key else None,
        "survey": _survey_facts(results),
        "counts": {**publication_counts(results), "n_shown": int(len(table)),
                   "n_institutions_shown": int(table["inst_id"].nunique()),
                   "n_countries_shown": int(table["iso3"].nunique())},
        "overview": _overview(table, key),
        "sections": _sections(table, key),
        "synthetic": synthetic,
        "synthetic_notice": SYNTHETIC_NOTICE if synthetic else None,
        "sources": {"regions": f"{MIGRANT_STOCK_CITATION} ({MIGRANT_STOCK_LICENCE})"},
        "generated": today_iso(),
        "toolkit_version": toolkit_version(),
    }


def render_compendium_html(data: dict) -> str:
    """The compendium page (one self-contained HTML document) from :func:`compendium_data`."""
    return render_template(TEMPLATE_NAME, filters=FILTERS, d=data)


def _table(table: pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    out = table.assign(themes=["; ".join(ts) for ts in table["themes"]])[_TABLE_COLUMNS]
    if synthetic:
        # CSV and XLSX have no file label: say it on every row.
        out = out.assign(data_note=SYNTHETIC_NOTICE)
    return out


def _check_formats(formats) -> tuple[str, ...]:
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    wrong = [f for f in items if f not in COMPENDIUM_FORMATS]
    if wrong or not items:
        raise BriefParameterError(
            f"Unknown compendium format(s) {', '.join(map(repr, wrong)) or '(none given)'}; "
            f"choose from {', '.join(COMPENDIUM_FORMATS)}"
        )
    return tuple(dict.fromkeys(items))


def write_compendium(results_or_survey=None, out_dir=None, *, theme=None, formats=COMPENDIUM_FORMATS) -> dict:
    """Write the good-practice compendium: HTML, PDF, CSV and XLSX.

    Parameters
    ----------
    results_or_survey : SurveyResults, str, Path or DataFrame, optional
        Survey results or a survey (default: the bundled synthetic sample).
    out_dir : str or Path, optional
        Created if needed; default ``reports/compendium/``.
    theme : str, optional
        Only this agenda theme (key or label); files are then named
        ``compendium_<theme>.*``.
    formats : sequence of str, default ("html", "pdf", "csv", "xlsx")

    Returns
    -------
    dict
        File name -> absolute :class:`~pathlib.Path` of every file written
        (atomically).

    Raises
    ------
    BriefParameterError
        For an unknown theme or format, or when no practice may be published
        (nothing is written then).

    Examples
    --------
    >>> import tempfile
    >>> written = write_compendium(survey_results(n_draws=200), tempfile.mkdtemp(), formats=("html",))
    >>> sorted(written)
    ['compendium.html']
    """
    formats = _check_formats(formats)
    results = _results(results_or_survey)
    data = compendium_data(results, theme=theme)
    key = data["theme"]["key"] if data["theme"] else None
    out = Path(out_dir if out_dir is not None else config.REPORTS_DIR / "compendium").expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compendium_{key}" if key else "compendium"
    written: dict[str, Path] = {}
    if "html" in formats or "pdf" in formats:
        html = render_compendium_html(data)
        if "html" in formats:
            written[f"{stem}.html"] = atomic_write_text(out / f"{stem}.html", html)
        if "pdf" in formats:
            written[f"{stem}.pdf"] = html_to_pdf(html, out / f"{stem}.pdf")
    if "csv" in formats or "xlsx" in formats:
        table = _table(practice_compendium(results, theme=key), data["synthetic"])
        if "csv" in formats:
            with atomic_path(out / f"{stem}.csv") as tmp:
                write_csv(table, tmp)
            written[f"{stem}.csv"] = out / f"{stem}.csv"
        if "xlsx" in formats:
            with atomic_path(out / f"{stem}.xlsx") as tmp:
                write_xlsx({"good practices": table}, tmp)
            written[f"{stem}.xlsx"] = out / f"{stem}.xlsx"
    return written
