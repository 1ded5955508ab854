"""Charts of what an institution does: its capacity profile and its activity on migration themes.

Every chart function follows the seaborn convention: the data come first, the
options are keyword-only, ``ax=None`` draws on a new pyplot figure (so it
shows in a notebook), an existing Axes is drawn on as it is, and the Axes is
returned. A brief (or its data, as in ``data.json``) is drawn from its data
alone; survey results and score tables are drawn for exploring a survey.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..brief import SurveyResults, capacity_profile, theme_profile
from ..common.values import is_missing
from ..reference import region_of
from ..survey import is_synthetic, load_codebook
from .formatting import fmt_score
from .inputs import country_label, data_of
from .style import (
    PALETTE,
    SOURCE_SURVEY,
    current_context,
    decorate,
    figsize,
    finish,
    legend_below,
    new_axes,
    style,
    sz,
)

__all__ = ["plot_capacity_profile", "plot_themes"]


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _dot_chart_axes(ax, *, y_labelsize: float) -> None:
    """Grid, ticks and spines of the horizontal dot charts."""
    ax.grid(axis="x", color="#E6E6E6", lw=sz(1))
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0, labelsize=y_labelsize)
    ax.tick_params(axis="x", labelsize=sz(13))
    ax.spines["left"].set_visible(False)


def _this_institution_handle():
    """Legend entry of the institution's own dot (blue)."""
    from matplotlib.lines import Line2D

    return Line2D([], [], marker="o", ms=sz(12), color=PALETTE["blue"], mec="white", ls="none", label="This institution")


def _capacity_rows(scores_or_brief, country, intervals):
    """(profile dict, country name, synthetic) from a Brief, SurveyResults or scores frame."""
    data = data_of(scores_or_brief)
    if data is not None:
        return data["capacity"], data["header"]["country"], bool(data["header"]["synthetic"])
    if isinstance(scores_or_brief, SurveyResults):
        res = scores_or_brief
        return capacity_profile(country, res), country_label(country), bool(res.synthetic)
    if isinstance(scores_or_brief, pd.DataFrame):
        scores = scores_or_brief
        res = SurveyResults(
            survey=pd.DataFrame(), scores=scores, themes=pd.DataFrame(), items=pd.DataFrame(),
            intervals=intervals if intervals is not None else pd.DataFrame(),
            synthetic=bool(is_synthetic(scores)), meta={}, spec={},
        )
        return capacity_profile(country, res), country_label(country), res.synthetic
    raise TypeError(
        "plot_capacity_profile needs a Brief (or its data), SurveyResults or a scores DataFrame, "
        f"not {type(scores_or_brief).__name__}"
    )


