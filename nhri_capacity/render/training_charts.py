"""Charts for trainers: capacities by region, theme activity, good practices, treaty ratification.

They compare groups (regions, capacities, themes), never institutions with
each other: no chart ranks named institutions, a region is shown on its own
only with enough institutions (:data:`nhri_capacity.brief.summaries.MIN_GROUP`),
and good practices are counted only with their authors' consent. Their data
are the tables of :mod:`nhri_capacity.brief.summaries`.

Every chart function follows the seaborn convention: the data come first, the
options are keyword-only, ``ax=None`` draws on a new pyplot figure, an existing
Axes is drawn on as it is, and the Axes is returned. Draw them inside
``with render.style.context("projector"):`` for slides. Each chart's title
states its finding, computed from the data; the source line gives the data's
terms, and charts of a synthetic survey say so on the chart.
"""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd

from ..brief import (
    ALL_INSTITUTIONS,
    MIN_GROUP,
    OTHER_REGIONS,
    SurveyResults,
    capacity_distribution,
    check_region,
    practice_counts,
    theme_medians,
    treaty_context,
    treaty_counts,
)
from ..common.values import is_missing
from ..reference import region_of
from ..survey import DIMENSIONS, load_codebook
from .formatting import fmt_score
from .inputs import country_label
from .style import (
    PALETTE,
    SOURCE_TREATIES,
    decorate,
    figsize,
    finish,
    legend_below,
    new_axes,
    style,
    survey_source,
    sz,
)

__all__ = [
    "plot_capacity_by_region",
    "plot_theme_heatmap",
    "plot_practices",
    "plot_treaty_summary",
    "SHORT_REGIONS",
    "SHORT_THEMES",
]

_GREY_BOX = "#9A9A9A"
_BOX_WIDTH = 0.78
# Names as printed on the charts, short enough for one line at projector size;
# titles, notes and alt text keep the full names.
SHORT_REGIONS = {
    "Sub-Saharan Africa": "Sub-Saharan Africa",
    "Northern Africa and Western Asia": "N. Africa & W. Asia",
    "Central and Southern Asia": "Central & S. Asia",
    "Eastern and South-Eastern Asia": "E. & S.E. Asia",
    "Latin America and the Caribbean": "Latin America & Caribbean",
    "Oceania (excluding Australia and New Zealand)": "Oceania (excl. Aus. & NZ)",
    "Australia and New Zealand": "Australia & New Zealand",
    "Europe and Northern America": "Europe & N. America",
    OTHER_REGIONS: "Other regions",
}
SHORT_THEMES = {
    "legal_framework": "Legal framework",
    "mechanisms": "Mechanisms",
    "laws_policies": "Laws and policies",
    "detention_deportation": "Detention and deportation",
    "trafficking_smuggling": "Trafficking and smuggling",
    "asylum_migration": "Asylum-migration nexus",
    "women_domestic_workers": "Women, domestic workers",
    "children_family": "Children and families",
    "discrimination_xenophobia": "Discrimination, xenophobia",
}


def _wrap(text: str, width: int) -> str:
    lines = textwrap.wrap(str(text), width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) or str(text)


def _short(region) -> str:
    return SHORT_REGIONS.get(str(region), str(region))


def _join(names) -> str:
    names = list(names)
    if len(names) > 2:
        return f"{names[0]}, {names[1]} and others"
    return " and ".join(names)


def _level(value) -> str:
    """A median activity level as written in a cell: ``2`` or ``1.5``."""
    return "" if is_missing(value) else f"{float(value):g}"


def _frame_of(data, builder, name: str, **options) -> pd.DataFrame:
    """The summary table of *data*: built from SurveyResults, or *data* itself when already a table."""
    if isinstance(data, SurveyResults):
        return builder(data, **options)
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"{name} needs SurveyResults or a {builder.__name__}() frame, not {type(data).__name__}")


def _light_grid(ax, axis: str) -> None:
    ax.grid(axis=axis, color="#E6E6E6", lw=sz(1))
    ax.set_axisbelow(True)


# --------------------------------------------------------------------------- capacities by region
def _median_by(frame, by):
    return frame.groupby(by, observed=True)["score"].median()


def _own_row(order, own_region):
    """Row of a country's dot in the by-region layout: its region's, or the pooled small regions'."""
    if own_region in order:
        return order.index(own_region)
    return order.index(OTHER_REGIONS) if OTHER_REGIONS in order else None


