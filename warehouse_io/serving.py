"""The serving copy: a read-only DuckDB file of what readers need, published after each successful build.

DuckDB lets a process write a file only while no other process has it open, even read-only. Readers
(the dashboards, CLI previews, a BI tool) therefore never open the warehouse itself: they open
``<warehouse stem>.serving.duckdb`` beside it. After each successful dbt build the pipeline copies
the marts (every table and view of the ``marts`` schema, and the segment models of ``segments``) and the ``ops`` tables the
dashboards show into a new file written aside, then swaps it in with an atomic ``rename``. A reader
holding the old copy keeps reading it (its file stays alive until it closes it); the next reader opens
the new one. No reader ever sees a half-written set of marts, and no reader ever holds a lock the
pipeline needs.

Every copy carries ``serving.manifest``: one row per table copied, with its row count and the
publication id and time, so a reader can check that what it reads is complete and from one build.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from warehouse_io.connection import check_warehouse_file, open_duckdb, resolve_path, utcnow

# marts and the segment models (schema segments: the dashboards list, count and preview them)
SERVED_SCHEMAS: tuple[str, ...] = ("marts", "segments")
# ops tables a dashboard shows (run health); never ops.quarantine, whose records hold personal data.
SERVED_OPS_TABLES: tuple[str, ...] = ("ingest_runs", "file_loads", "sync_runs")
MANIFEST = "serving.manifest"


def serving_path(warehouse: Path | str) -> Path:
    """``warehouse/lifecycle.duckdb`` -> ``warehouse/lifecycle.serving.duckdb``."""
    target = resolve_path(warehouse)
    return target.with_name(f"{target.stem}.serving{target.suffix or '.duckdb'}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_serving(warehouse: Path | str, *, schemas: Sequence[str] = SERVED_SCHEMAS,
                    ops_tables: Sequence[str] = SERVED_OPS_TABLES) -> dict[str, int] | None:
    """Copy the served tables of ``warehouse`` into a new file and swap it in atomically.

    Returns ``{"schema.table": rows}`` of what was published, or None when the warehouse has no
    marts yet (nothing to serve; an existing serving copy is left as it is). The caller holds the
    writer lock (nobody writes the warehouse meanwhile); the warehouse is attached read-only.
    """
    source = resolve_path(warehouse)
    check_warehouse_file(source)
    if not source.exists():
        return None
    target = serving_path(source)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    publication_id = str(uuid.uuid4())
    published_at = utcnow()
    copied: dict[str, int] = {}
    swapped = False
    con = open_duckdb(tmp)
    try:
        con.execute(f"attach {_quote(str(source))} as src (read_only)")
        wanted = [(s, None) for s in schemas] + [("ops", t) for t in ops_tables]
        found = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'src' "
            "order by table_schema, table_name").fetchall()
        tables = [(s, t) for s, t in found
                  if any(s == ws and (wt is None or t == wt) for ws, wt in wanted)]
        if not any(s in schemas for s, _t in tables):
            return None
        for schema in sorted({s for s, _t in tables} | {"serving"}):
            con.execute(f"create schema if not exists {_ident(schema)}")
        con.execute("begin")
        for schema, table in tables:
            name = f"{_ident(schema)}.{_ident(table)}"
            con.execute(f"create table {name} as select * from src.{name}")
            copied[f"{schema}.{table}"] = con.execute(f"select count(*) from {name}").fetchone()[0]
        con.execute(f"create table {MANIFEST} (publication_id varchar, published_at timestamp, "
                    "table_schema varchar, table_name varchar, row_count bigint)")
        con.executemany(f"insert into {MANIFEST} values (?, ?, ?, ?, ?)",
                        [[publication_id, published_at, *key.split(".", 1), n] for key, n in copied.items()])
        con.execute("commit")
        con.execute("detach src")
        con.execute("checkpoint")
        con.close()
        _fsync(tmp)
        os.replace(tmp, target)
        swapped = True
        _fsync(target.parent)
        return copied
    finally:
        con.close()
        if not swapped:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
