"""Rendering: number formats, house style, charts, and the brief's HTML and PDF,
all drawn from ``Brief.data``.
"""

from . import formatting, html, plots
from .formatting import *  # noqa: F401,F403
from .html import *  # noqa: F401,F403
from .plots import *  # noqa: F401,F403

__all__ = [
    *formatting.__all__,
    *plots.__all__,
    *html.__all__,
]
