"""Folders of DataFrames that can be read back exactly and can never run code.

A *frame store* is a folder holding one Parquet file per DataFrame and a
``manifest.json``. The manifest records, for every table, the SHA-256 of its
Parquet file, its Arrow schema, the pandas dtype of every column, its index
and column index, and its ``attrs``; beside that, whatever the caller stores
(as JSON). Reading a store back gives frames equal to those written, with the
same dtypes, index, column order and attrs.

Nothing in a store can execute code when it is read: the manifest is plain
JSON, the Parquet files carry no metadata at all (no pandas or Arrow schema
blob, nothing pickled), only the types the manifest names are rebuilt, and
each file's bytes are hashed and parsed from the same copy in memory. A store
that fails any check raises :class:`FrameStoreError` and the caller rebuilds
it. A planted symbolic link, device or pipe is refused, not followed.

A store is written in a temporary folder beside its target, flushed to disk,
then renamed onto the target, so a reader never sees half a store and two
processes writing the same store at once both succeed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import re
import reprlib
import shutil
import stat
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import NHRICapacityError
from .io import fsync_path

__all__ = ["FrameStoreError", "write_frame_store", "read_frame_store", "MANIFEST_NAME"]

#: File name of a store's manifest.
MANIFEST_NAME = "manifest.json"
# Version of the store layout itself (the caller versions what it stores).
_STORE_FORMAT = 1
_INDEX_FIELD = "__index_level_{}__"
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The only dtypes a store rebuilds (pandas' own names); anything else is not
# stored, so reading never asks pandas to look up an arbitrary type name.
_PLAIN_DTYPE = re.compile(
    r"bool|boolean|u?int(8|16|32|64)|U?Int(8|16|32|64)|float(32|64)|Float(32|64)"
    r"|datetime64\[(s|ms|us|ns)\]"
)


class FrameStoreError(NHRICapacityError):
    """A frame store cannot be written exactly, or fails a check when read.

    The message says which store and what was wrong; the caller rebuilds the
    store (reading) or goes on without it (writing).
    """


# --------------------------------------------------------------------------- dtypes
def _dtype_name(dtype, what: str) -> str:
    """The manifest's name of a pandas dtype; FrameStoreError if it cannot be stored."""
    if isinstance(dtype, pd.StringDtype):
        # "string" and pandas 3's default "str" differ only in storage and
        # missing value, which str(dtype) does not tell apart.
        missing = "NA" if dtype.na_value is pd.NA else "nan"
        return f"string[{dtype.storage}, {missing}]"
    name = str(dtype)
    if not _PLAIN_DTYPE.fullmatch(name) or _dtype_from_name(name) != dtype:
        raise FrameStoreError(f"{what}: values of type {name} cannot be stored")
    return name


@functools.lru_cache(maxsize=64)
def _dtype_from_name(name: str):
    match = re.fullmatch(r"string\[(python|pyarrow), (NA|nan)\]", name)
    if match:
        return pd.StringDtype(match[1], na_value=pd.NA if match[2] == "NA" else np.nan)
    if not _PLAIN_DTYPE.fullmatch(name):
        raise FrameStoreError(f"unknown column type {name!r}")
    return pd.api.types.pandas_dtype(name)


@functools.lru_cache(maxsize=64)
def _arrow_type(dtype_name: str) -> str:
    """The Arrow type a column of this dtype has once read back from Parquet."""
    import pyarrow as pa

    empty = pd.DataFrame({"x": pd.Series([], dtype=_dtype_from_name(dtype_name))})
    arrow = pa.Table.from_pandas(empty, preserve_index=False).schema.field(0).type
    return str(pa.string() if arrow == pa.large_string() else arrow)