def plot_capacity_by_region(results, *, region=None, capacity=None, country=None, ax=None):
    """How capacity scores spread: each capacity for one region and the rest, or one capacity by region.

    Boxes hold the middle half of the institutions (line: median; whiskers:
    up to 1.5 times the box length), dots are institutions, unnamed.

    Parameters
    ----------
    results : SurveyResults or DataFrame
        Survey results, or a :func:`nhri_capacity.brief.summaries.capacity_distribution` frame.
    region : str, optional
        Compare this UN SDG region with the other regions (five capacities
        and the composite).
    capacity : str, optional
        One capacity key (or ``"composite"``) by region instead.
    country : str, optional
        ISO3 code whose institution is marked (vermilion) on each row; with
        ``capacity=None`` and no *region*, its region is compared when it has
        enough institutions. Needs SurveyResults.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import seaborn as sns

    mine, own = None, None
    if country is not None:
        if not isinstance(results, SurveyResults):
            raise TypeError("plot_capacity_by_region needs SurveyResults to mark a country")
        inst = results.primary_institution(country)
        name, mine = country_label(country), {k: inst[k] for k in (*DIMENSIONS, "composite")}
        own = None if is_missing(inst["region"]) else str(inst["region"])
        if region is None and capacity is None and own is not None:
            sizes = results.scores["region"].value_counts()
            region = str(own) if sizes.get(own, 0) >= MIN_GROUP else None
    frame = _frame_of(results, capacity_distribution, "plot_capacity_by_region", region=region, capacity=capacity)
    capacity = frame.attrs.get("capacity", capacity)
    region = frame.attrs.get("region", region)
    synthetic = bool(frame.attrs.get("synthetic"))
    by_capacity = capacity is None
    y = "capacity_label" if by_capacity else "group"
    order = list(dict.fromkeys(frame["capacity_label"])) if by_capacity else list(frame["group"].cat.categories)
    hue_order = list(frame["group"].cat.categories) if by_capacity else None
    two = by_capacity and len(hue_order) == 2
    with style():
        ax = ax if ax is not None else new_axes(figsize("capacity_by_region"))
        colours = [PALETTE["blue"], _GREY_BOX] if two else [PALETTE["sky"]]
        box = dict(data=frame, x="score", y=y, order=order, orient="h", ax=ax, width=_BOX_WIDTH, showfliers=False,
                   linewidth=sz(1.6), fill=False, legend=False)
        dots = dict(data=frame, x="score", y=y, order=order, orient="h", ax=ax, size=sz(5.5), alpha=0.55,
                    jitter=0.22, legend=False, edgecolor="white", linewidth=sz(0.3))
        with warnings.catch_warnings():
            # seaborn 0.13 passes matplotlib 3.11 a deprecated boxplot argument (vert); nothing to act on here.
            warnings.filterwarnings("ignore", message=".*vert: bool", category=DeprecationWarning)
            if two:
                sns.boxplot(**box, hue="group", hue_order=hue_order, palette=colours, gap=0.15)
            else:
                sns.boxplot(**box, color=PALETTE["ink"])
        if two:
            sns.stripplot(**dots, hue="group", hue_order=hue_order, palette=colours, dodge=True)
        else:
            sns.stripplot(**dots, color=PALETTE["blue"])
        if not by_capacity:
            overall = float(frame["score"].median())
            ax.axvline(overall, color=PALETTE["muted"], ls="--", lw=sz(1.5), zorder=1)
        if mine is not None:
            if by_capacity:
                marks = [(i, mine.get(key)) for i, key in enumerate(dict.fromkeys(frame["capacity"]))]
            else:
                row = _own_row(order, own)
                marks = [] if row is None else [(row, mine.get(capacity))]
            offset = _BOX_WIDTH / 4 if two else 0
            marks = [(row, value) for row, value in marks if not is_missing(value)]
            if not marks:
                mine = None  # its group is not shown: no dot, no legend entry
            for row, value in marks:
                ax.scatter([float(value)], [row - offset], s=sz(14) ** 2, marker="D", color=PALETTE["vermilion"],
                           edgecolor=PALETTE["ink"], linewidth=sz(1.2), zorder=6)
        ax.set_yticks(range(len(order)), [label if by_capacity else _short(label) for label in order])
        if by_capacity and "Composite" in order:
            ax.get_yticklabels()[order.index("Composite")].set_fontweight("bold")
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_xlim(-2, 102)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("Score (0-100, 100 = strongest)")
        ax.set_ylabel("")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        _light_grid(ax, "x")

        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = []
        if two:
            handles += [Patch(facecolor="none", edgecolor=c, lw=sz(2), label=_short(g))
                        for g, c in zip(hue_order, colours, strict=True)]
        if not by_capacity:
            handles.append(Line2D([], [], color=PALETTE["muted"], ls="--", lw=sz(1.5), label="Median of all groups"))
        if mine is not None:
            handles.append(Line2D([], [], marker="D", ms=sz(12), color=PALETTE["vermilion"], mec=PALETTE["ink"],
                                  ls="none", label=name))
        if handles:
            legend_below(ax, handles, ncol=min(len(handles), 3))

        title, subtitle = _capacity_by_region_text(frame, by_capacity, region, two)
        left_out = int(frame.attrs.get("n_left_out") or 0)
        if left_out:
            subtitle += f" Not shown as a group: {left_out} institutions of regions under {MIN_GROUP}."
        decorate(ax, title=title, subtitle=subtitle, source=survey_source(synthetic, "scores 0-100"),
                 synthetic=synthetic)
        finish(ax)
    return ax


def _capacity_by_region_text(frame, by_capacity, region, two):
    """Finding title and subtitle of :func:`plot_capacity_by_region`."""
    explain = "Boxes: middle half of the institutions; dots: one institution each."
    if not by_capacity:
        medians = _median_by(frame, "group")
        label = frame["capacity_label"].iloc[0] if len(frame) else ""
        if medians.empty:
            return f"{label}: no scores to compare", explain
        hi, lo = medians.idxmax(), medians.idxmin()
        title = f"{label}: regional medians from {fmt_score(medians[lo])} to {fmt_score(medians[hi])}"
        return title, f"Highest in {hi}, lowest in {lo}. {explain} Dashed line: median of all."
    medians = frame.groupby(["capacity_label", "group"], observed=True)["score"].median().unstack()
    dims = medians.drop(index="Composite", errors="ignore")
    if two:
        ours, rest = medians.columns[0], medians.columns[1]
        above = int((dims[ours] > dims[rest]).sum())
        if above == 0:
            title = f"{region}: median below the other regions on every capacity"
        elif above == len(dims):
            title = f"{region}: median above the other regions on every capacity"
        else:
            title = f"{region}: median above the other regions on {above} of {len(dims)} capacities"
        best, worst = dims[ours].idxmax(), dims[ours].idxmin()
        subtitle = (f"Highest median in the region: {best.lower()} ({fmt_score(dims[ours][best])}); lowest: "
                    f"{worst.lower()} ({fmt_score(dims[ours][worst])}). {explain}")
        return title, subtitle
    col = medians.columns[0]
    best, worst = dims[col].idxmax(), dims[col].idxmin()
    title = (f"Highest median capacity: {best.lower()} ({fmt_score(dims[col][best])}); "
             f"lowest: {worst.lower()} ({fmt_score(dims[col][worst])})")
    n = int((frame["capacity"] == "composite").sum()) or int(frame.groupby("capacity").size().max())
    return title, f"{n} institutions. {explain}"


# --------------------------------------------------------------------------- theme activity
def plot_theme_heatmap(results, *, country=None, region=None, ax=None):
    """Median activity on the nine migration themes: by region, or one institution against its peers.

    A heatmap on the 0-3 activity scale (None, Occasional, Regular, Core
    programme): themes down, regions (or the institution, its region and all
    institutions) across. Only medians of groups of at least
    :data:`~nhri_capacity.brief.summaries.MIN_GROUP` institutions are shown.

    Parameters
    ----------
    results : SurveyResults or DataFrame
        Survey results, or a :func:`nhri_capacity.brief.summaries.theme_medians` frame.
    country : str, optional
        ISO3 code: its institution's column, its region's and all institutions'.
    region : str, optional
        A region whose column is outlined (by-region layout).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import seaborn as sns

    frame = _frame_of(results, theme_medians, "plot_theme_heatmap", country=country)
    region = check_region(region) if region else None
    synthetic = bool(frame.attrs.get("synthetic"))
    columns = list(dict.fromkeys(frame["row"]))
    themes = list(dict.fromkeys(frame["theme"]))
    full = dict(zip(frame["theme"], frame["theme_label"], strict=False))
    matrix = frame.pivot(index="theme", columns="row", values="level").reindex(index=themes, columns=columns)
    values = matrix.astype("float64")
    n_of = dict(zip(frame["row"], frame["n"], strict=False))
    names = load_codebook().choice_lists["activity4"]
    levels = [names[i] for i in range(4)]
    with style():
        ax = ax if ax is not None else new_axes(figsize("theme_heatmap"))
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        colours = ["#F2F2F2", "#C6DBEF", "#6BAED6", "#08519C"]
        annot = matrix.map(lambda v: "\u2013" if is_missing(v) else _level(v)).to_numpy()
        cell_font = sz(14) if len(columns) <= 4 else sz(12)
        sns.heatmap(values, ax=ax, vmin=-0.5, vmax=3.5, cmap=ListedColormap(colours), annot=annot, fmt="",
                    annot_kws={"fontsize": cell_font, "fontweight": "bold"}, linewidths=sz(2), linecolor="white",
                    cbar=False)
        width = 10 if len(columns) > 4 else 24
        ax.set_xticks(np.arange(len(columns)) + 0.5,
                      [_wrap(f"{_short(c)} ({n_of[c]})" if n_of.get(c, 0) > 1 else _short(c), width) for c in columns],
                      rotation=0)
        ax.set_yticks(np.arange(len(themes)) + 0.5, [SHORT_THEMES.get(t, full[t]) for t in themes], rotation=0)
        ax.tick_params(axis="both", length=0, labelsize=sz(12.5))
        ax.tick_params(axis="x", labelsize=sz(11.5))
        ax.set_xlabel("")
        ax.set_ylabel("")
        # seaborn leaves empty cells unlabelled: say they were not answered.
        missing = np.argwhere(np.isnan(values.to_numpy()))
        for r, c in missing:
            ax.text(c + 0.5, r + 0.5, "\u2013", ha="center", va="center", fontsize=cell_font, color=PALETTE["muted"])
        handles = [Patch(facecolor=c, edgecolor="#BBBBBB", label=f"{i} {name}")
                   for i, (c, name) in enumerate(zip(colours, levels, strict=True))]
        if len(missing):
            handles.append(Patch(facecolor="white", edgecolor="none", label="\u2013 not answered"))
        if len(columns) <= 4:  # with more columns their labels need the room; the subtitle gives the scale
            legend_below(ax, handles, ncol=len(handles))
        outline = country_label(country) if country else region
        if outline in columns:
            from matplotlib.patches import Rectangle

            i = columns.index(outline)
            ax.add_patch(Rectangle((i, 0), 1, len(themes), fill=False, edgecolor=PALETTE["vermilion"],
                                   lw=sz(3), clip_on=False, zorder=5))
            ax.get_xticklabels()[i].set_fontweight("bold")
        title, subtitle = _theme_text(values, columns, country, frame, region)
        decorate(ax, title=title, subtitle=subtitle,
                 source=survey_source(synthetic, "section D (activity in the last 12 months)"), synthetic=synthetic)
        finish(ax)
    return ax


