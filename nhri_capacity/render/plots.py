"""Charts for country briefs and training slides.

Every chart function follows the seaborn convention: the data come first, the
options are keyword-only, ``ax=None`` draws on a new pyplot figure (so it
shows in a notebook), an existing Axes is drawn on as it is, and the Axes is
returned. Nothing here calls ``plt.show()`` or changes matplotlib's global
settings: the style is applied inside :func:`matplotlib.pyplot.rc_context`
and by explicit arguments.

Design rules
------------
* Colour-blind-safe colours (Okabe & Ito): the institution in blue, the
  regional median in orange, the highlighted country in vermilion.
* Large fonts (13-17 pt) so that charts stay legible when projected.
* The title states the finding; a source line under the chart cites UN DESA
  where its figures are used, and every chart built from a synthetic survey
  carries a visible "Illustrative synthetic data" note.

:func:`brief_figures` builds a brief's figures on
:class:`matplotlib.figure.Figure` objects that pyplot does not track, so a
batch of briefs never piles up open figures. :func:`save_figure` writes PNG
(300 dpi) and SVG atomically.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.io import atomic_path
from ..survey import load_codebook

__all__ = [
    "plot_capacity_profile",
    "plot_migrant_trend",
    "plot_need_capacity",
    "plot_themes",
    "brief_figures",
    "save_figure",
    "PALETTE",
    "SOURCE_UN_DESA",
    "SYNTHETIC_LABEL",
]

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

_STYLE = {
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
_TITLE_SIZE = 17
_SUBTITLE_SIZE = 13
_NOTE_SIZE = 11
_FIGSIZES = {
    "migrant_trend": (10, 5.0),
    "capacity_profile": (10, 5.6),
    "need_capacity": (10, 6.2),
    "themes": (10, 6.4),
}
# Briefs print the charts 18 cm wide: drawn wider than a slide (same point
# sizes), so that text prints at 8-10 pt and the plots keep their height.
_BRIEF_FIGSIZES = {
    "migrant_trend": (12, 4.0),
    "capacity_profile": (12, 5.0),
    "need_capacity": (7.6, 6.0),
    "themes": (12, 6.4),
}
_THEME_LEVELS = ("None", "Occasional", "Regular", "Core programme")


# =============================================================================
# Shared helpers
# =============================================================================
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


@contextlib.contextmanager
def _style():
    import matplotlib.pyplot as plt

    with plt.rc_context(_STYLE):
        yield


def _new_axes(figsize):
    """A new pyplot figure (shown by notebooks; the caller closes it)."""
    _ensure_backend()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax._nhri_own_figure = True  # noqa: SLF001 - lets the chart settle the layout it owns
    return ax


def _finish(ax) -> None:
    """Settle the layout of a figure this module created (see :func:`_settle_layout`)."""
    if getattr(ax, "_nhri_own_figure", False):
        _settle_layout(ax.figure, freeze=False)


def _is_brief(obj) -> bool:
    return hasattr(obj, "data") and isinstance(obj.data, dict) and "header" in obj.data


def _is_results(obj) -> bool:
    return hasattr(obj, "scores") and hasattr(obj, "intervals") and hasattr(obj, "survey")


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


def _decorate(ax, *, title: str, subtitle: str | None, source: str, synthetic: bool) -> None:
    """Finding title and subtitle above, source line (and synthetic note) below."""
    title = _wrap(title, ax, _TITLE_SIZE, bold=True)
    n_sub = 0
    if subtitle:
        subtitle = _wrap(subtitle, ax, _SUBTITLE_SIZE)
        n_sub = subtitle.count("\n") + 1
        ax.annotate(
            subtitle, xy=(0, 1), xycoords=_left_top_anchor(ax), xytext=(0, 10), textcoords="offset points",
            ha="left", va="bottom", fontsize=_SUBTITLE_SIZE, color=PALETTE["muted"],
        )
    ax.annotate(
        title, xy=(0, 1), xycoords=_left_top_anchor(ax),
        xytext=(0, 10 + (n_sub * _SUBTITLE_SIZE * 1.25 + 8 if n_sub else 0)), textcoords="offset points",
        ha="left", va="bottom", fontsize=_TITLE_SIZE, fontweight="bold", color=PALETTE["ink"],
    )
    source = _wrap(source, ax, _NOTE_SIZE)
    ax.annotate(
        source, xy=(0, 0), xycoords=_bottom_anchor(ax), xytext=(0, -6), textcoords="offset points",
        ha="left", va="top", fontsize=_NOTE_SIZE, color=PALETTE["muted"],
    )
    if synthetic:
        lines = source.count("\n") + 1
        ax.annotate(
            f"{SYNTHETIC_LABEL}: not real survey results",
            xy=(0, 0), xycoords=_bottom_anchor(ax), xytext=(0, -10 - lines * _NOTE_SIZE * 1.3),
            textcoords="offset points", ha="left", va="top", fontsize=_NOTE_SIZE + 1,
            fontweight="bold", color=PALETTE["vermilion"],
        )


def _fmt_people(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:,.1f} million"
    if n >= 1e4:
        return f"{n / 1e3:,.0f} thousand"
    return f"{n:,.0f}"


def _pct(p) -> str:
    """Percentages as a brief prints them: 12%, 3.6%, 0.93%."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    p = float(p)
    if p >= 10:
        return f"{p:.0f}%"
    if p >= 1:
        return f"{p:.1f}%"
    return f"{p:.2f}%"