def _json_exact(value, what: str):
    """*value* as JSON-ready data, refused unless JSON gives back an equal value."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise FrameStoreError(f"{what} cannot be stored as JSON: {exc}") from exc
    if json.loads(text) != value:
        raise FrameStoreError(f"{what} would not read back the same from JSON")
    return value


# --------------------------------------------------------------------------- one table
def _layout(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, dict]:
    """The flat table written for *frame* and the schema that rebuilds it."""
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex) or not all(isinstance(c, str) for c in columns):
        raise FrameStoreError(f"table {name!r}: column names must be text")
    if columns.has_duplicates or any(c.startswith("__index_level_") for c in columns):
        raise FrameStoreError(f"table {name!r}: column names must be unique and not look like index levels")
    index = frame.index
    # Text names in an object Index are fine (pandas' own default for some frames).
    names_dtype = "object" if columns.dtype == object else _dtype_name(columns.dtype, f"table {name!r}, column names")
    schema = {
        "columns": [[c, _dtype_name(t, f"table {name!r}, column {c!r}")] for c, t in frame.dtypes.items()],
        "column_index": {"dtype": names_dtype, "name": columns.name},
    }
    if type(index) is pd.RangeIndex:
        schema["index"] = {
            "kind": "range", "start": index.start, "stop": index.stop, "step": index.step, "name": index.name,
        }
        flat = frame.reset_index(drop=True)
    else:
        levels = [index.get_level_values(i) for i in range(index.nlevels)]
        schema["index"] = {
            "kind": "levels",
            "levels": [[lv.name, _dtype_name(lv.dtype, f"table {name!r}, index")] for lv in levels],
        }
        flat = pd.concat(
            [pd.DataFrame({_INDEX_FIELD.format(i): pd.Series(lv.array) for i, lv in enumerate(levels)}),
             frame.reset_index(drop=True)],
            axis=1,
        )
    schema["attrs"] = _json_exact(dict(frame.attrs), f"table {name!r}: attrs")
    _json_exact({k: v for k, v in schema.items() if k != "attrs"}, f"table {name!r}: schema")
    return flat, schema


def _encode(frame: pd.DataFrame, name: str) -> tuple[bytes, dict]:
    """Parquet bytes without any metadata, and the table's manifest entry."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat, schema = _layout(frame, name)
    table = pa.Table.from_pandas(flat, preserve_index=False)
    if any(isinstance(f.type, pa.ExtensionType) for f in table.schema):
        raise FrameStoreError(f"table {name!r} has a column of an Arrow extension type")
    table = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    # Uncompressed: every text stays searchable in the file (the personal-data
    # check greps the caches), and the tables are small.
    pq.write_table(table, sink, store_schema=False, compression="none")
    data = sink.getvalue().to_pybytes()
    # The types as Parquet gives them back (large_string comes back as string).
    schema["arrow"] = [[f.name, str(f.type)] for f in pq.read_schema(pa.BufferReader(data))]
    schema["rows"] = len(frame)
    return data, schema


