"""TikTok API for Business (Marketing API v1.3) -> ``raw_tiktok_ads.*``.

Endpoints (base ``https://business-api.tiktok.com/open_api/v1.3``; header ``Access-Token``):
- ``GET campaign/get/``, ``adgroup/get/``, ``ad/get/`` with ``advertiser_id``, ``page`` and
  ``page_size`` (max 1000); the answer's ``data.page_info.total_page`` says how many pages there are.
- ``GET advertiser/info/?advertiser_ids=[...]`` for the advertiser's currency.
- ``GET report/integrated/get/`` with ``report_type=BASIC``, ``data_level=AUCTION_AD``,
  ``dimensions=["ad_id","stat_time_day"]``, ``metrics=["spend","impressions","clicks","conversion"]``,
  ``start_date``/``end_date`` (at most 30 days per request with a daily dimension), paged the same way.
  Rows are ``{"dimensions": {"ad_id", "stat_time_day"}, "metrics": {...}}``; ad group and campaign
  come from the ads loaded in the same run.

Every answer is ``{"code": 0, "message": "OK", "request_id", "data": {...}}``; a non-zero ``code`` is
an error even with HTTP 200: 40100 (too many requests) and 5xxxx (TikTok-side errors) are waited out
with backoff, anything else (e.g. 40001/40105 auth) fails the run with the code and message.
HTTP 429/5xx are retried by the shared session (``Retry-After`` honoured).

Increments
- Campaigns, ad groups, ads: a full pass per advertiser each run, merged on the id; every page commits
  with its page number, so a killed run resumes at the next page.
- The daily report is time-sliced like Meta's insights: by default the last 28 complete days (TikTok
  revises conversions during attribution windows), extended back to the day after the last complete
  day stored in the cursor when runs were missed; ``start``/``end`` backfill. While a pass is under way
  the cursor holds the advertiser, the 30-day chunk and the last committed page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.connectors.http import ApiClient, ApiError
from ingestion.connectors.meta_ads import Window, rate_limit_pause, report_window
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

SOURCE = "tiktok_ads"
DEFAULT_BASE_URL = "https://business-api.tiktok.com/open_api/v1.3"
PAGE_SIZE = 1000
REPORT_CHUNK_DAYS = 30
RATE_LIMIT_CODE = 40100
RETRY_TRIES = 6
METRICS = ["spend", "impressions", "clicks", "conversion"]

T_CAMPAIGNS = "raw_tiktok_ads.campaigns"
T_ADGROUPS = "raw_tiktok_ads.adgroups"
T_ADS = "raw_tiktok_ads.ads"
T_REPORT = "raw_tiktok_ads.report_daily"


class TikTokError(ApiError):
    """A non-zero ``code`` in the answer (HTTP 200 or not)."""


class TikTokApi:
    def __init__(self, base_url: str, token: str, log: logging.Logger):
        self.log = log
        self.client = ApiClient(SOURCE, base_url, headers={"Access-Token": token}, secrets=[token], log=log)

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        for attempt in range(RETRY_TRIES + 1):
            body = self.client.get_json(path, params=params)
            if not isinstance(body, dict) or "code" not in body:
                raise TikTokError(f"{SOURCE}: GET /{path} answer has no code", source=SOURCE, method="GET",
                                  endpoint=f"/{path}")
            code = body.get("code")
            if code == 0:
                data = body.get("data")
                if not isinstance(data, dict):
                    raise TikTokError(f"{SOURCE}: GET /{path} answer has no data object", source=SOURCE,
                                      method="GET", endpoint=f"/{path}")
                return data
            message = self.client.clean(str(body.get("message")), 200)
            transient = code == RATE_LIMIT_CODE or (isinstance(code, int) and 50000 <= code < 60000)
            if transient and attempt < RETRY_TRIES:
                pause = rate_limit_pause(attempt)
                self.log.warning("%s: /%s answered code %s; waiting %.1f s", SOURCE, path, code, pause)
                self.client.pause(pause, endpoint=f"/{path}")
                continue
            detail = f"code={code}; message={message}"
            raise TikTokError(f"{SOURCE}: GET /{path} failed: {detail}", source=SOURCE, method="GET",
                              endpoint=f"/{path}", status=200, detail=detail)
        raise AssertionError("unreachable")

    def pages(self, path: str, params: Mapping[str, Any], start_page: int = 1
              ) -> Iterator[tuple[list[Any], int, bool]]:
        """Yield (records, page number, is_last) using ``page``/``page_size`` and ``page_info.total_page``."""
        page = start_page
        previous: str | None = None
        while True:
            data = self.get(path, {**params, "page": page, "page_size": PAGE_SIZE})
            items = data.get("list")
            if items is None:
                items = []
            if not isinstance(items, list):
                raise TikTokError(f"{SOURCE}: GET /{path} data.list is not a list", source=SOURCE, method="GET",
                                  endpoint=f"/{path}")
            info = data.get("page_info") if isinstance(data.get("page_info"), dict) else {}
            try:
                total = parse_int(info.get("total_page"), "total_page") or 1
            except BadRecord:
                raise TikTokError(f"{SOURCE}: GET /{path} page_info.total_page is not a number", source=SOURCE,
                                  method="GET", endpoint=f"/{path}") from None
            last = page >= total or not items
            # paging is by number, so a looping server shows as the same records again on the next page
            fingerprint = json.dumps(items, sort_keys=True, default=str) if items else None
            if fingerprint is not None and fingerprint == previous:
                raise TikTokError(
                    f"{SOURCE}: GET /{path} returned the same records for page {page} as for page {page - 1}: "
                    "the server ignores the page number, so the run stops here",
                    source=SOURCE, method="GET", endpoint=f"/{path}")
            previous = fingerprint
            yield items, page, last
            if last:
                return
            page += 1


# ------------------------------------------------------------------------------------------------
# Mapping
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
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BadRecord(f"{key} is not an id")
    return str(value)


def _ts(rec: Mapping[str, Any], key: str) -> Any:
    """TikTok sends ``YYYY-MM-DD HH:MM:SS`` in UTC for create_time / modify_time."""
    return parse_ts(rec.get(key), key)


def map_campaign(rec: Any, advertiser_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "campaign_id": _id(rec, "campaign_id"),
        "advertiser_id": _id(rec, "advertiser_id", required=False) or advertiser_id,
        "campaign_name": parse_str(rec.get("campaign_name"), "campaign_name"),
        "objective_type": parse_str(rec.get("objective_type"), "objective_type"),
        "operation_status": parse_str(rec.get("operation_status"), "operation_status"),
        "created_at": _ts(rec, "create_time"),
        "updated_at": _ts(rec, "modify_time"),
    }


def map_adgroup(rec: Any, advertiser_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "adgroup_id": _id(rec, "adgroup_id"),
        "campaign_id": _id(rec, "campaign_id", required=False),
        "advertiser_id": _id(rec, "advertiser_id", required=False) or advertiser_id,
        "adgroup_name": parse_str(rec.get("adgroup_name"), "adgroup_name"),
        "optimization_goal": parse_str(rec.get("optimization_goal"), "optimization_goal"),
        "operation_status": parse_str(rec.get("operation_status"), "operation_status"),
        "created_at": _ts(rec, "create_time"),
        "updated_at": _ts(rec, "modify_time"),
    }


def map_ad(rec: Any, advertiser_id: str) -> dict[str, Any]:
    rec = _obj(rec)
    return {
        "ad_id": _id(rec, "ad_id"),
        "adgroup_id": _id(rec, "adgroup_id", required=False),
        "campaign_id": _id(rec, "campaign_id", required=False),
        "advertiser_id": _id(rec, "advertiser_id", required=False) or advertiser_id,
        "ad_name": parse_str(rec.get("ad_name"), "ad_name"),
        "operation_status": parse_str(rec.get("operation_status"), "operation_status"),
        "created_at": _ts(rec, "create_time"),
        "updated_at": _ts(rec, "modify_time"),
    }


def _count(metrics: Mapping[str, Any], key: str) -> int | None:
    value = metrics.get(key)
    if isinstance(value, str) and value.strip().endswith(".0"):
        value = value.strip()[:-2]
    n = parse_int(value, key)
    if n is not None and n < 0:
        raise BadRecord(f"{key} is negative")
    return n


def map_report_row(rec: Any, advertiser_id: str, currency: str | None,
                   ads: Mapping[str, tuple[str | None, str | None]]) -> dict[str, Any]:
    rec = _obj(rec)
    dims = rec.get("dimensions")
    metrics = rec.get("metrics")
    if not isinstance(dims, Mapping) or not isinstance(metrics, Mapping):
        raise BadRecord("row has no dimensions/metrics objects")
    ad_id = _id(dims, "ad_id")
    day = parse_date(dims.get("stat_time_day"), "stat_time_day")
    if day is None:
        raise BadRecord("missing stat_time_day")
    adgroup_id, campaign_id = ads.get(ad_id, (None, None))
    return {
        "stat_time_day": day,
        "ad_id": ad_id,
        "adgroup_id": _id(metrics, "adgroup_id", required=False) or adgroup_id,
        "campaign_id": _id(metrics, "campaign_id", required=False) or campaign_id,
        "advertiser_id": advertiser_id,
        "currency": parse_str(metrics.get("currency"), "currency") or currency,
        "spend": parse_decimal(metrics.get("spend"), "spend") or "0",
        "impressions": _count(metrics, "impressions"),
        "clicks": _count(metrics, "clicks"),
        "conversion": _count(metrics, "conversion"),
    }


# ------------------------------------------------------------------------------------------------
# Run
# ------------------------------------------------------------------------------------------------
OBJECTS = (
    ("campaigns", "campaign/get/", T_CAMPAIGNS, map_campaign, "campaign_id"),
    ("adgroups", "adgroup/get/", T_ADGROUPS, map_adgroup, "adgroup_id"),
    ("ads", "ad/get/", T_ADS, map_ad, "ad_id"),
)


def advertisers_from_env(settings: Mapping[str, str]) -> list[str]:
    raw = env_required("TIKTOK_ADVERTISER_IDS", settings)
    return [a.strip() for a in raw.split(",") if a.strip()]


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Campaigns, ad groups, ads (full pass) and the daily ad report (the window; see module doc)."""
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    settings = settings_or_env(settings)
    token = env_required("TIKTOK_ACCESS_TOKEN", settings)
    advertisers = advertisers_from_env(settings)
    api = TikTokApi(env_default("TIKTOK_BASE_URL", DEFAULT_BASE_URL, settings), token, log)
    try:
        with IngestRun(warehouse, SOURCE, log) as run_:
            for adv in advertisers:
                for name, path, table, mapper, key in OBJECTS:
                    _load_objects(api, run_, adv, name, path, table, mapper, key)
            _load_report(api, run_, advertisers, start, end)
            return run_.result
    finally:
        api.close()