def _themes_phrase(names, n_all) -> str:
    names = [SHORT_THEMES.get(k, k).lower() for k in names]
    return _join(names) if len(names) <= 2 else f"{len(names)} of {n_all} themes"


def _level_name(level) -> str:
    """Name of a median activity level: ``Regular``, or ``Occasional to regular`` for 1.5."""
    names = load_codebook().choice_lists["activity4"]
    lo, hi = int(np.floor(level)), int(np.ceil(level))
    return names[lo] if lo == hi else f"{names[lo]} to {names[hi].lower()}"


def _theme_text(values, columns, country, frame, region=None):
    scale = "Median activity in the last 12 months; (n) institutions."
    if country is not None and len(columns) >= 2:
        own, peer = values[columns[0]], values[columns[1]]
        answered = own.notna() & peer.notna()
        at_or_above = int((own[answered] >= peer[answered]).sum())
        peer_name = "regional" if frame.attrs.get("region") in columns else "overall"
        top = own.max()
        best = list(own.index[own == top]) if not is_missing(top) else []
        title = f"{columns[0]}: at or above the {peer_name} median on {at_or_above} of {int(answered.sum())} themes"
        lead = f"{_level_name(top)} activity on {_themes_phrase(best, len(own))}. " if best and top > 0 else ""
        return title, lead + scale
    overall = values[ALL_INSTITUTIONS] if ALL_INSTITUTIONS in values.columns else values.median(axis=1)
    key = "0 none, 1 occasional, 2 regular, 3 core programme; (n) institutions."
    if region in values.columns:
        ours = values[region]
        below = list(ours.index[ours < overall])
        least = list(ours.index[ours == ours.min()])
        title = (f"{region}: below the median of all institutions on {len(below)} of {len(ours)} themes" if below
                 else f"{region}: at or above the median of all institutions on every theme")
        return title, (f"Least activity in the region: {_themes_phrase(least, len(ours))} "
                       f"({_level_name(ours.min()).lower()}). {key}")
    most = list(overall.index[overall == overall.max()])
    least = list(overall.index[overall == overall.min()])
    title = f"Median activity: {_level_name(overall.max()).lower()} on {_themes_phrase(most, len(overall))}"
    lead = f"Least: {_themes_phrase(least, len(overall))} ({_level_name(overall.min()).lower()}). " if least != most else ""
    left_out = int(frame.attrs.get("n_left_out") or 0)
    note = f" Regions under {MIN_GROUP} institutions: last column only." if left_out else ""
    return title, f"{lead}{key}{note}"


