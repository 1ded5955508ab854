"""House style of every chart: colours, fonts, sizes, the finding title and the source line.

Nothing here changes matplotlib's global settings: :func:`style` applies
:data:`RC` inside :func:`matplotlib.pyplot.rc_context`, and the rest is
passed as explicit arguments.

Design rules
------------
* Colour-blind-safe colours (Okabe & Ito, :data:`PALETTE`): the institution
  in blue, the regional median in orange, the highlighted country in vermilion.
* Large fonts (13-17 pt) so that charts stay legible when projected.
* The title states the finding; a source line under the chart cites UN DESA
  where its figures are used, and every chart built from a synthetic survey
  carries a visible "Illustrative synthetic data" note (:func:`decorate`).
* Figures this toolkit lays out are settled to a fixed point
  (:func:`settle_layout`), so that every save of a figure (PNG, SVG, the
  copy embedded in a page) is identical.
"""

from __future__ import annotations

import contextlib
import textwrap

# The other public names (sizes, new_axes, decorate, settle_layout, ...) are
# shared by the render modules only.
__all__ = ["PALETTE", "SOURCE_UN_DESA", "SYNTHETIC_LABEL", "style"]

#: Okabe-Ito colours, safe for the common colour-vision deficiencies.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "vermilion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#8C8C8C",
    "light": "#C8C8C8",
    "ink": "#222222",
    "muted": "#555555",
}
SOURCE_UN_DESA = "Source: UN DESA International Migrant Stock 2020 (CC BY 3.0 IGO)."
SOURCE_SURVEY = "Source: NHRI capacity survey"
SYNTHETIC_LABEL = "Illustrative synthetic data"

#: matplotlib settings of every chart, applied by :func:`style` only.
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 17,
    "axes.labelsize": 14,
    "axes.labelcolor": PALETTE["ink"],
    "axes.edgecolor": "#777777",
    "axes.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "xtick.color": PALETTE["ink"],
    "ytick.color": PALETTE["ink"],
    "legend.fontsize": 12,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "nhri-capacity",
    "figure.dpi": 100,
}
TITLE_SIZE = 17
SUBTITLE_SIZE = 13
NOTE_SIZE = 11
#: Size in inches of each chart drawn on its own (notebooks, slides).
FIGSIZES = {
    "migrant_trend": (10, 5.0),
    "capacity_profile": (10, 5.6),
    "need_capacity": (10, 6.2),
    "themes": (10, 6.4),
}
#: Size of each chart in a brief. Briefs print the charts 18 cm wide: drawn
#: wider than a slide (same point sizes), so that text prints at 8-10 pt and
#: the plots keep their height.
BRIEF_FIGSIZES = {
    "migrant_trend": (12, 4.0),
    "capacity_profile": (12, 5.0),
    "need_capacity": (7.6, 6.0),
    "themes": (12, 6.4),
}


@contextlib.contextmanager
def style():
    """Apply the house style (:data:`RC`) for the duration of a ``with`` block.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with style():
    ...     mpl.rcParams["svg.hashsalt"]
    'nhri-capacity'
    """
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        yield


