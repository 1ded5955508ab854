"""Charts (nhri_capacity.render): return Axes, reuse a given Axes, leave pyplot and rcParams alone."""

from __future__ import annotations

import struct
import zlib

import matplotlib

matplotlib.use("Agg")  # tests never open a window

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from nhri_capacity.reference.migration import load_migrant_stock  # noqa: E402
from nhri_capacity.render.capacity_plots import plot_capacity_profile, plot_themes  # noqa: E402
from nhri_capacity.render.figures import brief_figures, figure_bytes, save_figure  # noqa: E402
from nhri_capacity.render.migration_plots import plot_migrant_trend, plot_need_capacity  # noqa: E402
from nhri_capacity.render.style import SYNTHETIC_LABEL, style  # noqa: E402


@pytest.fixture(scope="module")
def brief(mex):
    return mex


@pytest.fixture(scope="module")
def stock():
    return load_migrant_stock()


def _texts(ax) -> str:
    parts = [t.get_text() for t in ax.texts]
    parts += [t.get_text() for t in ax.figure.texts]
    return "\n".join(parts)


def _calls(results, brief, stock):
    return {
        "capacity_brief": lambda ax: plot_capacity_profile(brief, country="MEX", ax=ax),
        "capacity_data": lambda ax: plot_capacity_profile(brief.data, country="MEX", ax=ax),
        "capacity_results": lambda ax: plot_capacity_profile(results, country="DEU", ax=ax),
        "capacity_frame": lambda ax: plot_capacity_profile(results.scores, country="MEX", intervals=results.intervals, ax=ax),
        "trend": lambda ax: plot_migrant_trend(stock, country="MEX", ax=ax),
        "trend_brief": lambda ax: plot_migrant_trend(brief, country="MEX", ax=ax),
        "need": lambda ax: plot_need_capacity(results, country="MEX", ax=ax, stock=stock),
        "need_all": lambda ax: plot_need_capacity(results, ax=ax, stock=stock),
        "need_brief": lambda ax: plot_need_capacity(brief, ax=ax),
        "need_data": lambda ax: plot_need_capacity(brief.data, ax=ax),
        "themes_brief": lambda ax: plot_themes(brief, country="MEX", ax=ax),
        "themes_frame": lambda ax: plot_themes(results.themes, country="DEU", ax=ax),
        "themes_data": lambda ax: plot_themes(brief.data, country="MEX", ax=ax),
    }


@pytest.mark.parametrize(
    "name",
    ["capacity_brief", "capacity_data", "capacity_results", "capacity_frame", "trend", "trend_brief", "need",
     "need_all", "need_brief", "need_data", "themes_brief", "themes_frame", "themes_data"],
)
def test_new_figure_returns_axes(name, results, brief, stock):
    before = set(plt.get_fignums())
    rc_before = dict(matplotlib.rcParams)
    ax = _calls(results, brief, stock)[name](None)
    try:
        assert isinstance(ax, Axes)
        assert len(set(plt.get_fignums()) - before) == 1  # exactly one new pyplot figure
        title = _texts(ax)
        assert title.strip()
        if name.startswith("trend"):
            assert "Source: UN DESA International Migrant Stock 2020" in title
            assert SYNTHETIC_LABEL not in title  # real UN data only
        else:
            assert SYNTHETIC_LABEL in title  # the bundled survey is synthetic
        if name.startswith("need"):
            assert "UN DESA International Migrant Stock 2020" in title
    finally:
        plt.close(ax.figure)
    assert set(plt.get_fignums()) == before
    assert dict(matplotlib.rcParams) == rc_before  # no global theme


def test_existing_axes_is_used(results, brief, stock):
    fig, axes = plt.subplots(4, 4, figsize=(32, 24))
    before = plt.get_fignums()
    try:
        # More axes than charts: the spare ones stay empty.
        for ax, call in zip(axes.flat, _calls(results, brief, stock).values(), strict=False):
            assert call(ax) is ax
        assert plt.get_fignums() == before
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_highlighted_country_is_labelled(results, stock):
    ax = plot_need_capacity(results, country="MEX", stock=stock)
    try:
        assert "Mexico" in _texts(ax)
        assert ax.get_xscale() == "log"
    finally:
        plt.close(ax.figure)