def _score(value) -> str:
    """Scores as whole numbers, rounded half up (as in the brief's tables)."""
    from decimal import ROUND_HALF_UP, Decimal

    return str(int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _country_label(iso3) -> str:
    from ..reference import country_name

    name = country_name(str(iso3), strict=False) if iso3 else None
    return str(name) if isinstance(name, str) else str(iso3)


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# =============================================================================
# Capacity profile
# =============================================================================
def _capacity_rows(scores_or_brief, country, intervals):
    """(profile dict, country name, synthetic) from a Brief, SurveyResults or scores frame."""
    from ..brief import SurveyResults, capacity_profile

    if _is_brief(scores_or_brief):
        data = scores_or_brief.data
        return data["capacity"], data["header"]["country"], bool(data["header"]["synthetic"])
    if _is_results(scores_or_brief):
        res = scores_or_brief
        return capacity_profile(country, res), _country_label(country), bool(res.synthetic)
    if isinstance(scores_or_brief, pd.DataFrame):
        scores = scores_or_brief
        from ..survey import is_synthetic

        res = SurveyResults(
            survey=pd.DataFrame(), scores=scores, themes=pd.DataFrame(), items=pd.DataFrame(),
            intervals=intervals if intervals is not None else pd.DataFrame(),
            synthetic=bool(is_synthetic(scores)), meta={}, spec={},
        )
        return capacity_profile(country, res), _country_label(country), res.synthetic
    raise TypeError(
        "plot_capacity_profile needs a Brief, SurveyResults or a scores DataFrame, "
        f"not {type(scores_or_brief).__name__}"
    )


def plot_capacity_profile(scores_or_brief, *, country, intervals=None, ax=None):
    """Five capacities and the composite against regional and global medians.

    A horizontal dot-and-interval chart: the institution's score (blue dot),
    its 90% range over method choices (light bar), the regional median
    (orange diamond) and the global median (grey tick). Deliberately not a
    ranking.

    Parameters
    ----------
    scores_or_brief : Brief, SurveyResults or DataFrame
        A :class:`~nhri_capacity.brief.content.Brief`, the survey results, or a
        scores frame from :func:`nhri_capacity.scoring.scores.score_survey`.
    country : str
        ISO3 code of the country whose (first) institution is shown.
    intervals : DataFrame, optional
        :func:`nhri_capacity.scoring.uncertainty.score_intervals`, when a scores
        frame is given (Brief and SurveyResults carry their own).
    ax : matplotlib Axes, optional
        Drawn on if given; otherwise a new figure is made.

    Returns
    -------
    matplotlib.axes.Axes
    """
    profile, name, synthetic = _capacity_rows(scores_or_brief, country, intervals)
    with _style():
        ax = ax if ax is not None else _new_axes(_FIGSIZES["capacity_profile"])
        rows = profile["rows"]
        dims = [r for r in rows if r["key"] != "composite"]
        comp = next((r for r in rows if r["key"] == "composite"), None)
        ordered = dims + ([comp] if comp else [])
        ys = list(range(len(dims))) + ([len(dims) + 0.5] if comp else [])
        for y, r in zip(ys, ordered):
            if r.get("p05") is not None and r.get("p95") is not None:
                ax.plot([r["p05"], r["p95"]], [y, y], color=PALETTE["sky"], lw=9, alpha=0.55,
                        solid_capstyle="butt", zorder=2)
            if r.get("global_median") is not None:
                ax.plot([r["global_median"]], [y], marker="|", ms=26, mew=3, color=PALETTE["muted"],
                        ls="none", zorder=3)
            if r.get("regional_median") is not None:
                ax.plot([r["regional_median"]], [y], marker="D", ms=11, mfc="none", mec=PALETTE["orange"],
                        mew=2.6, ls="none", zorder=6)
            if r.get("score") is not None:
                ax.plot([r["score"]], [y], marker="o", ms=15, color=PALETTE["blue"], mec="white", mew=1.5,
                        ls="none", zorder=5, clip_on=False)
                ax.annotate(_score(r["score"]), xy=(1.0, y), xycoords=("axes fraction", "data"),
                            xytext=(10, 0), textcoords="offset points", va="center", ha="left",
                            fontsize=14, fontweight="bold", color=PALETTE["blue"])
            else:
                ax.annotate("not scored", xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(10, 0),
                            textcoords="offset points", va="center", ha="left", fontsize=12,
                            color=PALETTE["muted"], style="italic")
        if comp:
            ax.axhline(len(dims) - 0.25, color="#DDDDDD", lw=1, zorder=1)
        ax.set_yticks(ys, [r["label"] for r in ordered])
        for label in ax.get_yticklabels()[-1:] if comp else []:
            label.set_fontweight("bold")
        ax.set_ylim(max(ys) + 0.7, -0.7)
        ax.set_xlim(-2, 102)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("Score (0-100)")
        ax.grid(axis="x", color="#E6E6E6", lw=1)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0, labelsize=14)
        ax.tick_params(axis="x", labelsize=13)
        ax.spines["left"].set_visible(False)

        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", ms=12, color=PALETTE["blue"], mec="white", ls="none", label="This institution"),
            Line2D([], [], color=PALETTE["sky"], lw=8, alpha=0.55, label="90% range over method choices"),
            Line2D([], [], marker="D", ms=10, mfc="none", mec=PALETTE["orange"], mew=2.4, ls="none",
                   label=f"Regional median ({profile.get('n_region', 0)} institutions)"),
            Line2D([], [], marker="|", ms=18, mew=3, color=PALETTE["muted"], ls="none",
                   label=f"Global median ({profile.get('n_institutions', 0)} institutions)"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=12,
                  frameon=False, handlelength=1.8, columnspacing=1.6)

        scored = [r for r in dims if r.get("gap_global") is not None]
        above = [r for r in scored if r["gap_global"] > 0]
        if scored:
            best = max(scored, key=lambda r: r["gap_global"])
            worst = min(scored, key=lambda r: r["gap_global"])
            title = f"{name}: above the global median on {len(above)} of {len(scored)} capacities"
            if len(above) == len(scored):
                title = f"{name}: above the global median on every capacity"
            elif not above:
                title = f"{name}: below the global median on every capacity"
            subtitle = (
                f"{profile.get('institution') or 'The institution'}. Relative strength: {best['label'].lower()}; "
                f"furthest below the median: {worst['label'].lower()}."
            )
        else:
            title, subtitle = f"{name}: capacities could not be scored", None
        source = (
            f"{SOURCE_SURVEY}; scores 0-100. Bars: 5th-95th percentile over {profile['n_draws']:,} method draws."
            if profile.get("n_draws")
            else f"{SOURCE_SURVEY}; scores 0-100 (100 = strongest)."
        )
        _decorate(ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic)
        _finish(ax)
    return ax


