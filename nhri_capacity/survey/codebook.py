"""The survey codebook: the questionnaire as data.

The bundled ``resources/codebook.yaml`` is the single source of truth for every
variable: readers map files onto it, validation checks against it, scoring
takes dimensions, directions and normalisation from it, and the printable
questionnaire and the XLSForm are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import config
from ..common.yamlfile import load_yaml
from ..errors import SpecError

__all__ = [
    "Item",
    "Codebook",
    "load_codebook",
    "DIMENSIONS",
    "NUMERIC_TYPES",
]

#: The five scored capacities, in the order they are reported.
DIMENSIONS = (
    "case_handling",
    "campaigns",
    "law_reform",
    "international_dialogue",
    "alliances",
)

#: Item types stored as numbers (and so subject to missing-data codes).
NUMERIC_TYPES = frozenset(
    {"binary", "likert5", "ordinal3", "count", "percent", "category", "integer"}
)

_KNOWN_TYPES = NUMERIC_TYPES | {"multi_select", "text", "date", "pii"}
_NORMALISATIONS = {"minmax", "goalposts", "log_goalposts"}


@dataclass(frozen=True)
class Item:
    """One question of the codebook.

    ``min`` and ``max`` are the theoretical bounds of valid answers: taken
    from the choice list for coded items, from the codebook for counts,
    percentages and integers.
    """

    name: str
    section: str
    question: str
    type: str
    choices: dict | None = None
    min: float | None = None
    max: float | None = None
    required: bool = False
    dimension: str | None = None
    direction: str = "positive"
    normalisation: str | None = None
    goalposts: tuple | None = None
    weight: float = 1.0
    hint: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_scored(self) -> bool:
        """True for the capacity items of section C."""
        return self.section == "C" and self.dimension in DIMENSIONS

    @property
    def valid_codes(self) -> list | None:
        """Allowed codes for coded items (binary, likert, ordinal, category), else None."""
        if self.choices is None or self.type == "multi_select":
            return None
        return sorted(self.choices)


@dataclass
class Codebook:
    """The parsed codebook.

    Use :func:`load_codebook` to get one. Items are kept in questionnaire
    order; ``codebook["ch1_complaints_open"]`` returns an :class:`Item`.
    """

    title: str
    version: str
    items: dict
    missing_codes: dict
    sections: dict
    dimensions: dict
    themes: dict
    choice_lists: dict
    id_variable: str = "resp_id"
    institution_variable: str = "inst_id"
    country_variable: str = "country"
    source: Path | None = field(default=None, repr=False)

    def __getitem__(self, name) -> Item:
        try:
            return self.items[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a variable of the codebook") from None

    def __contains__(self, name) -> bool:
        return name in self.items

    def __iter__(self):
        return iter(self.items.values())

    # -- selections -------------------------------------------------------
    def section(self, letter) -> list[Item]:
        """Items of one section (``'A'`` to ``'F'``), in questionnaire order."""
        return [it for it in self if it.section == letter]

    def scored_items(self, dimension=None) -> list[Item]:
        """Capacity items (section C), optionally of one dimension only."""
        return [
            it
            for it in self
            if it.is_scored and (dimension is None or it.dimension == dimension)
        ]

    def theme_items(self) -> list[Item]:
        """The nine agenda-theme items of section D, in order."""
        return self.section("D")

    @property
    def pii_variables(self) -> list[str]:
        """Variables holding personal data, dropped on ingest."""
        return [it.name for it in self if it.type == "pii"]

    @property
    def required_variables(self) -> list[str]:
        return [it.name for it in self if it.required]

    def multi_select_columns(self, name) -> dict[str, str]:
        """Map each 0/1 column of a multi-select item to its choice name.

        A multi-select item ``constraints`` with choice ``budget`` is stored as
        the column ``constraints_budget`` (1 = selected).
        """
        item = self[name]
        return {f"{item.name}_{choice}": choice for choice in item.choices}

    def columns(self, *, include_pii=False) -> list[str]:
        """Data columns in canonical order, multi-select items expanded to 0/1 columns."""
        out = []
        for it in self:
            if it.type == "pii" and not include_pii:
                continue
            if it.type == "multi_select":
                out.extend(self.multi_select_columns(it.name))
            else:
                out.append(it.name)
        return out

    def column_item(self, column) -> Item | None:
        """The item a data column belongs to (expanded multi-select columns included)."""
        if column in self.items:
            return self.items[column]
        for it in self:
            if it.type == "multi_select" and column in self.multi_select_columns(it.name):
                return it
        return None

    def value_labels(self, name) -> dict:
        """Code -> label for a coded item, with the missing-data codes added for numeric items."""
        item = self[name]
        labels = dict(item.choices or {}) if item.type != "multi_select" else {0: "Not selected", 1: "Selected"}
        if item.is_numeric:
            labels.update(self.missing_codes)
        return labels

    def is_missing_code(self, value) -> bool:
        """True when *value* is one of the don't know / not applicable / refused codes."""
        try:
            return float(value) in {float(c) for c in self.missing_codes}
        except (TypeError, ValueError):
            return False

    def to_frame(self) -> pd.DataFrame:
        """One row per item: a tidy view of the codebook for notebooks and docs.

        Examples
        --------
        >>> from nhri_capacity import load_codebook
        >>> cb = load_codebook()
        >>> int(cb.to_frame().query("section == 'C'").groupby("dimension").size()["alliances"])
        5
        """
        rows = []
        for it in self:
            rows.append(
                {
                    "name": it.name,
                    "section": it.section,
                    "dimension": it.dimension,
                    "type": it.type,
                    "question": it.question,
                    "min": it.min,
                    "max": it.max,
                    "direction": it.direction if it.is_scored else None,
                    "normalisation": it.normalisation,
                    "weight": it.weight if it.is_scored else None,
                    "choices": None
                    if it.choices is None
                    else "; ".join(f"{k}={v}" for k, v in it.choices.items()),
                }
            )
        return pd.DataFrame(rows)