def plot_capacity_profile(scores_or_brief, *, country, intervals=None, ax=None, source_note=None):
    """Five capacities and the composite against regional and global medians.

    A horizontal dot-and-interval chart: the institution's score (blue dot),
    its 90% range over method choices (light bar), the regional median
    (orange diamond) and the global median (grey tick). Deliberately not a
    ranking.

    Parameters
    ----------
    scores_or_brief : Brief, dict, SurveyResults or DataFrame
        A :class:`~nhri_capacity.brief.model.Brief` or its data (as in
        ``data.json``), the survey results, or a scores frame from
        :func:`nhri_capacity.scoring.scores.score_survey`.
    country : str
        ISO3 code of the country whose (first) institution is shown (a brief
        shows its own).
    intervals : DataFrame, optional
        :func:`nhri_capacity.scoring.uncertainty.score_intervals`, when a scores
        frame is given (Brief and SurveyResults carry their own).
    ax : matplotlib Axes, optional
        Drawn on if given; otherwise a new figure is made.
    source_note : str, optional
        Added to the source line (e.g. the survey's terms of use).

    Returns
    -------
    matplotlib.axes.Axes
    """
    profile, name, synthetic = _capacity_rows(scores_or_brief, country, intervals)
    with style():
        ax = ax if ax is not None else new_axes(figsize("capacity_profile"))
        rows = profile["rows"]
        dims = [r for r in rows if r["key"] != "composite"]
        comp = next((r for r in rows if r["key"] == "composite"), None)
        ordered = dims + ([comp] if comp else [])
        ys = list(range(len(dims))) + ([len(dims) + 0.5] if comp else [])
        for y, r in zip(ys, ordered, strict=True):
            if r.get("p05") is not None and r.get("p95") is not None:
                ax.plot([r["p05"], r["p95"]], [y, y], color=PALETTE["sky"], lw=sz(9), alpha=0.55,
                        solid_capstyle="butt", zorder=2)
            if r.get("global_median") is not None:
                ax.plot([r["global_median"]], [y], marker="|", ms=sz(26), mew=sz(3), color=PALETTE["muted"],
                        ls="none", zorder=3)
            if r.get("regional_median") is not None:
                ax.plot([r["regional_median"]], [y], marker="D", ms=sz(11), mfc="none", mec=PALETTE["orange"],
                        mew=sz(2.6), ls="none", zorder=6)
            if r.get("score") is not None:
                ax.plot([r["score"]], [y], marker="o", ms=sz(15), color=PALETTE["blue"], mec="white", mew=sz(1.5),
                        ls="none", zorder=5, clip_on=False)
                ax.annotate(fmt_score(r["score"]), xy=(1.0, y), xycoords=("axes fraction", "data"),
                            xytext=(sz(10), 0), textcoords="offset points", va="center", ha="left",
                            fontsize=sz(14), fontweight="bold", color=PALETTE["blue"])
            else:
                ax.annotate("not scored", xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(sz(10), 0),
                            textcoords="offset points", va="center", ha="left", fontsize=sz(12),
                            color=PALETTE["muted"], style="italic")
        if comp:
            ax.axhline(len(dims) - 0.25, color="#DDDDDD", lw=sz(1), zorder=1)
        ax.set_yticks(ys, [r["label"] for r in ordered])
        for label in ax.get_yticklabels()[-1:] if comp else []:
            label.set_fontweight("bold")
        ax.set_ylim(max(ys) + 0.7, -0.7)
        ax.set_xlim(-2, 102)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("Score (0-100)")
        _dot_chart_axes(ax, y_labelsize=sz(14))

        from matplotlib.lines import Line2D

        handles = [
            _this_institution_handle(),
            Line2D([], [], color=PALETTE["sky"], lw=sz(8), alpha=0.55, label="90% range over method choices"),
            Line2D([], [], marker="D", ms=sz(10), mfc="none", mec=PALETTE["orange"], mew=sz(2.4), ls="none",
                   label=f"Regional median ({profile.get('n_region', 0)} institutions)"),
            Line2D([], [], marker="|", ms=sz(18), mew=sz(3), color=PALETTE["muted"], ls="none",
                   label=f"Global median ({profile.get('n_institutions', 0)} institutions)"),
        ]
        if all(r.get("regional_median") is None for r in rows):
            del handles[2]  # no regional median drawn (e.g. withheld for a small region)
        if current_context() == "projector":
            legend_below(ax, handles, ncol=2)  # clear of the larger axis label
        else:
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=sz(12),
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
        if source_note:
            source = f"{source} {source_note}"
        decorate(ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic)
        finish(ax)
    return ax


def _theme_levels(scale=None) -> list[str]:
    """Names of the activity levels 0-3, from a brief's ``themes.scale`` or the codebook."""
    scale = scale or load_codebook().choice_lists["activity4"]
    names = {int(k): v for k, v in scale.items()}
    return [names[i] for i in range(4)]


