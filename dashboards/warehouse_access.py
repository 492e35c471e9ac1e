"""Read-only access to the warehouse for the dashboards, and the errors the pages turn into warnings.

DuckDB allows one writer and, across processes, no reader while a writer holds the file (and no writer
while a reader holds it, even for a moment). The dashboards therefore never open the warehouse: they
read its serving copy (``<warehouse>.serving.duckdb``, :mod:`warehouse_io.serving`), which the
pipeline publishes after each successful dbt build by writing a new file aside and renaming it into
place. A reader never blocks the pipeline, and always reads one complete publication.

The cached resource (:func:`dashboards.queries.warehouse`) is this small handle. It keeps one read-only
connection to the serving copy while that file stays the same (same inode: a publication renames a new
file into place) and reopens when the pipeline has published another: opening the file loads its
catalog (about 25 ms for the demo's 50 tables), a query on the open connection takes about 1 ms, and a
page runs up to a dozen queries. The file is attached to an in-memory database rather than opened with
``duckdb.connect(path)``, whose per-process instance cache would hand back the replaced file while any
other connection to that path is still open. Until the next query after a publication, the replaced copy
stays open (its disk space is freed then). Results are cached by ``st.cache_data``. A warehouse built
before serving copies existed (or by ``dbt build`` alone) has none yet: the first query publishes it,
under the warehouse's writer lock, and says the warehouse is busy when a run holds that lock.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

import warehouse_io

MARTS_SCHEMA = "marts"
# the name the serving copy is attached under (not "serving": the copy holds a schema of that name)
SERVED_CATALOG = "served_copy"


class WarehouseUnavailable(Exception):
    """Base of the states the pages show as a warning instead of a traceback."""


class WarehouseMissing(WarehouseUnavailable):
    def __init__(self, path: Path) -> None:
        super().__init__(f"No warehouse at {path}.")
        self.path = path


class WarehouseLocked(WarehouseUnavailable):
    def __init__(self, path: Path) -> None:
        super().__init__(f"The warehouse {path} is locked by another process (a pipeline run is writing to it).")
        self.path = path


class MartMissing(WarehouseUnavailable):
    def __init__(self, names: Sequence[str]) -> None:
        super().__init__("Missing in the warehouse: " + ", ".join(names) + ".")
        self.names = list(names)


class MartShapeError(WarehouseUnavailable):
    """A mart exists but not with the columns the dashboards read (an older build)."""


_LOCK_MESSAGE = re.compile(r"could not set lock|conflicting lock", re.IGNORECASE)
_MISSING_TABLE = re.compile(r"Table with name (\w+) does not exist", re.IGNORECASE)


class ReadOnlyWarehouse:
    """Runs parameterised queries on the warehouse's serving copy, on one read-only connection per publication."""

    def __init__(self, path: Path, lock_retries: int = 3, retry_wait_seconds: float = 0.3) -> None:
        self.path = Path(path)  # the warehouse; queries read its serving copy
        self.serving = warehouse_io.serving_path(self.path)
        self.lock_retries = lock_retries
        self.retry_wait_seconds = retry_wait_seconds
        self._mutex = threading.Lock()
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_identity: tuple[int, ...] | None = None

    def _publish_first_copy(self) -> bool:
        """Publish the serving copy of a warehouse that has none; False when it has no marts to serve."""
        try:
            with warehouse_io.writer_lock(self.path, wait=0, purpose="the dashboards publishing a first copy"):
                if self.serving.exists():
                    return True
                return warehouse_io.publish_serving(self.path) is not None
        except warehouse_io.WarehouseBusy:
            raise WarehouseLocked(self.path) from None
        except duckdb.IOException as exc:
            if _LOCK_MESSAGE.search(str(exc)):  # a writer outside the pipeline (dbt by hand) holds it
                raise WarehouseLocked(self.path) from None
            raise

    def _serving_identity(self) -> tuple[int, ...] | None:
        try:
            st = os.stat(self.serving)
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def _attach_serving(self) -> duckdb.DuckDBPyConnection:
        warehouse_io.check_warehouse_file(self.serving)
        con = duckdb.connect(":memory:", config=dict(warehouse_io.DUCKDB_CONFIG))
        try:
            con.execute("set timezone = 'UTC'")
            con.execute(f"attach '{str(self.serving).replace(chr(39), chr(39) * 2)}' as {SERVED_CATALOG} (read_only)")
            con.execute(f"use {SERVED_CATALOG}")
        except Exception:
            con.close()
            raise
        return con

    def _connect(self) -> tuple[duckdb.DuckDBPyConnection, tuple[int, ...] | None]:
        """A connection and the identity of the file it reads (None: a throwaway connection, close it)."""
        if not self.serving.exists():
            if not self.path.exists():
                raise WarehouseMissing(self.path)
            try:
                warehouse_io.check_warehouse_file(self.path)
            except warehouse_io.WarehouseError as exc:
                raise WarehouseUnavailable(str(exc)) from None
            if not self._publish_first_copy():
                # nothing built yet: an empty catalog, so the pages name the marts they miss
                con = duckdb.connect(":memory:", config=dict(warehouse_io.DUCKDB_CONFIG))
                con.execute(f"create schema {MARTS_SCHEMA}")
                return con, None
        for attempt in range(self.lock_retries + 1):
            # stat before opening: if a publication lands in between, the next query sees a newer identity
            # and reopens once more, never the other way round
            identity = self._serving_identity()
            try:
                return self._attach_serving(), identity
            except duckdb.IOException as exc:
                if not _LOCK_MESSAGE.search(str(exc)):
                    raise
                if attempt == self.lock_retries:
                    raise WarehouseLocked(self.path) from None
                time.sleep(self.retry_wait_seconds)
            except warehouse_io.WarehouseError as exc:
                raise WarehouseUnavailable(str(exc)) from None
        raise WarehouseLocked(self.path)  # pragma: no cover (loop always returns or raises)

    def _release(self) -> None:
        if self._held is not None:
            self._held.close()
        self._held, self._held_identity = None, None

    def close(self) -> None:
        """Close the held connection (the next query opens the current publication)."""
        with self._mutex:
            self._release()

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run one statement with bound parameters and return its rows."""
        with self._mutex:
            current = self._serving_identity()
            if self._held is None or current is None or current != self._held_identity:
                self._release()  # a new publication (or none): read the file now in place
                con, identity = self._connect()
                if identity is not None:
                    self._held, self._held_identity = con, identity
            else:
                con, identity = self._held, self._held_identity
            try:
                return con.execute(sql, list(params)).df()
            except duckdb.CatalogException as exc:
                match = _MISSING_TABLE.search(str(exc))
                raise MartMissing([match.group(1) if match else "a table the dashboards read"]) from None
            except duckdb.BinderException as exc:
                first_line = str(exc).splitlines()[0]
                raise MartShapeError(f"A mart does not have the expected columns ({first_line}).") from None
            except duckdb.Error:
                self._release()  # whatever went wrong, the next query starts on a fresh connection
                raise
            finally:
                if identity is None:
                    con.close()
