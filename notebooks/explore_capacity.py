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
# # Exploring NHRI capacity to protect migrants' rights
#
# A starting point for researchers: read a survey, check it, score it, audit the
# scores, see how much they depend on method choices, and set them against the
# UN DESA International Migrant Stock 2020. Every step is one call to the
# `nhri_capacity` package; change the parameters cell to use your own survey.
#
# The source of truth is `explore_capacity.py` (Jupytext, paired with the
# `.ipynb`); after editing either, run `jupytext --sync notebooks/explore_capacity.py`.

# %% tags=["parameters"]
survey_path = None  # survey file (.sav, .dta, .csv, .xlsx), or None for the bundled synthetic sample
year = 2020  # UN DESA migrant-stock year
n_draws = 1000  # method draws for the score intervals

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import nhri_capacity as nc

survey_path = survey_path or nc.config.SAMPLE_SURVEY

# %% [markdown]
# ## 1. Read and check the survey
# `validate_survey` lists every problem with its row and column; `read_survey`
# maps the file onto the codebook, drops personal data and converts countries to ISO3.

# %%
problems = nc.validate_survey(survey_path)
print(nc.format_report(problems, path=survey_path))
survey = nc.read_survey(survey_path)
if nc.is_synthetic(survey):
    display(Markdown(f"> **{nc.SYNTHETIC_NOTICE}.** The UN migration figures are real."))
survey.shape

# %% [markdown]
# ## 2. Capacity scores
# Five dimensions and the composite, 0-100, with the bundled scoring spec
# (`nhri_capacity/resources/scoring_spec.yaml`; pass `spec=` to change it).

# %%
scores = nc.score_survey(survey)
scores[["iso3", "institution", "region", *nc.DIMENSIONS, "composite"]].describe().round(1)

# %%
scores.groupby("region")[list(nc.DIMENSIONS) + ["composite"]].median().round(1)

# %% [markdown]
# ## 3. Audit: internal consistency and structure
# Cronbach's alpha per dimension (with a 95% confidence interval), item-rest
# correlations and principal components.

# %%
audit = nc.audit_scores(survey)
audit["alpha"].round(3)

# %%
audit["item_rest"].sort_values("r_item_rest").head(8).round(3)

# %% [markdown]
# ## 4. How much do the scores depend on method choices?
# Each draw perturbs the weights and picks a normalisation, imputation and
# aggregation; the table shows each institution's 5-95% range.

# %%
intervals = nc.score_intervals(survey, n_draws=n_draws)
intervals[["iso3", "composite", "composite_p05", "composite_p95", "rank_p05", "rank_p95"]].head(10).round(1)

# %% [markdown]
# ## 5. Need and capacity
# Migrants as a share of the population (UN DESA) against composite capacity.

# %%
results = nc.survey_results(survey_path, n_draws=n_draws)
fig, ax = plt.subplots(figsize=(9, 6))
nc.plot_need_capacity(results, year=year, ax=ax)
plt.show()

# %%
need = nc.need_and_capacity(results, year=year)
need.sort_values("migrant_share_pct", ascending=False).head(10).round(2)

# %% [markdown]
# ## 6. Treaty ratification and capacity
# Is law-reform capacity higher where the Migrant Workers Convention (ICMW) is
# ratified? (Treaty status as compiled in 2022.)

# %%
treaties = nc.load_treaty_status()
icmw = treaties.query("treaty == 'ICMW'")[["iso3", "status"]].rename(columns={"status": "icmw"})
scores.merge(icmw, on="iso3", how="left").groupby("icmw")[["law_reform", "composite"]].agg(["median", "count"]).round(1)

# %% [markdown]
# Sources: United Nations Department of Economic and Social Affairs, Population
# Division (2020). International Migrant Stock 2020 (CC BY 3.0 IGO). Treaty
# status compiled in 2022 from the United Nations Treaty Collection.
