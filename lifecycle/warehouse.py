"""The embedded warehouse: where the DuckDB file is, the raw-table bootstrap, and the shared writers.

Every loader (demo generator, API connectors, file drop) writes through :func:`replace_rows`,
:func:`merge_rows` and :func:`quarantine`, so primary-key merges, ``_loaded_at`` and the quarantine
look the same everywhere. Ingestion cursors, quarantined records and run logs live in the ``ops``
schema of the warehouse itself: the warehouse holds all state.

DuckDB allows one writer at a time, so callers open a connection with :func:`connect` as a context
manager and close it as soon as they are done.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lifecycle import raw_schema
from lifecycle.raw_schema import LOADED_AT, RawTable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = Path("warehouse") / "lifecycle.duckdb"
WAREHOUSE_ENV = "LIFECYCLE_WAREHOUSE"

OPS_TABLES = {
    "ops.ingest_cursors": """
        create table if not exists ops.ingest_cursors (
          source varchar not null,
          stream varchar not null,
          cursor_value varchar,
          updated_at timestamp not null,
          primary key (source, stream)
        )""",
    "ops.ingest_runs": """
        create table if not exists ops.ingest_runs (
          ingest_run_id varchar primary key,
          source varchar not null,
          started_at timestamp not null,
          finished_at timestamp,
          status varchar not null,
          rows_loaded bigint,
          rows_quarantined bigint,
          detail varchar
        )""",
    "ops.quarantine": """
        create table if not exists ops.quarantine (
          quarantine_id varchar primary key,
          source varchar not null,
          entity varchar not null,
          record_ref varchar,
          reason varchar not null,
          record varchar,
          ingest_run_id varchar,
          quarantined_at timestamp not null
        )""",
    "ops.sync_runs": """
        create table if not exists ops.sync_runs (
          sync_run_id varchar primary key,
          sync_name varchar not null,
          destination varchar not null,
          mode varchar not null,
          started_at timestamp not null,
          finished_at timestamp,
          status varchar not null,
          rows_total bigint,
          rows_sent bigint,
          rows_unchanged bigint,
          rows_skipped bigint,
          rows_failed bigint,
          requests bigint,
          outbox_path varchar,
          error varchar
        )""",
}


def utcnow() -> datetime:
    """Current UTC time as a naive timestamp (the warehouse convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def warehouse_path() -> Path:
    """The DuckDB file: ``$LIFECYCLE_WAREHOUSE`` or ``warehouse/lifecycle.duckdb`` (absolute)."""
    raw = os.environ.get(WAREHOUSE_ENV) or str(DEFAULT_WAREHOUSE)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    return path


@contextlib.contextmanager
def connect(path: Path | str | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating its folder for writers) and always close it."""
    target = Path(path) if path else warehouse_path()
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


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    for ddl in OPS_TABLES.values():
        con.execute(ddl)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[RawTable] | None = None) -> None:
    """Create every raw table (empty) that does not exist yet, and the ops tables.

    dbt declares a source for every raw table; a source nobody has loaded is simply empty.
    Columns added to the registry after a table was created are added to it (new fields tolerated).
    """
    ensure_ops_tables(con)
    for t in tables or raw_schema.RAW_TABLES:
        con.execute(f"create schema if not exists {t.schema}")
        con.execute(t.create_sql())
        existing = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [t.schema, t.name],
            ).fetchall()
        }
        for c in t.columns:
            if c.name not in existing:
                con.execute(f"alter table {t.qualified_name} add column {c.name} {c.type}")


def _conform(t: RawTable, df: pd.DataFrame) -> pd.DataFrame:
    """Columns in registry order; unknown columns dropped, missing ones null; `_loaded_at` stamped."""
    unknown = set(df.columns) - set(t.column_names) - {LOADED_AT}
    out = df.drop(columns=sorted(unknown)) if unknown else df
    out = out.reindex(columns=t.column_names)
    out[LOADED_AT] = utcnow()
    return out


def _select_cast(t: RawTable, relation: str) -> str:
    cols = ", ".join(f"cast({c.name} as {c.type}) as {c.name}" for c in t.columns)
    return f"select {cols}, cast({LOADED_AT} as timestamp) as {LOADED_AT} from {relation}"


def replace_rows(con: duckdb.DuckDBPyConnection, qualified_name: str, df: pd.DataFrame) -> int:
    """Replace the whole content of a raw table (full refresh; the demo generator uses this)."""
    t = raw_schema.table(qualified_name)
    ensure_raw_tables(con, [t])
    data = _conform(t, df)  # noqa: F841  (registered for DuckDB's replacement scan)
    con.execute("begin")
    try:
        con.execute(f"delete from {t.qualified_name}")
        con.execute(f"insert into {t.qualified_name} {_select_cast(t, 'data')}")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(df)


def merge_rows(con: duckdb.DuckDBPyConnection, qualified_name: str, df: pd.DataFrame,
               extra: Sequence[tuple[str, Sequence[Any]]] = ()) -> int:
    """Upsert rows on the table's primary key, in one transaction.

    Rows of the batch that share a key keep the last one. ``extra`` statements (sql, params) run in
    the same transaction: connectors commit their cursor together with the page, so a run killed
    mid-way resumes from the last committed page and loses nothing.
    """
    t = raw_schema.table(qualified_name)
    ensure_raw_tables(con, [t])
    if df.empty and not extra:
        return 0
    data = _conform(t, df).drop_duplicates(subset=list(t.primary_key), keep="last")  # noqa: F841
    key_match = " and ".join(f"{t.qualified_name}.{k} = cast(data.{k} as {t.column(k).type})" for k in t.primary_key)
    con.execute("begin")
    try:
        if not df.empty:
            con.execute(f"delete from {t.qualified_name} using data where {key_match}")
            con.execute(f"insert into {t.qualified_name} {_select_cast(t, 'data')}")
        for sql, params in extra:
            con.execute(sql, list(params))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(data)


def cursor_sql(source: str, stream: str, value: str | None) -> tuple[str, list[Any]]:
    """The statement that stores an ingestion cursor (for ``merge_rows(extra=...)``)."""
    return (
        "insert or replace into ops.ingest_cursors (source, stream, cursor_value, updated_at) values (?, ?, ?, ?)",
        [source, stream, value, utcnow()],
    )


def get_cursor(con: duckdb.DuckDBPyConnection, source: str, stream: str) -> str | None:
    ensure_ops_tables(con)
    row = con.execute(
        "select cursor_value from ops.ingest_cursors where source = ? and stream = ?", [source, stream]
    ).fetchone()
    return row[0] if row else None


def set_cursor(con: duckdb.DuckDBPyConnection, source: str, stream: str, value: str | None) -> None:
    ensure_ops_tables(con)
    sql, params = cursor_sql(source, stream, value)
    con.execute(sql, params)


def quarantine(con: duckdb.DuckDBPyConnection, source: str, entity: str,
               records: Sequence[tuple[str | None, str, Any]], ingest_run_id: str | None = None) -> int:
    """Store bad records with the reason they were rejected: (record_ref, reason, record).

    ``record_ref`` names where the record came from (``file.csv:17``, ``contact 42``); the record
    itself is kept as JSON so nothing is lost and it can be replayed once fixed.
    """
    if not records:
        return 0
    ensure_ops_tables(con)
    now = utcnow()
    rows = [
        (str(uuid.uuid4()), source, entity, ref, reason, json.dumps(rec, default=str), ingest_run_id, now)
        for ref, reason, rec in records
    ]
    con.executemany("insert into ops.quarantine values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
