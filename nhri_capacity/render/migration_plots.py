"""Charts of migration: a country's migrant stock over time, and need against capacity.

Every chart function follows the seaborn convention: the data come first, the
options are keyword-only, ``ax=None`` draws on a new pyplot figure (so it
shows in a notebook), an existing Axes is drawn on as it is, and the Axes is
returned. A brief (or its data, as in ``data.json``) is drawn from its data
alone; survey results and the UN tables are drawn for exploring a survey.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..brief import SurveyResults, check_region, need_and_capacity, need_capacity_points, stock_trend
from .formatting import fmt_chart_pct, fmt_people, fmt_score
from .inputs import country_label, data_of
from .style import PALETTE, SOURCE_SURVEY, SOURCE_UN_DESA, decorate, figsize, finish, new_axes, style, sz, sz2

__all__ = ["plot_migrant_trend", "plot_need_capacity"]


def _trend_rows(stock, country, region, year):
    data = data_of(stock)
    if data is not None:
        mig = data.get("migration") or {}
        return list(mig.get("trend") or []), data["header"]["country"]
    if isinstance(stock, pd.DataFrame):
        trend = stock_trend(stock, country=country, region=region, year=year)
        if country is not None:
            return trend, country_label(country)
        return trend, "World" if str(region).strip().lower() == "world" else check_region(region)
    raise TypeError(
        f"plot_migrant_trend needs the migrant-stock table or a Brief (or its data), not {type(stock).__name__}"
    )


def plot_migrant_trend(stock, *, country=None, region=None, ax=None, year=None):
    """International migrant stock of a country, a region or the world, 1990 to the latest year.

    Bars show the number of migrants; the label above each bar gives migrants
    as a share of the population.

    Parameters
    ----------
    stock : DataFrame, Brief or dict
        :func:`nhri_capacity.reference.migration.load_migrant_stock`, or a Brief
        or its data (its ``migration.trend``).
    country : str, optional
        ISO3 code (a brief shows its own).
    region : str, optional
        A UN SDG region (``"Latin America and the Caribbean"``) or
        ``"World"``, instead of a country (from the migrant-stock table).
    year : int, optional
        Last year shown (default: all years).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    trend, name = _trend_rows(stock, country, region, year)
    if not trend:
        raise ValueError(f"No UN DESA migrant-stock figures for {country or region}")
    with style():
        ax = ax if ax is not None else new_axes(figsize("migrant_trend"))
        years = [t["year"] for t in trend]
        values = np.array([t["migrants"] for t in trend], dtype=float)
        scale, unit = (1e6, "millions") if values.max() >= 1e6 else (1e3, "thousands")
        x = np.arange(len(years))
        colours = [PALETTE["sky"]] * (len(years) - 1) + [PALETTE["blue"]]
        ax.bar(x, values / scale, width=0.66, color=colours, zorder=2)
        top = (values / scale).max()
        for xi, t, v in zip(x, trend, values, strict=True):
            ax.annotate(fmt_chart_pct(t.get("migrant_share_pct")), xy=(xi, v / scale), xytext=(0, sz(5)),
                        textcoords="offset points", ha="center", va="bottom", fontsize=sz(13),
                        color=PALETTE["ink"])
        ax.set_xticks(x, [str(y) for y in years])
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel(f"Migrants ({unit})")
        from matplotlib.ticker import FuncFormatter

        # Whole ticks print without decimals only when they are whole (2.5 must not print as "2").
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: f"{v:,.1f}" if top < 10 or not float(v).is_integer() else f"{v:,.0f}")
        )
        ax.grid(axis="y", color="#E6E6E6", lw=sz(1))
        ax.set_axisbelow(True)
        ax.tick_params(axis="x", length=0, labelsize=sz(13))
        ax.tick_params(axis="y", labelsize=sz(13))

        last, first = trend[-1], trend[0]
        title = f"{name}: {fmt_people(last['migrants'])} migrants in {last['year']}"
        if len(trend) >= 2 and first["migrants"]:
            change = 100 * (last["migrants"] - first["migrants"]) / first["migrants"]
            if abs(change) < 5:
                title += f", about as many as in {first['year']}"
            else:
                title += f", {'up' if change > 0 else 'down'} {fmt_score(abs(round(change, 1)))}% since {first['year']}"
        subtitle = "International migrant stock at mid-year; labels: migrants as a share of the total population."
        decorate(ax, title=title, subtitle=subtitle, source=SOURCE_UN_DESA, synthetic=False)
        finish(ax)
    return ax


