"""Helpers for tests that write raw rows and run the dbt project on a temporary DuckDB file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

import warehouse_io
from ingestion import raw_tables


def write_raw(path: Path, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Create every raw table, then merge the given rows ({'raw_x.table': [row, ...]})."""
    with warehouse_io.connect(path) as con:
        raw_tables.ensure_raw_tables(con)
        for name, rows in tables.items():
            warehouse_io.merge_rows(con, raw_tables.table(name), pd.DataFrame(list(rows)))


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def contact_ids(path: Path) -> dict[tuple[str, str], str]:
    """(record_source, record_id) -> contact_id from int_identity__contact_map."""
    rows = query(path, "select record_source, record_id, contact_id from intermediate.int_identity__contact_map")
    return {(s, r): c for s, r, c in rows}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()
