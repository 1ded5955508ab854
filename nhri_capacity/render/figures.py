"""A brief's figures, drawn from its data alone, and how figures are saved.

:func:`brief_figures` builds a brief's figures on
:class:`matplotlib.figure.Figure` objects that pyplot does not track, so a
batch of briefs never piles up open figures. :func:`save_figure` writes PNG
(300 dpi) and SVG atomically; :func:`figure_bytes` renders one in memory.
Every save applies the house style, so a figure saves identically each time.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..brief import brief_data
from ..common.io import atomic_path
from .capacity_plots import plot_capacity_profile, plot_themes
from .migration_plots import plot_migrant_trend, plot_need_capacity
from .style import BRIEF_FIGSIZES, settle_layout, style

__all__ = ["brief_figures", "save_figure", "figure_bytes", "figure_title"]


def brief_figures(brief) -> dict:
    """The figures of a brief, drawn from its data alone, as Figures pyplot does not track.

    Parameters
    ----------
    brief : Brief or dict
        A :class:`~nhri_capacity.brief.model.Brief` or its data (as in
        ``data.json``).

    Returns
    -------
    dict
        ``name -> matplotlib.figure.Figure`` for ``migrant_trend``,
        ``capacity_profile``, ``need_capacity`` and ``themes``, each only when
        its section is in the brief.
    """
    from matplotlib.figure import Figure

    data = brief_data(brief)
    iso3 = data["header"]["iso3"]
    charts = (
        ("migrant_trend", "migration", plot_migrant_trend),
        ("capacity_profile", "capacity", plot_capacity_profile),
        ("need_capacity", "need_capacity", plot_need_capacity),
        ("themes", "themes", plot_themes),
    )
    figures = {}
    for name, section, plot in charts:
        if not data.get(section):
            continue
        with style():
            fig = Figure(figsize=BRIEF_FIGSIZES[name], layout="constrained")
            ax = fig.add_subplot()
        plot(data, country=iso3, ax=ax)
        settle_layout(fig)
        figures[name] = fig
    return figures


def _save_options(fmt: str) -> dict:
    # No date in SVG and PDF, so that the same figure saves to the same bytes.
    return {"metadata": {"Date": None} if fmt in ("svg", "pdf") else None, "facecolor": "white"}


def figure_bytes(fig, fmt: str = "svg", *, dpi: int = 200) -> bytes:
    """A figure rendered in memory as *fmt* (``"svg"``, ``"png"``, ...)."""
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format=fmt, dpi=dpi, **_save_options(fmt))
    return buf.getvalue()


def save_figure(fig, path_stem, *, formats=("png", "svg"), dpi=300) -> dict:
    """Write a figure in several formats, each atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : str or Path
        Target path without suffix, e.g. ``out/figures/capacity_profile``.
    formats : sequence of str, default ("png", "svg")
    dpi : int, default 300
        Resolution of raster formats (recorded in the PNG's pHYs chunk).

    Returns
    -------
    dict
        ``format -> Path`` of each file written.
    """
    if isinstance(formats, str):
        formats = (formats,)
    stem = Path(path_stem)
    out = {}
    with style():
        for fmt in formats:
            fmt = str(fmt).lower().lstrip(".")
            target = stem.with_name(stem.name + f".{fmt}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, **_save_options(fmt))
            out[fmt] = target
    return out


def figure_title(fig) -> str | None:
    """The finding title drawn on a figure (its largest bold text), on one line; None if it has none."""
    best = None
    for ax in fig.axes:
        for text in ax.texts:
            if text.get_fontweight() in ("bold", 700) and text.get_text():
                if best is None or text.get_fontsize() > best.get_fontsize():
                    best = text
    return " ".join(best.get_text().split()) if best is not None else None
