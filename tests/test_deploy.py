"""The production Dagster instance (orchestration/deploy/dagster.yaml) on a real PostgreSQL server.

What the README's "Running it in production" section promises: with DAGSTER_HOME holding that file and
the DAGSTER_PG_* variables set, runs and their event logs are stored in PostgreSQL, the code location of
orchestration/deploy/workspace.yaml loads, and the hourly pipeline schedule can be switched on and stays
on (its state lives in the same database, so a restarted daemon or webserver sees it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pg_server  # tests/ is on sys.path
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "orchestration" / "deploy"
DAGSTER = str(Path(sys.executable).parent / "dagster")

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("deploy")]


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory):
    if pg_server.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed")
    server = pg_server.PgServer.start(tmp_path_factory.mktemp("pg"))
    try:
        server.create_database("dagster")
        home = tmp_path_factory.mktemp("dagster_home")
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
        env = {"DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(server.port),
               "DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster"}
        yield env
    finally:
        server.stop()


def test_runs_are_stored_in_postgres(dagster_home, monkeypatch):
    import dagster as dg

    for k, v in dagster_home.items():
        monkeypatch.setenv(k, v)

    @dg.asset
    def probe() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        result = dg.materialize([probe], instance=instance)
        assert result.success
    # a new instance (a restarted webserver) sees the run
    with dg.DagsterInstance.get() as again:
        runs = again.get_runs()
        assert [r.run_id for r in runs] == [result.run_id] and runs[0].is_success
        assert again.get_latest_materialization_event(dg.AssetKey("probe")) is not None


def test_the_code_location_loads_and_the_hourly_schedule_stays_on(dagster_home):
    env = {**os.environ, **dagster_home}
    workspace = str(DEPLOY / "workspace.yaml")

    def dagster(*args: str) -> str:
        proc = subprocess.run([DAGSTER, *args, "-w", workspace], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc.stdout

    listed = dagster("schedule", "list")
    assert "lifecycle_pipeline_hourly" in listed and "[STOPPED]" in listed  # created stopped, on purpose
    dagster("schedule", "start", "lifecycle_pipeline_hourly")
    running = [line for line in dagster("schedule", "list").splitlines() if "lifecycle_pipeline_hourly" in line]
    assert running and "[RUNNING]" in running[0], running
