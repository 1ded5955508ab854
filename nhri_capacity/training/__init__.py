"""Trainers' products: slide decks built from survey results, UN figures and the house style.

Combines the content of :mod:`nhri_capacity.brief` with the charts of
:mod:`nhri_capacity.render` (drawn in the projector style). Modules, each
importing only those before it::

    content      a deck's scope, and each slide's takeaway, notes and sources as data
    pptx_writer  the PowerPoint file (python-pptx)
    deck         charts as PNG and SVG, the deck, the PDF handout: build_deck
"""

from . import content, deck, pptx_writer
from .content import *  # noqa: F401,F403
from .deck import *  # noqa: F401,F403
from .pptx_writer import *  # noqa: F401,F403

__all__ = [
    *content.__all__,
    *pptx_writer.__all__,
    *deck.__all__,
]
