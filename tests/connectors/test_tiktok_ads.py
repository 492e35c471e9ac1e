"""TikTok Ads connector against a fake TikTok API for Business on 127.0.0.1 (real HTTP, real DuckDB)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.connectors import tiktok_ads
from ingestion.connectors.tiktok_ads import TikTokError

from .servers.common import run_cli, run_cli_killed_midway
from .servers.tiktok_ads import ADVERTISER, PREFIX, TikTokAdsFake, error


@pytest.fixture
def fake():
    f = TikTokAdsFake()
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


def window() -> tuple[date, date]:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return yesterday - timedelta(days=27), yesterday


def expected_report(fake: TikTokAdsFake, since: date, until: date) -> dict[tuple, tuple]:
    ads = {a["ad_id"]: a for a in fake.ads}
    out = {}
    for r in fake.report_between(since, until):
        if r is fake.bad_row:
            continue
        d, m = r["dimensions"], r["metrics"]
        ad = ads[d["ad_id"]]
        out[(date.fromisoformat(d["stat_time_day"][:10]), d["ad_id"])] = (
            ad["adgroup_id"], ad["campaign_id"], ADVERTISER, "USD", Decimal(m["spend"]), int(m["impressions"]),
            int(m["clicks"]), int(m["conversion"]))
    return out


def loaded_report(wh: Path) -> dict[tuple, tuple]:
    rows = q(wh, "select stat_time_day, ad_id, adgroup_id, campaign_id, advertiser_id, currency, spend, impressions, "
                 "clicks, conversion from raw_tiktok_ads.report_daily")
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_objects_equal_server(wh: Path, fake: TikTokAdsFake) -> None:
    good = sorted((c for c in fake.campaigns if c["campaign_name"] != "Broken"), key=lambda c: c["campaign_id"])
    assert q(wh, "select campaign_id, advertiser_id, campaign_name, objective_type, operation_status, created_at, "
                 "updated_at from raw_tiktok_ads.campaigns order by 1") == [
        (c["campaign_id"], ADVERTISER, c["campaign_name"], c["objective_type"], c["operation_status"],
         ts(c["create_time"]), ts(c["modify_time"])) for c in good]
    assert q(wh, "select adgroup_id, campaign_id, adgroup_name, optimization_goal from raw_tiktok_ads.adgroups "
                 "order by 1") == [(g["adgroup_id"], g["campaign_id"], g["adgroup_name"], g["optimization_goal"])
                                   for g in fake.adgroups]
    assert q(wh, "select ad_id, adgroup_id, campaign_id, ad_name, created_at from raw_tiktok_ads.ads order by 1") == [
        (a["ad_id"], a["adgroup_id"], a["campaign_id"], a["ad_name"], ts(a["create_time"])) for a in fake.ads]


def test_run_loads_exactly_the_server_records_through_faults(fake, env, tmp_path):
    fake.server.fault(nth=1, path=rf"{PREFIX}/campaign/get/", status=429, headers={"Retry-After": "1"})
    fake.server.fault(nth=2, path=rf"{PREFIX}/adgroup/get/", status=503)
    # TikTok throttles with HTTP 200 and code 40100
    fake.server.fault(nth=2, path=rf"{PREFIX}/report/integrated/get/", status=200,
                      body=error(40100, "Too many requests.").body)
    wh = tmp_path / "w.duckdb"
    result = tiktok_ads.run(wh)

    assert_objects_equal_server(wh, fake)
    since, until = window()
    expected = expected_report(fake, since, until)
    assert len(expected) > 100
    assert loaded_report(wh) == expected
    bad = fake.bad_row["dimensions"]
    assert since.isoformat() <= bad["stat_time_day"][:10]
    assert q(wh, "select source, entity, record_ref, reason from ops.quarantine order by entity") == [
        ("tiktok_ads", "campaigns", f"advertiser {ADVERTISER} campaigns id 1799999999999999999",
         "create_time is not a timestamp"),
        ("tiktok_ads", "report_daily", f"advertiser {ADVERTISER} report ad {bad['ad_id']} day "
                                       f"{bad['stat_time_day'][:10]}", "impressions is not an integer"),
    ]
    assert result.quarantined == 2
    log = [(p.removeprefix(PREFIX), qs, s) for _m, p, qs, s in fake.server.log]
    assert ("/campaign/get/", 429) in [(p, s) for p, _q, s in log]
    assert ("/adgroup/get/", 503) in [(p, s) for p, _q, s in log]
    # page/page_size paging driven by page_info.total_page: 5 campaigns at 2 per page -> pages 1..3
    pages = [(qs["page"][0], s) for p, qs, s in log if p == "/campaign/get/"]
    assert pages == [("1", 429), ("1", 200), ("2", 200), ("3", 200)]  # the 429 was retried
    report_pages = [qs["page"][0] for p, qs, s in log if p == "/report/integrated/get/"]
    assert report_pages[:3] == ["1", "2", "2"]  # the code-40100 answer for page 2 was retried
    cursor = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'report'")[0][0])
    assert cursor == {"last_complete_day": until.isoformat(), "pass": None}


def test_second_run_adds_no_duplicates(fake, env, tmp_path):
    wh = tmp_path / "w.duckdb"
    tiktok_ads.run(wh)
    counts = [q(wh, f"select count(*) from {t}")[0][0] for t in tiktok_ads.SPEC.tables]
    tiktok_ads.run(wh)
    assert [q(wh, f"select count(*) from {t}")[0][0] for t in tiktok_ads.SPEC.tables] == counts


def test_backfill_longer_than_30_days_is_chunked(fake, env, tmp_path):
    wh = tmp_path / "w.duckdb"
    until = datetime.now(UTC).date() - timedelta(days=2)
    since = until - timedelta(days=36)
    tiktok_ads.run(wh, start=since, end=until)
    assert loaded_report(wh) == expected_report(fake, since, until)
    ranges = {(qs["start_date"][0], qs["end_date"][0]) for _m, p, qs, s in fake.server.log
              if p.endswith("/report/integrated/get/")}
    assert ranges == {(since.isoformat(), (since + timedelta(days=29)).isoformat()),
                      ((since + timedelta(days=30)).isoformat(), until.isoformat())}


def test_error_code_with_http_200_fails_the_run(fake, env, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", "not-the-token-999")
    with pytest.raises(TikTokError) as info:
        tiktok_ads.run(tmp_path / "w.duckdb")
    assert "code=40105" in str(info.value) and "/campaign/get/" in str(info.value)
    assert "not-the-token-999" not in str(info.value)


def test_killed_run_resumes_and_ends_with_exactly_the_server_records(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    asked = threading.Event()
    fake.server.fault(path=rf"{PREFIX}/report/integrated/get/", sleep=60,
                      when=lambda r: r.arg("page") == "4" and not asked.is_set() and (asked.set() or True))
    assert run_cli_killed_midway("tiktok_ads", wh, fake.env(), asked.is_set) == -9
    state = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'report'")[0][0])
    assert state["pass"]["next_page"] == 4
    n_before = len(fake.server.log)

    proc = run_cli("tiktok_ads", wh, fake.env())
    assert proc.returncode == 0, proc.stderr
    report_calls = [qs for _m, p, qs, s in fake.server.log[n_before:] if p.endswith("/report/integrated/get/")]
    assert report_calls[0]["page"] == ["4"]  # resumed at the first uncommitted page
    assert_objects_equal_server(wh, fake)
    since, until = window()
    assert loaded_report(wh) == expected_report(fake, since, until)