def _parse_item(raw, choice_lists, path) -> Item:
    where = f"{path}: item {raw.get('name', '?')!r}"
    name = raw.get("name")
    if not name or not str(name).replace("_", "").isalnum() or len(str(name)) > 32:
        raise SpecError(f"{where}: 'name' must be letters, digits or '_' and at most 32 characters")
    typ = raw.get("type")
    if typ not in _KNOWN_TYPES:
        raise SpecError(f"{where}: type {typ!r} is not one of {sorted(_KNOWN_TYPES)}")
    choices = None
    if raw.get("choices") is not None:
        key = raw["choices"]
        if key not in choice_lists:
            raise SpecError(f"{where}: choice list {key!r} is not defined under 'choice_lists'")
        choices = dict(choice_lists[key])
    elif typ in {"binary", "likert5", "ordinal3", "category", "multi_select"}:
        raise SpecError(f"{where}: a {typ} item needs a 'choices' list")
    lo, hi = raw.get("min"), raw.get("max")
    if choices is not None and typ != "multi_select":
        codes = [int(c) for c in choices]
        lo = min(codes) if lo is None else lo
        hi = max(codes) if hi is None else hi
    if typ in {"count", "percent", "integer"} and (lo is None or hi is None):
        raise SpecError(f"{where}: a {typ} item needs 'min' and 'max'")
    norm = raw.get("normalisation")
    if norm is not None and norm not in _NORMALISATIONS:
        raise SpecError(f"{where}: normalisation {norm!r} is not one of {sorted(_NORMALISATIONS)}")
    goalposts = raw.get("goalposts")
    if norm in {"goalposts", "log_goalposts"}:
        if not (isinstance(goalposts, list) and len(goalposts) == 2 and goalposts[0] < goalposts[1]):
            raise SpecError(f"{where}: {norm} needs 'goalposts: [low, high]' with low < high")
        goalposts = tuple(float(g) for g in goalposts)
    direction = raw.get("direction", "positive")
    if direction not in {"positive", "negative"}:
        raise SpecError(f"{where}: direction must be 'positive' or 'negative', not {direction!r}")
    return Item(
        name=str(name),
        section=str(raw.get("section")),
        question=str(raw.get("question", "")),
        type=typ,
        choices=choices,
        min=None if lo is None else float(lo),
        max=None if hi is None else float(hi),
        required=bool(raw.get("required", False)),
        dimension=raw.get("dimension"),
        direction=direction,
        normalisation=norm,
        goalposts=goalposts,
        weight=float(raw.get("weight", 1.0)),
        hint=raw.get("hint"),
    )


@lru_cache(maxsize=8)
def _load(path: Path) -> Codebook:
    raw = load_yaml(path, what="Codebook", expect_key="items")
    choice_lists = raw.get("choice_lists", {})
    items = {}
    for entry in raw["items"]:
        item = _parse_item(entry, choice_lists, path)
        if item.name in items:
            raise SpecError(f"{path}: variable {item.name!r} is defined twice")
        items[item.name] = item
    return Codebook(
        title=raw.get("title", ""),
        version=str(raw.get("version", "")),
        items=items,
        missing_codes={int(k): v for k, v in raw.get("missing_codes", {}).items()},
        sections=raw.get("sections", {}),
        dimensions=raw.get("dimensions", {}),
        themes=raw.get("themes", {}),
        choice_lists=choice_lists,
        id_variable=raw.get("id_variable", "resp_id"),
        institution_variable=raw.get("institution_variable", "inst_id"),
        country_variable=raw.get("country_variable", "country"),
        source=path,
    )


def load_codebook(path=None) -> Codebook:
    """Load the survey codebook (the bundled one by default).

    Parameters
    ----------
    path : str or Path, optional
        A codebook YAML of the same shape as ``resources/codebook.yaml``.

    Returns
    -------
    Codebook

    Raises
    ------
    SpecError
        If the file is missing, not YAML, or an item is malformed.

    Examples
    --------
    >>> from nhri_capacity import load_codebook
    >>> cb = load_codebook()
    >>> [it.name for it in cb.scored_items("law_reform")][:2]
    ['lr1_laws_reviewed', 'lr2_recommendations']
    >>> cb["ch4_detention_access"].max
    3.0
    """
    path = Path(path) if path is not None else config.RESOURCES_DIR / "codebook.yaml"
    return _load(path.resolve())


def resolve_codebook(codebook=None) -> Codebook:
    """The codebook to use: *codebook* itself, the one at that path, or the bundled one.

    Every function with a ``codebook=`` option accepts all three.

    Examples
    --------
    >>> resolve_codebook() is load_codebook()
    True
    """
    if codebook is None:
        return load_codebook()
    if isinstance(codebook, Codebook):
        return codebook
    return load_codebook(codebook)
