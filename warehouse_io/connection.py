"""Where the warehouse is and how to open it.

The embedded warehouse is one DuckDB file: ``$LIFECYCLE_WAREHOUSE`` or ``warehouse/lifecycle.duckdb``
(relative to the working directory). DuckDB allows one writer at a time, so callers open a
connection with :func:`connect` as a context manager and close it as soon as they are done.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

DEFAULT_WAREHOUSE = Path("warehouse") / "lifecycle.duckdb"
WAREHOUSE_ENV = "LIFECYCLE_WAREHOUSE"


def utcnow() -> datetime:
    """Current UTC time as a naive timestamp (the warehouse convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_path(path: Path | str | None = None) -> Path:
    """An absolute warehouse path: ``path``, else ``$LIFECYCLE_WAREHOUSE``, else the default."""
    raw = str(path) if path else (os.environ.get(WAREHOUSE_ENV) or str(DEFAULT_WAREHOUSE))
    resolved = Path(raw).expanduser()
    return resolved if resolved.is_absolute() else Path.cwd() / resolved


def warehouse_path() -> Path:
    """The DuckDB file of this process: ``$LIFECYCLE_WAREHOUSE`` or ``warehouse/lifecycle.duckdb`` (absolute)."""
    return resolve_path(None)


@contextlib.contextmanager
def connect(path: Path | str | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating its folder for writers) and always close it."""
    target = resolve_path(path)
    if read_only and not target.exists():
        raise FileNotFoundError(
            f"warehouse {target} does not exist yet: run `lifecycle run` (or `make pipeline`) first"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    try:
        con.execute("set timezone = 'UTC'")
        yield con
    finally:
        con.close()
