"""HubSpot connector against a real local server speaking the CRM v3 search/batch contract."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from ingestion.connectors import hubspot

from .servers.common import run_cli, run_cli_killed_midway
from .servers.hubspot import TOKEN, HubSpotFake


def ts(text: str | None):
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def rows(wh, sql):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def fake(monkeypatch):
    f = HubSpotFake()
    with f.server:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_BASE_URL", f.server.url)
        monkeypatch.setenv("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "2")
        yield f


def assert_matches_server(wh, fake: HubSpotFake):
    good = {k: v for k, v in fake.contacts.items() if k != "599"}
    got = {r[0]: r[1:] for r in rows(wh, "select contact_id, email, phone, firstname, lastname, lifecyclestage, "
                                         "hs_lead_status, createdate, lastmodifieddate, archived from raw_hubspot.contacts")}
    assert got == {int(k): (p["email"], p["phone"], p["firstname"], p["lastname"], p["lifecyclestage"],
                            p["hs_lead_status"], ts(p["createdate"]), ts(p["lastmodifieddate"]), False)
                   for k, c in good.items() for p in [c["properties"]]}
    hist = sorted(rows(wh, "select contact_id, lifecyclestage, source_type, changed_at "
                           "from raw_hubspot.contact_lifecycle_history"))
    assert hist == sorted((int(k), h["value"], h["sourceType"], ts(h["timestamp"]))
                          for k, c in good.items() for h in c["_history"])
    deals = {r[0]: r[1:] for r in rows(wh, "select deal_id, dealname, pipeline, dealstage, amount, deal_currency_code, "
                                           "closed_lost_reason, hs_is_closed, hs_is_closed_won, closedate, "
                                           "lastmodifieddate from raw_hubspot.deals")}
    assert deals == {int(k): (p["dealname"], "default", p["dealstage"], Decimal(p["amount"]), "EUR",
                              p["closed_lost_reason"], p["hs_is_closed"] == "true", p["hs_is_closed_won"] == "true",
                              ts(p["closedate"]), ts(p["hs_lastmodifieddate"]))
                     for k, d in fake.deals.items() for p in [d["properties"]]}
    assert sorted(rows(wh, "select deal_id, dealstage, changed_at from raw_hubspot.deal_stage_history")) == sorted(
        (int(k), h["value"], ts(h["timestamp"])) for k, d in fake.deals.items() for h in d["_history"])
    assert sorted(rows(wh, "select deal_id, contact_id from raw_hubspot.deal_contacts")) == sorted(
        (int(d), int(c)) for d, cs in fake.assoc.items() for c in cs)


def test_load_matches_server_despite_429_5xx_and_bad_record(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    fake.server.fault(nth=2, status=429, headers={"Retry-After": "1"},
                      body={"status": "error", "message": "You have reached your secondly limit.",
                            "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})
    fake.server.fault(nth=1, path=r"/crm/v3/objects/deals/search", status=502)
    fake.server.fault(nth=1, path=r"/crm/v4/associations/deals/contacts/batch/read", status=500)
    result = hubspot.run(wh)
    assert_matches_server(wh, fake)
    assert fake.server.hits(r".*", status=429) == 1 and fake.server.hits(r".*", status=500) == 1
    q = rows(wh, "select entity, record_ref, reason from ops.quarantine")
    assert q == [("contacts", "contacts 599", "lastmodifieddate is not a timestamp")]
    assert result.quarantined == 1 and result.rows["raw_hubspot.contacts"] == 14
    cur = {s: json.loads(v) for s, v in rows(wh, "select stream, cursor_value from ops.ingest_cursors")}
    assert cur["contacts"]["after"] is None and cur["deals"]["after"] is None
    # the bad record has no usable time: the cursor is the newest good record's modified time
    assert cur["contacts"]["since"] == int(fake.contacts["514"]["_mod"].timestamp() * 1000)


def test_second_run_is_incremental_and_adds_no_duplicates(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    hubspot.run(wh)
    count_sql = ("select (select count(*) from raw_hubspot.contacts), (select count(*) from raw_hubspot.deals), "
                 "(select count(*) from raw_hubspot.contact_lifecycle_history), "
                 "(select count(*) from raw_hubspot.deal_stage_history), (select count(*) from raw_hubspot.deal_contacts)")
    first = rows(wh, count_sql)
    searches = len(fake.server.log)
    hubspot.run(wh)
    assert rows(wh, count_sql) == first
    # incremental: the second run asked only from the last modified time on
    second = [e for e in fake.server.log[searches:] if e[1] == "/crm/v3/objects/contacts/search"]
    assert len(second) == 1
    # a change on the server is picked up with its new history entry
    fake.touch_contact("503", hours=100, lifecyclestage="customer")
    hubspot.run(wh)
    assert_matches_server(wh, fake)
    assert rows(wh, "select lifecyclestage from raw_hubspot.contacts where contact_id = 503") == [("customer",)]


def test_search_window_restarts_from_last_modified(monkeypatch, tmp_path):
    f = HubSpotFake(page_size=4, window=10)
    monkeypatch.setattr(hubspot, "SEARCH_WINDOW", 10)
    monkeypatch.setattr(hubspot, "PAGE_LIMIT", 4)
    with f.server:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_BASE_URL", f.server.url)
        wh = tmp_path / "w.duckdb"
        hubspot.run(wh)
        assert f.server.hits(r".*", status=400) == 0  # never paged past the window
        assert_matches_server(wh, f)


def test_killed_midway_resumes_without_loss(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    slow = fake.server.fault(path=r"/crm/v3/objects/contacts/search",
                             when=lambda r: (r.json or {}).get("after") == "8", sleep=30)
    env = {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": fake.server.url}
    assert run_cli_killed_midway("hubspot", wh, env, ready=lambda: slow.fired) == -9
    assert rows(wh, "select count(*) from raw_hubspot.contacts")[0][0] == 8
    assert json.loads(rows(wh, "select cursor_value from ops.ingest_cursors where stream = 'contacts'")[0][0])[
        "after"] == "8"
    mark = len(fake.server.log)
    done = run_cli("hubspot", wh, env)
    assert done.returncode == 0, done.stderr
    first_search = next(e for e in fake.server.log[mark:] if e[1] == "/crm/v3/objects/contacts/search")
    assert first_search[0] == "POST"
    assert_matches_server(wh, fake)
    assert rows(wh, "select count(*) - count(distinct contact_id) from raw_hubspot.contacts") == [(0,)]
