"""The one way rows reach the warehouse: create tables, replace or merge rows, quarantine, cursors.

Every loader (demo generator, API connectors, file drop) writes through these functions, so
primary-key merges, ``_loaded_at`` and the quarantine look the same everywhere. A merge and the
statements that belong with it (the cursor of the page, the file's load record, its quarantined
rows) commit in one transaction: a run killed mid-way resumes from the last committed page.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd

from warehouse_io.connection import utcnow
from warehouse_io.ops import OPS_TABLES, QUARANTINE
from warehouse_io.privacy import redact
from warehouse_io.tables import LOADED_AT, Table

Statement = tuple[str, Sequence[Any]]


def _json_default(value: Any) -> Any:
    """Values JSON lacks, kept faithfully in a quarantined record: bytes as text (or base64), the rest as text."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            return {"_base64": base64.b64encode(raw).decode("ascii")}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def ensure_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Create the table if it does not exist, and add columns the definition gained since."""
    con.execute(f"create schema if not exists {table.schema}")
    con.execute(table.create_sql())
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [table.schema, table.name],
        ).fetchall()
    }
    for c in table.all_columns():
        if c.name not in existing:
            con.execute(f"alter table {table.qualified_name} add column {c.name} {c.type}")


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[Table]) -> None:
    for t in tables:
        ensure_table(con, t)


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_tables(con, OPS_TABLES)


def _conform(t: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Columns in definition order; unknown columns dropped, missing ones null; `_loaded_at` stamped."""
    unknown = set(df.columns) - set(t.column_names) - {LOADED_AT}
    out = df.drop(columns=sorted(unknown)) if unknown else df
    out = out.reindex(columns=t.column_names)
    out[LOADED_AT] = utcnow()
    return out


def _select_cast(t: Table, relation: str) -> str:
    cols = ", ".join(f"cast({c.name} as {c.type}) as {c.name}" for c in t.columns)
    return f"select {cols}, cast({LOADED_AT} as timestamp) as {LOADED_AT} from {relation}"


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> Iterator[str]:
    """The frame as a view of the connection for the duration of the block."""
    name = "_incoming_rows"
    con.register(name, df)
    try:
        yield name
    finally:
        con.unregister(name)


def _in_transaction(con: duckdb.DuckDBPyConnection, work) -> None:
    con.execute("begin")
    try:
        work()
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def replace_rows(con: duckdb.DuckDBPyConnection, table: Table, df: pd.DataFrame, *,
                 where: str | None = None, params: Sequence[Any] = ()) -> int:
    """Replace the content of a table (full refresh; the demo generator uses this), in one transaction.

    With ``where`` only the rows matching it are replaced (e.g. the days of a partition window); the
    caller passes rows that match it.
    """
    ensure_table(con, table)

    def work() -> None:
        con.execute(f"delete from {table.qualified_name}" + (f" where {where}" if where else ""), list(params))
        with _registered(con, _conform(table, df)) as view:
            con.execute(f"insert into {table.qualified_name} {_select_cast(table, view)}")

    _in_transaction(con, work)
    return len(df)


def merge_batches(con: duckdb.DuckDBPyConnection, batches: Mapping[Table, pd.DataFrame],
                  extra: Sequence[Statement] = ()) -> dict[str, int]:
    """Upsert rows of several tables on their primary keys, plus ``extra`` statements, in ONE transaction.

    Rows of a batch that share a key keep the last one. Returns the rows merged per table.
    """
    for t in batches:
        ensure_table(con, t)
    counts: dict[str, int] = {}

    def work() -> None:
        for t, df in batches.items():
            counts[t.qualified_name] = 0
            if df.empty:
                continue
            data = _conform(t, df).drop_duplicates(subset=list(t.primary_key), keep="last")
            with _registered(con, data) as view:
                key_match = " and ".join(
                    f"{t.qualified_name}.{k} = cast({view}.{k} as {t.column(k).type})" for k in t.primary_key)
                con.execute(f"delete from {t.qualified_name} using {view} where {key_match}")
                con.execute(f"insert into {t.qualified_name} {_select_cast(t, view)}")
            counts[t.qualified_name] = len(data)
        for sql, params in extra:
            con.execute(sql, list(params))

    if any(not df.empty for df in batches.values()) or extra:
        _in_transaction(con, work)
    else:
        counts = {t.qualified_name: 0 for t in batches}
    return counts


def merge_rows(con: duckdb.DuckDBPyConnection, table: Table, df: pd.DataFrame,
               extra: Sequence[Statement] = ()) -> int:
    """Upsert one table's rows on its primary key; ``extra`` statements commit in the same transaction."""
    return merge_batches(con, {table: df}, extra)[table.qualified_name]


# ------------------------------------------------------------------------------------------------
# Ingestion cursors
# ------------------------------------------------------------------------------------------------
def cursor_sql(source: str, stream: str, value: str | None) -> Statement:
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


# ------------------------------------------------------------------------------------------------
# Quarantine
# ------------------------------------------------------------------------------------------------
QuarantinedRecord = tuple[str | None, str, Any]  # (record_ref, reason, record)


def quarantine_statements(source: str, entity: str, records: Sequence[QuarantinedRecord],
                          ingest_run_id: str | None = None, chunk: int = 200) -> list[Statement]:
    """Insert statements for bad records (to run in the transaction of the rows they came with).

    ``record_ref`` names where the record came from (``file.csv:17``, ``id 42``); the record itself is
    kept as JSON so nothing is lost and it can be replayed once fixed (a record that could not be
    parsed at all is kept as its raw text by the caller). Reasons and refs pass through
    :func:`warehouse_io.privacy.redact`: whatever a caller put in them, no email address or phone
    number reaches the quarantine's message columns (the ``record`` column keeps the data itself).
    """
    now = utcnow()
    cols = ", ".join(QUARANTINE.column_names)
    stmts: list[Statement] = []
    for start in range(0, len(records), chunk):
        part = records[start:start + chunk]
        params: list[Any] = []
        for ref, reason, rec in part:
            record = None if rec is None else json.dumps(rec, default=_json_default)
            safe_ref = None if ref is None else redact(ref, 500, international_only=True)
            params += [str(uuid.uuid4()), source, entity, safe_ref, redact(reason, 2000), record, ingest_run_id, now]
        marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(part))
        stmts.append((f"insert into ops.quarantine ({cols}) values {marks}", params))
    return stmts


