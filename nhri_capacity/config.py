"""Path constants for the project (and nothing else).

Every other module imports its default locations from here, so moving a folder
means changing one line.
"""

from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]

DATA_DIR = PROJ_ROOT / "data"
RAW_DATA_DIR = DATA_DIR / "raw"
PROCESSED_DATA_DIR = DATA_DIR / "processed"

REPORTS_DIR = PROJ_ROOT / "reports"
BRIEFS_DIR = REPORTS_DIR / "briefs"
FIGURES_DIR = REPORTS_DIR / "figures"

NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
BRIEF_TEMPLATE = NOTEBOOKS_DIR / "country_brief.ipynb"

# Files shipped inside the package (codebook, scoring spec, rule tables).
RESOURCES_DIR = Path(__file__).resolve().parent / "resources"

MIGRANT_STOCK_XLSX = RAW_DATA_DIR / "undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx"
TREATIES_DIR = RAW_DATA_DIR / "treaties"
SAMPLE_SURVEY = RAW_DATA_DIR / "nhri_migrant_rights_survey_sample.sav"