# =============================================================================
# Migrant stock trend
# =============================================================================
def _trend_rows(stock, country, year):
    if _is_brief(stock):
        mig = stock.data.get("migration") or {}
        return list(mig.get("trend") or []), stock.data["header"]["country"]
    if isinstance(stock, pd.DataFrame):
        rows = stock[stock["is_country"].astype(bool) & (stock["iso3"] == country)].sort_values("year")
        if year is not None:
            rows = rows[rows["year"] <= int(year)]
        trend = [
            {"year": int(r["year"]), "migrants": float(r["migrants"]),
             "migrant_share_pct": None if pd.isna(r["migrant_share_pct"]) else float(r["migrant_share_pct"])}
            for _, r in rows.iterrows()
            if not pd.isna(r["migrants"])
        ]
        return trend, _country_label(country)
    raise TypeError(f"plot_migrant_trend needs the migrant-stock table or a Brief, not {type(stock).__name__}")


def plot_migrant_trend(stock, *, country, ax=None, year=None):
    """International migrant stock of a country, 1990 to the latest year.

    Bars show the number of migrants; the label above each bar gives migrants
    as a share of the population.

    Parameters
    ----------
    stock : DataFrame or Brief
        :func:`nhri_capacity.reference.migration.load_migrant_stock`, or a Brief (its
        ``migration.trend``).
    country : str
        ISO3 code.
    year : int, optional
        Last year shown (default: all years).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    trend, name = _trend_rows(stock, country, year)
    if not trend:
        raise ValueError(f"No UN DESA migrant-stock figures for {country}")
    with _style():
        ax = ax if ax is not None else _new_axes(_FIGSIZES["migrant_trend"])
        years = [t["year"] for t in trend]
        values = np.array([t["migrants"] for t in trend], dtype=float)
        scale, unit = (1e6, "millions") if values.max() >= 1e6 else (1e3, "thousands")
        x = np.arange(len(years))
        colours = [PALETTE["sky"]] * (len(years) - 1) + [PALETTE["blue"]]
        ax.bar(x, values / scale, width=0.66, color=colours, zorder=2)
        top = (values / scale).max()
        for xi, t, v in zip(x, trend, values):
            ax.annotate(_pct(t.get("migrant_share_pct")), xy=(xi, v / scale), xytext=(0, 5),
                        textcoords="offset points", ha="center", va="bottom", fontsize=13,
                        color=PALETTE["ink"])
        ax.set_xticks(x, [str(y) for y in years])
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel(f"Migrants ({unit})")
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.1f}" if top < 10 else f"{v:,.0f}"))
        ax.grid(axis="y", color="#E6E6E6", lw=1)
        ax.set_axisbelow(True)
        ax.tick_params(axis="x", length=0, labelsize=13)
        ax.tick_params(axis="y", labelsize=13)

        last, first = trend[-1], trend[0]
        title = f"{name}: {_fmt_people(last['migrants'])} migrants in {last['year']}"
        if len(trend) >= 2 and first["migrants"]:
            change = 100 * (last["migrants"] - first["migrants"]) / first["migrants"]
            if abs(change) < 5:
                title += f", about as many as in {first['year']}"
            else:
                title += f", {'up' if change > 0 else 'down'} {_score(abs(round(change, 1)))}% since {first['year']}"
        subtitle = "International migrant stock at mid-year; labels: migrants as a share of the total population."
        _decorate(ax, title=title, subtitle=subtitle, source=SOURCE_UN_DESA, synthetic=False)
        _finish(ax)
    return ax


# =============================================================================
# Need and capacity
# =============================================================================
def _need_frame(results, year, stock):
    from ..brief import need_and_capacity

    if _is_brief(results):
        brief = results
        mig = brief.data.get("migration") or {}
        frame = need_and_capacity(brief.results, year=year or mig.get("year"), stock=brief.stock)
        return frame, bool(brief.synthetic)
    if _is_results(results):
        return need_and_capacity(results, year=year, stock=stock), bool(results.synthetic)
    if isinstance(results, pd.DataFrame):
        return results, bool(results.attrs.get("synthetic", False))
    raise TypeError(
        f"plot_need_capacity needs SurveyResults, a Brief or a need_and_capacity() frame, not {type(results).__name__}"
    )


def plot_need_capacity(results, *, country=None, year=None, ax=None, stock=None):
    """Migrant share of the population (log scale) against composite capacity.

    Every institution in the survey is a dot; dashed lines mark the medians
    and split the chart into quadrants; *country* is highlighted and labelled,
    the other institutions of its region are drawn in light blue.

    Parameters
    ----------
    results : SurveyResults, Brief or DataFrame
        Survey results, a Brief, or a frame from
        :func:`nhri_capacity.brief.content.need_and_capacity`.
    country : str, optional
        ISO3 code to highlight.
    year : int, optional
        Migrant-stock year (default: the latest, or the Brief's year).
    stock : DataFrame, optional
        Migrant-stock table (loaded if omitted).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    frame, synthetic = _need_frame(results, year, stock)
    data = frame.dropna(subset=["migrant_share_pct", "composite"])
    data = data[data["migrant_share_pct"] > 0]
    if country is None and _is_brief(results):
        country = results.iso3
    with _style():
        ax = ax if ax is not None else _new_axes(_FIGSIZES["need_capacity"])
        x_med = float(data["migrant_share_pct"].median()) if len(data) else None
        y_med = float(data["composite"].median()) if len(data) else None
        mine = data[data["iso3"] == country] if country else data.iloc[0:0]
        region = mine["region"].iloc[0] if len(mine) else None
        others = data.drop(mine.index)
        same = others[others["region"] == region] if region is not None else others.iloc[0:0]
        rest = others.drop(same.index)
        ax.scatter(rest["migrant_share_pct"], rest["composite"], s=55, color=PALETTE["light"],
                   edgecolor="white", linewidth=0.6, zorder=2, label="Other institutions")
        if len(same):
            ax.scatter(same["migrant_share_pct"], same["composite"], s=70, color=PALETTE["sky"],
                       edgecolor="white", linewidth=0.6, zorder=3, label=f"Same region ({region})")
        ax.set_xscale("log")
        lo = max(data["migrant_share_pct"].min() / 1.5, 0.01) if len(data) else 0.05
        hi = min(data["migrant_share_pct"].max() * 1.5, 100.0) if len(data) else 100
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 100)
        ticks = [t for t in (0.03, 0.1, 0.3, 1, 3, 10, 30, 100) if lo <= t <= hi]
        ax.set_xticks(ticks, [(f"{t:g}%") for t in ticks])
        ax.minorticks_off()
        if x_med is not None:
            ax.axvline(x_med, color=PALETTE["muted"], ls="--", lw=1.2, zorder=1)
            ax.axhline(y_med, color=PALETTE["muted"], ls="--", lw=1.2, zorder=1)
            ax.annotate(f"median {_pct(x_med)}", xy=(x_med, 100), xytext=(4, -4), textcoords="offset points",
                        ha="left", va="top", fontsize=11, color=PALETTE["muted"])
            ax.annotate(f"median {_score(y_med)}", xy=(hi, y_med), xytext=(-4, 4), textcoords="offset points",
                        ha="right", va="bottom", fontsize=11, color=PALETTE["muted"])
        corner = dict(fontsize=11.5, color="#777777", style="italic", zorder=1)
        ax.text(0.01, 0.02, "Fewer migrants, lower capacity", transform=ax.transAxes, ha="left", va="bottom", **corner)
        ax.text(0.99, 0.02, "More migrants, lower capacity", transform=ax.transAxes, ha="right", va="bottom", **corner)
        ax.text(0.01, 0.90, "Fewer migrants, higher capacity", transform=ax.transAxes, ha="left", va="top", **corner)
        ax.text(0.99, 0.90, "More migrants, higher capacity", transform=ax.transAxes, ha="right", va="top", **corner)
        name = _country_label(country) if country else None
        if len(mine):
            row = mine.iloc[0]
            ax.scatter([row["migrant_share_pct"]], [row["composite"]], s=230, color=PALETTE["vermilion"],
                       edgecolor=PALETTE["ink"], linewidth=1.2, zorder=5, label=name)
            right = math.log10(row["migrant_share_pct"]) < (math.log10(lo) + math.log10(hi)) / 2
            ax.annotate(
                name, xy=(row["migrant_share_pct"], row["composite"]), xytext=(14 if right else -14, 10),
                textcoords="offset points", ha="left" if right else "right", va="bottom", fontsize=15,
                fontweight="bold", color=PALETTE["vermilion"], zorder=6,
            )
        ax.set_xlabel("International migrants, % of population (log scale)")
        ax.set_ylabel("Composite capacity (0-100)")
        ax.grid(color="#EEEEEE", lw=1)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=13)
        yr = frame.attrs.get("year") or year
        if len(mine) and x_med is not None:
            row = mine.iloc[0]
            share = "above" if row["migrant_share_pct"] >= x_med else "below"
            cap = "above" if row["composite"] >= y_med else "below"
            title = f"{name}: migrant share {share}, capacity {cap} the median"
            if share == cap:
                title = f"{name}: {share} the median on both migrant share and capacity"
            subtitle = (
                f"Migrants {_pct(row['migrant_share_pct'])} of the population"
                f"{f' ({yr})' if yr else ''}, composite capacity {_score(row['composite'])}. "
                f"Each dot is one of {len(data)} institutions"
                + ("; light blue: same region." if len(same) else ".")
            )
        else:
            rho = float(pd.Series(np.log(data["migrant_share_pct"])).corr(data["composite"], method="spearman")) if len(data) > 2 else float("nan")
            strength = (
                "No clear link" if not abs(rho) >= 0.1 else "A weak link" if abs(rho) < 0.3
                else "A moderate link" if abs(rho) < 0.5 else "A strong link"
            )
            title = f"{strength} between migrant share and NHRI capacity (Spearman \u03c1 = {rho:.2f})"
            subtitle = f"Each dot is one of {len(data)} institutions; dashed lines: medians."
        source = f"{SOURCE_SURVEY}; UN DESA International Migrant Stock 2020 (CC BY 3.0 IGO)."
        _decorate(ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic)
        _finish(ax)
    return ax


