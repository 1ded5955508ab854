"""A seeded synthetic survey: illustrative data for demos, tests and notebooks.

Nothing in this data set is a survey result. The rows are invented by
:func:`generate_sample` from the model below; institutions are placed in real
countries (so that the survey can be joined to the real UN DESA migrant-stock
figures), but every name, answer, practice and number is fictional and says
nothing about the real institution of that country. Every row carries
``synthetic_data = 1``, every institution name ends in ``(synthetic)``, and
:func:`write_sample` writes the file through
:func:`nhri_capacity.survey.readers.write_survey` with ``synthetic=True`` (a
``SYNTHETIC`` file label).

The model (the sample's codebook of assumptions)
------------------------------------------------

Institutions and respondents
    * ``n_institutions`` (110) countries drawn without replacement from
      :data:`NHRI_COUNTRIES`, a hand-curated list of 138 countries that have a
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
      tested on it. :func:`~nhri_capacity.survey.readers.write_survey` never writes
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

Determinism
    The same seed gives the same frame, value for value: all randomness comes
    from ``numpy.random.Generator`` streams spawned from the seed (one per
    concern, so that changing the practice texts does not move a single
    score), countries are processed in sorted order, and dates are fixed
    calendar days. :func:`write_sample` also overwrites the creation
    date and time that ReadStat stamps into the ``.sav`` header with a fixed
    value, so the file is byte-identical from run to run.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from .. import config
from ..common.io import atomic_path
from .codebook import DIMENSIONS, load_codebook
from ..reference import country_name
from ..errors import NHRICapacityError
from ..reference import load_migrant_stock
from .readers import write_survey

__all__ = [
    "SampleParameterError",
    "DEFAULT_SEED",
    "DEFAULT_N_INSTITUTIONS",
    "MIN_INSTITUTIONS",
    "NHRI_COUNTRIES",
    "ALWAYS_INCLUDED",
    "generate_sample",
    "write_sample",
]

#: Seed of the bundled sample (18 December 2020, International Migrants Day).
DEFAULT_SEED = 20201218

#: Institutions in the bundled sample.
DEFAULT_N_INSTITUTIONS = 110

#: Fewest institutions a sample can have (Mexico, Germany and one per SDG region fit in it).
MIN_INSTITUTIONS = 10

#: Always in the sample: Mexico (host of the round table) and Germany.
ALWAYS_INCLUDED = ("MEX", "DEU")

#: Countries with a national human rights institution (accredited or not), as
#: a hand-curated list of ISO3 codes. Used only to place synthetic
#: institutions in plausible countries; it is not a statement about any
#: institution's accreditation or work.
NHRI_COUNTRIES = tuple(
    sorted(
        """
        AGO BDI BEN BFA BWA CIV CMR COD COG CPV ETH GAB GHA GMB KEN LBR MDG MLI
        MOZ MRT MUS MWI NAM NER NGA RWA SEN SLE SDN SSD SYC TCD TGO TZA UGA ZAF
        ZMB ZWE
        DZA EGY MAR TUN LBY JOR QAT PSE IRQ OMN BHR SAU TUR ARM AZE GEO CYP LBN
        AFG BGD IND KAZ KGZ LKA MDV NPL PAK TJK UZB
        IDN KOR MMR MNG MYS PHL THA TLS
        ARG BOL BRA CHL COL CRI DOM ECU GTM HND HTI MEX NIC PAN PER PRY SLV URY
        VEN BLZ GUY BRB TTO
        WSM FJI
        AUS NZL
        ALB AUT BEL BGR BIH CAN CZE DEU DNK ESP EST FIN FRA GBR GRC HRV HUN IRL
        LTU LUX LVA MDA MKD MNE NLD NOR POL PRT ROU RUS SRB SVK SVN SWE UKR CHE
        """.split()
    )
)

_SURVEY_START = dt.date(2020, 10, 1)
_SURVEY_END = dt.date(2021, 3, 31)

# ReadStat stamps the wall-clock time into the .sav header; a fixed stamp (the
# seed's date) makes the file reproducible byte for byte.
_SAV_STAMP = b"18 Dec 2000:00:00"  # creation_date[9] + creation_time[8]
_SAV_STAMP_OFFSET = 92

# Region names as in the UN DESA workbook (UN SDG regions).
_SSA = "Sub-Saharan Africa"
_NAWA = "Northern Africa and Western Asia"
_CSA = "Central and Southern Asia"
_ESEA = "Eastern and South-Eastern Asia"
_LAC = "Latin America and the Caribbean"
_OCE = "Oceania (excluding Australia and New Zealand)"
_ANZ = "Australia and New Zealand"
_ENA = "Europe and Northern America"

# Institution type codes (codebook list inst_type) -> probabilities, by region.
_TYPE_MIX = {
    _LAC: [0.15, 0.75, 0.05, 0.0, 0.0, 0.05],
    _ENA: [0.25, 0.30, 0.10, 0.15, 0.15, 0.05],
    _SSA: [0.75, 0.10, 0.10, 0.0, 0.0, 0.05],
    _NAWA: [0.60, 0.20, 0.05, 0.10, 0.0, 0.05],
    _CSA: [0.80, 0.15, 0.0, 0.0, 0.0, 0.05],
    _ESEA: [0.85, 0.10, 0.0, 0.0, 0.0, 0.05],
    _OCE: [0.40, 0.60, 0.0, 0.0, 0.0, 0.0],
    _ANZ: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
}
_TYPE_MIX_DEFAULT = [0.60, 0.25, 0.10, 0.0, 0.0, 0.05]

_SPANISH = frozenset(
    "ARG BOL CHL COL CRI DOM ECU GTM HND MEX NIC PAN PER PRY SLV URY VEN ESP".split()
)
_FRENCH = frozenset(
    "BDI BEN BFA CIV CMR COD COG GAB MLI MRT NER SEN TCD TGO MDG FRA LUX".split()
)
# Short names that read "of the ..." in an institution's name.
_THE = frozenset("COG DOM GBR GMB MDV NLD PHL SYC".split())
_NAMES_EN = {
    1: "Human Rights Commission of {c}",
    2: "Office of the Ombudsperson of {c}",
    3: "Human Rights and Ombuds Institution of {c}",
    4: "National Advisory Council on Human Rights of {c}",
    5: "Institute for Human Rights of {c}",
    6: "Human Rights Office of {c}",
}
_NAMES_ES = {
    1: "Comisión de Derechos Humanos ({c}",
    2: "Defensoría del Pueblo ({c}",
    3: "Procuraduría de Derechos Humanos ({c}",
}
_NAMES_FR = {
    1: "Commission nationale des droits de l'homme ({c}",
    2: "Médiateur de la République ({c}",
    4: "Conseil consultatif des droits de l'homme ({c}",
}

_ACCREDITATION_SHARES = {1: 0.60, 2: 0.20, 3: 0.15, 4: 0.05}
_ACCREDITATION_EFFECT = {1: 1.0, 2: 0.45, 3: 0.0, 4: 0.25}

# Item -> (latent source, category probabilities from the lowest code up).
_CODED_ITEMS = {
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
_COUNT_ITEMS = {
    "ch2_complaints_received": ("case_handling", 40.0, 1.0, 0.35, 1.5),
    "ch5_detention_visits": ("case_handling", 6.0, 0.8, 0.20, 2.0),
    "ca3_officials_training": ("campaigns", 4.0, 0.8, 0.15, 2.0),
    "lr1_laws_reviewed": ("law_reform", 2.0, 0.7, 0.0, 3.0),
    "lr2_recommendations": ("law_reform", 10.0, 0.9, 0.15, 2.5),
    "id2_treaty_body_submissions": ("international_dialogue", 1.0, 0.8, 0.0, 5.0),
    "al1_government_agreements": ("alliances", 1.5, 0.8, 0.0, 3.0),
}

_THEME_ITEMS = (
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
_THEME_DRIVER = {
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
_THEME_REGION = {
    _SSA: {"th5_trafficking_smuggling": 0.6, "th9_discrimination_xenophobia": 0.3,
           "th4_detention_deportation": -0.3},
    _NAWA: {"th7_women_domestic_workers": 0.7, "th6_asylum_migration": 0.5,
            "th4_detention_deportation": 0.3},
    _CSA: {"th5_trafficking_smuggling": 0.6, "th7_women_domestic_workers": 0.6,
           "th4_detention_deportation": -0.3},
    _ESEA: {"th5_trafficking_smuggling": 0.7, "th7_women_domestic_workers": 0.6},
    _LAC: {"th8_children_family": 0.6, "th4_detention_deportation": 0.4,
           "th5_trafficking_smuggling": 0.3, "th6_asylum_migration": 0.3},
    _OCE: {"th7_women_domestic_workers": 0.3, "th4_detention_deportation": -0.5},
    _ANZ: {"th4_detention_deportation": 0.6, "th9_discrimination_xenophobia": 0.4},
    _ENA: {"th6_asylum_migration": 0.6, "th4_detention_deportation": 0.5,
           "th9_discrimination_xenophobia": 0.5, "th8_children_family": 0.3,
           "th5_trafficking_smuggling": -0.2},
}
_THEME_SHARES = [0.15, 0.35, 0.33, 0.17]

# Missing-data codes among missing answers; NaN stands for a blank answer.
_MISSING_KINDS = (-8.0, -7.0, -9.0, np.nan)
_MISSING_SHARES = (0.65, 0.10, 0.05, 0.20)

# -- good-practice texts --------------------------------------------------
_THEME_PHRASE = {
    1: "the legal framework on migrants' rights",
    2: "complaint and protection mechanisms for migrants",
    3: "migration laws and policies",
    4: "immigration detention and deportation",
    5: "trafficking and smuggling of migrants",
    6: "access to asylum",
    7: "the rights of migrant domestic workers",
    8: "unaccompanied migrant children",
    9: "xenophobia and discrimination against migrants",
}
# Capacity code -> practice kinds: (title, what was done, what came of it). Each
# kind keeps its title and sentences together so that a title never promises
# what its description does not say.
_PRACTICES = {
    1: (
        (
            "Mobile complaint desk in {place}",
            (
                "Staff of the institution travelled to {place} every month to receive complaints "
                "from migrants on {theme}, whatever their migration status.",
                "A mobile team of the institution visited {place} regularly and registered complaints "
                "on {theme} from migrants, whatever their migration status.",
            ),
            (
                "{n} complaints were registered and {k} cases were resolved.",
                "{n} migrants received advice; {k} cases were taken to the courts.",
            ),
        ),
        (
            "Monitoring visits on {theme}",
            (
                "Unannounced visits to facilities in {place} documented conditions and individual "
                "cases concerning {theme}.",
            ),
            (
                "Conditions improved in {k} facilities after follow-up visits.",
                "The visit reports led to {k} formal recommendations to the authorities.",
            ),
        ),
        (
            "Legal aid clinic on {theme}",
            (
                "Lawyers of the institution assisted migrants in {place} in administrative and court "
                "proceedings related to {theme}.",
            ),
            (
                "{n} migrants received advice or legal assistance.",
                "{k} removal orders were suspended pending review.",
            ),
        ),
        (
            "Interpreter pool for migrant complainants",
            (
                "The institution set up a pool of interpreters in {languages} languages so that "
                "migrants in {place} could lodge complaints on {theme} in their own language.",
            ),
            ("{n} complaints were received through interpreters in the first year.",),
        ),
        (
            "Rapid response team on {theme}",
            (
                "A rapid response team of the institution was sent to {place} within 48 hours of "
                "reports of violations concerning {theme}.",
            ),
            ("The team intervened in {k} situations and {n} migrants received assistance.",),
        ),
    ),
    2: (
        (
            "Public campaign on {theme}",
            (
                "The institution ran a {months}-month campaign on {theme} in {languages} languages, "
                "on radio, social media and posters in {place}.",
            ),
            (
                "The campaign reached an estimated {n} thousand people.",
                "A follow-up survey showed greater awareness of migrants' rights in {place}.",
            ),
        ),
        (
            "Training of border and police officials on {theme}",
            ("We trained police, border and immigration officials working in {place} on {theme}.",),
            (
                "About {n} officials took part.",
                "The police academy has since included the module in its curriculum.",
            ),
        ),
        (
            "Multilingual information kit on {theme}",
            (
                "Leaflets and short videos on {theme} were produced with migrant community leaders "
                "and distributed in {place}.",
            ),
            (
                "The material is now available in {languages} languages.",
                "{n} copies were distributed in the first year.",
            ),
        ),
        (
            "School programme on {theme}",
            ("Teachers in {place} received material on {theme} for use in human rights education.",),
            ("{k} schools took part in the first year.",),
        ),
    ),
    3: (
        (
            "Review of draft legislation on {theme}",
            (
                "The institution reviewed the draft law on {theme} and sent written recommendations "
                "to the parliamentary committee.",
            ),
            (
                "Parliament amended {k} provisions of the draft law.",
                "{k} of the recommendations were reflected in the law as adopted.",
            ),
        ),
        (
            "Special report to parliament on {theme}",
            (
                "A special report on {theme}, based on field visits to {place}, was presented to "
                "parliament.",
            ),
            ("{k} of its recommendations were taken up by the authorities.",),
        ),
        (
            "Tracking the implementation of recommendations on {theme}",
            (
                "We issued recommendations to the ministry of the interior on {theme} and published "
                "a follow-up table every quarter.",
            ),
            (
                "The ministry set up a working group to follow up the recommendations.",
                "{k} recommendations were implemented within a year.",
            ),
        ),
    ),
    4: (
        (
            "Parallel report to a UN treaty body on {theme}",
            (
                "The institution submitted a parallel report on {theme} to a UN treaty body reviewing "
                "the country.",
            ),
            ("The concluding observations took up {k} of the institution's points.",),
        ),
        (
            "Regional NHRI working group on {theme}",
            ("Through the regional NHRI network the institution coordinated a joint position on {theme}.",),
            ("{k} institutions of the region endorsed the joint position.",),
        ),
        (
            "Universal Periodic Review input on {theme}",
            (
                "Input on {theme} was included in the institution's submission to the Universal "
                "Periodic Review.",
            ),
            ("{k} recommendations on migrants' rights were made to the state during the review.",),
        ),
        (
            "Exchange with the UN Special Rapporteur on {theme}",
            ("The institution briefed the UN Special Rapporteur on the human rights of migrants on {theme}.",),
            ("The findings were cited in the Special Rapporteur's report.",),
        ),
    ),
    5: (
        (
            "Cooperation agreement with civil society on {theme}",
            ("The institution signed a cooperation agreement with {partner} on {theme}.",),
            (
                "{k} organisations have joined the agreement.",
                "{n} migrants were referred to services in the first year.",
            ),
        ),
        (
            "Cross-border cooperation with NHRIs on {theme}",
            (
                "A joint working group with NHRIs of neighbouring countries met in {place} to follow "
                "cases on {theme}.",
            ),
            ("{k} cross-border cases were resolved jointly.",),
        ),
        (
            "Migrant community advisory forum in {place}",
            ("Monthly meetings with {partner} and migrant associations in {place} set priorities on {theme}.",),
            ("The forum now brings together {k} organisations.",),
        ),
        (
            "Referral network on {theme} in {place}",
            (
                "A referral protocol with {partner} ensures that migrants in {place} are directed to "
                "shelters, health care and legal advice.",
            ),
            ("{n} migrants were referred to services in the first year.",),
        ),
    ),
}
_PARTNERS = (
    "IOM",
    "UNHCR",
    "the ILO country office",
    "OHCHR",
    "local civil society organisations",
    "the national bar association",
    "a university legal clinic",
    "the labour inspectorate",
    "migrant community associations",
    "faith-based shelters",
    "the child protection authority",
)
_WITH = (
    "It was carried out together with {partner2}.",
    "The work was done in partnership with {partner2} and {partner3}.",
    "{Partner2} provided interpreters and logistical support.",
    "The institution worked closely with {partner2} throughout.",
)
_GENERIC_PLACES = (
    "the capital",
    "border areas",
    "the northern border region",
    "the main port",
    "reception centres",
    "informal settlements around the capital",
    "two coastal districts",
    "the main international airport",
)
# Local place names for some countries (illustrative settings only).
_PLACES = {
    "MEX": ("Tapachula", "Tijuana", "Ciudad Juárez", "San Luis Potosí"),
    "DEU": ("München", "Köln", "Düsseldorf", "Berlin"),
    "CHE": ("Zürich", "Genève", "Chiasso"),
    "AUT": ("Traiskirchen", "Graz"),
    "FRA": ("Calais", "Marseille", "Lyon"),
    "ESP": ("Ceuta", "Melilla", "Málaga", "Almería"),
    "GRC": ("Lesvos", "Thessaloniki", "Evros"),
    "TUR": ("Gaziantep", "İzmir", "Van"),
    "COL": ("Cúcuta", "Bogotá", "Ipiales"),
    "PER": ("Tumbes", "Lima"),
    "CHL": ("Iquique", "Colchane", "Santiago"),
    "ECU": ("Tulcán", "Huaquillas", "Quito"),
    "GTM": ("Tecún Umán", "Ciudad de Guatemala"),
    "HND": ("San Pedro Sula", "Choluteca"),
    "CRI": ("Upala", "San José"),
    "PAN": ("Darién", "Ciudad de Panamá"),
    "BRA": ("São Paulo", "Pacaraima", "Manaus"),
    "ARG": ("Buenos Aires", "Mendoza"),
    "NOR": ("Tromsø", "Oslo"),
    "SWE": ("Malmö", "Göteborg"),
    "DNK": ("Sjælsmark", "Aarhus"),
    "POL": ("Łódź", "Białystok"),
    "SRB": ("Niš", "Subotica", "Šid"),
    "BIH": ("Bihać", "Sarajevo"),
    "ROU": ("Timișoara", "Constanța"),
    "HUN": ("Röszke", "Budapest"),
    "BEL": ("Liège", "Antwerpen"),
    "NLD": ("Ter Apel", "Rotterdam"),
    "GBR": ("Dover", "Glasgow"),
    "CAN": ("Montréal", "Toronto"),
    "MAR": ("Oujda", "Nador", "Tangier"),
    "TUN": ("Sfax", "Médenine"),
    "NER": ("Agadez", "Niamey"),
    "SEN": ("Dakar", "Saint-Louis"),
    "ZAF": ("Johannesburg", "Musina"),
    "KEN": ("Nairobi", "Kakuma"),
    "JOR": ("Mafraq", "Amman"),
    "LBN": ("Beirut", "Tripoli"),
    "PHL": ("Manila", "Cebu"),
    "IDN": ("Batam", "Jakarta"),
    "MYS": ("Sabah", "Kuala Lumpur"),
    "THA": ("Mae Sot", "Bangkok"),
    "BGD": ("Cox's Bazar", "Dhaka"),
    "NPL": ("Kathmandu",),
    "AUS": ("Darwin", "Melbourne"),
    "NZL": ("Auckland",),
    "WSM": ("Apia",),
    "FJI": ("Suva",),
}
_SUPPORT = {
    "budget": (
        "Predictable funding for a migration unit and for field visits.",
        "Resources to open regional offices near the borders.",
    ),
    "expertise": (
        "Training for staff on international standards on migrants' rights.",
        "Exchange visits with NHRIs that have a migration unit.",
    ),
    "mandate": (
        "A clear legal mandate to receive complaints from migrants in an irregular situation.",
    ),
    "detention_access": (
        "Guaranteed unannounced access to all places where migrants are detained.",
    ),
    "gov_cooperation": (
        "Regular dialogue with the ministry of the interior and the border police.",
    ),
    "data": (
        "Reliable data on migrants disaggregated by sex, age and status.",
        "A case-management database to track complaints from migrants.",
    ),
    "language": (
        "A pool of interpreters and translated information material.",
    ),
    "staff_safety": (
        "Security protocols and insurance for staff working in border areas.",
    ),
}


class SampleParameterError(NHRICapacityError, ValueError):
    """The sample was asked for with a seed or size that cannot be used."""


# -- helpers ------------------------------------------------------------------
def _cuts(shares, sd=1.0) -> np.ndarray:
    """Normal quantiles that split N(0, sd) into the given category shares."""
    cum = np.cumsum(shares)[:-1]
    nd = NormalDist(0.0, sd)
    return np.array([nd.inv_cdf(min(max(c, 1e-9), 1 - 1e-9)) for c in cum])


def _categorise(latent, shares, low, sd=1.0) -> np.ndarray:
    return (np.searchsorted(_cuts(shares, sd), latent, side="right") + low).astype(float)


def _standardise(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / x.std()


def _quota(shares: dict, n: int) -> np.ndarray:
    """Largest-remainder allocation of n slots to codes in *shares* (code order kept)."""
    exact = {k: v * n for k, v in shares.items()}
    counts = {k: int(math.floor(v)) for k, v in exact.items()}
    rest = n - sum(counts.values())
    by_remainder = sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))
    for k in by_remainder[:rest]:
        counts[k] += 1
    return np.concatenate([np.full(counts[k], k) for k in shares])


def _neg_binomial(rng, mean, shape) -> np.ndarray:
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    return rng.negative_binomial(shape, shape / (shape + mean)).astype(float)


def _reference_table() -> pd.DataFrame:
    """Candidate countries with their 2020 migrant stock, population and region."""
    stock = load_migrant_stock()
    rows = stock[stock["is_country"].astype(bool) & (stock["year"] == 2020)]
    rows = rows[rows["iso3"].isin(NHRI_COUNTRIES)]
    rows = rows.dropna(subset=["migrant_share_pct", "migrants", "population", "region"])
    rows = rows.drop_duplicates("iso3").sort_values("iso3", kind="stable")
    out = pd.DataFrame(
        {
            "iso3": rows["iso3"].astype(str).to_numpy(),
            "region": rows["region"].astype(str).to_numpy(),
            "migrant_share_pct": rows["migrant_share_pct"].astype(float).to_numpy(),
            "migrants": rows["migrants"].astype(float).to_numpy(),
            "population": rows["population"].astype(float).to_numpy(),
        }
    )
    return out


def _choose_countries(ref: pd.DataFrame, n: int, rng) -> pd.DataFrame:
    chosen = [c for c in ALWAYS_INCLUDED if c in set(ref["iso3"])]
    for region in sorted(ref["region"].unique()):
        covered = ref.loc[ref["iso3"].isin(chosen), "region"]
        if region in set(covered):
            continue
        pool = ref.loc[ref["region"] == region, "iso3"].tolist()
        chosen.append(pool[rng.integers(len(pool))])
    pool = [c for c in ref["iso3"] if c not in chosen]
    extra = rng.choice(len(pool), size=n - len(chosen), replace=False)
    chosen.extend(pool[i] for i in sorted(extra))
    return ref[ref["iso3"].isin(chosen)].reset_index(drop=True)


def _institution_name(iso3: str, inst_type: int) -> str:
    name = country_name(iso3)
    if iso3 in _SPANISH and inst_type in _NAMES_ES:
        return _NAMES_ES[inst_type].format(c=name) + ", synthetic)"
    if iso3 in _FRENCH and inst_type in _NAMES_FR:
        return _NAMES_FR[inst_type].format(c=name) + ", synthetic)"
    if iso3 in _THE:
        name = "the " + name
    return _NAMES_EN[inst_type].format(c=name) + " (synthetic)"


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _practice_text(rng, capacity: int, theme: int, places, level: float, used: set) -> tuple[str, str]:
    """Title and description of one good practice (capacity 1-5, theme 1-9).

    *used* holds the (capacity, kind) pairs the institution has already
    reported, so that its practices are of different kinds when possible.
    """
    kinds = [k for k in range(len(_PRACTICES[capacity])) if (capacity, k) not in used]
    kind = _pick(rng, kinds or list(range(len(_PRACTICES[capacity]))))
    used.add((capacity, kind))
    title, whats, results = _PRACTICES[capacity][kind]
    partners = [str(p) for p in rng.choice(np.array(_PARTNERS), size=3, replace=False)]
    # Reported results grow with the institution's capacity in that dimension.
    scale = math.exp(0.6 * level)
    fields = {
        "theme": _THEME_PHRASE[theme],
        "place": _pick(rng, places),
        "months": int(rng.integers(2, 13)),
        "languages": int(rng.integers(3, 9)),
        "partner": partners[0],
        "partner2": partners[1],
        "partner3": partners[2],
        "Partner2": partners[1][0].upper() + partners[1][1:],
        "n": int(round(rng.integers(20, 400) * scale)),
        "k": int(max(2, round(rng.integers(2, 7) * math.sqrt(scale)))),
    }
    title = title.format(**fields)
    sentences = [_pick(rng, whats), _pick(rng, _WITH), _pick(rng, results)]
    return title[0].upper() + title[1:], " ".join(x.format(**fields) for x in sentences)


def _support_text(rng, chosen: list[str]) -> str:
    if not chosen or rng.random() < 0.10:
        return ""
    if len(chosen) > 2:
        chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), 2, replace=False))]
    picks = chosen
    return " ".join(_pick(rng, _SUPPORT[c]) for c in picks)


# -- the generator --------------------------------------------------------------
def generate_sample(*, seed=DEFAULT_SEED, n_institutions=DEFAULT_N_INSTITUTIONS) -> pd.DataFrame:
    """Generate the synthetic survey: one row per respondent, in codebook variables.

    See the module docstring for the model. The frame is what a survey file
    holds before it is read: numeric items are floats with the missing-data
    codes -7/-8/-9 (and NaN for blank answers), text items are strings (``""``
    when blank), ``survey_date`` is a ``datetime.date``, the personal data
    columns are filled with fake values and ``synthetic_data`` is 1.

    Parameters
    ----------
    seed : int, default 20201218
        Seed of the random streams; the same seed gives an identical frame.
    n_institutions : int, default 110
        Number of institutions (countries), from :data:`MIN_INSTITUTIONS`
        (10) to the number of candidate countries (138).

    Returns
    -------
    pandas.DataFrame
        Columns ``Codebook.columns(include_pii=True)`` in that order.

    Raises
    ------
    SampleParameterError
        If *n_institutions* is out of range or *seed* is not a whole number >= 0
        (a ``ValueError`` too).

    Examples
    --------
    >>> from nhri_capacity import generate_sample
    >>> df = generate_sample()
    >>> df["inst_id"].nunique(), bool((df["synthetic_data"] == 1).all())
    (110, True)
    >>> sorted({"MEX-01", "DEU-01"} & set(df["inst_id"]))
    ['DEU-01', 'MEX-01']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SampleParameterError(f"The seed must be a whole number >= 0, not {seed!r}.")
    ref = _reference_table()
    if (
        isinstance(n_institutions, bool)
        or not isinstance(n_institutions, (int, np.integer))
        or not MIN_INSTITUTIONS <= n_institutions <= len(ref)
    ):
        raise SampleParameterError(
            f"The number of institutions must be a whole number from {MIN_INSTITUTIONS} to "
            f"{len(ref)} (one per candidate country), not {n_institutions!r}."
        )
    n = int(n_institutions)
    cb = load_codebook()
    streams = np.random.SeedSequence(int(seed)).spawn(8)
    r_country, r_profile, r_latent, r_items, r_missing, r_practice, r_constraint, r_resp = (
        np.random.default_rng(s) for s in streams
    )

    # -- institutions ------------------------------------------------------
    inst = _choose_countries(ref, n, r_country)
    region = inst["region"].to_numpy()
    z_share = _standardise(np.log(inst["migrant_share_pct"].clip(lower=0.01)))
    log_mig = np.log(inst["migrants"].clip(lower=100.0))
    log_mig = log_mig - np.median(log_mig)
    log_pop = np.log(inst["population"].clip(lower=1.0))
    log_pop = log_pop - np.median(log_pop)

    accreditation = r_profile.permutation(_quota(_ACCREDITATION_SHARES, n)).astype(int)
    type_p = [np.array(_TYPE_MIX.get(reg, _TYPE_MIX_DEFAULT)) for reg in region]
    inst_type = np.array([1 + int(r_profile.choice(6, p=p / p.sum())) for p in type_p])
    is_a = (accreditation == 1).astype(float)

    # -- latent capacity ---------------------------------------------------
    acc_effect = np.array([_ACCREDITATION_EFFECT[a] for a in accreditation])
    g = _standardise(0.45 * z_share + acc_effect + 0.8 * r_latent.standard_normal(n))
    dims = {}
    for dim in DIMENSIONS:
        d = 0.8 * g + 0.6 * r_latent.standard_normal(n)
        if dim == "case_handling":
            # Ombudspersons are built around complaints; advisory bodies and institutes rarely take cases.
            d = d + np.select([inst_type == 2, inst_type == 4, inst_type == 5], [0.3, -0.6, -0.8], 0.0)
        if dim == "international_dialogue":
            d = d + 0.3 * is_a
        dims[dim] = _standardise(d)
    dims["knowledge"] = _standardise(0.75 * g + 0.66 * r_latent.standard_normal(n))
    dims["agenda"] = _standardise(0.6 * g + 0.3 * z_share + 0.74 * r_latent.standard_normal(n))

    # -- respondents -------------------------------------------------------
    n_multi = min(n, int(round(n * 15 / 110)))
    n_resp = np.ones(n, dtype=int)
    multi = np.sort(r_resp.choice(n, size=n_multi, replace=False))
    n_resp[multi] = r_resp.choice([2, 3, 4], size=n_multi, p=[0.6, 0.3, 0.1])
    row_inst = np.repeat(np.arange(n), n_resp)
    order_in_inst = np.concatenate([np.arange(k) for k in n_resp])
    first = order_in_inst == 0
    n_rows = len(row_inst)
    n_days = (_SURVEY_END - _SURVEY_START).days
    start_day = r_resp.integers(0, n_days + 1, size=n)
    lag = np.where(first, 0, r_resp.integers(0, 22, size=n_rows))
    day = np.minimum(start_day[row_inst] + lag, n_days)
    roles_first = r_resp.choice([1, 2, 3, 4, 5], size=n, p=[0.15, 0.30, 0.40, 0.10, 0.05])
    role = np.empty(n_rows, dtype=int)
    for i in range(n):
        rows = np.flatnonzero(row_inst == i)
        others = [r for r in (2, 3, 4, 1) if r != roles_first[i]]
        role[rows] = [roles_first[i], *others][: len(rows)]
    resp_noise_sd = 0.3

    data = {}

    # -- profile (section A) -----------------------------------------------
    year_est = np.clip(np.round(2000 - 4 * is_a + 10 * r_profile.standard_normal(n)), 1948, 2019)
    log_staff = math.log(60) + 0.4 * log_pop + 0.35 * g + 0.6 * r_profile.standard_normal(n)
    staff_total = np.clip(np.round(np.exp(log_staff)), 3, cb["staff_total"].max)
    p_mig = 1 / (1 + np.exp(-(-3.2 + 0.6 * dims["case_handling"] + 0.4 * z_share)))
    staff_mig = r_profile.binomial(staff_total.astype(int), p_mig).astype(float)
    budget_logit = -1.7 + 0.5 * dims["case_handling"] + 0.3 * z_share + 0.5 * r_profile.standard_normal(n)
    budget = np.round(40 / (1 + np.exp(-budget_logit))) / 2  # 0-20 %, steps of 0.5
    focal_latent = np.log1p(staff_mig) + 0.4 * dims["case_handling"] + 0.4 * r_profile.standard_normal(n)
    focal = np.searchsorted([0.35, 1.9], focal_latent, side="right").astype(float)

    # Other respondents of an institution sometimes give slightly different facts.
    differs = (~first) & (r_profile.random(n_rows) < 0.3)
    st_row = staff_total[row_inst].copy()
    n_differs = int(differs.sum())
    st_row[differs] = np.maximum(
        1, np.round(st_row[differs] * np.exp(0.05 * r_profile.standard_normal(n_differs)))
    )
    sm_row = np.minimum(staff_mig[row_inst], st_row)
    bud_row = budget[row_inst].copy()
    bud_row[differs] = np.clip(bud_row[differs] + r_profile.choice([-0.5, 0.5], size=n_differs), 0, 20)
    bud_row[r_profile.random(n_rows) < 0.06] = -8.0
    acc_row = accreditation[row_inst].astype(float)
    acc_row[(~first) & (r_profile.random(n_rows) < 0.1)] = 4.0

    iso3 = inst["iso3"].to_numpy()
    names = np.array([_institution_name(c, t) for c, t in zip(iso3, inst_type)], dtype=object)
    country_names = np.array([country_name(c) for c in iso3], dtype=object)
    as_code = r_profile.random(n_rows) < 0.1
    data["inst_id"] = [f"{c}-01" for c in iso3[row_inst]]
    data["country"] = np.where(as_code, iso3[row_inst], country_names[row_inst]).tolist()
    data["inst_name"] = names[row_inst].tolist()
    data["inst_type"] = inst_type[row_inst].astype(float)
    data["accreditation"] = acc_row
    data["year_established"] = year_est[row_inst]
    data["staff_total"] = st_row
    data["staff_migration"] = sm_row
    data["budget_migration_pct"] = bud_row
    data["focal_point"] = focal[row_inst]
    data["respondent_role"] = role.astype(float)
    data["synthetic_data"] = np.ones(n_rows)
    data["survey_date"] = [_SURVEY_START + dt.timedelta(days=int(d)) for d in day]

    # -- coded items (sections B and C) ------------------------------------
    total_sd = math.sqrt(1 + resp_noise_sd**2)
    item_latent = {}
    for name in cb.columns():
        if name in _CODED_ITEMS:
            source, shares = _CODED_ITEMS[name]
        elif name in _COUNT_ITEMS:
            source = _COUNT_ITEMS[name][0]
        else:
            continue
        lat = 0.7 * dims[source] + 0.71 * r_items.standard_normal(n)
        item_latent[name] = lat
        if name in _CODED_ITEMS:
            row_lat = lat[row_inst] + resp_noise_sd * r_items.standard_normal(n_rows)
            low = int(cb[name].min)
            data[name] = _categorise(row_lat, shares, low, total_sd)

    # -- counts and percentages --------------------------------------------
    for name, (_source, median, slope, elasticity, shape) in _COUNT_ITEMS.items():
        mean = median * np.exp(slope * item_latent[name] + elasticity * log_mig)
        counts = _neg_binomial(r_items, mean, shape)
        counts = np.minimum(counts, cb[name].max)
        row = counts[row_inst]
        jitter = np.exp(0.15 * r_items.standard_normal(n_rows))
        row = np.where(first, row, np.round(row * jitter))
        data[name] = np.minimum(row, cb[name].max)
    # No access to detention means no visits, whatever the latent activity.
    no_access = data["ch4_detention_access"] == 0
    data["ch5_detention_visits"] = np.where(no_access, 0.0, data["ch5_detention_visits"])
    lr3_lat = 0.7 * dims["law_reform"] + 0.71 * r_items.standard_normal(n)
    share = 100 / (1 + np.exp(-(-0.3 + 0.6 * lr3_lat)))
    share_row = share[row_inst] + np.where(first, 0, 5 * r_items.standard_normal(n_rows))
    data["lr3_share_accepted"] = np.clip(np.round(share_row / 5) * 5, 0, 100)

    # -- themes (section D) --------------------------------------------------
    for name in _THEME_ITEMS:
        shift = np.array([_THEME_REGION.get(reg, {}).get(name, 0.0) for reg in region])
        lat = 0.6 * dims[_THEME_DRIVER[name]] + 0.8 * r_items.standard_normal(n) + shift
        if name == "th4_detention_deportation":
            lat = lat + 0.3 * (data["ch4_detention_access"][first] - 1.5)
        row_lat = lat[row_inst] + resp_noise_sd * r_items.standard_normal(n_rows)
        data[name] = _categorise(row_lat, _THEME_SHARES, 0, math.sqrt(1.2 + resp_noise_sd**2))

    # -- missing answers (sections B-D) --------------------------------------
    g_row = g[row_inst]
    for it in cb:
        if it.section not in {"B", "C", "D"} or not it.is_numeric:
            continue
        base = 0.09 if it.type in {"count", "percent"} else 0.035
        # exp(0.08) is the mean of exp(-0.4 g) for a standard normal g: the average rate stays at base.
        p = base * np.exp(-0.4 * g_row) / math.exp(0.08)
        hit = r_missing.random(n_rows) < p
        kinds = r_missing.choice(len(_MISSING_KINDS), size=n_rows, p=_MISSING_SHARES)
        values = np.asarray(data[it.name], dtype=float).copy()
        values[hit] = np.array(_MISSING_KINDS)[kinds[hit]]
        data[it.name] = values
    # A share of recommendations accepted is not applicable without recommendations.
    no_recommendations = data["lr2_recommendations"] == 0
    data["lr3_share_accepted"] = np.where(no_recommendations, -7.0, data["lr3_share_accepted"])

    # -- good practices (section E) --------------------------------------------
    gp_latent = 0.6 * g + 0.8 * r_practice.standard_normal(n)
    n_gp = np.searchsorted(_cuts([0.10, 0.32, 0.36, 0.22]), gp_latent, side="right")
    gp = {
        f"gp{k}_{f}": [""] * n_rows if f in {"title", "description"} else np.full(n_rows, np.nan)
        for k in (1, 2, 3)
        for f in ("title", "description", "theme", "capacity", "year", "consent")
    }
    first_rows = np.flatnonzero(first)
    survey_year = np.array([d.year for d in data["survey_date"]])
    for i in range(n):
        row = first_rows[i]
        activity = np.array([data[t][row] for t in _THEME_ITEMS], dtype=float)
        activity = np.where(activity >= 0, activity, 1.0)
        w_theme = np.exp(0.8 * activity)
        themes = r_practice.choice(9, size=int(n_gp[i]), replace=False, p=w_theme / w_theme.sum()) + 1
        levels = np.array([dims[d][i] for d in DIMENSIONS])
        w_cap = np.exp(0.8 * levels)
        places = _PLACES.get(iso3[i], _GENERIC_PLACES)
        used = set()
        for k, theme in enumerate(themes, start=1):
            capacity = int(r_practice.choice(5, p=w_cap / w_cap.sum())) + 1
            title, text = _practice_text(
                r_practice, capacity, int(theme), places, levels[capacity - 1], used
            )
            gp[f"gp{k}_title"][row] = title
            gp[f"gp{k}_description"][row] = text
            gp[f"gp{k}_theme"][row] = float(theme)
            gp[f"gp{k}_capacity"][row] = float(capacity)
            gp[f"gp{k}_year"][row] = float(r_practice.integers(2015, survey_year[row] + 1))
            gp[f"gp{k}_consent"][row] = float(r_practice.random() < 0.8)
    data.update(gp)

    # -- constraints and support (section F) ------------------------------------
    access = data["ch4_detention_access"][first]
    access = np.where(access >= 0, access, 1.5)  # unknown access counts as middling
    logits = {
        "budget": 0.7 - 0.5 * g,
        "expertise": -0.4 - 0.6 * dims["case_handling"],
        "mandate": -1.6 + 1.0 * np.isin(inst_type, [4, 5]) - 0.3 * g,
        "detention_access": -1.0 - 0.8 * (access - 1.5),
        "gov_cooperation": -0.8 - 0.4 * dims["law_reform"],
        "data": 0.0 - 0.3 * g,
        "language": -0.8 + 0.3 * z_share - 0.3 * dims["campaigns"],
        "staff_safety": -2.2 + np.select([region == _LAC, region == _SSA], [0.9, 0.5], 0.0),
    }
    # The codebook owns the choice list; a choice this model does not know gets a neutral rate.
    constraint_names = list(cb["constraints"].choices)
    chosen = {}
    for c in constraint_names:
        inst_choice = r_constraint.random(n) < 1 / (1 + np.exp(-logits.get(c, -1.0 - 0.3 * g)))
        row_choice = inst_choice[row_inst].copy()
        flip = (~first) & (r_constraint.random(n_rows) < 0.1)
        row_choice[flip] = ~row_choice[flip]
        chosen[c] = row_choice
        data[f"constraints_{c}"] = row_choice.astype(float)
    data["support_needed"] = [
        _support_text(r_constraint, [c for c in constraint_names if chosen[c][r] and c in _SUPPORT])
        for r in range(n_rows)
    ]

    # -- assemble in arrival order ---------------------------------------------
    frame = pd.DataFrame(data)
    frame["_day"] = day
    frame["_order"] = np.arange(n_rows)
    frame = frame.sort_values(["_day", "inst_id", "_order"], kind="stable").reset_index(drop=True)
    frame = frame.drop(columns=["_day", "_order"])
    seq = np.arange(1, n_rows + 1)
    frame["resp_id"] = [f"R{i:04d}" for i in seq]
    frame["respondent_name"] = [f"Respondent {i:03d}" for i in seq]
    frame["respondent_email"] = [f"respondent{i:03d}@example.org" for i in seq]
    frame["respondent_phone"] = [f"+00 000 000 {i:03d}" for i in seq]

    columns = cb.columns(include_pii=True)
    frame = frame[columns]
    for col in columns:
        item = cb.column_item(col)
        if item.is_numeric or item.type == "multi_select":
            frame[col] = frame[col].astype("float64")
        elif item.type != "date":
            frame[col] = frame[col].astype(object)
    frame.attrs["synthetic"] = True
    frame.attrs["seed"] = int(seed)
    return frame


