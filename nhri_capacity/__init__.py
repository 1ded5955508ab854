"""nhri-capacity: score NHRIs' capacity to protect migrants' rights.

The toolkit turns survey responses from National Human Rights Institutions
into capacity scores, sets them against UN DESA migrant-stock figures and
treaty ratification status, and produces country briefs and chart packs.

Sub-packages follow the stages a survey goes through (see
docs/architecture.md): ``reference`` (UN data), ``survey`` (questionnaire and
answers), ``scoring``, ``brief`` (content as data), ``render`` (charts, HTML,
PDF), ``training`` (trainers' products: decks and the good-practice compendium),
then ``batch`` and ``cli``. Their public names are re-exported here.
Heavy libraries (statsmodels, seaborn, papermill, weasyprint) are imported
only inside the functions that use them, so ``import nhri_capacity`` stays
fast.

Examples
--------
>>> import nhri_capacity as nc
>>> stock = nc.load_migrant_stock()
>>> int(stock.query("iso3 == 'MEX' and year == 2020")["migrants"].iloc[0])
1197624
"""

from . import batch, brief, errors, reference, render, scoring, survey, training
from .batch import *  # noqa: F401,F403
from .brief import *  # noqa: F401,F403
from .common.version import TOOLKIT_VERSION as __version__
from .errors import *  # noqa: F401,F403
from .reference import *  # noqa: F401,F403
from .render import *  # noqa: F401,F403
from .scoring import *  # noqa: F401,F403
from .survey import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403

__all__ = [
    "__version__",
    *errors.__all__,
    *reference.__all__,
    *survey.__all__,
    *scoring.__all__,
    *brief.__all__,
    *render.__all__,
    *training.__all__,
    *batch.__all__,
]
