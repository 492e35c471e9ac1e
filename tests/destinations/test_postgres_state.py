"""The sync engine with its state on a real PostgreSQL warehouse (the dbt profile's `postgres` target)."""

from __future__ import annotations

from datetime import datetime

import pg_server
import pytest

from activation import SyncAlreadyRunning, run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, run_counts, sync_config, write_segment
from .hubspot import TOKEN, HubSpotServer

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres_state")]
CREDS = {"access_token": TOKEN}
TYPES = {"contact_id": "varchar", "email": "varchar", "first_name": "varchar", "current_stage": "varchar",
         "entered_at": "timestamp", "score": "double", "is_vip": "boolean"}


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    if pg_server.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed (.ci/run installs them)")
    server = pg_server.PgServer.start(tmp_path_factory.mktemp("pg"))
    yield server
    server.stop()


@pytest.fixture
def wh(postgres, request):
    name = "w_" + request.node.name[:40].lower().replace("[", "_").replace("]", "")
    postgres.create_database(name)
    return WarehouseTarget.postgres(host="127.0.0.1", port=postgres.port, user="postgres", dbname=name)


def lead(i: int, **over) -> dict:
    return {"contact_id": f"c{i:05d}", "email": f"lead{i}@example.com", "first_name": "Ann", "current_stage": "Hot Lead",
            "entered_at": datetime(2026, 5, 1, 10, 0, 0, 123000), "score": 0.5, "is_vip": False, **over}


def config(url: str, mode: str = "upsert"):
    return sync_config("hubspot_pg", {
        "source": {"model": "seg_test_leads", "key": "contact_id"},
        "destination": {"type": "hubspot", "base_url": url, "stage_column": "current_stage",
                        "lifecycle_stages": {"Hot Lead": "salesqualifiedlead", "Customer": "customer"}},
        "mode": mode, "max_retries": 4,
        "mapping": {"email": "email", "firstname": "first_name", "hs_lead_score": "score", "vip": "is_vip",
                    "stage_entered": "entered_at"}})


def test_state_diff_failures_and_mirror_on_postgresql(wh):
    rows = [lead(i) for i in range(300)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    with HubSpotServer() as srv:
        srv.fault(nth=1, status=429, headers={"Retry-After": "0.1"})
        srv.reject = {"lead5@example.com": "Property values were not valid: vip"}
        first = run_sync(config(srv.url, "mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
        assert (first.rows_sent, first.rows_failed, first.status) == (299, 1, "partial")
        assert ops(wh, "select record_key, attempts from ops.sync_failures") == [("c00005", 1)]

        again = run_sync(config(srv.url, "mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
        assert (again.rows_sent, again.rows_failed, again.rows_unchanged) == (0, 1, 299)
        assert ops(wh, "select attempts from ops.sync_failures") == [(2,)]

        srv.reject = {}
        rows[10]["score"] = 0.75          # a change that touches no timestamp
        rows[11]["is_vip"] = True
        rows[12]["entered_at"] = datetime(2026, 5, 1, 10, 0, 0, 124000)
        write_segment(wh, "seg_test_leads", rows[:290], TYPES)
        third = run_sync(config(srv.url, "mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
        assert (third.rows_sent, third.rows_removed, third.rows_unchanged) == (4, 10, 286)
        assert run_counts(wh, third.sync_run_id) == {"sent": 4, "removed": 10, "unchanged": 286}
        assert set(srv.state()) == {r["email"] for r in rows[:290]}
        assert srv.state()["lead11@example.com"]["vip"] == "true"
        assert ops(wh, "select count(*) from ops.sync_failures") == [(0,)]
        assert ops(wh, "select count(*) from ops.sync_state where sync_name = 'hubspot_pg'") == [(290,)]

        dry = run_sync(config(srv.url, "mirror"), warehouse=wh, dry_run=True)
        assert (dry.rows_sent, dry.rows_unchanged, dry.requests) == (0, 290, 0)


def test_an_empty_segment_and_a_second_runner_on_postgresql(wh):
    write_segment(wh, "seg_test_leads", [], TYPES)
    with HubSpotServer() as srv:
        result = run_sync(config(srv.url), warehouse=wh, dry_run=False, credentials=CREDS)
        assert (result.status, result.rows_total, result.requests) == ("success", 0, 0)
        # a live lock of another process blocks a second run of the same sync
        with wh.open() as db:
            db.execute("insert into ops.sync_locks values ('hubspot_pg', 'other-run', 'elsewhere:1', now(), now())")
        with pytest.raises(SyncAlreadyRunning, match="already running"):
            run_sync(config(srv.url), warehouse=wh, dry_run=False, credentials=CREDS)
