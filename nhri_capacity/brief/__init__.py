"""Brief content as data: survey results, reference context, capacity profiles,
recommendations from the rule table, peers' good practices and the :class:`Brief`.

Nothing here draws or renders; :mod:`nhri_capacity.render` does, from ``Brief.data``.
Modules, each importing only those before it::

    values      plain values: rounding as stored, JSON types, labels (internal)
    results     SurveyResults: scores, intervals, answers, practices of a survey (cached)
    compendium  the good practices that may be published (consent), as tables
    context     country and year checks; migrant stock and treaty context
    profiles    capacity profile, need and capacity, themes, constraints
    rules       the recommendation rule table and its interpreter
    peers       peers' good practices
    keyfigures  the key figures of data.json and the batch index
    model       Brief, build_brief
    summaries   across institutions, by region: distributions, medians, counts (for trainers)
"""

from . import compendium, context, keyfigures, model, peers, profiles, results, rules, summaries
from .compendium import *  # noqa: F401,F403
from .context import *  # noqa: F401,F403
from .keyfigures import *  # noqa: F401,F403
from .model import *  # noqa: F401,F403
from .peers import *  # noqa: F401,F403
from .profiles import *  # noqa: F401,F403
from .results import *  # noqa: F401,F403
from .rules import *  # noqa: F401,F403
from .summaries import *  # noqa: F401,F403

__all__ = [
    *results.__all__,
    *compendium.__all__,
    *context.__all__,
    *profiles.__all__,
    *rules.__all__,
    *peers.__all__,
    *keyfigures.__all__,
    *model.__all__,
    *summaries.__all__,
]
