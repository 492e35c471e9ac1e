"""respond.io broadcast-list sync: tag the segment, untag who left, set stages, never tag an opted-out contact."""

from __future__ import annotations

import pytest

from activation import run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, sync_config, write_segment
from .respondio import TOKEN, RespondIoServer

CREDS = {"api_token": TOKEN}
TYPES = {"contact_id": "varchar", "phone": "varchar", "email": "varchar", "first_name": "varchar",
         "current_stage": "varchar", "reachable_channels": "varchar"}
TAG = "lc-winback"


def person(i: int, **over) -> dict:
    return {"contact_id": f"c{i}", "phone": f"+4477009{i:05d}", "email": f"p{i}@example.com", "first_name": "Ann",
            "current_stage": "Customer", "reachable_channels": "whatsapp,email", **over}


def config(url: str, mode: str = "mirror"):
    return sync_config("respondio_test", {
        "source": {"model": "seg_test_winback", "key": "contact_id"},
        "destination": {"type": "respondio", "base_url": url + "/v2", "identifier": "phone", "tag": TAG,
                        "lifecycle_column": "current_stage", "channel": "whatsapp"},
        "mode": mode, "mapping": {"phone": "phone", "email": "email", "firstName": "first_name"},
        "concurrency": 4, "rate_limit": {"requests": 50, "per_seconds": 1}, "max_retries": 6})


@pytest.fixture
def server():
    with RespondIoServer(rate=20) as srv:
        yield srv


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def test_the_tag_follows_the_segment_and_opted_out_contacts_are_never_tagged(server, wh):
    rows = [person(i) for i in range(40)]
    rows[5]["reachable_channels"] = "email"          # opted out of WhatsApp
    rows[6]["reachable_channels"] = None
    rows[7]["phone"] = "07700 900123"                # not E.164: cannot be an identifier
    write_segment(wh, "seg_test_winback", rows, TYPES)
    server.reject = {"phone:+447700900020": "Invalid phone number"}

    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert (first.rows_sent, first.rows_skipped, first.rows_failed) == (36, 3, 1)
    assert first.rate_limited > 0  # 429 + Retry-After from the per-method limit, honoured
    assert dict(first.skip_reasons) == {"not reachable on whatsapp (opted out, or never used it)": 2,
                                        "phone is not in E.164 (+ and digits)": 1}
    want = {r["phone"] for i, r in enumerate(rows) if i not in (5, 6, 7, 20)}
    assert server.tagged(TAG) == want
    assert "+447700900005" not in {c.get("phone") for c in server.contacts.values()}
    assert {c["lifecycle"] for c in server.contacts.values()} == {"Customer"}
    assert "Invalid phone number" in ops(wh, "select reason from ops.sync_failures")[0][0]

    # five leave the segment, one changes stage: untag the five, update the one, touch nobody else
    server.reject = {}
    rows[1]["current_stage"] = "Payment"
    kept = [r for i, r in enumerate(rows) if i not in (30, 31, 32, 33, 34)]
    write_segment(wh, "seg_test_winback", kept, TYPES)
    server.log.clear()
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (second.rows_removed, second.rows_sent) == (5, 2)  # c1 changed, c20 retried
    assert server.tagged(TAG) == want - {rows[i]["phone"] for i in range(30, 35)} | {rows[20]["phone"]}
    paths = [(e.method, e.path) for e in server.log if e.status == 200]
    assert sum(1 for m, p in paths if m == "DELETE") == 5
    assert ("POST", "/v2/contact/phone:+447700900001/lifecycle/update") in paths
    assert ("POST", "/v2/contact/phone:+447700900001/tag") not in paths  # already tagged


def test_update_only_tags_known_contacts_and_skips_unknown_ones(server, wh):
    write_segment(wh, "seg_test_winback", [person(1), person(2)], TYPES)
    run_sync(config(server.url, mode="upsert"), warehouse=wh, dry_run=False, credentials=CREDS)
    server.contacts[1]["tags"].clear()
    write_segment(wh, "seg_test_winback", [person(1, first_name="Bo"), person(2, first_name="Bo"), person(3)], TYPES)
    result = run_sync(config(server.url, mode="update_only"), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.rows_sent, result.rows_skipped) == (2, 1)
    assert dict(result.skip_reasons) == {"not in respond.io (mode update_only creates nothing)": 1}
    assert len(server.contacts) == 2 and server.tagged(TAG) == {"+447700900001", "+447700900002"}


def test_a_contact_whose_id_changed_stays_tagged(server, wh):
    """Identity resolution merges records and a contact can get a new contact_id (the sync key) while its
    phone stays: the new key is tagged and the old key leaves the segment. Untagging the old key would
    untag the same respond.io contact, and it would stay untagged (its new key is unchanged afterwards)."""
    write_segment(wh, "seg_test_winback", [person(1), person(2)], TYPES)
    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert first.rows_sent == 2 and server.tagged(TAG) == {"+447700900001", "+447700900002"}

    write_segment(wh, "seg_test_winback", [person(1, contact_id="merged-1"), person(2)], TYPES)
    # the dry run shows what the live run does: the new key's payload names the same contact, so the old
    # key only leaves (no untag in its outbox), though no state says so before the live run commits it
    preview = run_sync(config(server.url), warehouse=wh, dry_run=True, credentials=CREDS)
    assert (preview.rows_sent, preview.rows_removed, preview.rows_left, preview.rows_unchanged) == (1, 0, 1, 1)
    assert "DELETE" not in preview.outbox_path.read_text()
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert server.tagged(TAG) == {"+447700900001", "+447700900002"}
    assert (second.rows_sent, second.rows_removed, second.rows_left, second.rows_unchanged) == (1, 0, 1, 1)
    assert ops(wh, "select record_key, status, reason from ops.sync_records where sync_run_id = ? "
                   "and status = 'left'", [second.sync_run_id]) == [
        ("c1", "left", "left the segment; another key in the segment holds the same destination record")]
    assert ops(wh, "select record_key from ops.sync_state order by 1") == [("c2",), ("merged-1",)]

    third = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (third.rows_sent, third.rows_removed, third.rows_unchanged) == (0, 0, 2)
    assert server.tagged(TAG) == {"+447700900001", "+447700900002"}