def _decode(data: bytes, schema: dict, name: str) -> pd.DataFrame:
    """Rebuild a frame from its Parquet bytes and manifest entry, checking both."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = pa.BufferReader(data)
    if pq.read_metadata(buffer).metadata:
        # Ours never carry any; a file that does was not written by a store.
        raise FrameStoreError(f"{name}.parquet carries metadata a store never writes")
    # One thread: the tables are small, and threads only add start-up cost.
    table = pq.read_table(pa.BufferReader(data), use_threads=False)
    arrow = [[f.name, str(f.type)] for f in table.schema]
    if arrow != schema["arrow"]:
        found, said = next(
            ((a, b) for a, b in itertools.zip_longest(arrow, schema["arrow"]) if a != b), (None, None)
        )
        raise FrameStoreError(f"{name}.parquet has the column {found}, the manifest says {said}")
    spec = schema["index"]
    index_fields = [] if spec["kind"] == "range" else [_INDEX_FIELD.format(i) for i in range(len(spec["levels"]))]
    fields = [*zip(index_fields, (d for _, d in spec.get("levels", ())), strict=True), *schema["columns"]]
    if [f for f, _ in arrow] != [f for f, _ in fields]:
        raise FrameStoreError(f"{name}: the manifest's columns are not those of its Arrow schema")
    for (field, dtype), (_, stored) in zip(fields, arrow, strict=True):
        if _arrow_type(dtype) != stored:
            raise FrameStoreError(f"{name}: column {field} is stored as {stored}, the manifest says {dtype}")
    if table.num_rows != schema["rows"]:
        raise FrameStoreError(f"{name}.parquet has {table.num_rows} rows, the manifest says {schema['rows']}")

    def values(field: str, dtype_name: str):
        dtype = _dtype_from_name(dtype_name)
        column = table.column(field)
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "__from_arrow__"):
            return dtype.__from_arrow__(column)
        return column.to_pandas().to_numpy().astype(dtype, copy=False)

    if spec["kind"] == "range":
        index = pd.RangeIndex(spec["start"], spec["stop"], spec["step"], name=spec["name"])
        if len(index) != table.num_rows:
            raise FrameStoreError(f"{name}: the manifest's index does not have {table.num_rows} rows")
    elif spec["kind"] == "levels":
        arrays = [
            pd.Index(values(_INDEX_FIELD.format(i), dtype), name=level)
            for i, (level, dtype) in enumerate(spec["levels"])
        ]
        index = arrays[0] if len(arrays) == 1 else pd.MultiIndex.from_arrays(arrays)
    else:
        raise FrameStoreError(f"{name}: unknown index kind {spec['kind']!r}")
    names = [c for c, _ in schema["columns"]]
    frame = pd.DataFrame({c: values(c, dtype) for c, dtype in schema["columns"]}, index=index, copy=False)
    column_dtype = schema["column_index"]["dtype"]
    frame.columns = pd.Index(names, dtype=object if column_dtype == "object" else _dtype_from_name(column_dtype),
                             name=schema["column_index"]["name"])
    frame.attrs = schema["attrs"]
    return frame


def _same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True,
                                      check_column_type=True, check_freq=True, check_flags=True)
    except AssertionError as exc:
        raise FrameStoreError(f"table {name!r} would not read back the same: {exc}") from exc
    if a.attrs != b.attrs:
        raise FrameStoreError(f"table {name!r}: attrs would not read back the same")


# --------------------------------------------------------------------------- the folder
def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _publish(tmp: Path, target: Path, *, replace: bool) -> None:
    """Rename the finished folder *tmp* onto *target*.

    An existing *target* is another process's store, written meanwhile (kept),
    or, with *replace*, the damaged or outdated store the caller replaces
    (moved aside once, then removed). Other writers may move *target* at any
    moment, so each step is retried a few times.
    """
    displaced = []
    try:
        for _ in range(8):
            try:
                os.rename(tmp, target)
                return
            except OSError:
                if not (target.exists() or target.is_symlink()):
                    continue  # moved aside by another writer just now: try again
            if not replace:
                return
            stale = target.with_name(f".{target.name}.stale-{uuid.uuid4().hex[:8]}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(target, stale)
                displaced.append(stale)
            replace = False  # a store that appears after this one is a fresh one
        if not target.exists():
            raise OSError(f"could not move {tmp.name} to {target}")
    finally:
        for stale in displaced:
            _remove(stale)


def write_frame_store(target, frames: dict, info: dict, *, replace: bool = False) -> Path:
    """Write *frames* and *info* as a frame store at *target*, atomically.

    Parameters
    ----------
    target : str or Path
        The store's folder (created; its parent too).
    frames : dict
        Table name (lower case letters, digits, ``_``) -> DataFrame. Columns
        must have text names and one of the dtypes pandas builds from its own
        names (numbers, nullable numbers, booleans, text, dates); each frame is
        read back and compared before anything is written.
    info : dict
        Anything else to keep, as JSON (it must read back equal).
    replace : bool, default False
        Replace a store already at *target*. Without it an existing store
        (another process's, written meanwhile) is kept and this one dropped.

    Returns
    -------
    Path
        *target*.

    Raises
    ------
    FrameStoreError
        If a frame or *info* cannot be stored exactly (nothing is written).
    OSError
        If the folder cannot be written (read-only, disk full).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "store"
    >>> frame = pd.DataFrame({"x": pd.array([1, None], dtype="Int64")})
    >>> _ = write_frame_store(folder, {"t": frame}, {"note": "demo"})
    >>> sorted(p.name for p in folder.iterdir())
    ['manifest.json', 't.parquet']
    >>> info, frames = read_frame_store(folder)
    >>> info["note"], frames["t"].equals(frame)
    ('demo', True)
    """
    target = Path(target)
    if "tables" in info or "store_format" in info:
        raise FrameStoreError("info may not use the keys 'tables' or 'store_format'")
    encoded, tables = {}, {}
    for name, frame in frames.items():
        if not _TABLE_NAME.fullmatch(name):
            raise FrameStoreError(f"table name {name!r} is not lower-case letters, digits and _")
        try:
            data, schema = _encode(frame, name)
            _same(_decode(data, schema, name), frame, name)
        except FrameStoreError:
            raise
        except (ValueError, TypeError, NotImplementedError) as exc:  # pyarrow's errors derive from these
            raise FrameStoreError(f"table {name!r} cannot be stored: {exc}") from exc
        encoded[name] = data
        tables[name] = {"file": f"{name}.parquet", "sha256": hashlib.sha256(data).hexdigest(), **schema}
    manifest = {"store_format": _STORE_FORMAT, **_json_exact(dict(info), "info"), "tables": tables}
    text = json.dumps(manifest, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    target.parent.mkdir(parents=True, exist_ok=True)
    # os.mkdir, not mkdtemp: the folder gets the permissions of any other
    # folder (mkdtemp's are private to the user, which a shared project is not).
    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex}"
    os.mkdir(tmp)
    try:
        for name, data in encoded.items():
            _write_file(tmp / f"{name}.parquet", data)
        # The manifest last: a folder without one is never a store.
        _write_file(tmp / MANIFEST_NAME, text.encode("utf-8"))
        fsync_path(tmp)
        _publish(tmp, target, replace=replace)
        fsync_path(target.parent)
    finally:
        _remove(tmp)
    return target


class _Folder:
    """Regular files of one folder, read through one handle of the folder.

    Where the system allows it, every file is opened relative to the same
    open folder, so a store replaced while it is read is read whole (the old
    one), never half old and half new. Links, pipes and devices are refused.
    """

    def __init__(self, path: Path):
        self.path = path
        self.fd = None
        if os.open in os.supports_dir_fd:
            self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        elif not path.is_dir():
            raise FileNotFoundError(path)

    def read(self, name: str) -> bytes:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        flags |= getattr(os, "O_BINARY", 0)
        try:
            if self.fd is not None:
                fd = os.open(name, flags, dir_fd=self.fd)
            else:
                fd = os.open(self.path / name, flags)
        except FileNotFoundError as exc:
            raise FrameStoreError(f"{name} is missing") from exc
        except OSError as exc:  # a symbolic link (O_NOFOLLOW), no permission
            raise FrameStoreError(f"{name} cannot be opened: {exc}") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FrameStoreError(f"{name} is not a regular file")
            with os.fdopen(os.dup(fd), "rb") as fh:
                return fh.read(info.st_size + 1)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


def read_frame_store(target, *, expect: dict | None = None) -> tuple[dict, dict]:
    """Read a frame store written by :func:`write_frame_store`, checking everything.

    Parameters
    ----------
    target : str or Path
        The store's folder.
    expect : dict, optional
        Manifest entries that must have exactly these values (a format
        number, a cache key, the hash of the source); checked before any
        table is read.

    Returns
    -------
    (dict, dict)
        The *info* that was stored, and table name -> DataFrame.

    Raises
    ------
    FileNotFoundError
        If there is no store at *target*.
    FrameStoreError
        If the store fails any check: manifest missing or not JSON, an
        *expect* entry differs, a table file missing, not a regular file, its
        SHA-256 or schema not the manifest's, or unreadable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> read_frame_store(pathlib.Path(tempfile.mkdtemp()) / "none")
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...
    """
    target = Path(target)
    try:
        folder = _Folder(target)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise FrameStoreError(f"cannot open the folder: {exc}") from exc
    try:
        return _read(folder, dict(expect or {}))
    except FrameStoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything wrong with a store means: rebuild it
        raise FrameStoreError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        folder.close()


def _read(folder: _Folder, expect: dict) -> tuple[dict, dict]:
    try:
        manifest = json.loads(folder.read(MANIFEST_NAME).decode("utf-8"))
    except FrameStoreError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FrameStoreError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise FrameStoreError(f"{MANIFEST_NAME} is not a store manifest")
    for key, wanted in {"store_format": _STORE_FORMAT, **expect}.items():
        if manifest.get(key) != wanted:
            found, wanted = (reprlib.repr(v) for v in (manifest.get(key), wanted))
            raise FrameStoreError(f"{MANIFEST_NAME} has {key} = {found}, expected {wanted}")
    frames = {}
    for name, schema in manifest["tables"].items():
        if not _TABLE_NAME.fullmatch(str(name)) or schema.get("file") != f"{name}.parquet":
            raise FrameStoreError(f"{MANIFEST_NAME} names an unexpected table file for {name!r}")
        data = folder.read(schema["file"])
        digest = hashlib.sha256(data).hexdigest()
        if digest != schema.get("sha256"):
            raise FrameStoreError(f"{schema['file']} has SHA-256 {digest[:16]}..., not the manifest's")
        frames[name] = _decode(data, schema, name)
    info = {k: v for k, v in manifest.items() if k not in ("store_format", "tables")}
    return info, frames