# =============================================================================
# Themes
# =============================================================================
def _theme_items(themes, country):
    from ..brief import theme_profile

    if _is_brief(themes):
        sec = themes.data.get("themes") or {}
        return list(sec.get("items") or []), themes.data["header"]["country"], bool(themes.synthetic), sec.get("region")
    if _is_results(themes):
        items = theme_profile(country, themes)
        region = themes.primary_institution(country)["region"]
        return items, _country_label(country), bool(themes.synthetic), None if pd.isna(region) else str(region)
    if isinstance(themes, pd.DataFrame):
        labels = dict(load_codebook().themes)
        frame = themes
        if "region" not in frame.columns:
            from ..reference import region_of

            frame = frame.assign(region=region_of(frame["iso3"].astype("string"), strict=False))
        mine = frame[frame["iso3"] == country]
        if mine.empty:
            raise ValueError(f"No institution from {country} in the themes table")
        row = mine.sort_values("inst_id").iloc[0] if "inst_id" in mine.columns else mine.iloc[0]
        region = row["region"]
        regional = frame[frame["region"] == region] if not pd.isna(region) else frame.iloc[0:0]
        items = []
        for key, label in labels.items():
            if key not in frame.columns:
                continue
            level = row[key]
            reg = pd.to_numeric(regional[key], errors="coerce").astype("float64").median() if len(regional) else float("nan")
            items.append(
                {
                    "key": key, "label": label,
                    "level": None if pd.isna(level) else float(level),
                    "regional_median": None if pd.isna(reg) else float(reg),
                }
            )
        from ..survey import is_synthetic

        return items, _country_label(country), bool(is_synthetic(themes)), None if pd.isna(region) else str(region)
    raise TypeError(f"plot_themes needs a Brief, SurveyResults or a score_themes() frame, not {type(themes).__name__}")