def _stamp_sav_header(path: Path) -> None:
    """Overwrite the creation date and time in a .sav header with a fixed value."""
    with open(path, "r+b") as fh:
        magic = fh.read(4)
        if magic not in (b"$FL2", b"$FL3"):
            return
        fh.seek(_SAV_STAMP_OFFSET)
        fh.write(_SAV_STAMP)


def write_sample(path=None, *, seed=DEFAULT_SEED, n_institutions=DEFAULT_N_INSTITUTIONS) -> Path:
    """Generate the synthetic survey and write it as an SPSS ``.sav`` file.

    The file is written by :func:`nhri_capacity.survey.readers.write_survey` with
    ``synthetic=True``: variable and value labels from the codebook, the
    ``SYNTHETIC`` file label, no personal data columns. The creation date in
    the ``.sav`` header is fixed (18 Dec 2020, 00:00:00), so the same seed
    gives a byte-identical file. Other suffixes that ``write_survey`` knows
    (``.dta``, ``.csv``, ``.xlsx``, ``.parquet``) are written too, with the
    same data, but only ``.sav`` and ``.csv`` are byte-reproducible (Stata,
    Excel and Parquet writers stamp their own metadata).

    Parameters
    ----------
    path : str or Path, optional
        Target file; by default ``config.SAMPLE_SURVEY``
        (``data/raw/nhri_migrant_rights_survey_sample.sav``).
    seed, n_institutions
        As in :func:`generate_sample`.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nhri_capacity import write_sample
    >>> out = write_sample(pathlib.Path(tempfile.mkdtemp()) / "sample.sav")
    >>> out.suffix
    '.sav'
    """
    path = Path(path) if path is not None else config.SAMPLE_SURVEY
    frame = generate_sample(seed=seed, n_institutions=n_institutions)
    # Stamp before the file appears under its name, so that no reader ever
    # sees a version with the wall-clock time in it.
    with atomic_path(path) as tmp:
        write_survey(frame, tmp, synthetic=True)
        _stamp_sav_header(tmp)
    return path
