"""Meta Marketing API (Graph API) -> ``raw_meta_ads.*``.

Endpoints (base ``https://graph.facebook.com/v21.0``; ``access_token`` query parameter, as Graph API
documents it; the token never appears in errors or logs):
- ``GET act_<id>/campaigns``, ``act_<id>/adsets``, ``act_<id>/ads`` with ``fields=`` and cursor paging:
  ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": URL}}``; there is a next page
  while ``paging.next`` is present, requested with ``after=<paging.cursors.after>``.
- ``GET act_<id>/insights?level=ad&time_increment=1&time_range={"since","until"}``: one row per ad and
  day with ``spend``, ``impressions``, ``reach``, ``clicks``, ``inline_link_clicks`` and the ``actions``
  list; ``messaging_conversations_started`` = action_type
  ``onsite_conversion.messaging_conversation_started_7d``, ``leads`` = action_type ``lead``.

Errors are ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; throttling comes
as HTTP 400/403 with code 4, 17, 32, 613 or 80000-80014 (waited out with backoff) or HTTP 429/5xx
(retried by the shared session, ``Retry-After`` honoured).

Increments
- Campaigns, ad sets and ads: a full pass per account each run (small), merged on the id; each page is
  committed with its ``after`` cursor, so a killed run resumes at the next page.
- Insights are time-sliced: without ``start``/``end`` a run re-fetches the last 28 complete days (Meta
  revises figures during attribution windows) or, when the last run is older, everything since the
  last complete day stored in the cursor; ``start``/``end`` backfill a date range (inclusive). The
  cursor stores the last complete day loaded and, while a pass is under way, the account and ``after``
  token of the last committed page.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion.connectors.http import MAX_RETRY_AFTER_ENV, ApiClient, ApiError, CursorGuard
from ingestion.parsing import (
    BadRecord,
    parse_date,
    parse_decimal,
    parse_int,
    parse_str,
    parse_ts,
)
from ingestion.runs import (
    ConnectorSpec,
    IngestResult,
    IngestRun,
    env_default,
    env_required,
    settings_or_env,
)

SOURCE = "meta_ads"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
PAGE_LIMIT = 500
DEFAULT_WINDOW_DAYS = 28
RATE_LIMIT_CODES = {4, 17, 32, 613, *range(80000, 80015)}
RATE_LIMIT_TRIES = 6
MESSAGING_ACTION = "onsite_conversion.messaging_conversation_started_7d"
LEAD_ACTION = "lead"

T_CAMPAIGNS = "raw_meta_ads.campaigns"
T_ADSETS = "raw_meta_ads.adsets"
T_ADS = "raw_meta_ads.ads"
T_INSIGHTS = "raw_meta_ads.insights_daily"

INSIGHT_FIELDS = ("date_start,date_stop,ad_id,adset_id,campaign_id,account_id,account_currency,spend,impressions,"
                  "reach,clicks,inline_link_clicks,actions")


# ------------------------------------------------------------------------------------------------
# Time windows (shared with the TikTok connector)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    since: date
    until: date
    moves_cursor: bool  # a scheduled run (no explicit end) advances the last complete day

    def chunks(self, days: int) -> Iterator[tuple[date, date]]:
        start = self.since
        while start <= self.until:
            stop = min(self.until, start + timedelta(days=days - 1))
            yield start, stop
            start = stop + timedelta(days=1)


def today_utc() -> date:
    return datetime.now(UTC).date()


def report_window(last_complete: str | None, start: date | None, end: date | None,
                  window_days: int = DEFAULT_WINDOW_DAYS, max_days: int = 3 * 365) -> Window | None:
    """Which days to (re)fetch: explicit ``start``/``end``, else the last ``window_days`` complete days
    (extended back to the day after ``last_complete`` when the connector has not run for longer)."""
    yesterday = today_utc() - timedelta(days=1)
    if start or end:
        until = end or yesterday
        since = start or until - timedelta(days=window_days - 1)
        return Window(since, until, moves_cursor=end is None) if since <= until else None
    since = yesterday - timedelta(days=window_days - 1)
    if last_complete:
        try:
            after = date.fromisoformat(last_complete) + timedelta(days=1)
        except ValueError:
            after = since
        since = max(min(since, after), yesterday - timedelta(days=max_days))
    return Window(since, yesterday, moves_cursor=True)


def rate_limit_pause(attempt: int) -> float:
    """Seconds to wait before retrying a throttled call: exponential, capped like Retry-After."""
    try:
        cap = float(os.environ.get(MAX_RETRY_AFTER_ENV) or 300)
    except ValueError:
        cap = 300.0
    return min(cap, 5.0 * 2**attempt)


# ------------------------------------------------------------------------------------------------
# HTTP: Graph API errors and throttling
# ------------------------------------------------------------------------------------------------
class MetaApi:
    def __init__(self, base_url: str, token: str, log: logging.Logger):
        self.token = token
        self.log = log
        self.client = ApiClient(SOURCE, base_url, secrets=[token], log=log)

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        query = {**params, "access_token": self.token}
        for attempt in range(RATE_LIMIT_TRIES + 1):
            resp = self.client.request("GET", path, params=query, ok_statuses=(400, 403))
            if resp.status_code < 400:
                body = self.client.parse_json(resp)  # an HTML page or garbage: an ApiError saying so
                if not isinstance(body, dict):
                    raise ApiError(f"{SOURCE}: GET /{path} returned a body that is not a JSON object",
                                   source=SOURCE, method="GET", endpoint=f"/{path}", status=resp.status_code)
                return body
            try:
                body = resp.json()
            except ValueError:
                body = None
            err = body.get("error") if isinstance(body, dict) else None
            err = err if isinstance(err, dict) else {}
            code = err.get("code")
            detail = f"code={code}; type={err.get('type')}; message={self.client.clean(str(err.get('message')), 200)}"
            if code in RATE_LIMIT_CODES and attempt < RATE_LIMIT_TRIES:
                pause = rate_limit_pause(attempt)
                self.log.warning("%s: rate limited on /%s (code %s); waiting %.1f s", SOURCE, path, code, pause)
                self.client.pause(pause, endpoint=f"/{path}")
                continue
            raise ApiError(f"{SOURCE}: GET /{path} returned HTTP {resp.status_code}: {detail}", source=SOURCE,
                           method="GET", endpoint=f"/{path}", status=resp.status_code, detail=detail)
        raise AssertionError("unreachable")

    def pages(self, path: str, params: Mapping[str, Any], after: str | None = None
              ) -> Iterator[tuple[list[Any], str | None]]:
        """Yield (records, after token of the next page or None) following ``paging.next``."""
        guard = CursorGuard(self.client, "GET", path, "cursor (paging.cursors.after)")
        guard.check(after)
        while True:
            query = dict(params)
            if after:
                query["after"] = after
            body = self.get(path, query)
            data = body.get("data")
            if not isinstance(data, list):
                raise ApiError(f"{SOURCE}: GET /{path} answer has no data list", source=SOURCE, method="GET",
                               endpoint=f"/{path}")
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
            next_url = paging.get("next") if data else None
            if isinstance(next_url, str) and next_url.startswith(("http://", "https://")):
                self.client.check_same_origin(next_url)
            nxt = cursors.get("after") if next_url else None
            guard.check(nxt)  # a server repeating a cursor must not page forever
            yield data, nxt
            if not nxt:
                return
            after = nxt


# ------------------------------------------------------------------------------------------------
# Mapping (BadRecord -> quarantine)
# ------------------------------------------------------------------------------------------------
def _obj(rec: Any) -> Mapping[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("record is not an object")
    return rec


def _id(rec: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = rec.get(key)
    if value in (None, ""):
        if required:
            raise BadRecord(f"missing {key}")
        return None
    if isinstance(value, (Mapping, list, bool)) or not re.fullmatch(r"[0-9A-Za-z_]+", str(value)):
        raise BadRecord(f"{key} is not an id")
    return str(value)


def _account(value: Any) -> str | None:
    return None if value in (None, "") else str(value).removeprefix("act_")


def map_campaign(rec: Any, account_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "campaign_id": _id(rec, "id"),
        "account_id": _account(rec.get("account_id")) or account_id,
        "campaign_name": parse_str(rec.get("name"), "name"),
        "objective": parse_str(rec.get("objective"), "objective"),
        "status": parse_str(rec.get("status"), "status"),
        "created_at": parse_ts(rec.get("created_time"), "created_time"),
        "updated_at": parse_ts(rec.get("updated_time"), "updated_time"),
    }


def map_adset(rec: Any, account_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "adset_id": _id(rec, "id"),
        "campaign_id": _id(rec, "campaign_id", required=False),
        "account_id": _account(rec.get("account_id")) or account_id,
        "adset_name": parse_str(rec.get("name"), "name"),
        "destination_type": parse_str(rec.get("destination_type"), "destination_type"),
        "optimization_goal": parse_str(rec.get("optimization_goal"), "optimization_goal"),
        "status": parse_str(rec.get("status"), "status"),
        "created_at": parse_ts(rec.get("created_time"), "created_time"),
        "updated_at": parse_ts(rec.get("updated_time"), "updated_time"),
    }


def map_ad(rec: Any, account_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "ad_id": _id(rec, "id"),
        "adset_id": _id(rec, "adset_id", required=False),
        "campaign_id": _id(rec, "campaign_id", required=False),
        "account_id": _account(rec.get("account_id")) or account_id,
        "ad_name": parse_str(rec.get("name"), "name"),
        "status": parse_str(rec.get("status"), "status"),
        "created_at": parse_ts(rec.get("created_time"), "created_time"),
        "updated_at": parse_ts(rec.get("updated_time"), "updated_time"),
    }


def _action(actions: Any, action_type: str) -> int:
    if actions in (None, ""):
        return 0
    if not isinstance(actions, list):
        raise BadRecord("actions is not a list")
    total = 0
    for a in actions:
        if isinstance(a, Mapping) and a.get("action_type") == action_type:
            total += parse_int(_whole(a.get("value")), f"actions[{action_type}]") or 0
    return total


def _whole(value: Any) -> Any:
    """Graph API sends counts as strings, sometimes '12.0'."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.0+", value.strip()):
        return value.strip().split(".")[0]
    return value


