"""A trainer's slide deck: the charts as PNG and SVG, a PowerPoint deck and a PDF handout.

:func:`build_deck` writes, for one country, one UN SDG region or every
surveyed institution::

    <out>/charts/<nn>_<chart>.png   16:9, 13.33 x 7.5 in at 200 dpi (2667 x 1500 px)
    <out>/charts/<nn>_<chart>.svg
    <out>/deck_<scope>.pptx         title slide, one chart per slide, sources and method
    <out>/handout_<scope>.pdf       A4: each chart with its takeaway and speaker notes
    <out>/slides.json               the slides as data (deck_slides), with each chart's title

The charts are drawn in the projector style (``render.style.context("projector")``).
Everything comes from :func:`nhri_capacity.training.content.deck_slides`
(takeaways, notes, sources) and the chart functions of
:mod:`nhri_capacity.render`; every file is written atomically.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from .. import config
from ..brief import shared_capacity_profile, shared_need_and_capacity, survey_results
from ..common.io import atomic_write_text
from ..common.templates import render_template
from ..reference import load_migrant_stock, load_treaty_status
from ..render import (
    PROJECTOR_FIGSIZE,
    figure_title,
    html_to_pdf,
    plot_capacity_by_region,
    plot_capacity_profile,
    plot_migrant_trend,
    plot_need_capacity,
    plot_practices,
    plot_theme_heatmap,
    plot_treaty_summary,
    save_figure,
    style,
)
from ..render.formatting import FILTERS
from .content import DECK_CHARTS, SURVEY_TERMS, deck_scope, deck_slides
from .pptx_writer import write_pptx

__all__ = ["build_deck", "deck_figures", "DECK_DPI"]

#: Resolution of the charts' PNG files (and of the pictures in the deck).
DECK_DPI = 200
HANDOUT_TEMPLATE = "deck_handout.html.j2"


def _draw(name, ax, results, scope, stock, treaties):
    """Draw the chart *name* of a deck's scope on *ax*."""
    terms = SURVEY_TERMS[bool(results.synthetic)]
    iso3, region = scope.country, scope.region if scope.kind == "region" else None
    if name == "migrant_trend":
        place = {"country": iso3} if iso3 else {"region": region or "World"}
        return plot_migrant_trend(stock, ax=ax, **place)
    if name == "capacity_profile":
        data = {"header": {"iso3": iso3, "country": scope.label, "synthetic": bool(results.synthetic)},
                "capacity": shared_capacity_profile(iso3, results)}
        return plot_capacity_profile(data, country=iso3, ax=ax, source_note=terms)
    if name == "capacity_by_region":
        if scope.kind == "global":
            return plot_capacity_by_region(results, capacity="composite", ax=ax)
        return plot_capacity_by_region(results, region=region, country=iso3, ax=ax)
    if name == "need_capacity":
        frame = shared_need_and_capacity(results, stock=stock)
        return plot_need_capacity(frame, country=iso3, region=region, ax=ax, source_note=terms)
    if name == "theme_heatmap":
        return plot_theme_heatmap(results, country=iso3, region=region, ax=ax)
    if name == "practices":
        return plot_practices(results, region=region, ax=ax)
    if name == "treaties":
        return plot_treaty_summary(treaties, country=iso3, region=region, ax=ax)
    raise ValueError(f"Unknown deck chart {name!r}")


def deck_figures(results, *, country=None, region=None, stock=None, treaties=None) -> dict:
    """The charts of a deck, drawn in the projector style on Figures pyplot does not track.

    Returns
    -------
    dict
        Chart name -> :class:`matplotlib.figure.Figure` (13.33 x 7.5 in).
    """
    from matplotlib.figure import Figure

    stock = stock if stock is not None else load_migrant_stock()
    treaties = treaties if treaties is not None else load_treaty_status()
    scope = deck_scope(results, country=country, region=region)
    figures = {}
    for name in DECK_CHARTS[scope.kind]:
        with style.context("projector"):
            fig = Figure(figsize=PROJECTOR_FIGSIZE, layout="constrained")
            ax = fig.add_subplot()
            _draw(name, ax, results, scope, stock, treaties)
            style.settle_layout(fig)
        figures[name] = fig
    return figures


