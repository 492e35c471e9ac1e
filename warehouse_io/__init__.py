"""Warehouse access shared by every layer: where the warehouse is, the ``ops`` tables, and the writers.

Imports flow one way: ``ingestion``, ``activation`` and ``dashboards`` use this package; it imports
none of them. Table definitions (:mod:`warehouse_io.tables`), the ``ops`` registry
(:mod:`warehouse_io.ops`), the connection (:mod:`warehouse_io.connection`), the one merge /
quarantine / cursor path (:mod:`warehouse_io.writes`), and :mod:`warehouse_io.db`: one connection
interface over DuckDB and PostgreSQL for state that lives beside the models on either engine.
"""

from warehouse_io.connection import (
    DEFAULT_WAREHOUSE,
    DUCKDB_CONFIG,
    WAREHOUSE_ENV,
    WarehouseError,
    check_warehouse_file,
    connect,
    open_duckdb,
    resolve_path,
    utcnow,
    warehouse_path,
)
from warehouse_io.db import Db, WarehouseTarget, hash_expression
from warehouse_io.locking import WarehouseBusy, holds_writer_lock, writer_lock
from warehouse_io.ops import OPS_TABLES, SYNC_TABLES
from warehouse_io.privacy import redact, safe_error
from warehouse_io.serving import publish_serving, serving_path
from warehouse_io.tables import LOADED_AT, MONEY, TS, Column, Table
from warehouse_io.writes import (
    cursor_sql,
    ensure_ops_tables,
    ensure_table,
    ensure_tables,
    get_cursor,
    mark_abandoned,
    merge_batches,
    merge_rows,
    quarantine,
    quarantine_statements,
    replace_rows,
    set_cursor,
)

__all__ = [
    "DEFAULT_WAREHOUSE", "DUCKDB_CONFIG", "LOADED_AT", "MONEY", "OPS_TABLES", "SYNC_TABLES", "TS", "WAREHOUSE_ENV",
    "Column", "Db", "Table", "WarehouseBusy", "WarehouseError", "WarehouseTarget", "check_warehouse_file", "connect",
    "cursor_sql", "ensure_ops_tables", "ensure_table", "ensure_tables", "get_cursor", "hash_expression",
    "holds_writer_lock", "mark_abandoned", "merge_batches", "merge_rows", "open_duckdb", "publish_serving",
    "quarantine", "quarantine_statements", "redact", "replace_rows", "resolve_path", "safe_error", "serving_path",
    "set_cursor", "utcnow", "warehouse_path", "writer_lock",
]
