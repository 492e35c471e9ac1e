"""Warehouse access shared by every layer: where the warehouse is, the ``ops`` tables, and the writers.

Imports flow one way: ``ingestion``, ``activation`` and ``dashboards`` use this package; it imports
none of them. Table definitions (:mod:`warehouse_io.tables`), the ``ops`` registry
(:mod:`warehouse_io.ops`), the connection (:mod:`warehouse_io.connection`), the one merge /
quarantine / cursor path (:mod:`warehouse_io.writes`), and :mod:`warehouse_io.db`: one connection
interface over DuckDB and PostgreSQL for state that lives beside the models on either engine.
"""

from warehouse_io.connection import DEFAULT_WAREHOUSE, WAREHOUSE_ENV, connect, resolve_path, utcnow, warehouse_path
from warehouse_io.db import Db, WarehouseError, WarehouseTarget, hash_expression
from warehouse_io.ops import OPS_TABLES, SYNC_TABLES
from warehouse_io.tables import LOADED_AT, MONEY, TS, Column, Table
from warehouse_io.writes import (
    cursor_sql,
    ensure_ops_tables,
    ensure_table,
    ensure_tables,
    get_cursor,
    merge_batches,
    merge_rows,
    quarantine,
    quarantine_statements,
    replace_rows,
    set_cursor,
)

__all__ = [
    "DEFAULT_WAREHOUSE", "LOADED_AT", "MONEY", "OPS_TABLES", "SYNC_TABLES", "TS", "WAREHOUSE_ENV", "Column", "Db",
    "Table", "WarehouseError", "WarehouseTarget", "connect", "hash_expression",
    "cursor_sql", "ensure_ops_tables", "ensure_table", "ensure_tables", "get_cursor", "merge_batches", "merge_rows",
    "quarantine", "quarantine_statements", "replace_rows", "resolve_path", "set_cursor", "utcnow", "warehouse_path",
]
