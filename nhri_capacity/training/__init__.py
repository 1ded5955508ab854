"""Trainer products: what trainers hand out or project, built from brief content and rendering.

Modules, each importing only those before it (and ``brief``, ``render`` below)::

    compendium   the good-practice compendium: HTML, A4 PDF, CSV and XLSX
"""

from . import compendium
from .compendium import *  # noqa: F401,F403

__all__ = [
    *compendium.__all__,
]
