"""Rendering: house style, charts, and the brief's HTML and PDF, all drawn from
``Brief.data``.
"""

from . import plots
from . import html
from .plots import *  # noqa: F401,F403
from .html import *  # noqa: F401,F403

__all__ = [
    *plots.__all__,
    *html.__all__,
]

# Shared with the batch index, which formats numbers as the briefs do.
from .html import fmt_pct, fmt_score, fmt_status, fmt_thousands  # noqa: E402,F401
