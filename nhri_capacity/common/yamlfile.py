"""The one YAML loader of the toolkit's data files (codebook, scoring spec, rules)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SpecError

__all__ = ["load_yaml"]


def load_yaml(path, *, what: str, expect_key: str | None = None, allow_empty: bool = False) -> dict:
    """Read a YAML file that must hold a mapping, with errors a user can act on.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("Codebook", "Scoring spec", ...).
    expect_key : str, optional
        A key the mapping must have.
    allow_empty : bool, default False
        Return ``{}`` for an empty file instead of refusing it.

    Returns
    -------
    dict

    Raises
    ------
    SpecError
        If the file is missing, is not valid YAML, is not a mapping, or lacks
        *expect_key*. Only safe YAML is read: a file can never run code.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "spec.yaml"
    >>> _ = p.write_text("items: [1, 2]\\n")
    >>> load_yaml(p, what="Codebook", expect_key="items")
    {'items': [1, 2]}
    >>> _ = p.write_text("- just a list\\n")
    >>> load_yaml(p, what="Codebook")
    Traceback (most recent call last):
    ...
    nhri_capacity.errors.SpecError: Codebook ... must be a mapping of keys to values, not list
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{what} file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{what} {path} is not valid YAML: {exc}") from None
    if raw is None and allow_empty:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(f"{what} {path} must be a mapping of keys to values, not {type(raw).__name__}")
    if expect_key is not None and expect_key not in raw:
        raise SpecError(f"{what} {path} has no {expect_key!r} entry")
    return raw
