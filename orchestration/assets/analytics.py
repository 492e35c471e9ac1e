"""The dbt project's Python steps on adapters without dbt Python models (see orchestration.python_fallbacks).

On DuckDB (the default warehouse) the steps are dbt Python models and this asset only records that. When
the dbt target is PostgreSQL or Spark (``LIFECYCLE_DBT_TARGET=postgres`` or ``spark``, read when the run
starts) it computes the Markov removal effects and the BTYD predictions from the tables dbt built, writes
them to the fallback schema, and rebuilds the ``*_fallback`` models and everything downstream of them.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, get_asset_key_for_model

from orchestration.assets.dbt import lifecycle_dbt_assets
from orchestration.python_fallbacks import (
    DOWNSTREAM_SELECTION,
    PYTHON_MODEL_ADAPTERS,
    SPARK_ADAPTERS,
    run_python_fallbacks,
)

TARGET_ENV = "LIFECYCLE_DBT_TARGET"


def _env(name: str, default: str | None = None) -> str | None:
    value = dg.EnvVar(name).get_value()
    return value if value not in (None, "") else default


@dg.asset(
    name="python_model_fallbacks", group_name="intermediate", kinds={"python"},
    deps=[get_asset_key_for_model([lifecycle_dbt_assets], "int_attribution__markov_transitions"),
          get_asset_key_for_model([lifecycle_dbt_assets], "int_customer_value__summary")],
    description="Markov removal effects and BTYD predictions for dbt adapters without Python models.",
)
def python_model_fallbacks(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    target = _env(TARGET_ENV, "duckdb")
    if target in PYTHON_MODEL_ADAPTERS:
        return dg.MaterializeResult(metadata={"target": target, "computed_by": "dbt Python models"})
    if target in SPARK_ADAPTERS:
        from warehouse_io.spark import spark_session

        # the session (and its JVM) ends before dbt starts its own: the Derby metastore takes one at a time
        with spark_session(_env("LIFECYCLE_SPARK_DIR")) as session:
            written = run_python_fallbacks(session)
    else:
        import psycopg2

        connection = psycopg2.connect(host=_env("LIFECYCLE_PG_HOST", "localhost"),
                                      port=_env("LIFECYCLE_PG_PORT", "5432"),
                                      user=_env("LIFECYCLE_PG_USER", "postgres"),
                                      password=_env("LIFECYCLE_PG_PASSWORD", ""),
                                      dbname=_env("LIFECYCLE_PG_DBNAME", "lifecycle"))
        try:
            written = run_python_fallbacks(connection)
        finally:
            connection.close()
    dbt.cli(["build", "--select", *DOWNSTREAM_SELECTION]).wait()
    return dg.MaterializeResult(metadata={"target": target, "computed_by": "Dagster asset", **written})


analytics_assets = [python_model_fallbacks]
