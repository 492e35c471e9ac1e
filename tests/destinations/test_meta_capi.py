"""Meta Conversions API: Meta's normalisation and hashing, and syncs against a server with Meta's contract."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from activation import run_sync
from activation.destinations.meta_capi import hash_user_data
from warehouse_io import WarehouseTarget

from .helpers import ops, run_counts, sync_config, write_segment
from .meta_capi import DATASET, TOKEN, MetaCapiServer


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- normalisation and hashing, with the examples of Meta's customer information parameters ------------
def test_phone_is_normalised_to_e164_digits_with_the_default_region_before_hashing():
    assert hash_user_data({"ph": "(650) 555-1212"}, "US") == {"ph": sha("16505551212")}
    assert hash_user_data({"ph": "+1 (650) 555-1212"}, None) == {"ph": sha("16505551212")}
    assert hash_user_data({"ph": "07700 900123"}, "GB") == {"ph": sha("447700900123")}
    assert hash_user_data({"ph": "0044 7700 900123"}, "GB") == {"ph": sha("447700900123")}
    assert hash_user_data({"ph": "+447700900123"}, None) == {"ph": sha("447700900123")}


def test_email_is_trimmed_and_lower_cased_before_hashing():
    assert hash_user_data({"em": "  John.Smith@Example.COM "}, None) == {"em": sha("john.smith@example.com")}
    assert hash_user_data({"em": ["A@B.co", " c@d.org"]}, None) == {"em": [sha("a@b.co"), sha("c@d.org")]}


def test_names_places_and_ids_follow_metas_rules():
    got = hash_user_data({"fn": "  Mary-Ann ", "ln": "O'Brien", "ct": "New York", "st": "California",
                          "zp": "94025-1234", "country": "US", "external_id": "  crm-123 ", "ge": "Female",
                          "db": "1985-02-01"}, None)
    assert got == {"fn": sha("maryann"), "ln": sha("obrien"), "ct": sha("newyork"), "st": sha("ca"),
                   "zp": sha("94025"), "country": sha("us"), "external_id": sha("crm-123"), "ge": sha("f"),
                   "db": sha("19850201")}
    assert hash_user_data({"st": "NY", "zp": "SW1A 1AA", "country": "gb"}, None) == {
        "st": sha("ny"), "zp": sha("sw1a1aa"), "country": sha("gb")}
    assert hash_user_data({"fn": "José"}, None) == {"fn": sha("josé")}


def test_click_ids_ip_and_user_agent_are_never_hashed_and_hashes_are_kept():
    already = sha("someone@example.com")
    got = hash_user_data({"ctwa_clid": " ARAkLkA8rmlF ", "fbc": "fb.1.1554763741205.AbCdEf", "fbp": "fb.1.1.2",
                          "client_ip_address": "203.0.113.9", "client_user_agent": "Mozilla/5.0", "em": already}, None)
    assert got == {"ctwa_clid": "ARAkLkA8rmlF", "fbc": "fb.1.1554763741205.AbCdEf", "fbp": "fb.1.1.2",
                   "client_ip_address": "203.0.113.9", "client_user_agent": "Mozilla/5.0", "em": already}


def test_a_value_that_cannot_be_normalised_is_left_out_and_logged_without_the_value(caplog):
    caplog.set_level(logging.DEBUG, logger="activation.meta_capi")
    got = hash_user_data({"ph": "555-1212 ext", "em": "not-an-email", "country": "Freedonia", "fn": "Ann",
                          "favourite_colour": "blue"}, None)
    assert got == {"fn": sha("ann")}
    text = caplog.text
    assert "user_data.ph left out" in text and "user_data.em left out" in text and "user_data.country" in text
    assert "555-1212" not in text and "not-an-email" not in text and "Freedonia" not in text



def test_cached_hashes_tell_equal_values_of_different_types_and_blank_values_apart(caplog):
    caplog.set_level(logging.DEBUG, logger="activation.meta_capi")
    # 1, 1.0 and True are one dict key in Python; their normalised texts differ, so must their hashes
    assert [hash_user_data({"external_id": v}, None) for v in (1, 1.0, True, "1")] == [
        {"external_id": sha("1")}, {"external_id": sha("1.0")}, {"external_id": sha("True")}, {"external_id": sha("1")}]
    # a blank value is no value (nothing logged), even once the same blank was hashed inside a list
    assert hash_user_data({"em": ["  ", "a@b.co"]}, None) == {"em": [sha("a@b.co")]}
    caplog.clear()
    assert hash_user_data({"em": "  ", "fn": "Ann"}, None) == {"fn": sha("ann")}
    assert "left out" not in caplog.text
    # the same raw phone under two default regions is two numbers
    assert hash_user_data({"ph": "07700 900123"}, "GB") != hash_user_data({"ph": "07700 900123"}, "DE")

def _both_paths(body: dict, rows: list[dict]) -> tuple[list, list]:
    """What the column-wise build_many gives and what build gives row by row, as comparable values."""
    from activation.destinations.base import Skip, stable_json
    from activation.engine import make_destination

    dest = make_destination(sync_config("capi_paths", body), {"access_token": "t", "dataset_id": "1"})
    columns = {c: [r.get(c) for r in rows] for c in rows[0]}

    def comparable(built):  # key order matters: it is the request body
        return ("skip", built.reason) if isinstance(built, Skip) else stable_json(built)

    return ([comparable(b) for b in dest.build_many(columns, len(rows))],
            [comparable(dest.build_one(dict(r))) for r in rows])


def test_the_column_wise_build_gives_exactly_what_the_row_build_gives():
    now = datetime.now(UTC).replace(tzinfo=None)
    base = {"event_id": "e", "event_name": "Lead", "event_time": now - timedelta(hours=1), "value": None,
            "currency": None, "contact_id": "c1", "email": "A@B.co", "phone": "+16505551212", "first_name": "Ann",
            "country_code": "US", "zip": "94107-1234", "ctwa_clid": None, "fbc": None, "messaging_channel": None,
            "url": None, "source": None, "items": None}
    variants = [
        {}, {"event_name": "Purchase", "value": 19.999, "currency": " usd "}, {"value": "12.5", "currency": "EUR"},
        {"value": "not a number"}, {"event_id": None}, {"event_id": ""}, {"event_name": None}, {"event_time": None},
        {"event_time": now - timedelta(days=8)}, {"event_time": now + timedelta(hours=2)},
        {"event_time": "2026-01-01T00:00:00Z"}, {"event_time": now.replace(tzinfo=UTC)},
        {"event_time": int(now.timestamp()) - 60}, {"email": "  ", "phone": None, "first_name": None,
                                                    "contact_id": None, "country_code": None, "zip": None},
        {"email": "not-an-email"}, {"phone": "555-1212 ext"}, {"phone": "(650) 555-1212"}, {"contact_id": 12345},
        {"email": "  ", "first_name": "  "}, {"fbc": " fb.1.1554763741205.AbCdEf "}, {"fbc": "  "},
        {"ctwa_clid": "ARAkLkA8rmlF"}, {"ctwa_clid": "ARAkLkA8rmlF", "messaging_channel": "WhatsApp"},
        {"ctwa_clid": "ARAkLkA8rmlF", "messaging_channel": "messenger"}, {"messaging_channel": ""},
        {"messaging_channel": "whatsapp"}, {"country_code": "gb", "zip": "SW1A 1AA"}, {"zip": "941"},
        {"first_name": "José María", "email": "a8252852b4333eaddce9188ea1e66112e6a36c76338b5b3913c6d3ebc4acbab0"},
        {"url": "https://shop.example/checkout", "source": "website", "items": 3}, {"items": "x"},
    ]
    rows = [{**base, **v, "event_id": (f"e{i}" if v.get("event_id", "e") else v["event_id"])}
            for i, v in enumerate(variants)]
    mapping = {"event_id": "event_id", "event_name": "event_name", "event_time": "event_time", "value": "value",
               "currency": "currency", "em": "email", "ph": "phone", "fn": "first_name", "country": "country_code",
               "zp": "zip", "external_id": "contact_id", "ctwa_clid": "ctwa_clid", "fbc": "fbc",
               "messaging_channel": "messaging_channel", "event_source_url": "url", "action_source": "source",
               "num_items": "items"}
    plain = {"source": {"model": "seg_test_events", "key": "event_id"}, "mode": "append", "mapping": mapping,
             "destination": {"type": "meta_capi", "base_url": "http://127.0.0.1:9", "default_region": "US",
                             "event_names": {"Purchase": "CompletePayment"}, "whatsapp_business_account_id": "77",
                             "page_id": "88"}}
    fast, slow = _both_paths(plain, rows)
    assert fast == slow
    assert sum(1 for f in fast if isinstance(f, bytes)) >= 15  # most rows are events, not skips
    # static values override mapped ones, for identifiers too; no default region; no country mapped
    static = {**plain, "mapping": {k: v for k, v in mapping.items() if k != "country"},
              "static": {"currency": "GBP", "fn": "Static", "action_source": "email"},
              "destination": {"type": "meta_capi", "base_url": "http://127.0.0.1:9"}}
    fast, slow = _both_paths(static, rows)
    assert fast == slow


# --- syncs against the server --------------------------------------------------------------------------
TYPES = {"event_id": "varchar", "event_name": "varchar", "event_time": "timestamp", "value": "double",
         "currency": "varchar", "contact_id": "varchar", "email": "varchar", "phone": "varchar",
         "first_name": "varchar", "country_code": "varchar", "ctwa_clid": "varchar", "fbc": "varchar",
         "messaging_channel": "varchar"}
NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def event(i: int, age_hours: float = 1.0, **over) -> dict:
    purchase = i % 3 == 0
    row = {"event_id": f"{'purchase' if purchase else 'lead'}:{i}", "event_name": "Purchase" if purchase else "Lead",
           "event_time": NOW - timedelta(hours=age_hours), "value": 19.5 + i if purchase else None,
           "currency": "usd" if purchase else None, "contact_id": f"c{i}", "email": f" Buyer{i}@Example.com",
           "phone": f"+1650555{i % 10000:04d}", "first_name": "Ann", "country_code": "US",
           "ctwa_clid": None, "fbc": None, "messaging_channel": None}
    row.update(over)
    return row


def config(url: str, **extra):
    body = {"source": {"model": "seg_test_events", "key": "event_id"},
            "destination": {"type": "meta_capi", "base_url": url, "default_region": "US",
                            **extra.pop("destination", {})},
            "mode": "append",
            "mapping": {"event_id": "event_id", "event_name": "event_name", "event_time": "event_time",
                        "value": "value", "currency": "currency", "em": "email", "ph": "phone", "fn": "first_name",
                        "country": "country_code", "external_id": "contact_id", "ctwa_clid": "ctwa_clid",
                        "fbc": "fbc", "messaging_channel": "messaging_channel"},
            "max_retries": 4, **extra}
    return sync_config("meta_capi_test", body)


CREDS = {"access_token": TOKEN, "dataset_id": DATASET}


@pytest.fixture
def server():
    with MetaCapiServer() as srv:
        yield srv


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def test_events_reach_meta_once_despite_faults_and_a_bad_event_is_isolated(server, wh):
    rows = [event(i) for i in range(2500)]
    rows[10] = event(10, age_hours=24 * 8)                         # too old: skipped with Meta's rule
    rows[11] = event(11, ctwa_clid="ARAkLkA8rmlF", messaging_channel="WhatsApp")
    write_segment(wh, "seg_test_events", rows, TYPES)
    server.poison = {"lead:1234"}
    server.fault(nth=1, status=503)
    server.fault(nth=3, status=429, headers={"Retry-After": "0.1"})

    first = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)

    assert (first.rows_total, first.rows_sent, first.rows_skipped, first.rows_failed) == (2500, 2498, 1, 1)
    assert dict(first.skip_reasons) == {"event_time older than 7 days: Meta accepts events at most 7 days old": 1}
    assert first.batches_split >= 10  # 1,000 events halved down to the one bad event
    assert all(len(json.loads(e.body)["data"]) <= 1000 for e in server.log)
    reason = ops(wh, "select reason from ops.sync_failures where record_key = 'lead:1234'")[0][0]
    assert "Invalid custom_data" in reason and "code 100" in reason
    assert len(server.state()) == 2498 and "lead:1234" not in server.state()
    bm = server.state()["lead:11"]
    assert bm["action_source"] == "business_messaging" and bm["messaging_channel"] == "whatsapp"
    assert bm["event_name"] == "LeadSubmitted" and bm["user_data"]["ctwa_clid"] == "ARAkLkA8rmlF"
    purchase = server.state()["purchase:3"]
    assert purchase["custom_data"] == {"currency": "USD", "value": 22.5}
    assert purchase["user_data"]["em"] == sha("buyer3@example.com")
    assert purchase["user_data"]["ph"] == sha("16505550003")

    server.poison = set()
    second = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (second.rows_sent, second.rows_unchanged, second.rows_skipped) == (1, 2498, 1)
    expected = {r["event_id"] for r in rows} - {"lead:10"}
    assert set(server.state()) == expected
    assert max(server.received.values()) == 1  # no event reached Meta twice
    assert ops(wh, "select count(*) from ops.sync_failures") == [(0,)]


def test_a_sync_leaves_no_payload_to_the_cyclic_garbage_collector(server, wh):
    """The engine pauses the cyclic collector while it builds and sends chunks, so its payloads must be freed by
    reference counting: a reference cycle (the batch-splitting closure was one) kept every chunk's payloads
    alive until a collection, and would now keep them for the whole run."""
    import gc

    from activation.destinations.base import Item, Record

    rows = [event(i) for i in range(1500)]
    write_segment(wh, "seg_test_events", rows, TYPES)
    server.poison = {"lead:7"}  # a rejected batch is split, the path that made the cycle
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = run_sync(config(server.url, commit_every=1000), warehouse=wh, dry_run=False, credentials=CREDS)
        assert not gc.isenabled()  # the engine leaves a collector it found disabled alone
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, (Item, Record))
                  or (isinstance(o, dict) and "event_id" in o and "user_data" in o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert (result.rows_sent, result.rows_failed) == (1499, 1) and result.batches_split >= 10
    assert leaked == []
    run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert gc.isenabled()  # and enables again the collector it paused


def test_test_event_code_routes_every_event_to_test_events(server, wh):
    write_segment(wh, "seg_test_events", [event(i) for i in range(5)], TYPES)
    run_sync(config(server.url, destination={"test_event_code": "TEST123"}), warehouse=wh, dry_run=False,
             credentials=CREDS)
    assert server.test_event_codes == {"TEST123": 5}


def test_rows_without_customer_information_or_event_id_are_skipped_with_the_reason(server, wh):
    rows = [event(1), event(2, email=None, phone=None, first_name=None, country_code=None, contact_id=None),
            event(4, event_id=None)]
    write_segment(wh, "seg_test_events", rows, TYPES)
    result = run_sync(config(server.url), warehouse=wh, dry_run=False, credentials=CREDS)
    assert (result.rows_sent, result.rows_skipped) == (1, 2)
    assert run_counts(wh, result.sync_run_id) == {"sent": 1, "skipped": 2}
    assert "the key column is null" in result.skip_reasons
    assert "no customer information to match the event on (user_data is empty)" in result.skip_reasons


def test_a_wrong_access_token_stops_the_run_with_a_clear_error(server, wh):
    write_segment(wh, "seg_test_events", [event(1)], TYPES)
    with pytest.raises(Exception, match="Meta refused the access token"):
        run_sync(config(server.url), warehouse=wh, dry_run=False, credentials={**CREDS, "access_token": "nope"})
    assert ops(wh, "select status from ops.sync_runs") == [("failed",)]


def test_dry_run_outbox_is_byte_identical_to_the_live_requests(server, wh, tmp_path):
    rows = [event(i) for i in range(2300)] + [event(5000, ctwa_clid="ARAclid", messaging_channel="instagram")]
    write_segment(wh, "seg_test_events", rows, TYPES)
    dry = run_sync(config(server.url), warehouse=wh, dry_run=True, outbox_dir=tmp_path / "outbox")
    lines = [json.loads(x) for x in dry.outbox_path.read_text().splitlines()]
    assert [line["records"] for line in lines] == [1000, 1000, 301]
    assert server.requests_seen == 0 and ops(wh, "select count(*) from ops.sync_state") == [(0,)]
    live = run_sync(config(server.url, concurrency=1), warehouse=wh, dry_run=False, credentials=CREDS)
    assert live.rows_sent == 2301
    assert [line["body"].encode("utf-8") for line in lines] == [e.body for e in server.log]
    assert TOKEN not in dry.outbox_path.read_text()  # the token travels in the query string of the live request only