# --------------------------------------------------------------------------- good practices
def plot_practices(results, *, region=None, ax=None):
    """Good practices published with consent, counted by agenda theme and capacity.

    Practices whose authors did not consent to publication are never counted.

    Parameters
    ----------
    results : SurveyResults or DataFrame
        Survey results, or a :func:`nhri_capacity.brief.summaries.practice_counts` frame.
    region : str, optional
        Only the practices of institutions in this UN SDG region.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import seaborn as sns

    frame = _frame_of(results, practice_counts, "plot_practices", region=region)
    region = frame.attrs.get("region", region)
    synthetic = bool(frame.attrs.get("synthetic"))
    themes = list(dict.fromkeys(frame["theme"]))
    full = dict(zip(frame["theme"], frame["theme_label"], strict=False))
    capacities = list(dict.fromkeys(frame["capacity_label"]))
    counts = frame.pivot(index="theme", columns="capacity_label", values="n").reindex(index=themes, columns=capacities)
    with style():
        ax = ax if ax is not None else new_axes(figsize("practices"))
        annot = counts.map(lambda v: str(int(v)) if v else "\u2013").to_numpy()
        sns.heatmap(counts, ax=ax, cmap="Blues", vmin=0, vmax=max(int(counts.to_numpy().max()), 1), annot=annot,
                    fmt="", annot_kws={"fontsize": sz(14), "fontweight": "bold"}, linewidths=sz(2),
                    linecolor="white", cbar=False)
        ax.set_xticks(np.arange(len(capacities)) + 0.5, [_wrap(c, 13) for c in capacities], rotation=0)
        ax.set_yticks(np.arange(len(themes)) + 0.5, [SHORT_THEMES.get(t, full[t]) for t in themes], rotation=0)
        ax.tick_params(axis="both", length=0, labelsize=sz(12.5))
        ax.set_xlabel("")
        ax.set_ylabel("")
        total = int(frame.attrs.get("n_practices", counts.to_numpy().sum()))
        where = f" in {region}" if region else ""
        if total:
            by_cap, by_theme = counts.sum(axis=0), counts.sum(axis=1)
            caps = [c.lower() for c in by_cap.index[by_cap == by_cap.max()]]
            if len(caps) <= 2:
                title = f"{total} practices shared{where}; most often through {_join(caps)} ({int(by_cap.max())})"
            else:
                title = (f"{total} practices shared{where}, spread across the capacities "
                         f"({int(by_cap.min())}-{int(by_cap.max())} each)")
            top_themes = list(by_theme.index[by_theme == by_theme.max()])
            lead = (f"Most shared theme: {_themes_phrase(top_themes, len(by_theme))} ({int(by_theme.max())})"
                    if len(top_themes) <= 2 else f"No single theme leads (at most {int(by_theme.max())} each)")
            subtitle = (f"{lead}. From "
                        f"{frame.attrs.get('n_institutions', 'the')} institutions; only practices whose authors "
                        "agreed to publication are counted.")
        else:
            title = f"No good practice shared{where} with consent to publication"
            subtitle = "Only practices whose authors agreed to publication are counted."
        decorate(ax, title=title, subtitle=subtitle,
                 source=survey_source(synthetic, "section E (good practices; counts)"), synthetic=synthetic)
        finish(ax)
    return ax


# --------------------------------------------------------------------------- treaty ratification
def _status_text(entry) -> str:
    status, year = entry.get("status"), entry.get("year")
    if status == "party":
        return f"party since {year}" if year else "party"
    if status == "signatory":
        return "signatory, not yet party"
    return "not party"


def plot_treaty_summary(treaties=None, *, region=None, country=None, ax=None):
    """States parties to the migrant workers convention (ICMW) per region, against the other core treaties.

    For each UN SDG region: the share of its UN member states party to the
    ICMW (vermilion) and the median share over the other eight core treaties
    (grey), with counts. No map; status as compiled in 2022.

    Parameters
    ----------
    treaties : DataFrame, optional
        :func:`nhri_capacity.reference.treaties.load_treaty_status` (loaded if omitted).
    region : str, optional
        A region to highlight.
    country : str, optional
        ISO3 code: its region is highlighted and its ICMW status given.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    counts = treaty_counts(treaties)
    own = treaty_context(country, treaties=treaties) if country else None
    if country and region is None:
        found = region_of(country, strict=False)
        region = None if is_missing(found) else str(found)
    region = check_region(region) if region else None
    icmw = counts[counts["treaty"] == "ICMW"].set_index("region")
    others = counts[counts["treaty"] != "ICMW"].groupby("region", sort=False)
    other_share = others["share_party"].median()
    other_n = others["n_party"].median()
    regions = list(icmw.index)
    n_states = int(counts.attrs.get("n_states") or icmw["n_states"].sum())
    world_icmw = int(icmw["n_party"].sum())
    totals = counts.groupby("treaty")["n_party"].sum()
    world_other = float(totals.drop("ICMW").median())
    rows = ["All UN member states", *regions]
    share_icmw = [world_icmw / n_states, *icmw["share_party"]]
    share_other = [world_other / n_states, *(other_share[r] for r in regions)]
    labels = [f"{world_icmw} of {n_states}", *(f"{int(icmw.loc[r, 'n_party'])} of {int(icmw.loc[r, 'n_states'])}"
                                                for r in regions)]
    with style():
        ax = ax if ax is not None else new_axes(figsize("treaties"))
        y = np.arange(len(rows), dtype=float)
        y[1:] += 0.4  # a gap between the world and the regions
        ax.barh(y, [100 * v for v in share_other], height=0.78, color="#D9D9D9", zorder=2)
        ax.barh(y, [100 * v for v in share_icmw], height=0.42, color=PALETTE["vermilion"], zorder=3)
        for yi, v, text in zip(y, share_icmw, labels, strict=True):
            ax.annotate(text, xy=(100 * v, yi), xytext=(sz(6), 0), textcoords="offset points", va="center",
                        ha="left", fontsize=sz(12.5), fontweight="bold", color=PALETTE["vermilion"], zorder=4)
        ax.set_yticks(y, [_short(r) for r in rows])
        bold = [0] + ([rows.index(region)] if region in rows else [])
        for i in bold:
            ax.get_yticklabels()[i].set_fontweight("bold")
        ax.set_ylim(y[-1] + 0.6, -0.6)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_xlabel("States parties (% of the UN member states in the region)")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        _light_grid(ax, "x")

        from matplotlib.patches import Patch

        handles = [Patch(color=PALETTE["vermilion"], label="ICMW (migrant workers)"),
                   Patch(color="#D9D9D9", label="Median of the other eight core treaties")]
        legend_below(ax, handles, ncol=2)
        fewest = totals.idxmin() == "ICMW"
        title = (f"Only {world_icmw} of {n_states} UN member states are party to the ICMW"
                 + (", the fewest of the nine core treaties" if fewest else ""))
        parts = []
        if own is not None:
            parts.append(f"{country_label(country)}: {_status_text(own['icmw'])}.")
        if region is not None:
            parts.append(f"{region}: {int(icmw.loc[region, 'n_party'])} of {int(icmw.loc[region, 'n_states'])} "
                         f"states parties (typical core treaty: {fmt_score(other_n[region])}).")
        parts.append("Status as compiled in 2022.")
        decorate(ax, title=title, subtitle=" ".join(parts), source=SOURCE_TREATIES, synthetic=False)
        finish(ax)
    return ax
