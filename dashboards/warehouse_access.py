"""Read-only access to the warehouse for the dashboards, and the errors the pages turn into warnings.

DuckDB allows one writer and, across processes, no reader while a writer holds the file (and no writer
while a reader holds it). A connection kept open by the dashboard server would make every
``lifecycle run`` and every Dagster materialization fail with a lock error for as long as a browser
tab is open. So the cached resource (:func:`dashboards.queries.warehouse`) is this small handle: it
opens ``duckdb.connect(path, read_only=True)`` for one query, fetches the result and closes it again
(a few milliseconds on a local file); results are cached by ``st.cache_data`` so the file is opened
rarely.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

MARTS_SCHEMA = "marts"


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
    """Runs parameterised queries on the DuckDB file, one short read-only connection per query."""

    def __init__(self, path: Path, lock_retries: int = 3, retry_wait_seconds: float = 0.3) -> None:
        self.path = Path(path)
        self.lock_retries = lock_retries
        self.retry_wait_seconds = retry_wait_seconds
        self._mutex = threading.Lock()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():
            raise WarehouseMissing(self.path)
        for attempt in range(self.lock_retries + 1):
            try:
                con = duckdb.connect(str(self.path), read_only=True)
                con.execute("set timezone = 'UTC'")
                return con
            except duckdb.IOException as exc:
                if not _LOCK_MESSAGE.search(str(exc)):
                    raise
                if attempt == self.lock_retries:
                    raise WarehouseLocked(self.path) from None
                time.sleep(self.retry_wait_seconds)
        raise WarehouseLocked(self.path)  # pragma: no cover (loop always returns or raises)

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run one statement with bound parameters and return its rows."""
        with self._mutex:
            con = self._connect()
            try:
                return con.execute(sql, list(params)).df()
            except duckdb.CatalogException as exc:
                match = _MISSING_TABLE.search(str(exc))
                raise MartMissing([match.group(1) if match else "a table the dashboards read"]) from None
            except duckdb.BinderException as exc:
                first_line = str(exc).splitlines()[0]
                raise MartShapeError(f"A mart does not have the expected columns ({first_line}).") from None
            finally:
                con.close()