def quarantine(con: duckdb.DuckDBPyConnection, source: str, entity: str, records: Sequence[QuarantinedRecord],
               ingest_run_id: str | None = None) -> int:
    """Store bad records with the reason they were rejected (each batch in one transaction)."""
    if not records:
        return 0
    ensure_ops_tables(con)
    stmts = quarantine_statements(source, entity, records, ingest_run_id)

    def work() -> None:
        for sql, params in stmts:
            con.execute(sql, list(params))

    _in_transaction(con, work)
    return len(records)


# ------------------------------------------------------------------------------------------------
# Runs left behind
# ------------------------------------------------------------------------------------------------
def mark_abandoned(con: duckdb.DuckDBPyConnection, table: str, key: str, keep: Sequence[str] = (),
                   detail_column: str = "detail", by: str | None = None) -> int:
    """Rows of a run table still ``running`` that no live run owns become ``abandoned``.

    Only one process writes the warehouse at a time (the writer lock), so a ``running`` row that is
    not one of ``keep`` (the runs of this process) belongs to a process that died (killed, out of
    memory, power cut). Returns how many rows were marked.
    """
    ensure_ops_tables(con)
    marks = ", ".join("?" for _ in keep)
    where = "status = 'running'" + (f" and {key} not in ({marks})" if keep else "")
    n = con.execute(f"select count(*) from {table} where {where}", list(keep)).fetchone()[0]
    if n:
        note = "abandoned: the run stopped without finishing (killed or crashed)" + (
            f"; found by run {by}" if by else "")
        con.execute(f"update {table} set status = 'abandoned', finished_at = coalesce(finished_at, ?), "
                    f"{detail_column} = ? where {where}", [utcnow(), note, *keep])
    return n
