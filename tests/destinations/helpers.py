"""Test helpers: synthetic segments in a warehouse, sync configs pointing at a test server, ops reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from activation.config import parse_sync
from warehouse_io import WarehouseTarget


def write_segment(target: WarehouseTarget, name: str, rows: Sequence[dict[str, Any]],
                  types: dict[str, str] | None = None, schema: str = "segments") -> None:
    """Replace ``schema.name`` with these rows (column types from ``types``, default text)."""
    types = dict(types or {})
    for c in (rows[0] if rows else {}):
        types.setdefault(c, "varchar")
    cols = list(types)
    with target.open() as db:
        db.execute(f"create schema if not exists {schema}")
        db.execute(f"drop table if exists {schema}.{name}")
        ddl = ", ".join(f"{c} {_sql_type(types[c], db.dialect)}" for c in cols)
        db.execute(f"create table {schema}.{name} ({ddl})")
        if rows:
            data = {c: [r.get(c) for r in rows] for c in cols}
            arrays = {c: pa.array(v, _arrow_type(types[c])) for c, v in data.items()}
            db.insert_arrow(f"{schema}.{name}", pa.table(arrays))


def _sql_type(t: str, dialect: str) -> str:
    if dialect == "postgres" and t == "varchar":
        return "text"
    if dialect == "postgres" and t == "double":
        return "double precision"
    return t


def _arrow_type(t: str) -> pa.DataType:
    return {"varchar": pa.string(), "timestamp": pa.timestamp("us"), "double": pa.float64(),
            "bigint": pa.int64(), "integer": pa.int32(), "boolean": pa.bool_()}[t]


def sync_config(name: str, body: dict[str, Any], folder: Path | None = None):
    """A validated sync from a dict (as its YAML would hold)."""
    return parse_sync(body, (folder or Path("tests")) / f"{name}.yml")


def ops(target: WarehouseTarget, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with target.open(read_only=target.dialect == "duckdb") as db:
        return db.query(sql, params)


def run_counts(target: WarehouseTarget, run_id: str) -> dict[str, int]:
    return dict(ops(target, "select status, count(*) from ops.sync_records where sync_run_id = ? group by status",
                    [run_id]))