def _ensure_backend() -> None:
    """Use Agg when no matplotlib backend has been chosen yet (never forced at import)."""
    import matplotlib as mpl

    getter = getattr(mpl.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        current = getter()
    else:  # pragma: no cover - older matplotlib
        from matplotlib import rcsetup

        current = dict.__getitem__(mpl.rcParams, "backend")
        current = None if current is rcsetup._auto_backend_sentinel else current
    if current is None:
        mpl.use("Agg")


def new_axes(figsize):
    """A new pyplot figure (shown by notebooks; the caller closes it), and its Axes."""
    _ensure_backend()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax._nhri_own_figure = True  # noqa: SLF001 - lets the chart settle the layout it owns
    return ax


def finish(ax) -> None:
    """Settle the layout of a figure :func:`new_axes` created (see :func:`settle_layout`)."""
    if getattr(ax, "_nhri_own_figure", False):
        settle_layout(ax.figure, freeze=False)


def _wrap(text: str, ax, fontsize: float, *, bold: bool = False) -> str:
    """Wrap *text* to the width of the figure the Axes is in."""
    fig = ax.figure
    width_in = fig.get_figwidth() * min(max(ax.get_position().width + 0.12, 0.3), 0.97)
    chars = max(30, int(width_in * 72 / (fontsize * (0.62 if bold else 0.54))))
    return "\n".join(textwrap.wrap(text, chars)) if len(text) > chars else text


def _left_top_anchor(ax):
    """Bounding box from the left of the y tick labels to the top of the Axes."""
    from matplotlib.transforms import Bbox

    def anchor(renderer):
        boxes = [ax.bbox]
        ybox = ax.yaxis.get_tightbbox(renderer)
        if ybox is not None:
            boxes.append(ybox)
        return Bbox.union(boxes)

    return anchor


def _bottom_anchor(ax):
    """Bounding box of the Axes with its x axis and legend (for the source line)."""
    from matplotlib.transforms import Bbox

    def anchor(renderer):
        boxes = [ax.bbox]
        for part in (ax.xaxis, ax.yaxis):
            box = part.get_tightbbox(renderer)
            if box is not None:
                boxes.append(box)
        legend = ax.get_legend()
        if legend is not None:
            boxes.append(legend.get_window_extent(renderer))
        return Bbox.union(boxes)

    return anchor


def decorate(ax, *, title: str, subtitle: str | None, source: str, synthetic: bool) -> None:
    """Finding title and subtitle above the chart, source line (and synthetic note) below."""
    title = _wrap(title, ax, TITLE_SIZE, bold=True)
    n_sub = 0
    if subtitle:
        subtitle = _wrap(subtitle, ax, SUBTITLE_SIZE)
        n_sub = subtitle.count("\n") + 1
        ax.annotate(
            subtitle, xy=(0, 1), xycoords=_left_top_anchor(ax), xytext=(0, 10), textcoords="offset points",
            ha="left", va="bottom", fontsize=SUBTITLE_SIZE, color=PALETTE["muted"],
        )
    ax.annotate(
        title, xy=(0, 1), xycoords=_left_top_anchor(ax),
        xytext=(0, 10 + (n_sub * SUBTITLE_SIZE * 1.25 + 8 if n_sub else 0)), textcoords="offset points",
        ha="left", va="bottom", fontsize=TITLE_SIZE, fontweight="bold", color=PALETTE["ink"],
    )
    source = _wrap(source, ax, NOTE_SIZE)
    ax.annotate(
        source, xy=(0, 0), xycoords=_bottom_anchor(ax), xytext=(0, -6), textcoords="offset points",
        ha="left", va="top", fontsize=NOTE_SIZE, color=PALETTE["muted"],
    )
    if synthetic:
        lines = source.count("\n") + 1
        ax.annotate(
            f"{SYNTHETIC_LABEL}: not real survey results",
            xy=(0, 0), xycoords=_bottom_anchor(ax), xytext=(0, -10 - lines * NOTE_SIZE * 1.3),
            textcoords="offset points", ha="left", va="top", fontsize=NOTE_SIZE + 1,
            fontweight="bold", color=PALETTE["vermilion"],
        )


def settle_layout(fig, passes: int = 4, *, freeze: bool = True) -> None:
    """Run the constrained layout to a fixed point (and freeze it).

    The title and source lines are anchored to the axes' tick labels, so each
    layout pass moves them a little less; from the converged state a further
    pass changes nothing, and freezing it makes every later save (PNG, SVG,
    embedded copy) identical. Figures handed to the caller are not frozen, so
    that their layout still adapts to anything the caller adds.
    """
    previous = None
    with style():
        for _ in range(passes):
            fig.draw_without_rendering()
            now = [tuple(round(v, 4) for v in ax.get_position().bounds) for ax in fig.axes]
            if now == previous:
                break
            previous = now
    if freeze:
        fig.set_layout_engine("none")
