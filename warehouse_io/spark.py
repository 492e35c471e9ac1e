"""A local Apache Spark warehouse: the SparkSession that dbt-spark's ``session`` method also runs.

dbt-spark (``LIFECYCLE_DBT_TARGET=spark``) starts Spark inside the dbt process with the
``server_side_parameters`` of the profile's ``spark`` output; the tables outlive the process because the
warehouse (parquet files) and the Hive metastore (embedded Derby) live in ``LIFECYCLE_SPARK_DIR``. The raw
copy (:mod:`ingestion.spark_copy`), the Python fallbacks and the tests open the same warehouse with
:func:`spark_session`, configured from that same profile entry, so there is one configuration.

Embedded Derby admits one JVM at a time: close the session (leave the ``with`` block) before dbt runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROFILES_FILE = Path(__file__).resolve().parent.parent / "dbt_project" / "profiles.yml"
SPARK_DIR_ENV = "LIFECYCLE_SPARK_DIR"
DEFAULT_SPARK_DIR = "warehouse/spark"


def spark_dir(folder: Path | str | None = None) -> Path:
    """The folder of the warehouse and metastore: ``folder``, else ``LIFECYCLE_SPARK_DIR``, else the default."""
    return Path(folder or os.environ.get(SPARK_DIR_ENV) or DEFAULT_SPARK_DIR).resolve()


def session_settings(folder: Path | str | None = None) -> dict[str, str]:
    """The profile's ``spark`` server_side_parameters, rendered for the warehouse in ``folder``."""
    import jinja2
    import yaml

    output = yaml.safe_load(PROFILES_FILE.read_text())["lifecycle"]["outputs"]["spark"]
    where = str(spark_dir(folder))

    def env_var(name: str, default: str | None = None) -> str:
        if name == SPARK_DIR_ENV:
            return where
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"{PROFILES_FILE}: env_var('{name}') is not set")
        return value

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {str(k): env.from_string(str(v)).render(env_var=env_var)
            for k, v in output["server_side_parameters"].items()}


def spark_env(folder: Path | str) -> dict[str, str]:
    """Environment variables that point dbt's ``spark`` target at the warehouse in ``folder``."""
    return {"LIFECYCLE_DBT_TARGET": "spark", SPARK_DIR_ENV: str(spark_dir(folder))}


@contextmanager
def spark_session(folder: Path | str | None = None, extra: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A SparkSession on the warehouse in ``folder`` (see :func:`spark_dir`); on exit the session and its
    JVM are stopped, which releases the Derby metastore for the next process (dbt)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    Path(spark_dir(folder)).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in {**session_settings(folder), **dict(extra or {})}.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()
        gateway = SparkContext._gateway
        if gateway is not None:
            # the JVM exits when its stdin closes (pyspark's launcher); Derby's lock goes with it
            gateway.shutdown()
            proc = getattr(gateway, "proc", None)
            if proc is not None:
                proc.stdin.close()
                proc.wait(timeout=60)
            SparkContext._gateway = None
            SparkContext._jvm = None


__all__ = ["SPARK_DIR_ENV", "session_settings", "spark_dir", "spark_env", "spark_session"]
