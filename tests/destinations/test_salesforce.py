"""Salesforce sync: sObject Collections upsert with per-record results, Bulk API 2.0, mirror deletes."""

from __future__ import annotations

import json

import pytest

from activation import run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, run_counts, sync_config, write_segment
from .salesforce import TOKEN, SalesforceServer

CREDS = {"access_token": TOKEN}
TYPES = {"contact_id": "varchar", "email": "varchar", "first_name": "varchar", "last_name": "varchar",
         "current_stage": "varchar"}


def lead(i: int, **over) -> dict:
    return {"contact_id": f"c{i:05d}", "email": f"lead{i}@example.com", "first_name": "Ann",
            "last_name": f"Smith{i}", "current_stage": "Hot Lead", **over}


def config(url: str, mode: str = "upsert", **destination):
    return sync_config("salesforce_test", {
        "source": {"model": "seg_test_leads", "key": "contact_id"},
        "destination": {"type": "salesforce", "base_url": url, "sobject": "Lead",
                        "external_id_field": "Lifecycle_Contact_Id__c", **destination},
        "mode": mode,
        "mapping": {"Lifecycle_Contact_Id__c": "contact_id", "Email": "email", "FirstName": "first_name",
                    "LastName": "last_name", "Lifecycle_Stage__c": "current_stage"},
        "static": {"Company": "Unknown", "LeadSource": "Lifecycle platform"}, "max_retries": 3})


@pytest.fixture
def server():
    with SalesforceServer() as srv:
        yield srv


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def test_collections_upsert_stores_salesforce_reasons_per_record_and_retries_them(server, wh):
    rows = [lead(i) for i in range(450)]
    rows[3]["last_name"] = None             # Salesforce requires LastName
    rows[250]["email"] = "bad@@example"     # invalid e-mail
    write_segment(wh, "seg_test_leads", rows, TYPES)
    server.fault(nth=2, status=503)

    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert (first.rows_sent, first.rows_failed, first.status) == (448, 2, "partial")
    assert all(len(json.loads(e.body)["records"]) <= 200 for e in server.log if e.method == "PATCH")
    reasons = dict(ops(wh, "select record_key, reason from ops.sync_failures"))
    assert reasons["c00003"].startswith("REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]")
    assert reasons["c00250"].startswith("INVALID_EMAIL_ADDRESS")
    assert ops(wh, "select count(distinct destination_id) from ops.sync_state") == [(448,)]

    rows[3]["last_name"] = "Fixed"
    rows[250]["email"] = "fixed@example.com"
    write_segment(wh, "seg_test_leads", rows, TYPES)
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (second.rows_sent, second.rows_unchanged, second.rows_failed) == (2, 448, 0)
    state = server.state()
    assert len(state) == 450 and state["c00003"]["LastName"] == "Fixed"
    assert state["c00010"]["Company"] == "Unknown" and state["c00010"]["Lifecycle_Stage__c"] == "Hot Lead"


def test_above_the_threshold_the_bulk_api_2_job_accounts_for_every_row(server, wh):
    rows = [lead(i) for i in range(120)]
    rows[7]["last_name"] = None
    write_segment(wh, "seg_test_leads", rows, TYPES)

    result = run_sync(config(server.url, bulk_threshold=50, bulk_poll_seconds=0.05), warehouse=wh, dry_run=False,
                      credentials=CREDS)

    assert (result.rows_sent, result.rows_failed) == (119, 1)
    assert [e.method for e in server.log][:3] == ["POST", "PUT", "PATCH"]
    assert server.hits(r".*/composite/sobjects/.*") == 0
    assert "REQUIRED_FIELD_MISSING" in ops(wh, "select reason from ops.sync_failures")[0][0]
    assert len(server.state()) == 119


def test_mirror_mode_deletes_records_that_left_the_segment(server, wh):
    rows = [lead(i) for i in range(12)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    run_sync(config(server.url, mode="mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
    write_segment(wh, "seg_test_leads", rows[:9], TYPES)
    result = run_sync(config(server.url, mode="mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
    assert result.rows_removed == 3
    assert sorted(server.state()) == [r["contact_id"] for r in rows[:9]]
    assert run_counts(wh, result.sync_run_id) == {"removed": 3, "unchanged": 9}


def test_an_unknown_field_stops_the_run_instead_of_failing_every_record(server, wh):
    write_segment(wh, "seg_test_leads", [lead(1)], TYPES)
    bad = config(server.url)
    bad = bad.model_copy(update={"static": {"Nonexistent__c": "x"}})
    with pytest.raises(Exception, match="INVALID_FIELD"):
        run_sync(bad, warehouse=wh, dry_run=False, credentials=CREDS)
    assert server.hits(".*") == 1