def _need_chart(results, country, region, year, stock):
    """(points frame, region, year, highlighted country's name, synthetic) from any input of
    :func:`plot_need_capacity`; a brief's come from its data alone."""
    data = data_of(results)
    if data is not None:
        section = data.get("need_capacity") or {}
        if "points" not in section:
            raise ValueError(
                f"The brief of {data['header'].get('iso3')} has no need-and-capacity points "
                "(no migrant share for the country, or data made by an older version: build the brief again)"
            )
        chart = section
        year = section.get("year")
        name = data["header"]["country"]
        synthetic = bool(data["header"]["synthetic"])
    else:
        if isinstance(results, SurveyResults):
            frame, synthetic = need_and_capacity(results, year=year, stock=stock), bool(results.synthetic)
        elif isinstance(results, pd.DataFrame):
            frame, synthetic = results, bool(results.attrs.get("synthetic", False))
        else:
            raise TypeError(
                "plot_need_capacity needs SurveyResults, a Brief (or its data) or a need_and_capacity() frame, "
                f"not {type(results).__name__}"
            )
        chart = need_capacity_points(frame, country=country, region=check_region(region) if region else None)
        year = frame.attrs.get("year") or year
        name = country_label(country) if country else None
    points = pd.DataFrame(chart["points"], columns=["migrant_share_pct", "composite", "group"])
    return points, chart["region"], year, name, synthetic


