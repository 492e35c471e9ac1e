"""Copy the raw tables of a DuckDB warehouse into Apache Spark, to run the same dbt project there.

Used by the Spark portability test and by teams trying the project on Spark before Databricks or EMR: each
raw table becomes a parquet table of the Spark warehouse (a Spark database per raw schema) with the
registry's column types. The rows travel as parquet files that DuckDB writes and Spark reads.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import warehouse_io
from ingestion import raw_tables
from ingestion.raw_tables import LOADED_AT
from warehouse_io.spark import spark_dir, spark_session


def copy_raw_to_spark(duckdb_file: Path, folder: Path | str | None = None) -> dict[str, int]:
    """Create every raw table of the registry in the Spark warehouse in ``folder`` (default
    ``LIFECYCLE_SPARK_DIR``) and fill it from ``duckdb_file``; returns the rows copied per table."""
    counts: dict[str, int] = {}
    spark_dir(folder).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="raw_", dir=spark_dir(folder)))
    try:
        files: dict[str, Path] = {}
        with warehouse_io.connect(duckdb_file, read_only=True) as con:
            for t in raw_tables.RAW_TABLES:
                if not raw_tables.exists_in(con, t):
                    counts[t.qualified_name] = 0
                    continue
                counts[t.qualified_name] = con.execute(f"select count(*) from {t.qualified_name}").fetchone()[0]
                if counts[t.qualified_name]:
                    path = staging / f"{t.schema}.{t.name}.parquet"
                    names = ", ".join([*t.column_names, LOADED_AT])
                    con.execute(f"copy (select {names} from {t.qualified_name}) to '{path}' (format parquet)")
                    files[t.qualified_name] = path
        with spark_session(folder) as spark:
            for t in raw_tables.RAW_TABLES:
                cols = [(c.name, c.sql_type("spark")) for c in t.columns] + [(LOADED_AT, "timestamp")]
                spark.sql(f"create database if not exists {t.schema}")
                spark.sql(f"drop table if exists {t.qualified_name}")
                spark.sql(f"create table {t.qualified_name} ({', '.join(f'{n} {k}' for n, k in cols)}) using parquet")
                if t.qualified_name in files:
                    casts = ", ".join(f"cast({n} as {k}) as {n}" for n, k in cols)
                    spark.sql(f"insert into {t.qualified_name} select {casts} "
                              f"from parquet.`{files[t.qualified_name]}`")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts


__all__ = ["copy_raw_to_spark"]
