"""A small Parquet cache for tables built from raw reference files.

Parsing the UN DESA workbook takes about a second; reading the same table back
from Parquet takes a few milliseconds. Each cached table ``<name>`` is stored as
two files under the processed-data folder:

``<name>.parquet``
    The table itself.
``<name>.provenance.json``
    Where it came from: the source path, the source's SHA-256, the edition,
    when it was built, how many rows it has, its column dtypes, the SHA-256 of
    the Parquet file and the toolkit version that built it.

The cache is used only while the source's SHA-256 (and the toolkit version)
still match what the JSON records; any change to the raw file, or a damaged
cache file, makes the next call rebuild the table from the source.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import config
from .clock import utc_now_iso
from .io import atomic_path, atomic_write_text, sha256_file
from .version import toolkit_version

__all__ = [
    "cached_table",
    "is_fresh",
    "read_provenance",
    "source_sha256",
    "cache_paths",
]

log = logging.getLogger(__name__)


def _processed_dir(processed_dir) -> Path:
    # Read the config attribute at call time so tests can monkeypatch it.
    return Path(processed_dir) if processed_dir is not None else Path(config.PROCESSED_DATA_DIR)


def cache_paths(name: str, *, processed_dir=None) -> tuple[Path, Path]:
    """Return the Parquet and provenance-JSON paths of cached table *name*.

    Examples
    --------
    >>> parquet, meta = cache_paths("migrant_stock", processed_dir="/tmp/p")
    >>> parquet.name, meta.name
    ('migrant_stock.parquet', 'migrant_stock.provenance.json')
    """
    folder = _processed_dir(processed_dir)
    return folder / f"{name}.parquet", folder / f"{name}.provenance.json"


def source_sha256(source) -> str:
    """Return the SHA-256 that identifies a source file or folder.

    For a file this is the file's own digest. For a folder it is the digest of
    the sorted list of ``relative/path<TAB>sha256`` lines of every file below
    it (hidden files such as ``.DS_Store`` are ignored), so adding, removing,
    renaming or editing any file changes it.

    Parameters
    ----------
    source : str or Path
        A file or a folder.

    Returns
    -------
    str
        Hex digest.

    Raises
    ------
    FileNotFoundError
        If *source* does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_text("x")
    >>> source_sha256(p) == source_sha256(p)
    True
    """
    source = Path(source)
    if source.is_dir():
        lines = []
        for f in sorted(source.rglob("*")):
            rel = f.relative_to(source)
            if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                lines.append(f"{rel.as_posix()}\t{sha256_file(f)}\n")
        return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
    if not source.exists():
        raise FileNotFoundError(source)
    return sha256_file(source)


def _display_path(path: Path) -> str:
    """Source path relative to the project root when it lies inside it."""
    root = Path(config.PROJ_ROOT)
    # The unresolved path first: data/raw may be a symlink to another disk.
    for candidate, base in ((Path(path).absolute(), root.absolute()), (Path(path).resolve(), root.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(path).resolve().as_posix()


def read_provenance(name: str, *, processed_dir=None) -> dict | None:
    """Return the provenance record of cached table *name*, or None.

    None means there is no cache yet, or its JSON cannot be read.

    Examples
    --------
    >>> read_provenance("no_such_table", processed_dir="/tmp/nowhere") is None
    True
    """
    _, meta_path = cache_paths(name, processed_dir=processed_dir)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def is_fresh(name: str, *, source, processed_dir=None, _sha=None) -> bool:
    """Tell whether cached table *name* exists and matches *source* as it is now.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "s.txt"
    >>> _ = src.write_text("x")
    >>> is_fresh("t", source=src, processed_dir=src.parent / "cache")
    False
    """
    parquet_path, _ = cache_paths(name, processed_dir=processed_dir)
    meta = read_provenance(name, processed_dir=processed_dir)
    if meta is None or not parquet_path.is_file():
        return False
    sha = _sha if _sha is not None else source_sha256(source)
    return meta.get("sha256") == sha and meta.get("toolkit_version") == toolkit_version()


def _read_cached(parquet_path: Path, meta: dict) -> pd.DataFrame:
    """Read the Parquet file back with the dtypes recorded when it was written."""
    expected_parquet_sha = meta.get("parquet_sha256")
    if expected_parquet_sha and sha256_file(parquet_path) != expected_parquet_sha:
        raise ValueError(f"{parquet_path} does not match its provenance record")
    frame = pd.read_parquet(parquet_path)
    dtypes = meta.get("dtypes") or {}
    if list(frame.columns) != list(dtypes):
        raise ValueError(f"{parquet_path} has columns {list(frame.columns)}, expected {list(dtypes)}")
    # Parquet keeps most pandas dtypes, but the exact string / nullable flavour
    # can differ between pandas versions; cast back to what the builder made.
    for col, dtype in dtypes.items():
        if str(frame[col].dtype) != dtype:
            frame[col] = frame[col].astype(dtype)
    if meta.get("rows") is not None and len(frame) != meta["rows"]:
        raise ValueError(f"{parquet_path} has {len(frame)} rows, expected {meta['rows']}")
    return frame


def _build(name: str, builder: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    frame = builder()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"builder for cached table {name!r} returned {type(frame).__name__}, not a DataFrame")
    frame = frame.reset_index(drop=True)
    # attrs are not part of the table and may not be JSON-serialisable.
    frame.attrs = {}
    return frame


def cached_table(
    name: str,
    *,
    source,
    builder: Callable[[], pd.DataFrame],
    edition: str | Callable[[pd.DataFrame], str] | None,
    processed_dir=None,
    refresh: bool = False,
    cache: bool = True,
) -> pd.DataFrame:
    """Return a table from its Parquet cache, rebuilding it when the source changed.

    Parameters
    ----------
    name : str
        Cache name; the files are ``<name>.parquet`` and
        ``<name>.provenance.json`` in *processed_dir*.
    source : str or Path
        The raw file or folder the table is built from. Its SHA-256 (see
        :func:`source_sha256`) decides whether the cache is still valid.
    builder : callable
        Called with no arguments to build the table when the cache is missing,
        stale or damaged. It must return a DataFrame.
    edition : str or callable or None
        Edition label stored in the provenance record, or a function that
        derives it from the built table (for sources whose edition is only
        known after parsing).
    processed_dir : str or Path, optional
        Cache folder. Default ``config.PROCESSED_DATA_DIR`` (read at call time).
    refresh : bool, default False
        Rebuild even if the cache is valid.
    cache : bool, default True
        False builds the table and returns it without reading, hashing or
        writing anything (the loaders' ``cache=False``).

    Returns
    -------
    pandas.DataFrame
        The table, with a fresh RangeIndex and the dtypes the builder produced
        (nullable ``Int64``/``Float64``, ``bool``, ``string``).

    Notes
    -----
    The Parquet file is written before the JSON, each atomically, so an
    interrupted run leaves either the old valid pair or a pair whose hashes do
    not match, which the next call rebuilds. A cache that cannot be read (bad
    Parquet, bad JSON, wrong columns) is rebuilt, never fatal. A cache written
    by another toolkit version is rebuilt too, so parser fixes take effect.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> src = tmp / "source.txt"
    >>> _ = src.write_text("a,b")
    >>> build = lambda: pd.DataFrame({"x": pd.array([1, None], dtype="Int64")})
    >>> t = cached_table("demo", source=src, builder=build, edition="v1",
    ...                  processed_dir=tmp / "processed")
    >>> sorted(p.name for p in (tmp / "processed").iterdir())
    ['demo.parquet', 'demo.provenance.json']
    >>> cached_table("demo", source=src, builder=build, edition="v1",
    ...              processed_dir=tmp / "processed")["x"].dtype
    Int64Dtype()
    >>> len(cached_table("demo2", source=src, builder=build, edition="v1",
    ...                  processed_dir=tmp / "processed", cache=False))
    2
    >>> sorted(p.name for p in (tmp / "processed").iterdir())  # nothing new written
    ['demo.parquet', 'demo.provenance.json']
    """
    if not cache:
        return _build(name, builder)
    source = Path(source)
    parquet_path, meta_path = cache_paths(name, processed_dir=processed_dir)
    sha = source_sha256(source)

    if not refresh and is_fresh(name, source=source, processed_dir=processed_dir, _sha=sha):
        meta = read_provenance(name, processed_dir=processed_dir)
        try:
            return _read_cached(parquet_path, meta)
        except Exception as exc:  # any damage to the cache means: rebuild it
            log.warning("Rebuilding cached table %r: %s", name, exc)

    frame = _build(name, builder)
    with atomic_path(parquet_path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")
        parquet_sha = sha256_file(tmp)

    label = edition(frame) if callable(edition) else edition
    meta = {
        "name": name,
        "source": _display_path(source),
        "source_kind": "directory" if source.is_dir() else "file",
        "sha256": sha,
        "edition": label,
        "created": utc_now_iso(),
        "rows": int(len(frame)),
        "columns": list(map(str, frame.columns)),
        "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
        "parquet_sha256": parquet_sha,
        "toolkit_version": toolkit_version(),
    }
    if source.is_dir():
        meta["files"] = {
            f.relative_to(source).as_posix(): sha256_file(f)
            for f in sorted(source.rglob("*"))
            if f.is_file() and not any(p.startswith(".") for p in f.relative_to(source).parts)
        }
    atomic_write_text(meta_path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return frame
