"""Meta Ads connector against a fake Graph API on 127.0.0.1 (real HTTP, real DuckDB)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.connectors import meta_ads
from ingestion.connectors.http import ApiError

from .servers.common import run_cli, run_cli_killed_midway
from .servers.meta_ads import ACCOUNT, VERSION, MetaAdsFake, _cursor


@pytest.fixture
def fake():
    f = MetaAdsFake()
    with f.server:
        yield f


@pytest.fixture
def env(fake, monkeypatch):
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "1")
    return fake.env()


def q(wh: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql).fetchall()


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC).replace(tzinfo=None)


def window() -> tuple[date, date]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return yesterday - timedelta(days=27), yesterday


def expected_insights(fake: MetaAdsFake, since: date, until: date) -> dict[tuple, tuple]:
    out = {}
    for r in fake.insights_between(since, until):
        if r is fake.bad_insight:
            continue
        acts = {a["action_type"]: int(a["value"]) for a in r["actions"]}
        out[(date.fromisoformat(r["date_start"]), r["ad_id"])] = (
            r["adset_id"], r["campaign_id"], r["account_id"], r["account_currency"], Decimal(r["spend"]),
            int(r["impressions"]), int(r["reach"]), int(r["clicks"]), int(r["inline_link_clicks"]),
            acts.get(meta_ads.MESSAGING_ACTION, 0), acts.get("lead", 0))
    return out


def loaded_insights(wh: Path) -> dict[tuple, tuple]:
    rows = q(wh, "select date_start, ad_id, adset_id, campaign_id, account_id, account_currency, spend, impressions, "
                 "reach, clicks, inline_link_clicks, messaging_conversations_started, leads "
                 "from raw_meta_ads.insights_daily")
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def assert_objects_equal_server(wh: Path, fake: MetaAdsFake) -> None:
    campaigns = {c["id"]: c for c in fake.campaigns if c["created_time"] != "not-a-date"}
    got = q(wh, "select campaign_id, account_id, campaign_name, objective, status, created_at, updated_at "
                "from raw_meta_ads.campaigns order by 1")
    assert got == [(c["id"], ACCOUNT, c["name"], c["objective"], c["status"], utc(c["created_time"]),
                    utc(c["updated_time"])) for c in sorted(campaigns.values(), key=lambda c: c["id"])]
    got = q(wh, "select adset_id, campaign_id, adset_name, destination_type, optimization_goal from "
                "raw_meta_ads.adsets order by 1")
    assert got == [(a["id"], a["campaign_id"], a["name"], a["destination_type"], a["optimization_goal"])
                   for a in fake.adsets]
    got = q(wh, "select ad_id, adset_id, campaign_id, ad_name, status, created_at from raw_meta_ads.ads order by 1")
    assert got == [(a["id"], a["adset_id"], a["campaign_id"], a["name"], a["status"], utc(a["created_time"]))
                   for a in fake.ads]


def test_run_loads_exactly_the_server_records_through_faults(fake, env, tmp_path):
    # throttling and transient failures on every stream: HTTP 429 + Retry-After, a 500, Graph code 17
    fake.server.fault(nth=1, path=rf"/{VERSION}/act_\d+/campaigns", status=429, headers={"Retry-After": "1"})
    fake.server.fault(nth=1, path=rf"/{VERSION}/act_\d+/adsets", status=500)
    fake.server.fault(nth=2, path=rf"/{VERSION}/act_\d+/insights", status=400, body={"error": {
        "message": "(#17) User request limit reached", "type": "OAuthException", "code": 17,
        "error_subcode": 2446079, "fbtrace_id": "x"}})
    wh = tmp_path / "w.duckdb"
    result = meta_ads.run(wh)

    assert_objects_equal_server(wh, fake)
    since, until = window()
    expected = expected_insights(fake, since, until)
    assert len(expected) > 100
    assert loaded_insights(wh) == expected
    quarantined = q(wh, "select source, entity, record_ref, reason from ops.quarantine order by entity")
    bad = fake.bad_insight
    assert date.fromisoformat(bad["date_start"]) >= since
    assert quarantined == [
        ("meta_ads", "campaigns", f"act_{ACCOUNT}/campaigns id 23859999", "created_time is not a timestamp"),
        ("meta_ads", "insights_daily", f"act_{ACCOUNT}/insights ad {bad['ad_id']} day {bad['date_start']}",
         "spend is not a decimal number (use '.' and no thousands separator)"),
    ]
    assert result.quarantined == len(quarantined)
    # the faults really happened and were retried
    statuses = [(p.rsplit("/", 1)[-1], s) for _m, p, _q, s in fake.server.log]
    assert ("campaigns", 429) in statuses and ("adsets", 500) in statuses and ("insights", 400) in statuses
    assert statuses.count(("insights", 200)) == -(-len(fake.insights_between(since, until)) // 25)
    # the token went as the access_token parameter; Meta's cursor paging was followed
    afters = [qs.get("after", [None])[0] for _m, p, qs, s in fake.server.log if p.endswith("/ads") and s == 200]
    assert afters == [None, _cursor(3), _cursor(6)]
    cursor = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'insights'")[0][0])
    assert cursor == {"last_complete_day": until.isoformat(), "pass": None}
    assert q(wh, "select status from ops.ingest_runs") == [("success",)]


def test_second_run_adds_no_duplicates(fake, env, tmp_path):
    wh = tmp_path / "w.duckdb"
    meta_ads.run(wh)
    counts = [q(wh, f"select count(*) from {t}")[0][0] for t in meta_ads.SPEC.tables]
    fake.insights[-1]["spend"] = "999.99"  # yesterday's figure revised: the window re-fetch picks it up
    meta_ads.run(wh)
    assert [q(wh, f"select count(*) from {t}")[0][0] for t in meta_ads.SPEC.tables] == counts
    last = fake.insights[-1]
    assert q(wh, f"select spend from raw_meta_ads.insights_daily where ad_id = '{last['ad_id']}' "
                 f"and date_start = '{last['date_start']}'") == [(Decimal("999.99"),)]


def test_backfill_by_date_range(fake, env, tmp_path):
    wh = tmp_path / "w.duckdb"
    since = datetime.now(UTC).date() - timedelta(days=38)
    until = since + timedelta(days=4)
    meta_ads.run(wh, start=since, end=until)
    assert loaded_insights(wh) == expected_insights(fake, since, until)
    cursor = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'insights'")[0][0])
    assert cursor["last_complete_day"] is None  # a backfill does not move the scheduled window


def test_bad_token_fails_naming_the_endpoint_not_the_token(fake, env, tmp_path, monkeypatch):
    monkeypatch.setenv("META_ACCESS_TOKEN", "wrong-token-123")
    with pytest.raises(ApiError) as info:
        meta_ads.run(tmp_path / "w.duckdb")
    msg = str(info.value)
    assert f"/act_{ACCOUNT}/campaigns" in msg and "code=190" in msg
    assert "wrong-token-123" not in msg and fake.token not in msg
    assert q(tmp_path / "w.duckdb", "select status from ops.ingest_runs") == [("failed",)]


def test_killed_run_resumes_and_ends_with_exactly_the_server_records(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    slow_page = _cursor(50)  # the 3rd insights page: pages 1 and 2 are committed when it is asked for
    asked = threading.Event()
    fake.server.fault(path=rf"/{VERSION}/act_\d+/insights", sleep=60,
                      when=lambda r: r.arg("after") == slow_page and not asked.is_set() and (asked.set() or True))
    rc = run_cli_killed_midway("meta_ads", wh, fake.env(), asked.is_set)
    assert rc == -9
    state = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'insights'")[0][0])
    assert state["pass"]["after"] == slow_page
    n_before = len(fake.server.log)

    proc = run_cli("meta_ads", wh, fake.env())
    assert proc.returncode == 0, proc.stderr
    insights_calls = [qs for _m, p, qs, s in fake.server.log[n_before:] if p.endswith("/insights")]
    assert insights_calls[0].get("after") == [slow_page]  # resumed at the committed page, not page 1
    assert_objects_equal_server(wh, fake)
    since, until = window()
    assert loaded_insights(wh) == expected_insights(fake, since, until)