def _theme_items(themes, country):
    """(items, country name, synthetic, region, level names) from any input of :func:`plot_themes`."""
    data = data_of(themes)
    if data is not None:
        sec = data.get("themes") or {}
        items = list(sec.get("items") or [])
        return items, data["header"]["country"], bool(data["header"]["synthetic"]), sec.get("region"), _theme_levels(sec.get("scale"))
    if isinstance(themes, SurveyResults):
        items = theme_profile(country, themes)
        region = themes.primary_institution(country)["region"]
        region = None if is_missing(region) else str(region)
        return items, country_label(country), bool(themes.synthetic), region, _theme_levels()
    if isinstance(themes, pd.DataFrame):
        labels = dict(load_codebook().themes)
        frame = themes
        if "region" not in frame.columns:
            frame = frame.assign(region=region_of(frame["iso3"].astype("string"), strict=False))
        mine = frame[frame["iso3"] == country]
        if mine.empty:
            raise ValueError(f"No institution from {country} in the themes table")
        row = mine.sort_values("inst_id").iloc[0] if "inst_id" in mine.columns else mine.iloc[0]
        region = row["region"]
        regional = frame[frame["region"] == region] if not is_missing(region) else frame.iloc[0:0]
        items = []
        for key, label in labels.items():
            if key not in frame.columns:
                continue
            level = row[key]
            reg = pd.to_numeric(regional[key], errors="coerce").astype("float64").median() if len(regional) else float("nan")
            items.append(
                {
                    "key": key, "label": label,
                    "level": None if is_missing(level) else float(level),
                    "regional_median": None if is_missing(reg) else float(reg),
                }
            )
        region = None if is_missing(region) else str(region)
        return items, country_label(country), bool(is_synthetic(themes)), region, _theme_levels()
    raise TypeError(
        f"plot_themes needs a Brief (or its data), SurveyResults or a score_themes() frame, not {type(themes).__name__}"
    )


def plot_themes(themes, *, country, ax=None):
    """Activity on the nine migration themes: the institution against its regional median.

    A dumbbell chart on the 0-3 activity scale (None, Occasional, Regular,
    Core programme): blue dot = the institution, orange diamond = median of
    the institutions of its UN SDG region.

    Parameters
    ----------
    themes : Brief, dict, SurveyResults or DataFrame
        A Brief or its data, survey results, or a frame from
        :func:`nhri_capacity.scoring.scores.score_themes` (regions are looked up
        when it has no ``region`` column).
    country : str
        ISO3 code (a brief shows its own).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    items, name, synthetic, region, levels = _theme_items(themes, country)
    if not items:
        raise ValueError(f"No theme activity reported for {country}")
    with style():
        ax = ax if ax is not None else new_axes(figsize("themes"))
        ys = np.arange(len(items))
        for y, t in zip(ys, items, strict=True):
            lvl, reg = t.get("level"), t.get("regional_median")
            if lvl is not None and reg is not None:
                ax.plot([lvl, reg], [y, y], color="#BBBBBB", lw=sz(3), zorder=2, solid_capstyle="round")
            if reg is not None:
                ax.plot([reg], [y], marker="D", ms=sz(12), mfc="none", mec=PALETTE["orange"], mew=sz(2.6), ls="none", zorder=6)
            if lvl is not None:
                ax.plot([lvl], [y], marker="o", ms=sz(14), color=PALETTE["blue"], mec="white", mew=sz(1.5), ls="none", zorder=4)
            else:
                ax.annotate("not answered", xy=(0, y), xytext=(sz(8), 0), textcoords="offset points", va="center",
                            ha="left", fontsize=sz(12), style="italic", color=PALETTE["muted"])
        ax.set_yticks(ys, ["\n".join(textwrap.wrap(t["label"], 30)) for t in items])
        ax.set_ylim(len(items) - 0.5, -0.6)
        ax.set_xlim(-0.3, 3.4)
        ax.set_xticks(range(4), levels)
        _dot_chart_axes(ax, y_labelsize=sz(13))

        from matplotlib.lines import Line2D

        handles = [
            _this_institution_handle(),
            Line2D([], [], marker="D", ms=sz(10), mfc="none", mec=PALETTE["orange"], mew=sz(2.4), ls="none",
                   label=f"Regional median{f' ({region})' if region else ''}"),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize=sz(12), frameon=False)

        answered = [t for t in items if t.get("level") is not None]
        if answered:
            top = max(t["level"] for t in answered)
            best = [t["label"] for t in answered if t["level"] == top]
            level_name = levels[int(round(top))] if float(top).is_integer() else f"{levels[int(top)]}-{levels[int(top) + 1]}"
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
        decorate(ax, title=title, subtitle=subtitle, source=f"{SOURCE_SURVEY}, section D (activity in the last 12 months).",
                  synthetic=synthetic)
        finish(ax)
    return ax


