"""Build the processed reference tables under ``data/processed/``.

This is what ``nhri-capacity data`` (and ``make data``) runs: each raw source
in ``data/raw/`` is parsed into a tidy Parquet table with a provenance JSON
beside it, or left as it is when the cache already matches the source.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..common.cache import cache_paths, is_fresh, read_provenance
from .migration import MIGRANT_STOCK_CITATION, MIGRANT_STOCK_LICENCE, load_migrant_stock
from .treaties import TREATY_SOURCE, TREATY_VINTAGE, load_treaty_status

__all__ = ["build_processed_tables", "format_build_summary"]


def _tables():
    # Paths are read at call time: tests point config at temporary folders.
    return (
        ("migrant_stock", lambda: Path(config.MIGRANT_STOCK_XLSX), load_migrant_stock,
         f"{MIGRANT_STOCK_CITATION} Licence: {MIGRANT_STOCK_LICENCE}."),
        ("treaty_status", lambda: Path(config.TREATIES_DIR), load_treaty_status,
         f"{TREATY_SOURCE} Label: {TREATY_VINTAGE}."),
    )


def build_processed_tables(*, processed_dir=None, refresh: bool = False) -> list[dict]:
    """Build (or confirm) every processed table and report what was done.

    Parameters
    ----------
    processed_dir : str or Path, optional
        Where to write the tables. Default ``config.PROCESSED_DATA_DIR``.
    refresh : bool, default False
        Rebuild every table even if its cache matches its source.

    Returns
    -------
    list of dict
        One record per table with the keys ``table`` (cache name), ``status``
        ('built' or 'up to date'), ``rows``, ``source`` (path relative to the
        project), ``edition``, ``output`` (path of the Parquet file),
        ``sha256`` (of the source), ``created`` (UTC, ISO 8601) and
        ``citation``.

    Raises
    ------
    DataFileError
        If a raw source is missing or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> records = build_processed_tables(processed_dir=tempfile.mkdtemp())
    >>> [(r["table"], r["rows"]) for r in records]
    [('migrant_stock', 1974), ('treaty_status', 3474)]
    """
    out = []
    for name, source_of, loader, citation in _tables():
        source = source_of()
        fresh = source.exists() and not refresh and is_fresh(name, source=source, processed_dir=processed_dir)
        loader(source, processed_dir=processed_dir, refresh=refresh)
        meta = read_provenance(name, processed_dir=processed_dir) or {}
        parquet, _ = cache_paths(name, processed_dir=processed_dir)
        out.append(
            {
                "table": name,
                "status": "up to date" if fresh else "built",
                "rows": meta.get("rows"),
                "source": meta.get("source", str(source)),
                "edition": meta.get("edition"),
                "output": str(parquet),
                "sha256": meta.get("sha256"),
                "created": meta.get("created"),
                "citation": citation,
            }
        )
    return out


def format_build_summary(records: list[dict]) -> str:
    """Render :func:`build_processed_tables` records as lines for the terminal.

    Examples
    --------
    >>> print(format_build_summary([{"table": "t", "status": "built", "source": "data/raw/t.csv",
    ...     "edition": "2020", "rows": 3, "sha256": "ab" * 32, "created": "2024-01-01T00:00:00Z",
    ...     "output": "data/processed/t.parquet", "citation": "Someone (2020)."}]))
    t: built, 3 rows, edition 2020
      source  data/raw/t.csv (sha256 abababababab...)
      table   data/processed/t.parquet
      cite    Someone (2020).
    """
    lines = []
    for r in records:
        lines.append(f"{r['table']}: {r['status']}, {r['rows']:,} rows, edition {r['edition']}")
        lines.append(f"  source  {r['source']} (sha256 {str(r['sha256'])[:12]}...)")
        lines.append(f"  table   {r['output']}")
        lines.append(f"  cite    {r['citation']}")
    return "\n".join(lines)
