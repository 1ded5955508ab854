"""Words of the synthetic sample: institution names, good-practice texts, support needs.

The texts themselves are data, in ``resources/sample_texts.yaml``; this module
assembles them. Titles and descriptions of good practices are put together
from templates (what was done, with whom, what came of it), with local place
names for some countries; every text is invented. Each function draws from
the random generator it is given, always in the same order, so the same seed
gives the same words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..common.yamlfile import load_yaml
from ..errors import SpecError
from ..reference import country_name

__all__ = ["SampleTexts", "load_sample_texts"]

_SECTIONS = (
    "institution_names", "languages", "with_the", "themes", "practices",
    "partners", "partnership", "generic_places", "places", "support",
)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


@dataclass(frozen=True)
class SampleTexts:
    """The text tables of ``resources/sample_texts.yaml`` and what is made of them."""

    tables: dict

    @property
    def support_topics(self) -> frozenset:
        """Constraints that come with a sentence on the support needed."""
        return frozenset(self.tables["support"])

    def institution_name(self, iso3: str, inst_type: int) -> str:
        """Name of the synthetic institution of type *inst_type* in country *iso3*.

        Examples
        --------
        >>> texts = load_sample_texts()
        >>> texts.institution_name("PER", 2), texts.institution_name("PHL", 1)
        ('Defensoría del Pueblo (Peru, synthetic)', 'Human Rights Commission of the Philippines (synthetic)')
        """
        names, languages = self.tables["institution_names"], self.tables["languages"]
        name = country_name(iso3)
        for language in ("es", "fr"):
            if iso3 in languages[language] and inst_type in names[language]:
                return names[language][inst_type].format(c=name)
        if iso3 in self.tables["with_the"]:
            name = "the " + name
        return names["en"][inst_type].format(c=name)

    def places(self, iso3: str) -> list:
        """Where a practice of the institution in *iso3* may take place."""
        return self.tables["places"].get(iso3, self.tables["generic_places"])

    def practice(self, rng, capacity: int, theme: int, places, level: float, used: set) -> tuple[str, str]:
        """Title and description of one good practice (capacity 1-5, theme 1-9).

        *level* is the institution's standardised capacity in that dimension
        (reported results grow with it). *used* holds the (capacity, kind)
        pairs the institution has already reported, so that its practices are
        of different kinds when possible.

        Examples
        --------
        >>> import numpy as np
        >>> title, text = load_sample_texts().practice(np.random.default_rng(1), 1, 4, ["Tapachula"], 0.0, set())
        >>> title.endswith("immigration detention and deportation") or "Tapachula" in title
        True
        """
        kinds_of = self.tables["practices"][capacity]
        kinds = [k for k in range(len(kinds_of)) if (capacity, k) not in used]
        kind = _pick(rng, kinds or list(range(len(kinds_of))))
        used.add((capacity, kind))
        template = kinds_of[kind]
        partners = [str(p) for p in rng.choice(np.array(self.tables["partners"]), size=3, replace=False)]
        scale = math.exp(0.6 * level)
        fields = {
            "theme": self.tables["themes"][theme],
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
        title = template["title"].format(**fields)
        sentences = [
            _pick(rng, template["what"]),
            _pick(rng, self.tables["partnership"]),
            _pick(rng, template["result"]),
        ]
        return title[0].upper() + title[1:], " ".join(x.format(**fields) for x in sentences)

    def support(self, rng, chosen: list[str]) -> str:
        """The support an institution asks for, from up to two of its *chosen* constraints.

        Blank for about one institution in ten, and when nothing is chosen.
        """
        if not chosen or rng.random() < 0.10:
            return ""
        if len(chosen) > 2:
            chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), 2, replace=False))]
        return " ".join(_pick(rng, self.tables["support"][c]) for c in chosen)


def load_sample_texts(path=None) -> SampleTexts:
    """Read the text tables (``resources/sample_texts.yaml`` by default).

    Raises
    ------
    SpecError
        If the file is missing, not YAML, or lacks one of its tables.

    Examples
    --------
    >>> sorted(load_sample_texts().tables["institution_names"])
    ['en', 'es', 'fr']
    """
    path = Path(path) if path is not None else config.RESOURCES_DIR / "sample_texts.yaml"
    tables = load_yaml(path, what="Sample texts")
    missing = [name for name in _SECTIONS if name not in tables]
    if missing:
        raise SpecError(f"Sample texts {path} lack the tables {', '.join(missing)}.")
    return SampleTexts(tables)