def plot_themes(themes, *, country, ax=None):
    """Activity on the nine migration themes: the institution against its regional median.

    A dumbbell chart on the 0-3 activity scale (None, Occasional, Regular,
    Core programme): blue dot = the institution, orange diamond = median of
    the institutions of its UN SDG region.

    Parameters
    ----------
    themes : Brief, SurveyResults or DataFrame
        A Brief, survey results, or a frame from
        :func:`nhri_capacity.scoring.scores.score_themes` (regions are looked up
        when it has no ``region`` column).
    country : str
        ISO3 code.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    items, name, synthetic, region = _theme_items(themes, country)
    if not items:
        raise ValueError(f"No theme activity reported for {country}")
    with _style():
        ax = ax if ax is not None else _new_axes(_FIGSIZES["themes"])
        ys = np.arange(len(items))
        for y, t in zip(ys, items):
            lvl, reg = t.get("level"), t.get("regional_median")
            if lvl is not None and reg is not None:
                ax.plot([lvl, reg], [y, y], color="#BBBBBB", lw=3, zorder=2, solid_capstyle="round")
            if reg is not None:
                ax.plot([reg], [y], marker="D", ms=12, mfc="none", mec=PALETTE["orange"], mew=2.6, ls="none", zorder=6)
            if lvl is not None:
                ax.plot([lvl], [y], marker="o", ms=14, color=PALETTE["blue"], mec="white", mew=1.5, ls="none", zorder=4)
            else:
                ax.annotate("not answered", xy=(0, y), xytext=(8, 0), textcoords="offset points", va="center",
                            ha="left", fontsize=12, style="italic", color=PALETTE["muted"])
        ax.set_yticks(ys, ["\n".join(textwrap.wrap(t["label"], 30)) for t in items])
        ax.set_ylim(len(items) - 0.5, -0.6)
        ax.set_xlim(-0.3, 3.4)
        ax.set_xticks(range(4), list(_THEME_LEVELS))
        ax.grid(axis="x", color="#E6E6E6", lw=1)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0, labelsize=13)
        ax.tick_params(axis="x", labelsize=13)
        ax.spines["left"].set_visible(False)

        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", ms=12, color=PALETTE["blue"], mec="white", ls="none", label="This institution"),
            Line2D([], [], marker="D", ms=10, mfc="none", mec=PALETTE["orange"], mew=2.4, ls="none",
                   label=f"Regional median{f' ({region})' if region else ''}"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize=12, frameon=False)

        answered = [t for t in items if t.get("level") is not None]
        if answered:
            top = max(t["level"] for t in answered)
            best = [t["label"] for t in answered if t["level"] == top]
            level_name = _THEME_LEVELS[int(round(top))] if float(top).is_integer() else f"{_THEME_LEVELS[int(top)]}-{_THEME_LEVELS[int(top) + 1]}"
            if top == 0:
                title = f"{name}: no activity reported on any migration theme"
            elif len(best) <= 2:
                title = f"{name}: most active on {_join([b.lower() for b in best])} ({level_name.lower()})"
            else:
                title = f"{name}: {level_name.lower()} activity on {len(best)} of {len(items)} themes"
            below = [t for t in answered if t.get("regional_median") is not None and t["level"] < t["regional_median"]]
            if below:
                subtitle = (
                    f"Below the regional median on {len(below)} of {len(items)} themes: "
                    f"{_join([b['label'].lower() for b in below[:3]])}{' and others' if len(below) > 3 else ''}."
                )
            else:
                subtitle = "At or above the regional median on every theme answered."
        else:
            title, subtitle = f"{name}: theme activity not reported", None
        _decorate(ax, title=title, subtitle=subtitle, source=f"{SOURCE_SURVEY}, section D (activity in the last 12 months).",
                  synthetic=synthetic)
        _finish(ax)
    return ax


# =============================================================================
# Brief figures and saving
# =============================================================================
def brief_figures(brief) -> dict:
    """The figures of a brief, as Figures pyplot does not track.

    Returns
    -------
    dict
        ``name -> matplotlib.figure.Figure`` for ``migrant_trend``,
        ``capacity_profile``, ``need_capacity`` and ``themes``, each only when
        its section is in the brief.
    """
    from matplotlib.figure import Figure

    data = brief.data
    iso3 = data["header"]["iso3"]
    jobs = []
    if data.get("migration"):
        jobs.append(("migrant_trend", lambda ax: plot_migrant_trend(brief, country=iso3, ax=ax)))
    if data.get("capacity"):
        jobs.append(("capacity_profile", lambda ax: plot_capacity_profile(brief, country=iso3, ax=ax)))
    if data.get("need_capacity"):
        jobs.append(("need_capacity", lambda ax: plot_need_capacity(brief, country=iso3, ax=ax)))
    if data.get("themes"):
        jobs.append(("themes", lambda ax: plot_themes(brief, country=iso3, ax=ax)))
    figures = {}
    for name, draw in jobs:
        with _style():
            fig = Figure(figsize=_BRIEF_FIGSIZES[name], layout="constrained")
            ax = fig.add_subplot()
        draw(ax)
        _settle_layout(fig)
        figures[name] = fig
    return figures


def _settle_layout(fig, passes: int = 4, *, freeze: bool = True) -> None:
    """Run the constrained layout to a fixed point (and freeze it).

    The title and source lines are anchored to the axes' tick labels, so each
    layout pass moves them a little less; from the converged state a further
    pass changes nothing, and freezing it makes every later save (PNG, SVG,
    embedded copy) identical. Figures handed to the caller are not frozen, so
    that their layout still adapts to anything the caller adds.
    """
    previous = None
    with _style():
        for _ in range(passes):
            fig.draw_without_rendering()
            now = [tuple(round(v, 4) for v in ax.get_position().bounds) for ax in fig.axes]
            if now == previous:
                break
            previous = now
    if freeze:
        fig.set_layout_engine("none")


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
    with _style():
        for fmt in formats:
            fmt = str(fmt).lower().lstrip(".")
            target = stem.with_name(stem.name + f".{fmt}")
            metadata = {"Date": None} if fmt in ("svg", "pdf") else None
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
            out[fmt] = target
    return out
