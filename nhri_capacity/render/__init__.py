"""Rendering: number formats, house style, charts, and the brief's HTML and PDF,
all drawn from ``Brief.data`` (or a ``data.json`` read back).

Modules, each importing only those before it (and ``brief`` below)::

    formatting       numbers and labels as a reader sees them (also Jinja filters)
    style            house style: palette, fonts, sizes, title and source lines
    inputs           what the charts accept, told apart (internal)
    capacity_plots   capacity profile, activity on migration themes
    migration_plots  migrant stock over time, need against capacity
    training_charts  for trainers: capacities by region, theme heatmap, good practices, treaties
    figures          a brief's figures; saving figures
    html             the brief's HTML page, PDF and files
"""

from . import capacity_plots, figures, formatting, html, migration_plots, training_charts
from .capacity_plots import *  # noqa: F401,F403
from .figures import *  # noqa: F401,F403
from .formatting import *  # noqa: F401,F403
from .html import *  # noqa: F401,F403
from .migration_plots import *  # noqa: F401,F403

# Not ``import *``: the module ``style`` and its context manager ``style()``
# share a name, and the package attribute must stay the module.
from .style import CONTEXTS, PALETTE, PROJECTOR_FIGSIZE, SOURCE_UN_DESA, SYNTHETIC_LABEL
from .training_charts import *  # noqa: F401,F403

__all__ = [
    *formatting.__all__,
    "PALETTE",
    "SOURCE_UN_DESA",
    "SYNTHETIC_LABEL",
    "CONTEXTS",
    "PROJECTOR_FIGSIZE",
    *capacity_plots.__all__,
    *migration_plots.__all__,
    *training_charts.__all__,
    *figures.__all__,
    *html.__all__,
]
