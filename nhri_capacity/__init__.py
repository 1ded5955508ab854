"""nhri-capacity: score NHRIs' capacity to protect migrants' rights.

The toolkit turns survey responses from National Human Rights Institutions
into capacity scores, sets them against UN DESA migrant-stock figures and
treaty ratification status, and produces country briefs and chart packs.

Heavy libraries (statsmodels, seaborn, papermill, weasyprint) are imported only
inside the functions that use them, so ``import nhri_capacity`` stays fast.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all

try:
    __version__ = _version("nhri-capacity")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", *_errors_all]