def _load_objects(api: TikTokApi, run_: IngestRun, adv: str, name: str, path: str, table: str, mapper: Any,
                  key: str) -> None:
    stream = f"{name}:{adv}"
    state = run_.get_json_cursor(stream)
    start_page = int(state.get("next_page") or 1)
    for items, page, last in api.pages(path, {"advertiser_id": adv}, start_page=start_page):
        rows = run_.map_records(name, items, lambda r: mapper(r, adv),
                                ref=lambda r, i, p=page: f"advertiser {adv} {name} " + (
                                    f"id {r.get(key)}" if isinstance(r, Mapping) and r.get(key) else f"page {p} index {i}"))
        run_.write_page(table, rows, stream=stream, cursor={"next_page": None if last else page + 1})


def _currency(api: TikTokApi, adv: str) -> str | None:
    data = api.get("advertiser/info/", {"advertiser_ids": json.dumps([adv]), "fields": json.dumps(["currency"])})
    for item in data.get("list") or []:
        if isinstance(item, Mapping) and str(item.get("advertiser_id")) == adv:
            return parse_str(item.get("currency"), "currency")
    return None


def _load_report(api: TikTokApi, run_: IngestRun, advertisers: list[str], start: date | None,
                 end: date | None) -> None:
    state = run_.get_json_cursor("report")
    last_complete = state.get("last_complete_day")
    pass_ = state.get("pass") if isinstance(state.get("pass"), dict) else None
    if pass_ and not (start or end):
        window = Window(date.fromisoformat(pass_["since"]), date.fromisoformat(pass_["until"]),
                        bool(pass_.get("moves_cursor", True)))
        run_.log.info("%s: resuming report %s..%s", SOURCE, window.since, window.until)
    else:
        pass_ = None
        window = report_window(last_complete, start, end)
    if window is None:
        return
    chunks = list(window.chunks(REPORT_CHUNK_DAYS))
    for adv_index, adv in enumerate(advertisers):
        if pass_ and adv_index < int(pass_.get("advertiser_index", 0)):
            continue
        currency = _currency(api, adv)
        ads = {r[0]: (r[1], r[2]) for r in run_.existing(
            f"select ad_id, adgroup_id, campaign_id from {T_ADS} where advertiser_id = ?", [adv])}
        for chunk_index, (since, until) in enumerate(chunks):
            resume_page = 1
            if pass_ and adv_index == int(pass_.get("advertiser_index", 0)):
                if chunk_index < int(pass_.get("chunk_index", 0)):
                    continue
                if chunk_index == int(pass_.get("chunk_index", 0)):
                    resume_page = int(pass_.get("next_page") or 1)
            params = {
                "advertiser_id": adv, "report_type": "BASIC", "data_level": "AUCTION_AD",
                "dimensions": json.dumps(["ad_id", "stat_time_day"]), "metrics": json.dumps(METRICS),
                "start_date": since.isoformat(), "end_date": until.isoformat(),
            }
            for items, page, last in api.pages("report/integrated/get/", params, start_page=resume_page):
                rows = run_.map_records(
                    "report_daily", items, lambda r, a=adv, c=currency, m=ads: map_report_row(r, a, c, m),
                    ref=lambda r, i, a=adv, p=page: f"advertiser {a} report " + _report_ref(r, p, i))
                nxt = (adv_index, chunk_index, page + 1)
                if last:
                    nxt = (adv_index, chunk_index + 1, 1) if chunk_index + 1 < len(chunks) else (adv_index + 1, 0, 1)
                cursor = {"last_complete_day": last_complete, "pass": {
                    "since": window.since.isoformat(), "until": window.until.isoformat(),
                    "moves_cursor": window.moves_cursor, "advertiser_index": nxt[0], "chunk_index": nxt[1],
                    "next_page": nxt[2]}}
                run_.write_page(T_REPORT, rows, stream="report", cursor=cursor)
    if window.moves_cursor:
        last_complete = max(filter(None, [last_complete, window.until.isoformat()]))
    run_.set_cursor("report", {"last_complete_day": last_complete, "pass": None})


def _report_ref(rec: Any, page: int, index: int) -> str:
    dims = rec.get("dimensions") if isinstance(rec, Mapping) else None
    if isinstance(dims, Mapping) and dims.get("ad_id"):
        return f"ad {dims.get('ad_id')} day {str(dims.get('stat_time_day'))[:10]}"
    return f"page {page} index {index}"


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema="raw_tiktok_ads",
    required_env=("TIKTOK_ACCESS_TOKEN", "TIKTOK_ADVERTISER_IDS"), optional_env=("TIKTOK_BASE_URL",),
    run=run,
    time_sliced=True,
    description="TikTok API for Business: campaigns, ad groups, ads and the daily ad-level report.",
)