def plot_need_capacity(results, *, country=None, region=None, year=None, ax=None, stock=None, source_note=None):
    """Migrant share of the population (log scale) against composite capacity.

    Every institution in the survey is a dot; dashed lines mark the medians
    and split the chart into quadrants; *country* is highlighted and labelled,
    the other institutions of its region are drawn in light blue.

    Parameters
    ----------
    results : SurveyResults, Brief, dict or DataFrame
        Survey results, a Brief or its data (drawn from its
        ``need_capacity.points`` alone), or a frame from
        :func:`nhri_capacity.brief.profiles.need_and_capacity`.
    country : str, optional
        ISO3 code to highlight (a brief highlights its own institution).
    region : str, optional
        A UN SDG region whose institutions are drawn in light blue, when no
        country is highlighted.
    year : int, optional
        Migrant-stock year (default: the latest; a brief has its own).
    stock : DataFrame, optional
        Migrant-stock table (loaded if omitted).
    ax : matplotlib Axes, optional
    source_note : str, optional
        Added to the source line (e.g. the survey's terms of use).

    Returns
    -------
    matplotlib.axes.Axes
    """
    data, region, yr, name, synthetic = _need_chart(results, country, region, year, stock)
    with style():
        ax = ax if ax is not None else new_axes(figsize("need_capacity"))
        x_med = float(data["migrant_share_pct"].median()) if len(data) else None
        y_med = float(data["composite"].median()) if len(data) else None
        mine = data[data["group"] == "this"]
        same = data[data["group"] == "region"]
        rest = data[data["group"] == "other"]
        ax.scatter(rest["migrant_share_pct"], rest["composite"], s=sz2(55), color=PALETTE["light"],
                   edgecolor="white", linewidth=sz(0.6), zorder=2, label="Other institutions")
        if len(same):
            ax.scatter(same["migrant_share_pct"], same["composite"], s=sz2(70), color=PALETTE["sky"],
                       edgecolor="white", linewidth=sz(0.6), zorder=3,
                       label=f"Same region ({region})" if len(mine) else region)
        ax.set_xscale("log")
        lo = max(data["migrant_share_pct"].min() / 1.5, 0.01) if len(data) else 0.05
        hi = min(data["migrant_share_pct"].max() * 1.5, 100.0) if len(data) else 100
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 100)
        ticks = [t for t in (0.03, 0.1, 0.3, 1, 3, 10, 30, 100) if lo <= t <= hi]
        ax.set_xticks(ticks, [(f"{t:g}%") for t in ticks])
        ax.minorticks_off()
        if x_med is not None:
            ax.axvline(x_med, color=PALETTE["muted"], ls="--", lw=sz(1.2), zorder=1)
            ax.axhline(y_med, color=PALETTE["muted"], ls="--", lw=sz(1.2), zorder=1)
            ax.annotate(f"median {fmt_chart_pct(x_med)}", xy=(x_med, 100), xytext=(sz(4), sz(-4)), textcoords="offset points",
                        ha="left", va="top", fontsize=sz(11), color=PALETTE["muted"])
            ax.annotate(f"median {fmt_score(y_med)}", xy=(hi, y_med), xytext=(sz(-4), sz(4)), textcoords="offset points",
                        ha="right", va="bottom", fontsize=sz(11), color=PALETTE["muted"])
        corner = dict(fontsize=sz(11.5), color="#777777", style="italic", zorder=1)
        ax.text(0.01, 0.02, "Fewer migrants, lower capacity", transform=ax.transAxes, ha="left", va="bottom", **corner)
        ax.text(0.99, 0.02, "More migrants, lower capacity", transform=ax.transAxes, ha="right", va="bottom", **corner)
        ax.text(0.01, 0.90, "Fewer migrants, higher capacity", transform=ax.transAxes, ha="left", va="top", **corner)
        ax.text(0.99, 0.90, "More migrants, higher capacity", transform=ax.transAxes, ha="right", va="top", **corner)
        if len(mine):
            row = mine.iloc[0]
            ax.scatter([row["migrant_share_pct"]], [row["composite"]], s=sz2(230), color=PALETTE["vermilion"],
                       edgecolor=PALETTE["ink"], linewidth=sz(1.2), zorder=5, label=name)
            right = math.log10(row["migrant_share_pct"]) < (math.log10(lo) + math.log10(hi)) / 2
            ax.annotate(
                name, xy=(row["migrant_share_pct"], row["composite"]), xytext=(sz(14) if right else -sz(14), sz(10)),
                textcoords="offset points", ha="left" if right else "right", va="bottom", fontsize=sz(15),
                fontweight="bold", color=PALETTE["vermilion"], zorder=6,
            )
        ax.set_xlabel("International migrants, % of population (log scale)")
        ax.set_ylabel("Composite capacity (0-100)")
        ax.grid(color="#EEEEEE", lw=sz(1))
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=sz(13))
        if len(mine) and x_med is not None:
            row = mine.iloc[0]
            share = "above" if row["migrant_share_pct"] >= x_med else "below"
            cap = "above" if row["composite"] >= y_med else "below"
            title = f"{name}: migrant share {share}, capacity {cap} the median"
            if share == cap:
                title = f"{name}: {share} the median on both migrant share and capacity"
            subtitle = (
                f"Migrants {fmt_chart_pct(row['migrant_share_pct'])} of the population"
                f"{f' ({yr})' if yr else ''}, composite capacity {fmt_score(row['composite'])}. "
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
            if len(same):
                subtitle += f" Light blue: {region} ({len(same)})."
        source = f"{SOURCE_SURVEY}; UN DESA International Migrant Stock 2020 (CC BY 3.0 IGO)."
        if source_note:
            source = f"{source} {source_note}"
        decorate(ax, title=title, subtitle=subtitle, source=source, synthetic=synthetic)
        finish(ax)
    return ax
