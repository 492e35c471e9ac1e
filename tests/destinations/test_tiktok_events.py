"""TikTok Events API 2.0 sync against a server with TikTok's contract."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from activation import run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, sync_config, write_segment
from .tiktok_events import SOURCE_ID, TOKEN, TikTokEventsServer

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
TYPES = {"event_id": "varchar", "event_name": "varchar", "event_time": "timestamp", "value": "double",
         "currency": "varchar", "contact_id": "varchar", "email": "varchar", "phone": "varchar", "ttclid": "varchar"}
CREDS = {"access_token": TOKEN, "event_source_id": SOURCE_ID}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def event(i: int, **over) -> dict:
    purchase = i % 2 == 0
    row = {"event_id": f"{'purchase' if purchase else 'lead'}:{i}", "event_name": "Purchase" if purchase else "Lead",
           "event_time": NOW - timedelta(hours=2), "value": 10.0 + i if purchase else None,
           "currency": "EUR" if purchase else None, "contact_id": f"c{i}", "email": f" Fan{i}@Example.com ",
           "phone": f"+3361234{i % 10000:04d}", "ttclid": f"E.C.P.{i}" if i % 5 == 0 else None}
    row.update(over)
    return row


def config(url: str, **extra):
    return sync_config("tiktok_test", {
        "source": {"model": "seg_test_events", "key": "event_id"},
        "destination": {"type": "tiktok_events", "base_url": url},
        "mode": "append",
        "mapping": {"event_id": "event_id", "event_name": "event_name", "event_time": "event_time", "value": "value",
                    "currency": "currency", "email": "email", "phone": "phone", "external_id": "contact_id",
                    "ttclid": "ttclid"},
        "max_retries": 4, **extra})


@pytest.fixture
def server():
    with TikTokEventsServer() as srv:
        yield srv


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def test_events_reach_tiktok_once_through_rate_limits_5xx_and_a_rejected_event(server, wh):
    rows = [event(i) for i in range(2200)]
    write_segment(wh, "seg_test_events", rows, TYPES)
    server.poison = {"lead:777"}
    server.rate_limited_calls = {2}
    server.fault(nth=4, status=500)

    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert (first.rows_sent, first.rows_failed) == (2199, 1)
    assert first.rate_limited >= 1 and first.batches_split >= 10
    assert all(len(json.loads(e.body)["data"]) <= 1000 for e in server.log)
    reason = ops(wh, "select reason from ops.sync_failures")[0][0]
    assert "40002" in reason and "invalid value" in reason
    ev = server.state()["purchase:0"]
    assert ev["event"] == "CompletePayment" and server.state()["lead:1"]["event"] == "SubmitForm"
    assert ev["user"] == {"email": sha("fan0@example.com"), "phone": sha("+33612340000"),
                          "external_id": sha("c0"), "ttclid": "E.C.P.0"}
    assert ev["properties"] == {"value": 10.0, "currency": "EUR"}

    server.poison = set()
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (second.rows_sent, second.rows_unchanged) == (1, 2199)
    assert set(server.state()) == {r["event_id"] for r in rows}
    assert max(server.received.values()) == 1


def test_an_invalid_access_token_stops_the_run(server, wh):
    write_segment(wh, "seg_test_events", [event(1)], TYPES)
    with pytest.raises(Exception, match="TikTok refused the access token"):
        run_sync(config(server.url), warehouse=wh, dry_run=False, credentials={**CREDS, "access_token": "x"})
