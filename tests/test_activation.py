"""The HubSpot hot-leads sync in dry run: exact payloads in the outbox, every row accounted for."""

from __future__ import annotations

import json

import pytest
from activation.hubspot import BATCH_SIZE, UPSERT_PATH, contact_record
from activation.sync import payload_hash

import warehouse_io
from activation import SYNCS, run_sync

SYNC = SYNCS["hubspot_hot_leads"]


def _segment(path, rows):
    with warehouse_io.connect(path) as con:
        con.execute("create schema if not exists marts")
        con.execute("""create or replace table marts.seg_hot_leads (
            contact_id varchar, email varchar, phone varchar, first_name varchar, last_name varchar,
            current_stage varchar, current_stage_entered_at timestamp, funnel_entry_at timestamp)""")
        con.executemany("insert into marts.seg_hot_leads values (?, ?, ?, ?, ?, ?, now(), now())", rows)


def _rows(n_good, n_no_email=0, n_bad_email=0):
    rows = [(f"c{i:04d}", f"  Lead{i}@Example.COM ", f"+4477009{i:05d}", "Ann", None, "Hot Lead")
            for i in range(n_good)]
    rows += [(f"n{i:04d}", None, "+447700900001", "Bob", "Smith", "Hot Lead") for i in range(n_no_email)]
    rows += [(f"b{i:04d}", "not-an-email", None, None, None, "Hot Lead") for i in range(n_bad_email)]
    return rows


def _outbox(result):
    return [json.loads(line) for line in result.outbox_path.read_text().splitlines()]


def test_dry_run_writes_exact_batched_payloads_and_accounts_for_every_row(tmp_path):
    wh = tmp_path / "w.duckdb"
    _segment(wh, _rows(250, n_no_email=3, n_bad_email=2))

    result = run_sync(SYNC, warehouse_file=wh, dry_run=True)

    assert (result.rows_total, result.rows_sent, result.rows_skipped, result.rows_unchanged) == (255, 250, 5, 0)
    requests = _outbox(result)
    assert [len(r["body"]["inputs"]) for r in requests] == [BATCH_SIZE, BATCH_SIZE, 50]
    assert {(r["method"], r["path"]) for r in requests} == {("POST", UPSERT_PATH)}
    first = requests[0]["body"]["inputs"][0]
    assert first == {"id": "lead0@example.com", "idProperty": "email",
                     "properties": {"email": "lead0@example.com", "firstname": "Ann", "phone": "+447700900000",
                                    "lifecyclestage": "salesqualifiedlead"}}
    assert result.skip_reasons == {"no email: HubSpot upserts contacts by email": 3,
                                   "email is not a valid address": 2}
    with warehouse_io.connect(wh, read_only=True) as con:
        run = con.execute("select status, mode, rows_total, rows_sent, rows_skipped, requests, outbox_path "
                          "from ops.sync_runs").fetchall()
        statuses = dict(con.execute("select status, count(*) from ops.sync_records group by 1").fetchall())
        state = con.execute("select count(*) from ops.sync_state").fetchone()[0]
    assert run == [("success", "dry_run", 255, 250, 5, 3, str(result.outbox_path))]
    assert statuses == {"would_send": 250, "skipped": 5}
    assert state == 0  # a dry run sends nothing, so nothing counts as synced


def test_rows_unchanged_since_last_successful_sync_are_not_sent(tmp_path):
    wh = tmp_path / "w.duckdb"
    rows = _rows(5)
    _segment(wh, rows)
    synced = contact_record(dict(zip(["contact_id", "email", "phone", "first_name", "last_name", "current_stage"],
                                     rows[0], strict=True)))
    with warehouse_io.connect(wh) as con:
        from activation.sync import _ensure_tables

        _ensure_tables(con)
        con.execute("insert into ops.sync_state values (?, ?, ?, now(), 'earlier-run')",
                    [SYNC.name, synced.key, payload_hash(synced.payload)])

    result = run_sync(SYNC, warehouse_file=wh, dry_run=True)

    assert (result.rows_sent, result.rows_unchanged) == (4, 1)
    sent_keys = [i["id"] for r in _outbox(result) for i in r["body"]["inputs"]]
    assert "lead0@example.com" not in sent_keys and len(sent_keys) == 4


def test_each_run_is_logged_and_a_missing_segment_fails_loudly(tmp_path):
    wh = tmp_path / "w.duckdb"
    with pytest.raises(LookupError, match="marts.seg_hot_leads does not exist"):
        run_sync(SYNC, warehouse_file=wh, dry_run=True)
    _segment(wh, _rows(2))
    run_sync(SYNC, warehouse_file=wh, dry_run=True)
    run_sync(SYNC, warehouse_file=wh, dry_run=True)
    with warehouse_io.connect(wh, read_only=True) as con:
        runs = con.execute("select status, error is not null from ops.sync_runs order by started_at").fetchall()
    assert runs == [("failed", True), ("success", False), ("success", False)]


def test_live_mode_is_refused_until_destinations_exist(tmp_path):
    with pytest.raises(NotImplementedError):
        run_sync(SYNC, warehouse_file=tmp_path / "w.duckdb", dry_run=False)
