"""The deck as a PowerPoint file (python-pptx): 16:9 slides a trainer can present offline and edit.

Layout of every slide (13.33 x 7.5 in): the title at the top (on chart slides
the takeaway, so that it is what a screen reader announces first), the chart
below it as a picture with alt text, and at the foot the synthetic-data notice
(when the survey is synthetic) and the slide number. Speaker notes hold the
key numbers and their sources.

The file is reproducible: the document properties carry the deck's date
(``SOURCE_DATE_EPOCH`` fixes it) and every part of the zip archive the same
timestamp, so the same slides give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path

from ..common.clock import today_iso
from ..common.io import atomic_write_bytes
from ..common.version import toolkit_version
from ..render import PALETTE, PROJECTOR_FIGSIZE
from ..survey import SYNTHETIC_NOTICE

__all__ = ["write_pptx"]

_INK = "1D2731"
_MUTED = "5B6670"
_WARN = PALETTE["vermilion"].lstrip("#")
_ACCENT = PALETTE["blue"].lstrip("#")
_TITLE_LAYOUT = 0  # "Title Slide" of python-pptx's default template
_TITLE_ONLY_LAYOUT = 5  # "Title Only"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour)


def _text_box(slide, left, top, width, height, paragraphs, *, size, colour=_INK, bold=False, align=None):
    """A text box of one or more paragraphs (each a str), wrapped to its width."""
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    frame = box.text_frame
    frame.word_wrap = True
    for i, text in enumerate([paragraphs] if isinstance(paragraphs, str) else paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = text
        if align is not None:
            para.alignment = align
        para.space_after = Pt(size * 0.45)
        for run in para.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = _rgb(colour)
    return box


def _set_title(slide, text, *, top=0.25, height=1.0, size=26):
    """Fill the slide's title placeholder (screen readers and the outline view use it) and place it."""
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches, Pt

    title = slide.shapes.title
    title.left, title.top, title.width, title.height = Inches(0.45), Inches(top), Inches(12.43), Inches(height)
    frame = title.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.text = text
    for para in frame.paragraphs:
        para.alignment = PP_ALIGN.LEFT
        for run in para.runs:
            run.font.size = Pt(size)
            run.font.bold = True
            run.font.color.rgb = _rgb(_INK)


def _footer(slide, number, synthetic):
    from pptx.enum.text import PP_ALIGN

    if synthetic:
        _text_box(slide, 0.45, 7.0, 9.5, 0.4, f"{SYNTHETIC_NOTICE.upper()}", size=14, colour=_WARN, bold=True)
    _text_box(slide, 11.6, 7.0, 1.3, 0.4, str(number), size=14, colour=_MUTED, align=PP_ALIGN.RIGHT)


def _title_slide(prs, slide_data):
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_LAYOUT])
    _set_title(slide, slide_data["title"], top=1.6, height=1.9, size=36)
    # The layout's subtitle placeholder is replaced by a text box placed on the 16:9 grid.
    for shape in list(slide.placeholders):
        if shape.placeholder_format.idx != 0:
            shape.element.getparent().remove(shape.element)
    lines = [slide_data["takeaway"], f"{today_iso()} \u00b7 nhri-capacity {toolkit_version()}"]
    _text_box(slide, 0.45, 3.7, 12.4, 1.4, lines, size=22, colour=_MUTED)
    bar = slide.shapes.add_shape(1, Inches(0.45), Inches(1.4), Inches(2.0), Inches(0.12))  # 1: rectangle
    bar.fill.solid()
    bar.fill.fore_color.rgb = _rgb(_ACCENT)
    bar.line.fill.background()
    if slide_data["synthetic"]:
        _text_box(slide, 0.45, 5.4, 12.4, 1.0,
                  [f"{SYNTHETIC_NOTICE}.", "The survey figures in this deck come from a seeded, illustrative sample; "
                   "the UN migration figures and treaty status are real."], size=18, colour=_WARN, bold=True)
    return slide


def _chart_slide(prs, slide_data, image: Path, alt: str):
    from pptx.util import Inches

    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    # Two lines at most above the picture: longer takeaways get smaller type.
    length = len(slide_data["title"])
    _set_title(slide, slide_data["title"], top=0.15, height=0.95, size=24 if length <= 110 else 21 if length <= 130 else 18)
    width_in, height_in = PROJECTOR_FIGSIZE
    height = 5.85
    width = height * width_in / height_in
    left = (width_in - width) / 2
    picture = slide.shapes.add_picture(str(image), Inches(left), Inches(1.1), Inches(width), Inches(height))
    # python-pptx names the picture after its file; screen readers read descr.
    c_nv_pr = picture._element.nvPicPr.cNvPr
    c_nv_pr.set("descr", alt)
    c_nv_pr.set("name", f"Chart: {slide_data['chart']}")
    return slide


def _sources_slide(prs, slide_data):
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY_LAYOUT])
    _set_title(slide, slide_data["title"], top=0.25, height=0.9, size=28)
    _text_box(slide, 0.45, 1.25, 12.4, 2.6, [f"\u2022 {m}" for m in slide_data["method"]], size=17)
    _text_box(slide, 0.45, 4.0, 12.4, 2.9, [f"\u2022 {s}" for s in slide_data["sources"]], size=15,
              colour=_MUTED)
    return slide


def _reproducible_zip(data: bytes) -> bytes:
    """The same archive with every member at one fixed timestamp (python-pptx stamps the time of saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def write_pptx(slides: list[dict], images: dict, target, *, alts: dict | None = None) -> Path:
    """Write the deck's slides to a .pptx file (atomically).

    Parameters
    ----------
    slides : list of dict
        :func:`nhri_capacity.training.content.deck_slides`.
    images : dict
        Chart name -> PNG path of each chart slide.
    target : str or Path
    alts : dict, optional
        Chart name -> alt text (default: the slide's ``alt``).

    Returns
    -------
    Path
    """
    from pptx import Presentation
    from pptx.util import Inches

    alts = alts or {}
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(PROJECTOR_FIGSIZE[0]), Inches(PROJECTOR_FIGSIZE[1])
    for slide_data in slides:
        if slide_data["kind"] == "title":
            slide = _title_slide(prs, slide_data)
        elif slide_data["kind"] == "chart":
            name = slide_data["chart"]
            slide = _chart_slide(prs, slide_data, images[name], alts.get(name) or slide_data["alt"])
        else:
            slide = _sources_slide(prs, slide_data)
        _footer(slide, slide_data["number"], slide_data["synthetic"])
        notes = [slide_data["takeaway"], *slide_data["notes"]] if slide_data["kind"] == "chart" else slide_data["notes"]
        notes = [*notes, "", "Sources:", *slide_data["sources"]]
        if slide_data["synthetic"]:
            notes.append(f"{SYNTHETIC_NOTICE}.")
        slide.notes_slide.notes_text_frame.text = "\n".join(notes)

    core = prs.core_properties
    core.title = slides[0]["title"] if slides else "nhri-capacity deck"
    core.author = core.last_modified_by = f"nhri-capacity {toolkit_version()}"
    core.subject = "NHRI capacity to protect migrants' rights"
    core.revision = 1
    when = _dt.datetime.fromisoformat(today_iso())
    core.created = core.modified = when
    core.last_printed = when
    buffer = io.BytesIO()
    prs.save(buffer)
    return atomic_write_bytes(Path(target), _reproducible_zip(buffer.getvalue()))
