"""The same dbt project on a real PostgreSQL server gives the same marts as on DuckDB."""

from __future__ import annotations

import pg_server  # noqa: E402  (tests/ is on sys.path)
import pytest

import warehouse_io
from ingestion.postgres_copy import copy_raw_to_postgres
from orchestration.dbt import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# marts whose content must not depend on the engine
COMPARED = {
    "marts.dim_contacts": "select count(*), count(distinct contact_id), count(current_stage) from {t}",
    "marts.fct_lifecycle_stage_spells": "select count(*), count(distinct contact_id), sum(case when is_current then 1 else 0 end) from {t}",
    "marts.fct_conversations": "select count(*), count(first_response_seconds), sum(first_response_seconds) from {t}",
    "marts.rpt_lifecycle_funnel": "select count(*) from {t}",
    "marts.seg_hot_leads": "select count(*) from {t}",
}


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    if pg_server.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed (.ci/run installs them)")
    server = pg_server.PgServer.start(tmp_path_factory.mktemp("pg"))
    yield server
    server.stop()


def test_dbt_build_on_postgres_matches_duckdb(postgres, demo_warehouse, tmp_path):
    import psycopg2

    postgres.create_database("lifecycle")
    copied = copy_raw_to_postgres(demo_warehouse, postgres.dsn("lifecycle"))
    assert copied["raw_respondio.contacts"] > 0

    run_dbt(["build"], target="postgres", target_path=tmp_path / "target",
            env=postgres.env("lifecycle"))

    pg = psycopg2.connect(postgres.dsn("lifecycle"))
    try:
        with warehouse_io.connect(demo_warehouse, read_only=True) as duck, pg.cursor() as cur:
            for table, sql in COMPARED.items():
                expected = duck.execute(sql.format(t=table)).fetchone()
                cur.execute(sql.format(t=table))
                got = cur.fetchone()
                assert tuple(float(x or 0) for x in got) == pytest.approx(tuple(float(x or 0) for x in expected)), table
    finally:
        pg.close()
