"""HubSpot sync against a server speaking HubSpot's batch contract, with faults injected."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from activation import run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, run_counts, sync_config, write_segment
from .hubspot import TOKEN, HubSpotServer

CREDS = {"access_token": TOKEN}
STAGES = {"New Lead": "lead", "Hot Lead": "salesqualifiedlead", "Payment": "opportunity", "Customer": "customer"}


def lead(i: int, stage: str = "Hot Lead", first: str = "Ann") -> dict:
    return {"contact_id": f"c{i:05d}", "email": f"Lead{i}@Example.com", "phone": f"+4477009{i:05d}",
            "first_name": first, "last_name": None, "current_stage": stage,
            "current_stage_entered_at": datetime(2026, 5, 1, 10, 0)}


TYPES = {"contact_id": "varchar", "email": "varchar", "phone": "varchar", "first_name": "varchar",
         "last_name": "varchar", "current_stage": "varchar", "current_stage_entered_at": "timestamp"}


def config(url: str, mode: str = "upsert", **extra):
    body = {"source": {"model": "seg_test_leads", "key": "contact_id"},
            "destination": {"type": "hubspot", "base_url": url, "id_property": "email",
                            "stage_column": "current_stage", "lifecycle_stages": STAGES},
            "mode": mode, "mapping": {"email": "email", "firstname": "first_name", "lastname": "last_name",
                                      "phone": "phone"}, "max_retries": 4, **extra}
    return sync_config("hubspot_test", body)


@pytest.fixture
def server():
    with HubSpotServer() as srv:
        yield srv


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def expected(rows):
    return {r["email"].lower(): r for r in rows}


def assert_server_equals_segment(srv, rows):
    state = srv.state()
    want = expected(rows)
    assert set(state) == set(want)
    for email, row in want.items():
        props = state[email]
        assert props["firstname"] == row["first_name"]
        assert props["phone"] == row["phone"]
        assert props["lifecyclestage"] == STAGES[row["current_stage"]]


def test_faults_per_record_and_whole_batch_rejections_then_retry_reaches_the_segment_exactly(server, wh):
    rows = [lead(i) for i in range(250)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    server.fault(nth=2, status=429, headers={"Retry-After": "0.2"},
                 body={"status": "error", "policyName": "TEN_SECONDLY_ROLLING"})
    server.fault(nth=3, status=503)
    server.fault(nth=4, status=502)
    server.reject = {"lead7@example.com": "Property values were not valid: phone",
                     "lead130@example.com": "Property values were not valid: firstname"}
    server.reject_batch = {"lead201@example.com"}

    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert first.status == "partial"
    assert (first.rows_total, first.rows_sent, first.rows_failed, first.rows_skipped) == (250, 247, 3, 0)
    assert first.rows_sent + first.rows_unchanged + first.rows_skipped + first.rows_failed == first.rows_total
    assert first.retries >= 3 and first.batches_split >= 1
    assert run_counts(wh, first.sync_run_id) == {"sent": 247, "failed": 3}
    failures = dict(ops(wh, "select record_key, reason from ops.sync_failures"))
    assert set(failures) == {"c00007", "c00130", "c00201"}
    assert "VALIDATION_ERROR" in failures["c00007"] and "phone" in failures["c00007"]
    assert "Email address is invalid" in failures["c00201"]
    assert "@" not in "".join(failures.values())  # the destination's reason, without personal values
    assert len(server.state()) == 247
    assert ops(wh, "select distinct attempts from ops.sync_failures") == [(1,)]

    # the destination accepts them now: the next run sends exactly the three failed rows, with their current values
    server.reject, server.reject_batch = {}, set()
    rows[7]["first_name"] = "Zoe"
    write_segment(wh, "seg_test_leads", rows, TYPES)
    writes_before = server.writes
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (second.status, second.rows_sent, second.rows_unchanged, second.rows_failed) == ("success", 3, 247, 0)
    assert server.writes - writes_before == 3
    assert_server_equals_segment(server, rows)
    assert ops(wh, "select count(*) from ops.sync_failures") == [(0,)]


def test_second_run_sends_nothing_and_one_percent_changed_sends_exactly_those(server, wh):
    rows = [lead(i) for i in range(1000)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    requests_after_first = server.requests_seen

    again = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (again.rows_sent, again.rows_unchanged, again.requests) == (0, 1000, 0)
    assert server.requests_seen == requests_after_first

    changed = list(range(0, 1000, 100))  # 10 rows = 1%
    for i in changed[:5]:
        rows[i]["first_name"] = "Changed"        # a change that touches no timestamp
    for i in changed[5:]:
        rows[i]["current_stage"] = "Payment"
    write_segment(wh, "seg_test_leads", rows, TYPES)
    writes_before = server.writes
    third = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (third.rows_sent, third.rows_unchanged) == (10, 990)
    assert server.writes - writes_before == 10
    sent = {k for (k,) in ops(wh, "select record_key from ops.sync_records where sync_run_id = ? and status = 'sent'",
                              [third.sync_run_id])}
    assert sent == {f"c{i:05d}" for i in changed}
    assert_server_equals_segment(server, rows)


def test_mirror_mode_archives_contacts_that_left_the_segment(server, wh):
    rows = [lead(i) for i in range(30)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    run_sync(config(server.url, mode="mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
    assert len(server.state()) == 30

    kept = rows[:25]
    write_segment(wh, "seg_test_leads", kept, TYPES)
    result = run_sync(config(server.url, mode="mirror"), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.rows_removed, result.rows_sent, result.rows_unchanged) == (5, 0, 25)
    assert_server_equals_segment(server, kept)
    assert run_counts(wh, result.sync_run_id) == {"removed": 5, "unchanged": 25}
    assert ops(wh, "select count(*) from ops.sync_state") == [(25,)]


def test_upsert_mode_reports_rows_that_left_without_touching_the_destination(server, wh):
    rows = [lead(i) for i in range(10)]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    write_segment(wh, "seg_test_leads", rows[:8], TYPES)
    result = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.rows_left, result.rows_removed, result.rows_total) == (2, 0, 8)
    assert len(server.state()) == 10
    reasons = ops(wh, "select distinct reason from ops.sync_records where sync_run_id = ? and status = 'left'",
                  [result.sync_run_id])
    assert reasons == [("left the segment; kept in the destination (mode upsert)",)]


def test_backward_stage_moves_clear_then_set_the_lifecycle_stage(server, wh):
    rows = [lead(0, stage="Customer"), lead(1, stage="Hot Lead"), lead(2, stage="Hot Lead")]
    write_segment(wh, "seg_test_leads", rows, TYPES)
    run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    # someone moves contact 1 forward in HubSpot meanwhile; the platform moves contact 0 back to Hot Lead
    server.contacts["lead1@example.com"]["properties"]["lifecyclestage"] = "customer"
    rows[0]["current_stage"] = "Hot Lead"
    rows[1]["first_name"] = "Bea"
    write_segment(wh, "seg_test_leads", rows, TYPES)
    server.log.clear()

    result = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert (result.status, result.rows_sent) == ("success", 2)
    assert_server_equals_segment(server, rows)
    bodies = [json.loads(e.body)["inputs"] for e in server.log]
    clears = [i["objectWriteTraceId"] for b in bodies for i in b if i["properties"] == {"lifecyclestage": ""}]
    assert sorted(clears) == ["c00000", "c00001"]  # 0 known backward from the state, 1 from HubSpot's answer


def test_update_only_skips_contacts_hubspot_does_not_have(server, wh):
    rows = [lead(i) for i in range(4)]
    write_segment(wh, "seg_test_leads", rows[:2], TYPES)
    run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    write_segment(wh, "seg_test_leads", rows, TYPES)
    result = run_sync(config(server.url, mode="update_only"), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.rows_sent, result.rows_skipped, result.rows_failed) == (2, 2, 0)
    assert set(server.state()) == {"lead0@example.com", "lead1@example.com"}
    assert dict(result.skip_reasons) == {"not in HubSpot (mode update_only creates nothing)": 2}


def test_dry_run_outbox_is_byte_identical_to_what_the_live_path_sends(server, wh, tmp_path):
    rows = [lead(i) for i in range(230)] + [{**lead(900), "email": None}, {**lead(901), "email": "not-an-email"}]
    write_segment(wh, "seg_test_leads", rows, TYPES)

    dry = run_sync(config(server.url), warehouse=wh, dry_run=True, outbox_dir=tmp_path / "outbox")
    assert server.requests_seen == 0
    assert ops(wh, "select count(*) from ops.sync_state") == [(0,)]  # a dry run changes no state
    assert (dry.rows_sent, dry.rows_skipped) == (230, 2)
    lines = [json.loads(x) for x in dry.outbox_path.read_text().splitlines()]

    live = run_sync(config(server.url, concurrency=1), warehouse=wh, dry_run=False, credentials=CREDS)
    assert live.rows_sent == 230
    sent = [e.body for e in server.log]
    assert [line["body"].encode("utf-8") for line in lines] == sent
    assert all(TOKEN not in x for x in dry.outbox_path.read_text().splitlines())
    preview = json.loads(dry.preview_path.read_text())
    assert preview["counts"]["would_send"] == 230 and preview["skip_reasons"] == {
        "no email: HubSpot upserts contacts by email": 1, "email is not a valid address": 1}
    assert "lead0@example.com" not in dry.preview_path.read_text()


def test_an_empty_segment_is_a_successful_run_of_zero_rows(server, wh):
    write_segment(wh, "seg_test_leads", [], TYPES)
    result = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.status, result.rows_total, result.requests) == ("success", 0, 0)
    assert ops(wh, "select status, rows_total from ops.sync_runs") == [("success", 0)]


def test_bad_credentials_fail_the_run_and_log_it_without_the_token(server, wh):
    write_segment(wh, "seg_test_leads", [lead(1)], TYPES)
    with pytest.raises(Exception, match="HubSpot refused the credentials") as info:
        run_sync(config(server.url), warehouse=wh, dry_run=False, credentials={"access_token": "wrong-token-123"})
    assert "wrong-token-123" not in str(info.value)
    status, error = ops(wh, "select status, error from ops.sync_runs")[0]
    assert status == "failed" and "refused the credentials" in error and "wrong-token-123" not in error
    assert ops(wh, "select count(*) from ops.sync_locks") == [(0,)]
