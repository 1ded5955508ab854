"""nhri-capacity: score NHRIs' capacity to protect migrants' rights.

The toolkit turns survey responses from National Human Rights Institutions
into capacity scores, sets them against UN DESA migrant-stock figures and
treaty ratification status, and produces country briefs and chart packs.

Modules, from input towards outputs (see docs/architecture.md): countries,
migration, treaties, codebook, instrument, readers, validation, sample,
scoring, audit, uncertainty, analysis, plots, briefs, batch, cli. Their
public names are re-exported here. Heavy libraries (statsmodels, seaborn,
papermill, weasyprint) are imported only inside the functions that use them,
so ``import nhri_capacity`` stays fast.

Examples
--------
>>> import nhri_capacity as nc
>>> stock = nc.load_migrant_stock()
>>> int(stock.query("iso3 == 'MEX' and year == 2020")["migrants"].iloc[0])
1197624
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("nhri-capacity")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from . import (
    analysis,
    audit,
    batch,
    briefs,
    codebook,
    countries,
    errors,
    instrument,
    migration,
    pipeline,
    plots,
    readers,
    sample,
    scoring,
    treaties,
    uncertainty,
    validation,
)
from .analysis import *  # noqa: F401,F403
from .audit import *  # noqa: F401,F403
from .batch import *  # noqa: F401,F403
from .briefs import *  # noqa: F401,F403
from .codebook import *  # noqa: F401,F403
from .countries import *  # noqa: F401,F403
from .errors import *  # noqa: F401,F403
from .instrument import *  # noqa: F401,F403
from .migration import *  # noqa: F401,F403
from .pipeline import *  # noqa: F401,F403
from .plots import *  # noqa: F401,F403
from .readers import *  # noqa: F401,F403
from .sample import *  # noqa: F401,F403
from .scoring import *  # noqa: F401,F403
from .treaties import *  # noqa: F401,F403
from .uncertainty import *  # noqa: F401,F403
from .validation import *  # noqa: F401,F403

__all__ = [
    "__version__",
    *errors.__all__,
    *countries.__all__,
    *migration.__all__,
    *treaties.__all__,
    *pipeline.__all__,
    *codebook.__all__,
    *instrument.__all__,
    *readers.__all__,
    *validation.__all__,
    *sample.__all__,
    *scoring.__all__,
    *audit.__all__,
    *uncertainty.__all__,
    *analysis.__all__,
    *plots.__all__,
    *briefs.__all__,
    *batch.__all__,
]
