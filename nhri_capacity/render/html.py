"""Country briefs as files: self-contained HTML, A4 PDF, figures and data.

:func:`write_brief_files` writes one brief's folder::

    <out_dir>/brief.html          one self-contained page (CSS inline, figures
                                  embedded as data URIs, no script, no links)
    <out_dir>/brief.pdf           A4, from the same HTML with WeasyPrint
    <out_dir>/figures/<name>.png  300 dpi
    <out_dir>/figures/<name>.svg
    <out_dir>/data.json           Brief.data: every number, label and chart point the brief shows

Everything is drawn from the brief's data alone (``Brief.data``, or a
``data.json`` read back), so rendering a ``data.json`` again gives the same
page. Every file is written atomically (temporary file, then rename). The HTML
template is ``resources/templates/brief.html.j2``, rendered with Jinja2 autoescaping so
that free text from a survey (names, good practices, support needed) can
never inject markup. WeasyPrint runs with a URL fetcher that accepts only
``data:`` URIs: rendering a brief never touches the network or the file
system beyond the output files.

The batch runner (:mod:`nhri_capacity.batch`) calls :func:`write_brief_files`
from the brief notebook, once per country.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from ..brief import brief_data, brief_json
from ..common.io import atomic_path, atomic_write_text
from ..common.templates import environment
from ..errors import BriefParameterError
from .figures import brief_figures, figure_bytes, figure_title, save_figure
from .formatting import FILTERS

__all__ = [
    "render_html",
    "html_to_pdf",
    "write_brief_files",
    "check_formats",
    "BRIEF_FORMATS",
    "FIGURE_FORMATS",
    "TEMPLATE_NAME",
]

log = logging.getLogger(__name__)

BRIEF_FORMATS = ("html", "pdf")
FIGURE_FORMATS = ("png", "svg")
TEMPLATE_NAME = "brief.html.j2"

_FIGURE_ALT = {
    "migrant_trend": "Bar chart of the international migrant stock by year, with the share of the population",
    "capacity_profile": "Dot-and-interval chart of the five capacity scores and the composite against regional and global medians",
    "need_capacity": "Scatter plot of migrant share of the population against composite capacity for all surveyed institutions",
    "themes": "Dot chart of activity on nine migration themes against the regional median",
}

_CSS = r"""
:root { --ink:#1d2731; --muted:#5b6670; --rule:#d9dee3; --accent:#0072B2; --accent-soft:#e6f1f8;
        --warn:#D55E00; --warn-soft:#fdebe0; --ok:#009E73; --ok-soft:#e3f4ee; --amber:#E69F00; }
* { box-sizing: border-box; }
html { font-size: 10pt; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); line-height: 1.38;
       margin: 0; font-size: 9pt; }
