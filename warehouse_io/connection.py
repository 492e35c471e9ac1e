"""Where the warehouse is and how to open it.

The embedded warehouse is one DuckDB file: ``$LIFECYCLE_WAREHOUSE`` or ``warehouse/lifecycle.duckdb``
(relative to the working directory). DuckDB allows one writer at a time, so callers open a
connection with :func:`connect` as a context manager and close it as soon as they are done.

Every connection is opened through :func:`open_duckdb`, which first checks that an existing file really
is a DuckDB database (:func:`check_warehouse_file`) and turns DuckDB's extension autoloading and
auto-installing off: given a SQLite or Parquet file, DuckDB would otherwise try to download a
scanner extension from the internet to read it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

DEFAULT_WAREHOUSE = Path("warehouse") / "lifecycle.duckdb"
WAREHOUSE_ENV = "LIFECYCLE_WAREHOUSE"
# No extension is ever fetched or loaded behind our back (dbt's profile sets the same two settings).
DUCKDB_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
_OTHER_FORMATS = ((b"SQLite format 3\x00", "a SQLite database"), (b"PAR1", "a Parquet file"),
                  (b"PK\x03\x04", "a ZIP archive (an Excel workbook?)"), (b"\x89HDF", "an HDF5 file"))


class WarehouseError(RuntimeError):
    """The warehouse path does not hold a usable DuckDB database (the message names the path and why)."""


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


def check_warehouse_file(path: Path | str) -> None:
    """Raise :class:`WarehouseError` unless ``path`` is missing (a new warehouse) or a DuckDB database file."""
    target = Path(path)
    try:
        st = target.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WarehouseError(f"warehouse {target} cannot be read ({type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise WarehouseError(f"warehouse {target} is a folder, not a DuckDB database file")
    if not stat.S_ISREG(st.st_mode):
        raise WarehouseError(f"warehouse {target} is not a regular file (a device or a pipe?)")
    try:
        with target.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise WarehouseError(f"warehouse {target} cannot be read ({type(exc).__name__})") from None
    if head[8:12] == _DUCKDB_MAGIC:
        return
    if not head:
        raise WarehouseError(f"warehouse {target} is an empty file, not a DuckDB database: remove it or "
                             "point LIFECYCLE_WAREHOUSE at a DuckDB file")
    kind = next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), "an unknown format")
    raise WarehouseError(f"warehouse {target} is not a DuckDB database file (it looks like {kind}); "
                         "point LIFECYCLE_WAREHOUSE or --warehouse at a DuckDB file")


def open_duckdb(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to a checked warehouse file, extensions off, time zone UTC. The caller closes it."""
    check_warehouse_file(path)
    con = duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))
    try:
        con.execute("set timezone = 'UTC'")
    except Exception:
        con.close()
        raise
    return con


@contextlib.contextmanager
def connect(path: Path | str | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating its folder for writers) and always close it."""
    target = resolve_path(path)
    if read_only and not target.exists():
        raise FileNotFoundError(
            f"warehouse {target} does not exist yet: run `lifecycle run` (or `make pipeline`) first"
        )
    check_warehouse_file(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    con = open_duckdb(target, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
