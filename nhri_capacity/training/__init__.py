"""Trainers' products: what trainers project or hand out, built from brief content and rendering.

Combines the content of :mod:`nhri_capacity.brief` with the charts and pages of
:mod:`nhri_capacity.render` (charts drawn in the projector style). Modules,
each importing only those before it::

    compendium   the good-practice compendium: HTML, A4 PDF, CSV and XLSX
    content      a deck's scope, and each slide's takeaway, notes and sources as data
    pptx_writer  the PowerPoint file (python-pptx)
    deck         charts as PNG and SVG, the deck, the PDF handout: build_deck
"""

from . import compendium, content, deck, pptx_writer
from .compendium import *  # noqa: F401,F403
from .content import *  # noqa: F401,F403
from .deck import *  # noqa: F401,F403
from .pptx_writer import *  # noqa: F401,F403

__all__ = [
    *compendium.__all__,
    *content.__all__,
    *deck.__all__,
    *pptx_writer.__all__,
]
