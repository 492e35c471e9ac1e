"""Copy the raw tables of a DuckDB warehouse into PostgreSQL, to run the same dbt project there.

Used by the portability tests and by teams moving from the embedded warehouse to a server: the raw
schemas are created from the registry with PostgreSQL types and filled with COPY.
"""

from __future__ import annotations

import io
from pathlib import Path

import warehouse_io
from ingestion import raw_tables
from ingestion.raw_tables import LOADED_AT

PG_TYPES = {"varchar": "text", "bigint": "bigint", "integer": "integer", "double": "double precision",
            "boolean": "boolean", "timestamp": "timestamp", "date": "date", "decimal(18,2)": "numeric(18,2)"}


def copy_raw_to_postgres(duckdb_file: Path, dsn: str) -> dict[str, int]:
    import psycopg2

    counts: dict[str, int] = {}
    pg = psycopg2.connect(dsn)
    try:
        with warehouse_io.connect(duckdb_file, read_only=True) as con, pg.cursor() as cur:
            for t in raw_tables.RAW_TABLES:
                cols = ", ".join(f"{c.name} {PG_TYPES[c.type]}" for c in t.columns)
                cur.execute(f"create schema if not exists {t.schema}")
                cur.execute(f"drop table if exists {t.qualified_name}")
                cur.execute(f"create table {t.qualified_name} ({cols}, {LOADED_AT} timestamp)")
                if not raw_tables.exists_in(con, t):
                    counts[t.qualified_name] = 0
                    continue
                names = [*t.column_names, LOADED_AT]
                df = con.execute(f"select {', '.join(names)} from {t.qualified_name}").df()
                buf = io.StringIO()
                df.to_csv(buf, index=False, header=False, na_rep="\\N")
                buf.seek(0)
                cur.copy_expert(f"copy {t.qualified_name} ({', '.join(names)}) from stdin with (format csv, null '\\N')",
                                buf)
                counts[t.qualified_name] = len(df)
        pg.commit()
    finally:
        pg.close()
    return counts
