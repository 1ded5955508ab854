"""Charts for trainers and the projector style: Axes in and out, pyplot and rcParams left alone,
a finding title, a source line with the data's terms, the synthetic note, groups never too small."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")  # tests never open a window

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from nhri_capacity.brief import (  # noqa: E402
    MIN_GROUP,
    REGIONS,
    capacity_distribution,
    check_region,
    good_practices,
    practice_counts,
    shared_capacity_profile,
    shared_need_and_capacity,
    stock_trend,
    theme_medians,
    treaty_counts,
)
from nhri_capacity.errors import BriefParameterError  # noqa: E402
from nhri_capacity.reference.migration import load_migrant_stock  # noqa: E402
from nhri_capacity.render import (  # noqa: E402
    plot_capacity_by_region,
    plot_capacity_profile,
    plot_migrant_trend,
    plot_need_capacity,
    plot_practices,
    plot_theme_heatmap,
    plot_treaty_summary,
    style,
)
from nhri_capacity.render.figures import figure_title  # noqa: E402
from nhri_capacity.render.style import SYNTHETIC_LABEL  # noqa: E402

LAC = "Latin America and the Caribbean"


@pytest.fixture(scope="module")
def stock():
    return load_migrant_stock()


def _calls(results, stock):
    return {
        "by_region_country": lambda ax: plot_capacity_by_region(results, country="MEX", ax=ax),
        "by_region_region": lambda ax: plot_capacity_by_region(results, region=LAC, ax=ax),
        "by_region_composite": lambda ax: plot_capacity_by_region(results, capacity="composite", ax=ax),
        "by_region_frame": lambda ax: plot_capacity_by_region(capacity_distribution(results), ax=ax),
        "heatmap_regions": lambda ax: plot_theme_heatmap(results, region=LAC, ax=ax),
        "heatmap_country": lambda ax: plot_theme_heatmap(results, country="MEX", ax=ax),
        "heatmap_frame": lambda ax: plot_theme_heatmap(theme_medians(results), ax=ax),
        "practices": lambda ax: plot_practices(results, ax=ax),
        "practices_region": lambda ax: plot_practices(results, region=LAC, ax=ax),
        "treaties": lambda ax: plot_treaty_summary(ax=ax),
        "treaties_country": lambda ax: plot_treaty_summary(country="MEX", ax=ax),
        "trend_region": lambda ax: plot_migrant_trend(stock, region=LAC, ax=ax),
        "trend_world": lambda ax: plot_migrant_trend(stock, region="World", ax=ax),
        "need_region": lambda ax: plot_need_capacity(results, region=LAC, stock=stock, ax=ax),
    }


NAMES = list(_calls(None, None))
REAL_DATA_ONLY = {"treaties", "treaties_country", "trend_region", "trend_world"}


def _texts(ax) -> str:
    """The chart's texts, with lines joined again (titles and source lines wrap)."""
    return " ".join(" ".join(t.get_text() for t in ax.texts).split())


@pytest.mark.parametrize("context", ["report", "projector"])
@pytest.mark.parametrize("name", NAMES)
def test_chart_returns_axes_and_leaves_pyplot_alone(name, context, results, stock):
    before = set(plt.get_fignums())
    rc_before = dict(matplotlib.rcParams)
    with style.context(context):
        ax = _calls(results, stock)[name](None)
    try:
        assert isinstance(ax, Axes)
        assert len(set(plt.get_fignums()) - before) == 1  # exactly one new pyplot figure
        if context == "projector":
            assert tuple(ax.figure.get_size_inches()) == pytest.approx(style.PROJECTOR_FIGSIZE)
        text = _texts(ax)
        assert figure_title(ax.figure)
        assert "Source:" in text
        if name in REAL_DATA_ONLY:
            assert SYNTHETIC_LABEL not in text
        else:
            assert SYNTHETIC_LABEL in text  # the bundled survey is synthetic
            assert "MIT licence" in text or "CC BY 3.0 IGO" in text  # the data's terms on the chart
        if name.startswith("trend") or name.startswith("need"):
            assert "CC BY 3.0 IGO" in text
        if name.startswith("treaties"):
            assert "compiled in 2022" in text
    finally:
        plt.close(ax.figure)
    assert set(plt.get_fignums()) == before
    assert dict(matplotlib.rcParams) == rc_before  # no global theme