def _handout_html(slides, images: dict, alts: dict, titles: dict) -> str:
    charts = {}
    for name, path in images.items():
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        charts[name] = {"src": f"data:image/png;base64,{data}", "alt": alts[name], "title": titles.get(name)}
    return render_template(HANDOUT_TEMPLATE, filters=FILTERS, slides=slides, charts=charts,
                           synthetic=bool(slides and slides[0]["synthetic"]))


def build_deck(results=None, *, country=None, region=None, out=None, survey=None, stock=None, treaties=None,
               n_draws: int = 1000, dpi: int = DECK_DPI) -> dict:
    """Write a trainer's deck: chart files, PowerPoint deck, PDF handout and slides.json.

    Parameters
    ----------
    results : SurveyResults, optional
        Default: :func:`~nhri_capacity.brief.results.survey_results` of *survey*.
    country : str, optional
        ISO3 code: a deck about that country's institution.
    region : str, optional
        A UN SDG region. Neither *country* nor *region*: every surveyed institution.
    out : str or Path, optional
        Output folder (default ``reports/decks/<scope>/``: ``MEX``,
        ``latin-america-and-the-caribbean`` or ``global``).
    survey : str or Path, optional
        Survey file when *results* is not given (default: the bundled sample).
    stock, treaties : DataFrame, optional
        The UN tables (loaded if omitted).
    n_draws : int, default 1000
        Method draws, when the results are computed here.
    dpi : int, default 200
        Resolution of the PNG charts.

    Returns
    -------
    dict
        ``"pptx"``, ``"pdf"``, ``"json"`` -> Path, and ``"charts"`` -> list of
        the chart files (PNG and SVG).

    Raises
    ------
    BriefParameterError
        For an unknown country or region, a country without an institution in
        the survey, or a region with too few institutions.

    Examples
    --------
    >>> import tempfile
    >>> files = build_deck(region="Latin America and the Caribbean", out=tempfile.mkdtemp())  # doctest: +SKIP
    >>> files["pptx"].name  # doctest: +SKIP
    'deck_latin-america-and-the-caribbean.pptx'
    """
    results = results if results is not None else survey_results(survey, n_draws=n_draws)
    scope = deck_scope(results, country=country, region=region)  # fails fast, before any drawing
    stock = stock if stock is not None else load_migrant_stock()
    treaties = treaties if treaties is not None else load_treaty_status()
    out = Path(out).expanduser() if out is not None else Path(config.REPORTS_DIR) / "decks" / scope.slug
    out.mkdir(parents=True, exist_ok=True)
    slides = deck_slides(results, country=country, region=region, stock=stock, treaties=treaties)
    figures = deck_figures(results, country=country, region=region, stock=stock, treaties=treaties)

    images, alts, titles, chart_files = {}, {}, {}, []
    for slide in slides:
        name = slide["chart"]
        if name is None:
            continue
        fig = figures[name]
        paths = save_figure(fig, out / "charts" / f"{slide['number']:02d}_{name}", formats=("png", "svg"), dpi=dpi)
        chart_files += [paths["png"], paths["svg"]]
        images[name] = paths["png"]
        titles[name] = figure_title(fig)
        alts[name] = f"{titles[name]}. {slide['alt']}" if titles[name] else slide["alt"]
        slide["chart_title"] = titles[name]
        slide["files"] = {fmt: f"charts/{p.name}" for fmt, p in paths.items()}

    written = {
        "pptx": write_pptx(slides, images, out / f"deck_{scope.slug}.pptx", alts=alts),
        "pdf": html_to_pdf(_handout_html(slides, images, alts, titles), out / f"handout_{scope.slug}.pdf"),
        "json": atomic_write_text(out / "slides.json", json.dumps(slides, indent=2, ensure_ascii=False) + "\n"),
        "charts": chart_files,
    }
    return written
