"""The numbers behind the synthetic sample survey: its model and parameters.

:func:`nhri_capacity.survey.sample.generate_sample` draws the sample from the
model described here, with the parameters defined below; its words (names,
practice texts) are in :mod:`nhri_capacity.survey.sample_texts`. Every figure
is an assumption made for illustration, not an estimate from real data.

The model (the sample's codebook of assumptions)
------------------------------------------------

Institutions and respondents
    * ``n_institutions`` (110) countries drawn without replacement from
      :data:`~nhri_capacity.survey.sample.NHRI_COUNTRIES`, a hand-curated list of 138 countries that have a
      national human rights institution (accredited or not) and that the UN
      DESA workbook lists; Mexico (host of the round table) and Germany are
      always drawn, and so is at least one country of every UN SDG region.
      Each country appears once: ``inst_id`` is ``<ISO3>-01``.
    * Names follow the institution type (commission, ombudsperson, hybrid,
      advisory body, research institute, other), in Spanish or French for
      some Spanish- and French-speaking countries, always followed by
      ``(synthetic)``, e.g. ``"Defensoría del Pueblo (Peru, synthetic)"``.
    * 15 institutions (``round(n_institutions * 15 / 110)``) answer with 2-4
      respondents (2: 60%, 3: 30%, 4: 10%), the others with one. Respondents
      of one institution share the institution's latent answers plus a small
      personal deviation, so they agree mostly but not always; counts differ
      by a few per cent, profile facts rarely.
    * ``resp_id`` (``R0001``...) follows the order in which questionnaires
      came in (``survey_date``, between 2020-10-01 and 2021-03-31); the other
      respondents of an institution answer within three weeks of the first.
    * The frame has the personal data columns, filled with obviously fake
      values (``Respondent 017``, ``respondent017@example.org``,
      ``+00 000 000 017``), so that code handling such columns can be
      tested on it. :func:`~nhri_capacity.survey.writers.write_survey` never writes
      personal data, so the ``.sav`` file does not carry them.
    * ``country`` is the country's English name on most rows and its ISO3
      code on about one row in ten, as in real returns.

Profile (section A)
    * Accreditation quota: A 60%, B 20%, not accredited 15%, unknown 5%
      (largest-remainder allocation, then shuffled), assigned at random:
      it is not the real GANHRI status of any institution.
    * Type mix depends on the region (ombudspersons in Latin America,
      commissions in Africa and Asia, a wider mix in Europe).
    * ``staff_total`` is log-normal (median about 60 at the median
      population, log-sd 0.6), growing with population (elasticity 0.4) and
      capacity; ``staff_migration`` is a binomial share of it
      (about 4%, more where case handling is strong and the migrant share
      high), so it never exceeds ``staff_total``; ``focal_point`` follows
      it (none, a person, a unit). ``budget_migration_pct``
      lies in 0-20% (steps of 0.5), "don't know" for about 6%.
    * ``year_established`` is around 2000 (sd 10 years, 1948-2019), earlier
      for A-status institutions.

Latent capacity
    * A general capacity ``G`` per institution is
      ``0.45 * z(log migrant share 2020) + accreditation effect + noise``
      (A +1.0, B +0.45, unknown +0.25, none 0; noise sd 0.8), standardised.
      The migrant share is the real 2020 value from
      :func:`nhri_capacity.reference.migration.load_migrant_stock`.
    * Each of the five dimensions is ``0.8 * G + 0.6 * own noise`` (latent
      correlation about 0.6, about 0.4-0.5 between observed dimension
      means), plus type effects on case handling (ombudspersons +0.3,
      advisory bodies -0.6, research institutes -0.8) and an A-status bonus
      (+0.3) on international dialogue; each dimension is standardised.
    * Each coded item of section C is ``0.7 * dimension + 0.71 * item noise``
      plus a respondent deviation (sd 0.3), cut at normal quantiles that give
      the item's target distribution (e.g. 82% of institutions accept
      complaints from migrants whatever their status). Counts are negative
      binomial with a mean that grows with the item's latent value and, for
      complaints, visits, trainings and recommendations, with the number of
      migrants; detention visits are 0 where there is no access. The share
      of accepted recommendations is "not applicable" (-7) when no
      recommendation was issued. The resulting internal consistency of each
      dimension (Cronbach's alpha on institution-level normalised items) is
      about 0.6-0.85.
    * Section B (knowledge and agenda) follows ``G``; section D themes (0-3)
      follow the dimension that drives them (detention with case handling,
      laws with law reform, xenophobia with campaigns...) plus regional
      emphases (e.g. trafficking in Africa and Asia, domestic workers in
      Western and South Asia, unaccompanied children in Latin America and
      Europe).

Missing data
    * About 5% of the numeric answers of sections B-D are missing: about 3.5%
      of coded items and 9% of counts and percentages (respondents often do
      not know figures), more in lower-capacity institutions. Of these, 65%
      are "don't know" (-8), 10% "not applicable" (-7), 5% "refused" (-9) and
      20% blank (system missing). Structural -7 answers (share accepted with
      no recommendations) come on top.

Good practices, constraints, support (sections E-F)
    * The first respondent of an institution reports 0-3 good practices
      (more with higher capacity; about 85% report at least one); the other
      respondents leave section E blank. Themes favour the themes the
      institution is active on, capacities its stronger dimensions. Titles
      and descriptions are assembled from templates (what was done, with
      whom, what came of it), some with local place names (e.g. Tapachula,
      München, Cúcuta), year 2015 to the survey year, consent to publish
      about 80%.
    * Each constraint of the multi-select list is chosen with a probability
      that falls with capacity (budget most often, staff safety least);
      detention access is a constraint mostly where access is poor. Other
      respondents of an institution change about one choice in ten.
      ``support_needed`` is free text built from the constraints (blank for
      about 10%).
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist

import numpy as np

__all__ = [
    "SURVEY_START", "SURVEY_END",
    "SSA", "NAWA", "CSA", "ESEA", "LAC", "OCE", "ANZ", "ENA",
    "TYPE_MIX", "TYPE_MIX_DEFAULT", "ACCREDITATION_SHARES", "ACCREDITATION_EFFECT",
    "CODED_ITEMS", "COUNT_ITEMS", "THEME_ITEMS", "THEME_DRIVER", "THEME_REGION", "THEME_SHARES",
    "MISSING_KINDS", "MISSING_SHARES",
    "cuts", "categorise", "standardise", "quota", "neg_binomial",
]

# Questionnaires came in between these days (both included).
SURVEY_START = dt.date(2020, 10, 1)
SURVEY_END = dt.date(2021, 3, 31)

# Region names as in the UN DESA workbook (UN SDG regions).
SSA = "Sub-Saharan Africa"
NAWA = "Northern Africa and Western Asia"
CSA = "Central and Southern Asia"
ESEA = "Eastern and South-Eastern Asia"
LAC = "Latin America and the Caribbean"
OCE = "Oceania (excluding Australia and New Zealand)"
ANZ = "Australia and New Zealand"
ENA = "Europe and Northern America"

# Institution type codes (codebook list inst_type) -> probabilities, by region.
TYPE_MIX = {
    LAC: [0.15, 0.75, 0.05, 0.0, 0.0, 0.05],
    ENA: [0.25, 0.30, 0.10, 0.15, 0.15, 0.05],
    SSA: [0.75, 0.10, 0.10, 0.0, 0.0, 0.05],
    NAWA: [0.60, 0.20, 0.05, 0.10, 0.0, 0.05],
    CSA: [0.80, 0.15, 0.0, 0.0, 0.0, 0.05],
    ESEA: [0.85, 0.10, 0.0, 0.0, 0.0, 0.05],
    OCE: [0.40, 0.60, 0.0, 0.0, 0.0, 0.0],
    ANZ: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
}
TYPE_MIX_DEFAULT = [0.60, 0.25, 0.10, 0.0, 0.0, 0.05]

# Accreditation code (A, B, not accredited, unknown) -> share of institutions,
# and -> its effect on the general capacity G.
ACCREDITATION_SHARES = {1: 0.60, 2: 0.20, 3: 0.15, 4: 0.05}
ACCREDITATION_EFFECT = {1: 1.0, 2: 0.45, 3: 0.0, 4: 0.25}

# Item -> (latent source, category probabilities from the lowest code up).
CODED_ITEMS = {
    "b1_knowledge_intl": ("knowledge", [0.05, 0.20, 0.35, 0.30, 0.10]),
    "b2_knowledge_national": ("knowledge", [0.03, 0.15, 0.35, 0.35, 0.12]),
    "b3_strategic_plan": ("agenda", [0.25, 0.45, 0.30]),
    "b4_agenda_priority": ("agenda", [0.05, 0.17, 0.35, 0.30, 0.13]),
    "ch1_complaints_open": ("case_handling", [0.18, 0.82]),
    "ch3_interpretation": ("case_handling", [0.15, 0.35, 0.33, 0.17]),
    "ch4_detention_access": ("case_handling", [0.20, 0.35, 0.25, 0.20]),
    "ch6_legal_assistance": ("case_handling", [0.20, 0.35, 0.30, 0.15]),
    "ch7_proceedings_support": ("case_handling", [0.25, 0.35, 0.28, 0.12]),
    "ch8_referral_followup": ("case_handling", [0.05, 0.20, 0.38, 0.27, 0.10]),
    "ca1_public_campaigns": ("campaigns", [0.12, 0.40, 0.33, 0.15]),
    "ca2_xenophobia_campaigns": ("campaigns", [0.15, 0.38, 0.32, 0.15]),
    "ca4_materials_languages": ("campaigns", [0.30, 0.30, 0.28, 0.12]),
    "ca5_media_work": ("campaigns", [0.08, 0.25, 0.37, 0.22, 0.08]),
    "ca6_hr_education": ("campaigns", [0.25, 0.75]),
    "lr4_monitoring": ("law_reform", [0.20, 0.38, 0.30, 0.12]),
    "lr5_policy_input": ("law_reform", [0.10, 0.27, 0.35, 0.20, 0.08]),
    "lr6_icmw_promotion": ("law_reform", [0.55, 0.45]),
    "id1_network_work": ("international_dialogue", [0.10, 0.35, 0.35, 0.20]),
    "id3_upr_input": ("international_dialogue", [0.35, 0.65]),
    "id4_special_rapporteur": ("international_dialogue", [0.30, 0.35, 0.23, 0.12]),
    "id5_migration_dialogues": ("international_dialogue", [0.10, 0.25, 0.35, 0.22, 0.08]),
    "al2_civil_society": ("alliances", [0.03, 0.12, 0.35, 0.35, 0.15]),
    "al3_nhri_cooperation": ("alliances", [0.25, 0.40, 0.25, 0.10]),
    "al4_international_orgs": ("alliances", [0.08, 0.30, 0.40, 0.22]),
    "al5_migrant_consultation": ("alliances", [0.10, 0.27, 0.35, 0.20, 0.08]),
}

# Count item -> (dimension, median count at average capacity, slope on the
# item's latent value, elasticity to the number of migrants, NB shape).
COUNT_ITEMS = {
    "ch2_complaints_received": ("case_handling", 40.0, 1.0, 0.35, 1.5),
    "ch5_detention_visits": ("case_handling", 6.0, 0.8, 0.20, 2.0),
    "ca3_officials_training": ("campaigns", 4.0, 0.8, 0.15, 2.0),
    "lr1_laws_reviewed": ("law_reform", 2.0, 0.7, 0.0, 3.0),
    "lr2_recommendations": ("law_reform", 10.0, 0.9, 0.15, 2.5),
    "id2_treaty_body_submissions": ("international_dialogue", 1.0, 0.8, 0.0, 5.0),
    "al1_government_agreements": ("alliances", 1.5, 0.8, 0.0, 3.0),
}

# Section D items, in the order their latent activity is drawn.
THEME_ITEMS = (
    "th1_legal_framework",
    "th2_mechanisms",
    "th3_laws_policies",
    "th4_detention_deportation",
    "th5_trafficking_smuggling",
    "th6_asylum_migration",
    "th7_women_domestic_workers",
    "th8_children_family",
    "th9_discrimination_xenophobia",
)
# Theme -> dimension that drives it.
THEME_DRIVER = {
    "th1_legal_framework": "law_reform",
    "th2_mechanisms": "case_handling",
    "th3_laws_policies": "law_reform",
    "th4_detention_deportation": "case_handling",
    "th5_trafficking_smuggling": "alliances",
    "th6_asylum_migration": "case_handling",
    "th7_women_domestic_workers": "alliances",
    "th8_children_family": "case_handling",
    "th9_discrimination_xenophobia": "campaigns",
}
# Region -> theme -> shift of the latent activity (in sd units).
THEME_REGION = {
    SSA: {"th5_trafficking_smuggling": 0.6, "th9_discrimination_xenophobia": 0.3,
          "th4_detention_deportation": -0.3},
    NAWA: {"th7_women_domestic_workers": 0.7, "th6_asylum_migration": 0.5,
           "th4_detention_deportation": 0.3},
    CSA: {"th5_trafficking_smuggling": 0.6, "th7_women_domestic_workers": 0.6,
          "th4_detention_deportation": -0.3},
    ESEA: {"th5_trafficking_smuggling": 0.7, "th7_women_domestic_workers": 0.6},
    LAC: {"th8_children_family": 0.6, "th4_detention_deportation": 0.4,
          "th5_trafficking_smuggling": 0.3, "th6_asylum_migration": 0.3},
    OCE: {"th7_women_domestic_workers": 0.3, "th4_detention_deportation": -0.5},
    ANZ: {"th4_detention_deportation": 0.6, "th9_discrimination_xenophobia": 0.4},
    ENA: {"th6_asylum_migration": 0.6, "th4_detention_deportation": 0.5,
          "th9_discrimination_xenophobia": 0.5, "th8_children_family": 0.3,
          "th5_trafficking_smuggling": -0.2},
}
# Share of institutions at each activity level of a theme (0 none to 3 high).
THEME_SHARES = [0.15, 0.35, 0.33, 0.17]

# Missing-data codes among missing answers; NaN stands for a blank answer.
MISSING_KINDS = (-8.0, -7.0, -9.0, np.nan)
MISSING_SHARES = (0.65, 0.10, 0.05, 0.20)


def cuts(shares, sd=1.0) -> np.ndarray:
    """Normal quantiles that split N(0, sd) into the given category shares."""
    cum = np.cumsum(shares)[:-1]
    nd = NormalDist(0.0, sd)
    return np.array([nd.inv_cdf(min(max(c, 1e-9), 1 - 1e-9)) for c in cum])


def categorise(latent, shares, low, sd=1.0) -> np.ndarray:
    """Codes ``low, low + 1, ...`` of latent values cut into the given category shares.

    Examples
    --------
    >>> categorise([-2.0, 0.0, 2.0], [0.25, 0.5, 0.25], low=1).tolist()
    [1.0, 2.0, 3.0]
    """
    return (np.searchsorted(cuts(shares, sd), latent, side="right") + low).astype(float)


def standardise(x) -> np.ndarray:
    """*x* with mean 0 and standard deviation 1."""
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / x.std()


def quota(shares: dict, n: int) -> np.ndarray:
    """Largest-remainder allocation of n slots to codes in *shares* (code order kept).

    Examples
    --------
    >>> quota({1: 0.6, 2: 0.2, 3: 0.15, 4: 0.05}, 10).tolist()
    [1, 1, 1, 1, 1, 1, 2, 2, 3, 3]
    """
    exact = {k: v * n for k, v in shares.items()}
    counts = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = n - sum(counts.values())
    by_remainder = sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))
    for k in by_remainder[:rest]:
        counts[k] += 1
    return np.concatenate([np.full(counts[k], k) for k in shares])


def neg_binomial(rng, mean, shape) -> np.ndarray:
    """Negative-binomial counts with the given means and shape (smaller shape, more spread)."""
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    return rng.negative_binomial(shape, shape / (shape + mean)).astype(float)
