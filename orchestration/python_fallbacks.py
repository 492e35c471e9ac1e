"""The Python steps of the dbt project, run outside dbt for adapters without dbt Python models.

On DuckDB (var ``python_model_adapters``) the Markov removal effects and the BTYD predictions are dbt
Python models. dbt-postgres, dbt-spark's session method (and other adapters) cannot run those, so there
the ``*_fallback`` SQL models read tables that :func:`run_python_fallbacks` writes with the same functions
of :mod:`analytics`, over the same input tables (through a DB-API connection or a SparkSession); then the
fallback models and everything downstream are rebuilt (:data:`DOWNSTREAM_SELECTION`). The Dagster asset
``python_model_fallbacks`` calls it after the dbt build when the dbt target is such an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics.btyd import predict_customers
from analytics.markov import removal_effects_by_group

FALLBACK_SCHEMA = "analytics_fallback"
PYTHON_MODEL_ADAPTERS = ("duckdb",)
SPARK_ADAPTERS = ("spark",)  # dbt targets whose warehouse is read through a SparkSession


@dataclass(frozen=True)
class PythonStep:
    model: str                                   # the dbt Python model it stands in for (= the table written)
    source: str                                  # the input table, schema.table
    compute: Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame]
    types: Mapping[str, str]                     # output columns and their SQL types


def _markov(transitions: pd.DataFrame, _vars: Mapping[str, Any]) -> pd.DataFrame:
    effects = removal_effects_by_group(transitions, ["conversion_type", "conversion_name"])
    return effects.rename(columns={"channel": "marketing_channel"})


def _btyd(summary: pd.DataFrame, dbt_vars: Mapping[str, Any]) -> pd.DataFrame:
    defaults = {"clv_prediction_days": 90, "clv_horizon_months": 12, "clv_monthly_discount_rate": 0.01,
                "clv_min_customers": 20, "clv_min_repeat_customers": 5}
    return predict_customers(summary, **{k: float(dbt_vars.get(k, v)) for k, v in defaults.items()})


STEPS = (
    PythonStep("int_attribution__markov_removal_effects", "intermediate.int_attribution__markov_transitions", _markov,
               {"conversion_type": "varchar", "conversion_name": "varchar", "marketing_channel": "varchar",
                "removal_effect": "double precision", "share": "double precision",
                "conversion_probability": "double precision"}),
    PythonStep("int_customer_value__predictions", "intermediate.int_customer_value__summary", _btyd,
               {"contact_id": "varchar", "predicted_purchases": "double precision", "p_alive": "double precision",
                "expected_order_value": "double precision", "predicted_clv": "double precision",
                "btyd_fit_status": "varchar"}),
)
DOWNSTREAM_SELECTION = [f"{step.model}_fallback+" for step in STEPS]


class _DbApi:
    """Reads and writes through a DB-API connection with ``%s`` parameters (psycopg2)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def read(self, table: str) -> pd.DataFrame:
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"select * from {table}")  # noqa: S608 (fixed table names above)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)
        finally:
            cursor.close()

    def write(self, schema: str, step: PythonStep, rows: list[tuple]) -> None:
        columns = list(step.types)
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"drop table if exists {schema}.{step.model}")
            cursor.execute(f"create table {schema}.{step.model} ("
                           + ", ".join(f"{c} {t}" for c, t in step.types.items()) + ")")
            if rows:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"insert into {schema}.{step.model} ({', '.join(columns)}) values ({placeholders})", rows)
            self.connection.commit()
        finally:
            cursor.close()


class _Spark:
    """Reads and writes through a SparkSession (dbt-spark's warehouse, :mod:`warehouse_io.spark`): a Spark
    database per schema, parquet tables."""

    TYPES = {"varchar": "string", "double precision": "double"}

    def __init__(self, session) -> None:
        self.session = session

    def read(self, table: str) -> pd.DataFrame:
        return self.session.table(table).toPandas()

    def write(self, schema: str, step: PythonStep, rows: list[tuple]) -> None:
        ddl = ", ".join(f"{c} {self.TYPES.get(t, t)}" for c, t in step.types.items())
        self.session.sql(f"create database if not exists {schema}")
        self.session.sql(f"drop table if exists {schema}.{step.model}")
        self.session.createDataFrame(rows, schema=ddl).write.format("parquet").saveAsTable(f"{schema}.{step.model}")


def _io(connection) -> _DbApi | _Spark:
    """A SparkSession (pyspark, not imported here: it is an optional extra) or a DB-API connection."""
    if type(connection).__module__.startswith("pyspark."):
        return _Spark(connection)
    return _DbApi(connection)


def _rows(step: PythonStep, frame: pd.DataFrame) -> list[tuple]:
    columns = list(step.types)
    return [tuple(None if pd.isna(v) else (float(v) if step.types[c] == "double precision" else str(v))
                  for c, v in zip(columns, record, strict=True))
            for record in frame[columns].itertuples(index=False, name=None)]


def project_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml (the values the dbt Python models would see without --vars)."""
    import yaml

    from orchestration.dbt import DBT_PROJECT_DIR

    return dict(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()).get("vars") or {})


def run_python_fallbacks(connection, dbt_vars: Mapping[str, Any] | None = None,
                         schema: str = FALLBACK_SCHEMA) -> dict[str, int]:
    """Compute every Python step from its input table and write the results to ``schema``; returns rows
    written per step. ``connection`` is a DB-API connection (``%s`` parameters, e.g. psycopg2) or a
    SparkSession (:func:`warehouse_io.spark.spark_session`). ``dbt_vars`` override the project's vars."""
    dbt_vars = {**project_vars(), **dict(dbt_vars or {})}
    io = _io(connection)
    written = {}
    for step in STEPS:
        rows = _rows(step, step.compute(io.read(step.source), dbt_vars))
        io.write(schema, step, rows)
        written[step.model] = len(rows)
    return written


__all__ = ["DOWNSTREAM_SELECTION", "FALLBACK_SCHEMA", "PYTHON_MODEL_ADAPTERS", "SPARK_ADAPTERS", "STEPS",
           "run_python_fallbacks"]