def _svg(ax) -> bytes:
    return figure_bytes(ax.figure, "svg")


def test_brief_need_chart_same_as_from_the_survey_results(results, brief, stock):
    """The brief's scatter, drawn from its data alone, is the chart drawn from all the survey results."""
    from_results = plot_need_capacity(results, country="MEX", stock=stock)
    from_data = plot_need_capacity(brief.data)
    try:
        assert _svg(from_data) == _svg(from_results)
    finally:
        plt.close(from_results.figure)
        plt.close(from_data.figure)


def test_brief_charts_same_as_from_the_survey_results(results, brief, stock):
    pairs = [
        (lambda: plot_capacity_profile(results, country="MEX"), lambda: plot_capacity_profile(brief.data, country="MEX")),
        (lambda: plot_themes(results, country="MEX"), lambda: plot_themes(brief.data, country="MEX")),
    ]
    for draw_results, draw_data in pairs:
        a, b = draw_results(), draw_data()
        try:
            assert _svg(a) == _svg(b)
        finally:
            plt.close(a.figure)
            plt.close(b.figure)


def test_need_chart_highlights_and_groups(brief):
    ax = plot_need_capacity(brief.data)
    try:
        points = brief.data["need_capacity"]["points"]
        # Collections in drawing order: other institutions, same region, this one.
        sizes = [len(c.get_offsets()) for c in ax.collections]
        groups = [sum(p["group"] == g for p in points) for g in ("other", "region", "this")]
        assert sizes == groups and groups[2] == 1
        assert "Mexico" in _texts(ax)
    finally:
        plt.close(ax.figure)


def test_brief_figures_not_tracked_by_pyplot(brief):
    before = plt.get_fignums()
    figures = brief_figures(brief)
    assert set(figures) == {"migrant_trend", "capacity_profile", "need_capacity", "themes"}
    assert plt.get_fignums() == before


def test_brief_figures_follow_the_sections(brief):
    data = {k: v for k, v in brief.data.items() if k not in ("need_capacity", "themes")}
    assert set(brief_figures(data)) == {"migrant_trend", "capacity_profile"}


def test_style_is_scoped():
    rc_before = dict(matplotlib.rcParams)
    with style():
        assert matplotlib.rcParams["svg.hashsalt"] == "nhri-capacity"
    assert dict(matplotlib.rcParams) == rc_before


def _png_dpi(path) -> float:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"pHYs":
            x, y, unit = struct.unpack(">IIB", body)
            assert unit == 1 and x == y  # pixels per metre
            return x * 0.0254
        pos += 12 + length
    raise AssertionError("no pHYs chunk")


def test_save_figure_png_300_dpi_and_svg(brief, tmp_path):
    fig = brief_figures(brief)["capacity_profile"]
    paths = save_figure(fig, tmp_path / "figures" / "capacity_profile")
    assert set(paths) == {"png", "svg"}
    assert paths["png"].name == "capacity_profile.png"
    assert round(_png_dpi(paths["png"])) == 300
    svg = paths["svg"].read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert not [p for p in (tmp_path / "figures").iterdir() if p.name.startswith(".")]  # no temp files
    # The same figure saves identically twice (stable SVG ids and no date).
    again = save_figure(fig, tmp_path / "again", formats=("svg",))
    assert again["svg"].read_bytes() == paths["svg"].read_bytes()


def test_unknown_inputs_are_refused():
    with pytest.raises(TypeError):
        plot_capacity_profile([1, 2, 3], country="MEX")
    with pytest.raises(TypeError):
        plot_themes("nope", country="MEX")
    with pytest.raises(TypeError):
        plot_need_capacity({"no": "header"})
    with pytest.raises(TypeError):
        brief_figures({"no": "header"})
