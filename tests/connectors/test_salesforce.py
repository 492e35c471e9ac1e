"""Salesforce connector against a real local server speaking the REST query contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from ingestion.connectors import salesforce

from .servers.common import run_cli, run_cli_killed_midway
from .servers.salesforce import TOKEN, VERSION, SalesforceFake


def ts(text):
    return None if text is None else datetime.fromisoformat(text.replace("+0000", "+00:00")).replace(tzinfo=None)


def rows(wh, sql):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def fake(monkeypatch):
    f = SalesforceFake()
    with f.server:
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", f.server.url)
        monkeypatch.setenv("SALESFORCE_API_VERSION", VERSION)
        monkeypatch.setenv("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "2")
        yield f


def assert_matches_server(wh, fake: SalesforceFake):
    leads = {r[0]: r[1:] for r in rows(wh, "select id, email, status, is_converted, converted_contact_id, "
                                           "created_date, system_modstamp, is_deleted from raw_salesforce.leads")}
    assert leads == {r["Id"]: (r["Email"], r["Status"], r["IsConverted"], r["ConvertedContactId"],
                               ts(r["CreatedDate"]), ts(r["SystemModstamp"]), False)
                     for r in fake.data["Lead"] if r["Id"] != "00Q999999999999999"}
    contacts = {r[0]: r[1:] for r in rows(wh, "select id, account_id, mobile_phone, system_modstamp, is_deleted "
                                              "from raw_salesforce.contacts")}
    assert contacts == {r["Id"]: (r["AccountId"], r["MobilePhone"], ts(r["SystemModstamp"]), r["IsDeleted"])
                        for r in fake.data["Contact"]}
    opps = {r[0]: r[1:] for r in rows(wh, "select id, contact_id, stage_name, amount, currency_iso_code, close_date, "
                                          "is_closed, is_won, loss_reason from raw_salesforce.opportunities")}
    assert opps == {r["Id"]: (r["ContactId"], r["StageName"], Decimal(str(r["Amount"])), "EUR",
                              date.fromisoformat(r["CloseDate"]), r["IsClosed"], r["IsWon"], None)
                    for r in fake.data["Opportunity"]}
    hist = sorted(rows(wh, "select id, opportunity_id, stage_name, created_date from raw_salesforce.opportunity_history"))
    assert hist == sorted((r["Id"], r["OpportunityId"], r["StageName"], ts(r["CreatedDate"]))
                          for r in fake.data["OpportunityHistory"])


def test_load_matches_server_despite_429_5xx_bad_record_and_missing_field(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    fake.server.fault(nth=2, status=429, headers={"Retry-After": "1"},
                      body=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    fake.server.fault(nth=2, path=rf"/services/data/v{VERSION}/query/.*", status=503)
    result = salesforce.run(wh)
    assert_matches_server(wh, fake)
    assert fake.server.hits(r".*", status=429) == 1 and fake.server.hits(r".*", status=503) == 1
    assert fake.server.hits(r".*", status=400) == 1  # INVALID_FIELD once, then queried without Loss_Reason__c
    q = rows(wh, "select entity, record_ref, reason from ops.quarantine")
    assert q == [("Lead", "Lead 00Q999999999999999", "CreatedDate is not a timestamp")]
    assert result.quarantined == 1
    # soft-deleted rows come back through queryAll
    assert rows(wh, "select id from raw_salesforce.contacts where is_deleted") == [("003000000000000005",)]


def test_second_run_adds_no_duplicates_and_picks_up_changes(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    salesforce.run(wh)
    sql = ("select (select count(*) from raw_salesforce.leads), (select count(*) from raw_salesforce.contacts), "
           "(select count(*) from raw_salesforce.opportunities), (select count(*) from raw_salesforce.opportunity_history)")
    first = rows(wh, sql)
    mark = len(fake.server.log)
    salesforce.run(wh)
    assert rows(wh, sql) == first
    lead_q = [q["q"][0] for _m, p, q, _s in fake.server.log[mark:] if p.endswith("/queryAll") and "FROM Lead" in q["q"][0]]
    assert "WHERE SystemModstamp >= 2024-06-01T09:20:00.000Z" in lead_q[0]  # incremental from the newest stamp
    fake.data["Opportunity"][0].update(StageName="Closed Won", IsClosed=True, IsWon=True,
                                       SystemModstamp="2024-06-02T00:00:00.000+0000")
    salesforce.run(wh)
    assert_matches_server(wh, fake)
    assert rows(wh, sql) == first


def test_killed_midway_resumes_without_loss(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    # the 2nd Lead batch is slow: the kill lands after the first batch committed
    slow = fake.server.fault(path=rf"/services/data/v{VERSION}/query/.*", sleep=30)
    env = {"SALESFORCE_ACCESS_TOKEN": TOKEN, "SALESFORCE_INSTANCE_URL": fake.server.url,
           "SALESFORCE_API_VERSION": VERSION}
    assert run_cli_killed_midway("salesforce", wh, env, ready=lambda: slow.fired) == -9
    assert rows(wh, "select count(*) from raw_salesforce.leads")[0][0] == 3
    assert rows(wh, "select cursor_value from ops.ingest_cursors where stream = 'Lead'") == [("2024-06-01T08:30:00.000Z",)]
    done = run_cli("salesforce", wh, env)
    assert done.returncode == 0, done.stderr
    assert_matches_server(wh, fake)
