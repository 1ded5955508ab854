"""The package's layering, checked on its source (docs/architecture.md).

Sub-packages follow the stages a survey goes through, and imports run one way:

    config, errors -> common -> reference -> survey -> scoring -> brief -> render -> training -> batch -> cli, bench

Every import counts, including those inside functions: an import moved into a
function still makes a cycle, it only hides it until run time.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import nhri_capacity

PKG = Path(nhri_capacity.__file__).resolve().parent
NAME = "nhri_capacity"

#: Layer of each top-level module or sub-package; a module may import only its
#: own sub-package or lower layers.
LAYERS = {
    "config": 0,
    "errors": 0,
    "common": 1,
    "reference": 2,
    "survey": 3,
    "scoring": 4,
    "brief": 5,
    "render": 6,
    "training": 6.5,
    "batch": 7,
    "cli": 8,
    "bench": 8,
}
MAX_LINES = 600
LONG_REASON = "Why one module:"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


MODULES = _modules()


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """Absolute names of the toolkit modules an ImportFrom refers to."""
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        package = parts if is_package else parts[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    if not base.startswith(NAME):
        return []
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        out.append(candidate if candidate in MODULES else base)
    return out


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, is_package, node))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(NAME))
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_has_a_layer():
    units = {_unit(m) for m in MODULES} - {None}
    assert units <= set(LAYERS), f"add {sorted(units - set(LAYERS))} to LAYERS and docs/architecture.md"


def test_no_upward_import():
    upward = []
    for module, targets in GRAPH.items():
        unit = _unit(module)
        if unit is None:  # the package's own __init__ re-exports everything
            continue
        for target in targets:
            t_unit = _unit(target)
            if t_unit is None:
                upward.append(f"{module} -> {target} (the top-level package)")
            elif t_unit != unit and LAYERS[t_unit] >= LAYERS[unit]:
                upward.append(f"{module} -> {target}")
    assert upward == [], "imports against the layering:\n  " + "\n  ".join(sorted(upward))


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    # A sub-package's __init__ imports its modules; a module importing the
    # sub-package it belongs to would close a loop, so that counts too.
    cycle = _find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checker_sees_a_cycle_and_an_upward_import():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
    node = ast.parse("from ..render import html").body[0]
    assert _resolve("nhri_capacity.brief.model", False, node) == ["nhri_capacity.render.html"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_long_modules_say_why(module):
    path = MODULES[module]
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    if n_lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert LONG_REASON in doc, (
        f"{path.relative_to(PKG.parent)} has {n_lines} lines: split it, or say in its docstring "
        f"'{LONG_REASON} ...' why it should stay whole"
    )


def test_no_private_name_crosses_modules():
    crossing = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(NAME)):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        crossing.append(f"{module}: from {'.' * node.level}{node.module or ''} import {alias.name}")
    assert crossing == [], "private names imported from another module:\n  " + "\n  ".join(crossing)


def test_every_public_name_of_the_flat_layout_is_still_importable():
    # nhri_capacity.__all__ as it was before the sub-packages (commit 3aa9191).
    before = json.loads((Path(__file__).parent / "fixtures" / "public_names_before_refactor.json").read_text())
    assert len(before) == 133
    missing = [name for name in before if name not in nhri_capacity.__all__ or not hasattr(nhri_capacity, name)]
    assert missing == []


def test_no_public_name_is_exported_twice():
    # Sub-packages star-import their modules: a name in two modules' __all__
    # would silently become whichever module is imported last.
    import importlib

    seen: dict[str, str] = {}
    clashes = []
    for module in sorted(m for m in MODULES if m.count(".") == 2):
        mod = importlib.import_module(module)
        if MODULES[module].name == "__init__.py":
            continue
        for name in getattr(mod, "__all__", ()):
            if name in seen and seen[name] != module:
                clashes.append(f"{name}: {seen[name]} and {module}")
            seen.setdefault(name, module)
    assert clashes == []
    assert len(nhri_capacity.__all__) == len(set(nhri_capacity.__all__))
