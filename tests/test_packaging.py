"""The project's own files must describe one consistent installation."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_runtime_packages():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    declared = {_name(r) for r in pyproject["project"]["dependencies"]}
    conda = {
        _name(d)
        for d in env["dependencies"]
        if isinstance(d, str) and _name(d) not in {"python", "pip"}
    }
    assert declared == conda, (
        f"only in pyproject: {sorted(declared - conda)}; only in environment.yml: {sorted(conda - declared)}"
    )
    assert "python=3.11" in env["dependencies"]
    assert "conda-forge" in env["channels"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(line.startswith("-e .") for line in pip_section)


def test_design_card_packages_are_runtime_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {_name(r) for r in pyproject["project"]["dependencies"]}
    for pkg in ["jupyterlab", "pandas", "matplotlib", "seaborn", "pyreadstat", "statsmodels", "papermill"]:
        assert pkg in declared


def test_layout_fixed_by_the_design_card_exists():
    for folder in ["notebooks", "nhri_capacity", "data/raw", "data/processed", "reports", "tests"]:
        assert (ROOT / folder).is_dir(), folder
    for file in ["environment.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run", ".gitignore"]:
        assert (ROOT / file).is_file(), file


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^make test\s*$", ci, flags=re.M)


def test_config_holds_only_path_constants():
    import nhri_capacity.config as config

    public = {k: v for k, v in vars(config).items() if not k.startswith("_") and k.isupper()}
    assert public, "config defines no constants"
    assert all(isinstance(v, Path) for v in public.values())
    others = [k for k, v in vars(config).items() if not k.startswith("_") and not k.isupper() and k != "Path"]
    assert others == []


def _locked() -> dict[str, str]:
    """Package -> exact version pinned in requirements.lock (every pin must carry hashes)."""
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=\S)", text):
        first = block.splitlines()[0]
        if first.startswith("#") or not first.strip():
            continue
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", first)
        assert match, f"requirements.lock: {first!r} is not an exact pin"
        assert "--hash=sha256:" in block, f"requirements.lock: {first!r} has no hash"
        pins[_name(match.group(1))] = match.group(2)
    return pins


def test_lock_pins_every_declared_package_with_hashes():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {_name(r) for r in pyproject["project"]["dependencies"]}
    declared |= {_name(r) for r in pyproject["project"]["optional-dependencies"]["test"]}
    declared |= {_name(r) for r in pyproject["build-system"]["requires"]}
    locked = _locked()
    assert declared - set(locked) == set(), "run `make lock`: requirements.lock misses some packages"


def test_make_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*--require-hashes .*-r \$\(LOCK\)", makefile)
    assert re.search(r"pip install .*--no-deps .*-e \.", makefile)
    assert "LOCK := requirements.lock" in makefile


def test_environment_yml_pins_the_locked_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    locked = _locked()
    wrong = []
    for dep in env["dependencies"]:
        if not isinstance(dep, str) or _name(dep) in {"python", "pip"}:
            continue
        name, _, version = dep.partition("=")
        if locked.get(_name(name)) != version:
            wrong.append(f"{dep} (requirements.lock: {locked.get(_name(name))})")
    assert wrong == [], "environment.yml differs from requirements.lock: " + ", ".join(wrong)
