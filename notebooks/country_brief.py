# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Country brief: NHRI capacity to protect migrants' rights
#
# This notebook produces the brief of one country's National Human Rights
# Institution (NHRI): its capacity scores (with how much they depend on method
# choices), its peers, the country's international migrant stock (UN DESA 2020)
# and treaty status, and recommendations. All the work is done by the
# `nhri_capacity` package; the notebook only calls it and shows the results.
#
# * **By hand (JupyterLab):** edit the parameters cell below, then *Run All*.
# * **In batch:** `nhri-capacity briefs --countries MEX DEU` (or `make briefs`)
#   runs this notebook once per country with papermill and keeps each executed
#   copy as `reports/briefs/<ISO3>/brief.ipynb`.
#
# The source of truth is `country_brief.py` (Jupytext, paired with the
# `.ipynb`); after editing either, run `jupytext --sync notebooks/country_brief.py`.

# %% tags=["parameters"]
country = "MEX"  # ISO3 code of the institution's country
survey = None  # survey file (.sav, .dta, .csv, .xlsx), or None for the bundled synthetic sample
year = None  # UN DESA migrant-stock year, or None for the latest
out_dir = None  # folder for the brief's files, or None for reports/briefs/<country>
formats = "html,pdf"  # comma-separated brief formats: html, pdf
n_draws = 1000  # method draws for the score intervals

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import SVG, Markdown, display

from nhri_capacity import build_brief, config, survey_results, write_brief_files

pd.set_option("display.max_colwidth", None)

# %% [markdown]
# ## Scores of every institution in the survey
# Computed once per survey (with `n_draws` method draws for the intervals) and
# cached under `data/processed/survey_results/`; later briefs read the cache.

# %%
results = survey_results(survey, n_draws=n_draws)
results

# %% [markdown]
# ## Key figures

# %%
brief = build_brief(country, survey=survey, year=year, results=results)
if brief.synthetic:
    display(Markdown(f"> **{brief.data['header']['synthetic_notice']}.**"))
pd.Series(brief.key_figures(), name=brief.data["header"]["title"]).to_frame()

# %% [markdown]
# ## Capacity scores (0-100)
# `p05`-`p95`: the range of each score over the method draws.

# %%
pd.DataFrame(
    brief.data["capacity"]["rows"],
    columns=["label", "score", "p05", "p95", "regional_median", "global_median", "gap_global"],
)

# %% [markdown]
# ## International migrant stock (UN DESA)

# %%
pd.DataFrame(brief.data.get("migration", {}).get("comparison", []))

# %%
pd.DataFrame(brief.data.get("migration", {}).get("trend", []))

# %% [markdown]
# ## Treaty status

# %%
pd.DataFrame(brief.data.get("treaties", {}).get("core", []), columns=["code", "name", "status", "year"])

# %% [markdown]
# ## Activity on migration themes (0-3)

# %%
pd.DataFrame(
    brief.data.get("themes", {}).get("items", []),
    columns=["label", "level", "level_label", "regional_median", "global_median"],
)

# %% [markdown]
# ## Recommendations and peers' good practices

# %%
pd.DataFrame(brief.data.get("recommendations", []), columns=["priority", "dimension_label", "text", "evidence"])

# %%
pd.DataFrame(
    brief.data.get("good_practices", []), columns=["institution", "country", "title", "capacity", "reason"]
)

# %% [markdown]
# ## Write the brief's files
# HTML and/or PDF, the figures (PNG and SVG) and `data.json` (every number in
# the brief), each written atomically.

# %%
written = write_brief_files(
    brief,
    out_dir or config.BRIEFS_DIR / brief.iso3,
    formats=tuple(formats.split(",")),
)
pd.Series({name: str(path) for name, path in written.items()}, name="file").to_frame()

# %% [markdown]
# ## Figures
# Shown from the SVG files just written (drawing them again would double the work).

# %%
for name, path in written.items():
    if name.startswith("figures/") and path.suffix == ".svg":
        display(Markdown(f"**{path.stem}**"), SVG(filename=path))