def _count(rec: Mapping[str, Any], key: str) -> int | None:
    n = parse_int(_whole(rec.get(key)), key)
    if n is not None and n < 0:
        raise BadRecord(f"{key} is negative")
    return n


def map_insight(rec: Any, account_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    day = parse_date(rec.get("date_start"), "date_start")
    if day is None:
        raise BadRecord("missing date_start")
    return {
        "date_start": day,
        "ad_id": _id(rec, "ad_id"),
        "adset_id": _id(rec, "adset_id", required=False),
        "campaign_id": _id(rec, "campaign_id", required=False),
        "account_id": _account(rec.get("account_id")) or account_id,
        "account_currency": parse_str(rec.get("account_currency"), "account_currency"),
        "spend": parse_decimal(rec.get("spend"), "spend") or "0",
        "impressions": _count(rec, "impressions"),
        "reach": _count(rec, "reach"),
        "clicks": _count(rec, "clicks"),
        "inline_link_clicks": _count(rec, "inline_link_clicks"),
        "messaging_conversations_started": _action(rec.get("actions"), MESSAGING_ACTION),
        "leads": _action(rec.get("actions"), LEAD_ACTION),
    }


# ------------------------------------------------------------------------------------------------
# Run
# ------------------------------------------------------------------------------------------------
OBJECTS = (
    ("campaigns", T_CAMPAIGNS, "id,account_id,name,objective,status,created_time,updated_time", map_campaign),
    ("adsets", T_ADSETS, "id,campaign_id,account_id,name,destination_type,optimization_goal,status,created_time,"
                         "updated_time", map_adset),
    ("ads", T_ADS, "id,adset_id,campaign_id,account_id,name,status,created_time,updated_time", map_ad),
)


def accounts_from_env(settings: Mapping[str, str]) -> list[str]:
    raw = env_required("META_AD_ACCOUNT_IDS", settings)
    return [a.strip().removeprefix("act_") for a in raw.split(",") if a.strip()]


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Campaigns, ad sets, ads (full pass) and daily ad insights (the window; see module doc)."""
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    settings = settings_or_env(settings)
    token = env_required("META_ACCESS_TOKEN", settings)
    accounts = accounts_from_env(settings)
    base = env_default("META_BASE_URL", DEFAULT_BASE_URL, settings).rstrip("/")
    version = env_default("META_API_VERSION", DEFAULT_VERSION, settings)
    api = MetaApi(f"{base}/{version}", token, log)
    try:
        with IngestRun(warehouse, SOURCE, log) as run_:
            for account in accounts:
                for edge, table, fields, mapper in OBJECTS:
                    _load_objects(api, run_, account, edge, table, fields, mapper)
            _load_insights(api, run_, accounts, start, end)
            return run_.result
    finally:
        api.close()


def _load_objects(api: MetaApi, run_: IngestRun, account: str, edge: str, table: str, fields: str,
                  mapper: Any) -> None:
    stream = f"{edge}:{account}"
    resume = run_.get_cursor(stream)  # an after token while a pass is under way, else None
    if resume:
        run_.log.info("%s: resuming %s of account %s at a committed page", SOURCE, edge, account)
    for records, nxt in api.pages(f"act_{account}/{edge}", {"fields": fields, "limit": PAGE_LIMIT}, after=resume):
        rows = run_.map_records(edge, records, lambda r: mapper(r, account),
                                ref=lambda r, i: f"act_{account}/{edge} " + (
                                    f"id {r.get('id')}" if isinstance(r, Mapping) and r.get("id") else f"index {i}"))
        run_.write_page(table, rows, stream=stream, cursor=nxt)


def _load_insights(api: MetaApi, run_: IngestRun, accounts: list[str], start: date | None, end: date | None) -> None:
    state = run_.get_json_cursor("insights")
    last_complete = state.get("last_complete_day")
    pass_ = state.get("pass") if isinstance(state.get("pass"), dict) else None
    if pass_ and not (start or end):  # resume the pass a killed run left behind
        window = Window(date.fromisoformat(pass_["since"]), date.fromisoformat(pass_["until"]),
                        bool(pass_.get("moves_cursor", True)))
        run_.log.info("%s: resuming insights %s..%s", SOURCE, window.since, window.until)
    else:
        pass_ = None
        window = report_window(last_complete, start, end)
    if window is None:
        return
    done = set(pass_.get("accounts_done", [])) if pass_ else set()
    for account in accounts:
        if account in done:
            continue
        after = pass_.get("after") if pass_ and pass_.get("account") == account else None
        params = {"level": "ad", "time_increment": 1, "fields": INSIGHT_FIELDS, "limit": PAGE_LIMIT,
                  "time_range": json.dumps({"since": window.since.isoformat(), "until": window.until.isoformat()})}
        for records, nxt in api.pages(f"act_{account}/insights", params, after=after):
            rows = run_.map_records("insights_daily", records, lambda r, a=account: map_insight(r, a),
                                    ref=lambda r, i, a=account: f"act_{a}/insights " + (
                                        f"ad {r.get('ad_id')} day {r.get('date_start')}"
                                        if isinstance(r, Mapping) and r.get("ad_id") else f"index {i}"))
            if nxt:
                cursor = {"last_complete_day": last_complete, "pass": {
                    "since": window.since.isoformat(), "until": window.until.isoformat(),
                    "moves_cursor": window.moves_cursor, "accounts_done": sorted(done), "account": account,
                    "after": nxt}}
            else:
                done.add(account)
                cursor = {"last_complete_day": last_complete, "pass": {
                    "since": window.since.isoformat(), "until": window.until.isoformat(),
                    "moves_cursor": window.moves_cursor, "accounts_done": sorted(done), "account": None,
                    "after": None}}
            run_.write_page(T_INSIGHTS, rows, stream="insights", cursor=cursor)
    if window.moves_cursor:
        last_complete = max(filter(None, [last_complete, window.until.isoformat()]))
    run_.set_cursor("insights", {"last_complete_day": last_complete, "pass": None})


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema="raw_meta_ads",
    required_env=("META_ACCESS_TOKEN", "META_AD_ACCOUNT_IDS"), optional_env=("META_BASE_URL", "META_API_VERSION"),
    run=run,
    time_sliced=True,
    description="Meta Marketing API: campaigns, ad sets, ads and daily ad-level insights.",
)