h1, h2, h3 { color: #0b2f4a; line-height: 1.2; }
h1 { font-size: 21pt; margin: 0.05em 0 0.1em; }
h2 { font-size: 12.5pt; margin: 1em 0 0.4em; padding-bottom: 0.18em; border-bottom: 1.5pt solid var(--accent);
     break-after: avoid; page-break-after: avoid; }
h2 .num { display: inline-block; min-width: 1.5em; color: var(--accent); }
p { margin: 0.35em 0; }
strong { font-weight: bold; }
.muted { color: var(--muted); }
.small { font-size: 8.6pt; color: var(--muted); }
.note { font-size: 8.2pt; color: var(--muted); margin-top: 0.4em; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 7.2pt; word-break: break-all; }
sup.fn { font-size: 6.5pt; color: var(--accent); margin-left: 0.1em; }

.synthetic-banner { background: var(--warn-soft); border: 1pt solid var(--warn); border-left: 5pt solid var(--warn);
  color: #7a2e00; padding: 0.45em 0.8em; margin: 0 0 0.7em; font-size: 8.8pt; }
.synthetic-banner strong { color: var(--warn); text-transform: uppercase; letter-spacing: 0.02em; }

.masthead { border-bottom: 0.75pt solid var(--rule); padding-bottom: 0.5em; }
.kicker { text-transform: uppercase; letter-spacing: 0.06em; font-size: 7.8pt; color: var(--accent); margin: 0; font-weight: bold; }
.institution { font-size: 11pt; margin: 0 0 0.4em; }
table.meta { border-collapse: collapse; font-size: 8.4pt; width: 100%; }
table.meta th { text-align: left; font-weight: normal; color: var(--muted); padding: 0.1em 0.8em 0.1em 0; width: 19%; white-space: nowrap; }
table.meta td { padding: 0.1em 1.2em 0.1em 0; width: 31%; }

.keyfigs { display: flex; gap: 0.6em; margin: 0.8em 0 0.2em; }
.kf { flex: 1 1 0; background: var(--accent-soft); border-top: 3pt solid var(--accent); padding: 0.45em 0.6em; }
.kf-value { display: block; font-size: 15pt; font-weight: bold; color: #0b2f4a; line-height: 1.15; }
.kf-value small { font-size: 9pt; font-weight: normal; color: var(--muted); }
.kf-label { display: block; font-size: 7.8pt; color: var(--muted); line-height: 1.25; margin-top: 0.15em; }
.kf-party { background: var(--ok-soft); border-top-color: var(--ok); }
.kf-none, .kf-signatory { background: var(--warn-soft); border-top-color: var(--warn); }

.lead { font-size: 9.2pt; }
.card p { font-size: 8.5pt; }
figure.chart { margin: 0.5em 0 0.4em; break-inside: avoid; page-break-inside: avoid; }
figure.chart img { display: block; width: 100%; height: auto; }

table.data { border-collapse: collapse; width: 100%; font-size: 8.4pt; margin: 0.4em 0; break-inside: avoid; page-break-inside: avoid; }
table.data th, table.data td { padding: 0.22em 0.45em; border-bottom: 0.5pt solid var(--rule); text-align: left; vertical-align: top; }
table.data thead th { font-weight: bold; color: var(--muted); border-bottom: 1pt solid #9aa5af; font-size: 7.8pt; vertical-align: bottom; }
table.data tbody th { font-weight: normal; }
table.data .n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data thead th.n { white-space: normal; }
table.data tr.this td, table.data tr.this th { background: var(--accent-soft); font-weight: bold; }
table.data tr.total th, table.data tr.total td { border-top: 1pt solid #9aa5af; font-weight: bold; }
table.treaties td { font-size: 7.8pt; vertical-align: middle; padding: 0.18em 0.35em; }
table.treaties td.code { width: 9%; }
table.treaties td.tname { width: 25%; color: var(--muted); font-size: 7.2pt; line-height: 1.2; }
table.treaties td.tstatus { width: 16%; text-align: right; }
table.treaties td.this { background: var(--accent-soft); }
table.compare { table-layout: fixed; }
table.compare col.place { width: 31%; }

.callout { border-left: 4pt solid var(--muted); background: #f3f5f7; padding: 0.4em 0.8em; margin: 0.4em 0; }
.callout-party { border-left-color: var(--ok); background: var(--ok-soft); }
.callout-none, .callout-signatory { border-left-color: var(--warn); background: var(--warn-soft); }
.status { display: inline-block; padding: 0 0.45em; border-radius: 2pt; font-size: 7.6pt; white-space: nowrap; }
.status-party { background: var(--ok-soft); color: #00573f; }
.status-signatory { background: #fff3d6; color: #7a5200; }
.status-none { background: var(--warn-soft); color: #8a3300; }

.level { display: inline-block; padding: 0 0.45em; border-radius: 2pt; font-size: 8pt; }
.level-0 { background: #f1f1f1; color: #555; }
.level-1 { background: #e6f1f8; color: #004a75; }
.level-2 { background: #cfe5f3; color: #003b5e; }
.level-3 { background: #0072B2; color: #fff; }

ol.recs { padding-left: 1.6em; margin: 0.4em 0; }
ol.recs li { margin: 0 0 0.5em; padding-left: 0.2em; orphans: 2; widows: 2; }
ol.recs li::marker { font-weight: bold; color: var(--accent); }
.tag { display: inline-block; font-size: 7.2pt; font-weight: bold; text-transform: uppercase; letter-spacing: 0.03em;
       padding: 0.05em 0.45em; border-radius: 2pt; background: var(--accent-soft); color: #004a75; margin-right: 0.3em; }
.tag-context { background: #efe6f0; color: #6b2c67; }
p.rec { margin: 0; }
p.evidence { font-size: 7.8pt; color: var(--muted); margin: 0.1em 0 0; break-before: avoid; page-break-before: avoid; }
table.themes th.tlabel { width: 22%; }
.split { display: flex; gap: 4mm; align-items: flex-start; break-inside: avoid; page-break-inside: avoid; }
.split > table { flex: 0 0 41%; width: 41%; margin-top: 0.5em; }
.split > figure { flex: 0 0 57%; width: 57%; margin-top: 0; }
#themes, #constraints { break-inside: avoid; page-break-inside: avoid; }
table.themes td { white-space: nowrap; font-size: 7.8pt; }

.card { border: 0.75pt solid var(--rule); border-left: 3pt solid var(--amber); padding: 0.3em 0.7em; margin: 0 0 0.4em;
        break-inside: avoid; page-break-inside: avoid; }
.card-title { font-weight: bold; margin: 0; }
.card-meta { font-size: 7.8pt; color: var(--muted); margin: 0.1em 0 0.25em; }

.chip { display: inline-block; border: 0.75pt solid #9aa5af; border-radius: 8pt; padding: 0 0.6em; margin: 0.1em 0.25em 0.1em 0; font-size: 8.2pt; }
blockquote { margin: 0.4em 0 0.4em 0.4em; padding: 0.1em 0.8em; border-left: 2pt solid var(--rule); color: #333; font-style: italic; }

.methods { font-size: 7.6pt; }
ol.footnotes { padding-left: 1.4em; margin: 0.3em 0; }
ol.footnotes li { margin-bottom: 0.35em; }
.synthetic-note { border: 0.75pt solid var(--warn); background: var(--warn-soft); padding: 0.35em 0.6em; }
.colophon { color: var(--muted); font-size: 7.4pt; }
.colophon .warn { color: var(--warn); }

@media screen {
  body { max-width: 52rem; margin: 1.5rem auto; padding: 0 1.2rem 3rem; font-size: 10.5pt; }
  .synthetic-banner { position: sticky; top: 0; z-index: 2; }
}
@media print {
  #need-capacity, #recommendations, #methods { break-before: auto; }
}
"""


def _css_string(text: str) -> str:
    """A CSS string literal (for @page content) that cannot break out of <style>."""
    text = " ".join(str(text).split())
    out = []
    for ch in text:
        if ch in '"\\' or ch in "<>&" or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _page_css(data: dict) -> str:
    h = data["header"]
    left = _css_string(f"{h['country']} \u00b7 NHRI capacity to protect migrants' rights")
    bottom_left = _css_string(f"nhri-capacity {data['methods']['toolkit_version']} \u00b7 generated {h['generated']}")
    synthetic = ""
    if h.get("synthetic"):
        synthetic = (
            "@top-right { content: " + _css_string("ILLUSTRATIVE SYNTHETIC DATA \u2013 NOT REAL SURVEY RESULTS")
            + '; color: #D55E00; font-weight: bold; font-size: 7.4pt; font-family: "DejaVu Sans", sans-serif; }'
        )
    return f"""
@page {{
  size: A4; margin: 17mm 15mm 17mm 15mm;
  @top-left {{ content: {left}; font-family: "DejaVu Sans", sans-serif; font-size: 7.4pt; color: #5b6670; }}
  {synthetic}
  @bottom-left {{ content: {bottom_left}; font-family: "DejaVu Sans", sans-serif; font-size: 7pt; color: #5b6670; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-family: "DejaVu Sans", sans-serif;
                   font-size: 7.4pt; color: #5b6670; }}
}}
@page :first {{ @top-left {{ content: none; }} }}
"""


# =============================================================================
# Rendering
# =============================================================================
def _environment():
    return environment(filters=FILTERS)


def _embed(name, data: bytes, mime: str, fig=None) -> dict:
    title = figure_title(fig) if fig is not None else None
    alt = _FIGURE_ALT.get(name, name.replace("_", " "))
    return {
        "src": f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}",
        "alt": f"{title}. {alt}." if title else f"{alt}.",
    }


def render_html(brief, *, embed_figures: bool = True, figure_format: str = "svg", figures: dict | None = None) -> str:
    """Render a brief as one HTML page, from its data alone.

    Parameters
    ----------
    brief : Brief or dict
        A :class:`~nhri_capacity.brief.model.Brief` or its data (as in
        ``data.json``).
    embed_figures : bool, default True
        Embed the figures as ``data:`` URIs (a self-contained page). False
        refers to ``figures/<name>.<format>`` next to the HTML file instead.
    figure_format : {"svg", "png"}
        Format of the embedded (or referenced) figures. SVG keeps charts
        sharp in the PDF and small in the file.
    figures : dict, optional
        ``name -> {"src", "alt"}`` already prepared (used by
        :func:`write_brief_files` to embed the files it wrote).

    Returns
    -------
    str
    """
    if figure_format not in ("svg", "png"):
        raise BriefParameterError(f"figure_format must be 'svg' or 'png', not {figure_format!r}")
    data = brief_data(brief)
    if figures is None:
        figures = {}
        for name, fig in brief_figures(data).items():
            if embed_figures:
                mime = "image/svg+xml" if figure_format == "svg" else "image/png"
                figures[name] = _embed(name, figure_bytes(fig, figure_format, dpi=200), mime, fig)
            else:
                title = figure_title(fig)
                alt = _FIGURE_ALT.get(name, name)
                figures[name] = {"src": f"figures/{name}.{figure_format}", "alt": f"{title}. {alt}." if title else alt}
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(d=data, figures=figures, css=_CSS, page_css=_page_css(data))


def _no_network_fetcher():
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not str(url).startswith("data:"):
                raise ValueError(f"External resource refused while rendering a brief: {str(url)[:80]}")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=("data",), timeout=1, allow_redirects=False)


def html_to_pdf(html: str, target) -> Path:
    """Render *html* to an A4 PDF at *target* (atomically) with WeasyPrint, offline."""
    import weasyprint

    target = Path(target)
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_no_network_fetcher())
    with atomic_path(target) as tmp:
        document.write_pdf(str(tmp))
    return target


def check_formats(formats, *, allow_empty: bool = True) -> tuple[str, ...]:
    """Normalise brief formats (``"html,pdf"`` or a sequence) to a tuple, in order, without duplicates.

    Raises
    ------
    BriefParameterError
        For an unknown format, a value that is not a list, or (with
        ``allow_empty=False``) no format at all.

    Examples
    --------
    >>> check_formats("PDF, html,pdf")
    ('pdf', 'html')
    """
    if isinstance(formats, str):
        formats = formats.split(",")
    try:
        items = [str(f).strip().lower() for f in formats]
    except TypeError:
        raise BriefParameterError(f"Formats must be a list such as ('html', 'pdf'), not {formats!r}") from None
    items = [f for f in items if f]
    wrong = [f for f in items if f not in BRIEF_FORMATS]
    if wrong or (not items and not allow_empty):
        raise BriefParameterError(
            f"Unknown brief format(s) {', '.join(map(repr, wrong)) or '(none given)'}; "
            f"choose from {', '.join(BRIEF_FORMATS)}"
        )
    return tuple(dict.fromkeys(items))


def write_brief_files(brief, out_dir, *, formats=BRIEF_FORMATS, figure_formats=FIGURE_FORMATS, dpi: int = 300) -> dict:
    """Write a brief's files into *out_dir*, from its data alone.

    Parameters
    ----------
    brief : Brief or dict
        A :class:`~nhri_capacity.brief.model.Brief` or its data (as in
        ``data.json``).
    out_dir : str or Path
        Created if needed.
    formats : sequence of str, default ("html", "pdf")
        Which of ``brief.html`` and ``brief.pdf`` to write; ``data.json`` and
        the figures are always written.
    figure_formats : sequence of str, default ("png", "svg")
    dpi : int, default 300
        Resolution of the PNG figures.

    Returns
    -------
    dict
        Relative path (``"brief.html"``, ``"figures/themes.png"``, ...) ->
        absolute :class:`~pathlib.Path`, for every file written.

    Raises
    ------
    BriefParameterError
        For an unknown format.
    """
    formats = check_formats(formats)
    data = brief_data(brief)
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    # The HTML embeds SVG (sharp at any zoom, small); the PDF embeds the
    # 300-dpi PNGs, because WeasyPrint draws SVG paths one by one and that
    # took two thirds of the time of a brief.
    for_html, for_pdf = {}, {}
    for name, fig in brief_figures(data).items():
        paths = save_figure(fig, out / "figures" / name, formats=figure_formats, dpi=dpi)
        for fmt, path in paths.items():
            written[f"figures/{name}.{fmt}"] = path
        svg = paths["svg"].read_bytes() if "svg" in paths else figure_bytes(fig, "svg", dpi=200)
        for_html[name] = _embed(name, svg, "image/svg+xml", fig)
        for_pdf[name] = (
            _embed(name, paths["png"].read_bytes(), "image/png", fig) if "png" in paths else for_html[name]
        )

    written["data.json"] = atomic_write_text(out / "data.json", brief_json(data))

    if "html" in formats:
        written["brief.html"] = atomic_write_text(out / "brief.html", render_html(data, figures=for_html))
    if "pdf" in formats:
        written["brief.pdf"] = html_to_pdf(render_html(data, figures=for_pdf), out / "brief.pdf")
    return written