def test_charts_draw_on_a_given_axes(results, stock):
    fig, axes = plt.subplots(4, 4, figsize=(40, 30))
    before = plt.get_fignums()
    try:
        for ax, call in zip(axes.flat, _calls(results, stock).values(), strict=False):
            assert call(ax) is ax
        assert plt.get_fignums() == before
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_projector_context_is_larger_and_restored():
    assert style.current_context() == "report"
    report_size = matplotlib.rcParams["font.size"]
    with style.context("projector"):
        assert style.current_context() == "projector"
        assert matplotlib.rcParams["font.size"] > report_size
        assert matplotlib.rcParams["lines.linewidth"] >= 3
        assert style.sz(10) == 15 and style.figsize("themes") == style.PROJECTOR_FIGSIZE
        with style.style():  # what every chart function applies inside: keeps the projector's settings
            assert matplotlib.rcParams["font.size"] > report_size
    assert style.current_context() == "report" and style.sz(10) == 10
    assert matplotlib.rcParams["font.size"] == report_size
    with pytest.raises(ValueError, match="projector"):
        with style.context("poster"):
            pass


def test_titles_state_findings_and_rank_no_institution(results, stock):
    names = set(results.scores["institution"].dropna().astype(str))
    for name, call in _calls(results, stock).items():
        ax = call(None)
        try:
            text = _texts(ax) + "\n".join(t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels())
            assert not [n for n in names if n in text], name  # no institution is named
            assert len(figure_title(ax.figure) or "") > 25, name  # a sentence, not a label
        finally:
            plt.close(ax.figure)


# --------------------------------------------------------------------------- the tables behind them
def test_check_region(results):
    assert check_region(" latin america and the CARIBBEAN ") == LAC
    with pytest.raises(BriefParameterError, match="Unknown region 'Latin America'; choose one of: .*Sub-Saharan"):
        check_region("Latin America")
    small = "Australia and New Zealand"
    with pytest.raises(BriefParameterError, match=f"only 2 institutions in {small}.*at least {MIN_GROUP}"):
        check_region(small, results)
    assert len(REGIONS) == 8


def test_small_regions_are_pooled_or_left_out(results):
    frame = capacity_distribution(results, capacity="composite")
    assert frame.groupby("group", observed=True).size().min() >= MIN_GROUP
    assert frame.attrs["n_left_out"] == 4  # Australia, New Zealand, Fiji, Samoa: 4 < 5 even pooled
    assert not {"inst_id", "institution", "iso3"} & set(frame.columns)
    medians = theme_medians(results)
    assert medians.loc[medians["kind"] == "region", "n"].min() >= MIN_GROUP
    aus = theme_medians(results, country="AUS")
    assert set(aus["kind"]) == {"institution", "all"}  # its region's median would give NZL's answers away


def test_shared_profile_and_need_frame_withhold_small_regions(results):
    aus = shared_capacity_profile("AUS", results)
    assert aus["regional_withheld"] and all(r["regional_median"] is None for r in aus["rows"])
    mex = shared_capacity_profile("MEX", results)
    assert not mex["regional_withheld"] and mex["rows"][0]["regional_median"] is not None
    frame = shared_need_and_capacity(results)
    assert frame.loc[frame["iso3"].isin(["AUS", "NZL", "FJI", "WSM"]), "region"].isna().all()
    assert (frame["region"] == LAC).sum() == 19
    ax = plot_capacity_profile({"header": {"iso3": "AUS", "country": "Australia", "synthetic": True},
                                "capacity": aus}, country="AUS")
    try:
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert not [t for t in legend if t.startswith("Regional median")]
    finally:
        plt.close(ax.figure)


def test_practices_are_counted_only_with_consent(results):
    everything = good_practices(results)
    consented = everything[pd.to_numeric(everything["consent"]) == 1].dropna(subset=["theme", "capacity"])
    counts = practice_counts(results)
    assert counts["n"].sum() == len(consented) < len(everything.dropna(subset=["theme", "capacity"]))
    # Withdraw every consent: nothing is left to count or draw.
    survey = results.survey.copy()
    for slot in (1, 2, 3):
        survey[f"gp{slot}_consent"] = 0
    none = dataclasses.replace(results, survey=survey)
    assert practice_counts(none)["n"].sum() == 0
    ax = plot_practices(none)
    try:
        assert figure_title(ax.figure).startswith("No good practice")
    finally:
        plt.close(ax.figure)


def test_treaty_counts_and_trends():
    counts = treaty_counts()
    icmw = counts[counts["treaty"] == "ICMW"]
    assert icmw["n_party"].sum() == 57 and counts.attrs["n_states"] == 193
    assert icmw.set_index("region").loc[LAC, ["n_party", "n_states"]].tolist() == [18, 33]
    world = stock_trend(region="World")
    assert [t["year"] for t in world] == list(range(1990, 2021, 5))
    assert round(world[-1]["migrants"]) == 280_598_105
    with pytest.raises(BriefParameterError, match="Unknown region"):
        stock_trend(region="Atlantis")
