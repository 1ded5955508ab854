"""Path constants for the project (and nothing else).

Every other module reads its default locations from here at call time, so
moving a folder means changing one line. Two folders that receive outputs can
be moved without editing code, through the environment (the test suite uses
this so that it never writes into the repository, and the batch's notebook
kernels inherit it):

``NHRI_CAPACITY_PROCESSED_DIR``
    Derived tables and caches (default ``data/processed``).
``NHRI_CAPACITY_REPORTS_DIR``
    Briefs, audit tables, questionnaires (default ``reports``).
"""

import os as _os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]

DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = Path(_os.environ.get("NHRI_CAPACITY_PROCESSED_DIR") or DATA_DIR / "processed")

REPORTS_DIR = Path(_os.environ.get("NHRI_CAPACITY_REPORTS_DIR") or PROJ_ROOT / "reports")
BRIEFS_DIR = REPORTS_DIR / "briefs"
FIGURES_DIR = REPORTS_DIR / "figures"

NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
BRIEF_TEMPLATE = NOTEBOOKS_DIR / "country_brief.ipynb"

# Files shipped inside the package (codebook, scoring spec, rule tables, templates).
RESOURCES_DIR = Path(__file__).resolve().parent / "resources"
TEMPLATES_DIR = RESOURCES_DIR / "templates"

MIGRANT_STOCK_XLSX = RAW_DATA_DIR / "undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx"
TREATIES_DIR = RAW_DATA_DIR / "treaties"
SAMPLE_SURVEY = RAW_DATA_DIR / "nhri_migrant_rights_survey_sample.sav"
