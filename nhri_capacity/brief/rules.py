"""Recommendations from the rule table (``resources/recommendation_rules.yaml``).

A rule is data: a capacity (or ``context``), a priority, a text and a
declarative condition on the institution's answers and a few derived facts
(:data:`RULE_FACTS`). :func:`evaluate_condition` interprets conditions
without ``eval``; :func:`recommend` picks 3-6 rules, weakest capacity first.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import config
from ..common.values import is_missing
from ..common.yamlfile import load_yaml
from ..errors import BriefParameterError, SpecError
from ..survey import DIMENSIONS, load_codebook
from .context import load_stock, load_treaties, migration_context
from .profiles import capacity_gaps, weakness_order
from .results import SurveyResults
from .values import clean_text, dimension_labels, num

__all__ = [
    "Rule",
    "load_rules",
    "evaluate_condition",
    "condition_evidence",
    "rule_facts",
    "recommend",
    "RULE_OPS",
    "RULE_FACTS",
]

log = logging.getLogger(__name__)

#: Comparison operators a rule condition may use.
RULE_OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "not in", "missing", "present")
#: The "dimension" of rules on the enabling environment (accreditation, ratification, resources).
CONTEXT = "context"
#: Facts a rule condition may test besides survey items (see the rule file).
RULE_FACTS = (
    "icmw_status",
    "opcat_status",
    "cat_status",
    "cedaw_status",
    "crc_status",
    "icerd_status",
    "migrants",
    "migrant_share_pct",
    "female_share_pct",
    "refugee_share_pct",
    "staff_per_100k_migrants",
    "complaints_per_10k_migrants",
    "composite",
    "region",
    *DIMENSIONS,
    *(f"{d}_gap" for d in DIMENSIONS),
)
_FACT_TREATIES = {"icmw": "ICMW", "opcat": "OPCAT", "cat": "CAT", "cedaw": "CEDAW", "crc": "CRC", "icerd": "ICERD"}


@dataclass(frozen=True)
class Rule:
    """One recommendation rule (see ``resources/recommendation_rules.yaml``)."""

    id: str
    dimension: str
    condition: dict
    text: str
    priority: int = 2
    filler: bool = False
    order: int = 0


def _validate_condition(cond, where: str, columns: set) -> None:
    if not isinstance(cond, dict) or len(cond) == 0:
        raise SpecError(f"{where}: a condition must be a mapping, not {cond!r}")
    if set(cond) == {"always"}:
        if cond["always"] is not True:
            raise SpecError(f"{where}: 'always' must be true")
        return
    for combo in ("all", "any"):
        if combo in cond:
            if set(cond) != {combo} or not isinstance(cond[combo], list) or not cond[combo]:
                raise SpecError(f"{where}: '{combo}' must be the only key and hold a non-empty list of conditions")
            for i, sub in enumerate(cond[combo]):
                _validate_condition(sub, f"{where}.{combo}[{i}]", columns)
            return
    if "not" in cond:
        if set(cond) != {"not"}:
            raise SpecError(f"{where}: 'not' must be the only key")
        _validate_condition(cond["not"], f"{where}.not", columns)
        return
    kinds = [k for k in ("item", "fact") if k in cond]
    if len(kinds) != 1:
        raise SpecError(f"{where}: a comparison needs exactly one of 'item' or 'fact': {cond!r}")
    kind = kinds[0]
    extra = set(cond) - {kind, "op", "value"}
    if extra:
        raise SpecError(f"{where}: unknown key(s) {sorted(extra)} in {cond!r}")
    name = cond[kind]
    if kind == "item" and name not in columns:
        raise SpecError(f"{where}: item {name!r} is not a survey column of the codebook")
    if kind == "fact" and name not in RULE_FACTS:
        raise SpecError(f"{where}: fact {name!r} is not one of {', '.join(RULE_FACTS)}")
    op = cond.get("op")
    if op not in RULE_OPS:
        raise SpecError(f"{where}: op {op!r} is not one of {', '.join(map(repr, RULE_OPS))}")
    if op in ("missing", "present"):
        return
    if "value" not in cond:
        raise SpecError(f"{where}: op {op!r} needs a 'value'")
    value = cond["value"]
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise SpecError(f"{where}: op {op!r} needs a non-empty list as 'value'")
    elif op in ("<", "<=", ">", ">="):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where}: op {op!r} needs a number as 'value', not {value!r}")
    elif isinstance(value, (list, dict)):
        raise SpecError(f"{where}: op {op!r} needs a single value, not {value!r}")


@lru_cache(maxsize=8)
def _load_rules_cached(path: Path, mtime_ns: int) -> tuple:
    raw = load_yaml(path, what="Recommendation rules", expect_key="rules")
    if not isinstance(raw["rules"], list):
        raise SpecError(f"Recommendation rules {path} must have a 'rules' list")
    return tuple(_parse_rules(raw["rules"], str(path)))


def _parse_rules(entries, where: str) -> list[Rule]:
    cb = load_codebook()
    columns = set(cb.columns())
    dimensions = {*DIMENSIONS, CONTEXT}
    seen = set()
    rules = []
    for i, entry in enumerate(entries):
        at = f"{where}: rule {i + 1}"
        if isinstance(entry, Rule):
            rules.append(entry)
            continue
        if not isinstance(entry, dict):
            raise SpecError(f"{at} must be a mapping")
        unknown = set(entry) - {"id", "dimension", "condition", "text", "priority", "filler"}
        if unknown:
            raise SpecError(f"{at}: unknown key(s) {sorted(unknown)}")
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise SpecError(f"{at}: 'id' must be a non-empty text")
        at = f"{where}: rule {rid!r}"
        if rid in seen:
            raise SpecError(f"{at}: id defined twice")
        seen.add(rid)
        if entry.get("dimension") not in dimensions:
            raise SpecError(f"{at}: dimension {entry.get('dimension')!r} is not one of {sorted(dimensions)}")
        text = entry.get("text")
        if not isinstance(text, str) or len(text.strip()) < 20:
            raise SpecError(f"{at}: 'text' must be the recommendation, at least 20 characters")
        priority = entry.get("priority", 2)
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
            raise SpecError(f"{at}: priority must be a whole number >= 1, not {priority!r}")
        _validate_condition(entry.get("condition"), at, columns)
        rules.append(
            Rule(
                id=rid,
                dimension=entry["dimension"],
                condition=entry["condition"],
                text=" ".join(text.split()),
                priority=priority,
                filler=bool(entry.get("filler", False)),
                order=i,
            )
        )
    return rules


def load_rules(path=None) -> list[Rule]:
    """Load and validate the recommendation rules.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file shaped like the bundled
        ``resources/recommendation_rules.yaml`` (the default).

    Returns
    -------
    list of Rule
        In file order.

    Raises
    ------
    SpecError
        For a missing or malformed file, an unknown item, fact, op or
        dimension, a duplicate id, or a value that does not fit its op.
    """
    path = Path(path) if path is not None else config.RESOURCES_DIR / "recommendation_rules.yaml"
    path = path.resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise SpecError(f"Recommendation rules file not found: {path}") from None
    return list(_load_rules_cached(path, mtime))


def _coerce_rules(rules) -> list[Rule]:
    if rules is None:
        return load_rules()
    if isinstance(rules, (str, os.PathLike)):
        return load_rules(rules)
    rules = list(rules)
    if all(isinstance(r, Rule) for r in rules):
        return rules
    return _parse_rules(rules, "rules")


def _compare(actual, op: str, expected) -> bool:
    if op == "missing":
        return is_missing(actual)
    if op == "present":
        return not is_missing(actual)
    if is_missing(actual):
        return False

    def _same(a, b) -> bool:
        na, nb = num(a), num(b)
        if na is not None and nb is not None and not isinstance(a, str) and not isinstance(b, str):
            return na == nb
        return str(a) == str(b)

    if op == "==":
        return _same(actual, expected)
    if op == "!=":
        return not _same(actual, expected)
    if op == "in":
        return any(_same(actual, e) for e in expected)
    if op == "not in":
        return not any(_same(actual, e) for e in expected)
    a, b = num(actual), num(expected)
    if a is None or b is None or isinstance(actual, str):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def evaluate_condition(condition: dict, values) -> bool:
    """Tell whether a rule condition holds for *values*.

    Parameters
    ----------
    condition : dict
        ``{item|fact: name, op: op, value: v}``, ``{all: [...]}``,
        ``{any: [...]}``, ``{not: ...}`` or ``{always: true}``.
    values : mapping
        Item and fact values by name (missing names count as missing).

    Returns
    -------
    bool
        A comparison with a missing value is False (except ``missing``).

    Examples
    --------
    >>> evaluate_condition({"item": "ch4_detention_access", "op": "<", "value": 2},
    ...                    {"ch4_detention_access": 1})
    True
    >>> evaluate_condition({"fact": "icmw_status", "op": "!=", "value": "party"},
    ...                    {"icmw_status": "party"})
    False
    >>> evaluate_condition({"all": [{"fact": "x", "op": ">=", "value": 1},
    ...                             {"fact": "y", "op": "in", "value": ["a", "b"]}]},
    ...                    {"x": 3, "y": "b"})
    True
    """
    if "always" in condition:
        return bool(condition["always"])
    if "all" in condition:
        return all(evaluate_condition(c, values) for c in condition["all"])
    if "any" in condition:
        return any(evaluate_condition(c, values) for c in condition["any"])
    if "not" in condition:
        return not evaluate_condition(condition["not"], values)
    name = condition.get("item", condition.get("fact"))
    actual = values.get(name) if hasattr(values, "get") else None
    return _compare(actual, condition["op"], condition.get("value"))


def _describe_value(name: str, value) -> str:
    if is_missing(value):
        return f"{name} is missing"
    if isinstance(value, str):
        return f"{name} = {value}"
    number = num(value)
    cb = load_codebook()
    item = cb.column_item(name)
    if number is not None and float(number).is_integer():
        shown = str(int(number))
        label = None
        if item is not None and item.type == "multi_select":
            choice = cb.multi_select_columns(item.name).get(name)
            label = f"{item.choices.get(choice, choice)}: {'selected' if number else 'not selected'}"
        elif item is not None and item.choices and item.type != "multi_select":
            label = item.choices.get(int(number))
        return f"{name} = {shown}" + (f" ({label})" if label else "")
    if number is not None:
        digits = 2 if abs(number) < 10 else 1
        text = f"{number:,.{digits}f}".rstrip("0").rstrip(".")
        return f"{name} = {text}"
    return f"{name} = {value}"


def condition_evidence(condition: dict, values) -> list[str]:
    """The comparisons behind a condition that held, as readable lines.

    Examples
    --------
    >>> condition_evidence({"item": "ch4_detention_access", "op": "<", "value": 2},
    ...                    {"ch4_detention_access": 1})
    ['ch4_detention_access = 1 (Access only with prior notice or permission)']
    """
    if "always" in condition:
        return []
    if "all" in condition:
        return [line for c in condition["all"] for line in condition_evidence(c, values)]
    if "any" in condition:
        return [line for c in condition["any"] if evaluate_condition(c, values) for line in condition_evidence(c, values)]
    if "not" in condition:
        return [f"not ({'; '.join(condition_evidence(condition['not'], values)) or 'condition'})"]
    name = condition.get("item", condition.get("fact"))
    return [_describe_value(name, values.get(name))]


def rule_facts(iso3: str, results: SurveyResults, *, treaties=None, stock=None, year=None) -> dict:
    """Item answers and derived facts of a country's institution, for the rules.

    Returns
    -------
    dict
        Every combined answer of the institution (``results.answers``) plus
        the facts of :data:`RULE_FACTS`.
    """
    inst = results.primary_institution(iso3)
    inst_id = str(inst["inst_id"])
    values: dict = {}
    if inst_id in results.answers.index:
        for key, value in results.answers.loc[inst_id].items():
            values[str(key)] = None if is_missing(value) else value
    values["region"] = clean_text(inst["region"]) or None
    values["composite"] = num(inst["composite"])
    gaps = capacity_gaps(results, inst)
    for d in DIMENSIONS:
        values[d] = num(inst[d])
        values[f"{d}_gap"] = gaps[d]
    try:
        table = load_treaties(treaties)
        rows = table[table["iso3"] == iso3]
        status = {str(r["treaty"]): clean_text(r["status"]) for _, r in rows.iterrows()}
    except Exception as exc:  # noqa: BLE001 - rules on treaties simply do not fire
        log.warning("No treaty status for the rules: %s", exc)
        status = {}
    for fact, code in _FACT_TREATIES.items():
        values[f"{fact}_status"] = status.get(code) or None
    stock = load_stock(stock)
    migration = migration_context(iso3, year=year, stock=stock)
    for key in ("migrants", "migrant_share_pct", "female_share_pct", "refugee_share_pct"):
        values[key] = migration.get(key) if migration else None
    migrants = values["migrants"]
    staff, complaints = num(values.get("staff_migration")), num(values.get("ch2_complaints_received"))
    values["staff_per_100k_migrants"] = staff / migrants * 1e5 if staff is not None and migrants else None
    values["complaints_per_10k_migrants"] = complaints / migrants * 1e4 if complaints is not None and migrants else None
    return values


def recommend(
    iso3: str,
    results: SurveyResults,
    *,
    rules=None,
    treaties=None,
    max_items: int = 6,
    min_items: int = 3,
    stock=None,
    year=None,
    values: dict | None = None,
) -> list[dict]:
    """Pick 3-6 recommendations for a country's institution from the rule table.

    Selection: every rule whose condition holds is a candidate. Capacity
    rules are taken weakest capacity first (see :func:`weakness_order`),
    by priority, at most two per capacity while others remain; up to two
    context rules (accreditation, ratification, resources) come after them.
    When fewer than *min_items* fire, standing "filler" rules of the weakest
    capacities complete the list.

    Parameters
    ----------
    rules : path or list, optional
        Rules file, or a list of :class:`Rule` or rule dicts; default the
        bundled table.
    treaties, stock, year
        Reference data for the facts (loaded when omitted).
    values : dict, optional
        Precomputed :func:`rule_facts` (avoids recomputing them).

    Returns
    -------
    list of dict
        ``id``, ``dimension``, ``dimension_label``, ``priority``, ``text``,
        ``evidence`` (readable, e.g. ``'ch4_detention_access = 1 (Access
        only with prior notice or permission)'``), ``evidence_items`` (list),
        ``filler``. Ordered by weakest capacity first, context last.
    """
    if max_items < 1 or min_items < 0 or min_items > max_items:
        raise BriefParameterError(f"Need 0 <= min_items <= max_items and max_items >= 1, got {min_items}, {max_items}")
    rule_list = _coerce_rules(rules)
    if values is None:
        values = rule_facts(iso3, results, treaties=treaties, stock=stock, year=year)
    order = weakness_order(iso3, results)
    rank = {d: i for i, d in enumerate(order)}
    rank[CONTEXT] = len(order)

    def _key(rule):
        return (rank[rule.dimension], rule.priority, rule.order)

    fired = [r for r in rule_list if not r.filler and evaluate_condition(r.condition, values)]
    dim_rules = sorted((r for r in fired if r.dimension != CONTEXT), key=_key)
    ctx_rules = sorted((r for r in fired if r.dimension == CONTEXT), key=_key)
    n_ctx = min(len(ctx_rules), 2 if max_items >= 4 else 1)
    room = max_items - n_ctx
    chosen: list[Rule] = []
    per_dim: Counter = Counter()
    for cap in (2, max_items):
        for r in dim_rules:
            if len(chosen) >= room:
                break
            if r in chosen or per_dim[r.dimension] >= cap:
                continue
            chosen.append(r)
            per_dim[r.dimension] += 1
    chosen.extend(ctx_rules[: max_items - len(chosen)])
    if len(chosen) < min_items:
        fillers = sorted((r for r in rule_list if r.filler and evaluate_condition(r.condition, values)), key=_key)
        for r in fillers:
            if len(chosen) >= min_items:
                break
            chosen.append(r)
    chosen.sort(key=_key)
    labels = dimension_labels()
    labels[CONTEXT] = "Enabling environment"
    out = []
    for r in chosen:
        evidence = condition_evidence(r.condition, values)
        out.append(
            {
                "id": r.id,
                "dimension": r.dimension,
                "dimension_label": labels[r.dimension],
                "priority": r.priority,
                "text": r.text,
                "evidence": "; ".join(evidence) if evidence else "Standing recommendation",
                "evidence_items": evidence,
                "filler": r.filler,
            }
        )
    return out

