"""Shopify Admin REST API -> ``raw_shop.customers``, ``orders``, ``order_lines``, ``refunds``.

Endpoints (base ``https://{shop}.myshopify.com/admin/api/2024-10``; header ``X-Shopify-Access-Token``;
scopes ``read_customers`` and ``read_orders``, plus ``read_all_orders`` for orders older than 60 days):
- ``GET customers.json?limit=250&updated_at_min=...&order=updated_at asc``
- ``GET orders.json?status=any&limit=250&updated_at_min=...&order=updated_at asc``; line items and
  refunds (with their transactions) are inside each order.
Paging is cursor-based through the ``Link`` response header (``<...page_info=...>; rel="next"``); a
request carrying ``page_info`` may only add ``limit`` (Shopify rejects other filters), so the
filters of a pass live in its first request. HTTP 429 comes with ``Retry-After`` (retried by the
shared session); ``X-Shopify-Shop-Api-Call-Limit`` (``used/size`` of the leaky bucket) is watched and
the connector pauses when the bucket is nearly full.

Increments: each stream keeps ``{"updated_at_min", "pass_started", "page_info", "high_water"}`` in its
cursor. A pass asks for records updated since ``updated_at_min``; every page commits with the next
``page_info`` and the highest ``updated_at`` seen, so a killed run resumes at the next page (or, if
Shopify no longer accepts that ``page_info``, restarts the pass from ``updated_at_min``). A finished
pass moves ``updated_at_min`` to the high-water mark, but never past the pass's start minus 5 minutes
(a record changed during the pass may sit on a page already read); the bound is inclusive, so boundary
records are re-read and merged, never skipped.

Storefront events (``raw_shop.storefront_events``: page views, carts, checkouts) are not in the Admin
API: they come from a Shopify web pixel (customer events) or the file drop (``conversion_events``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingestion.connectors.http import ApiClient, ApiError, CursorGuard
from ingestion.parsing import (
    BadRecord,
    parse_decimal,
    parse_int,
    parse_str,
    parse_ts,
    ts_iso,
)
from ingestion.runs import (
    ConnectorSpec,
    IngestResult,
    IngestRun,
    env_default,
    env_required,
    settings_or_env,
)
from warehouse_io import utcnow

SOURCE = "shopify"
RAW_SCHEMA = "raw_shop"
DEFAULT_VERSION = "2024-10"
PAGE_LIMIT = 250
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
SKEW = timedelta(minutes=5)

T_CUSTOMERS = "raw_shop.customers"
T_ORDERS = "raw_shop.orders"
T_LINES = "raw_shop.order_lines"
T_REFUNDS = "raw_shop.refunds"


# ------------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------------
def next_page_info(resp: Any, api: ApiClient | None = None) -> str | None:
    link = resp.links.get("next") if hasattr(resp, "links") else None
    if not link or not link.get("url"):
        return None
    if api is not None:
        api.check_same_origin(api.url(link["url"]) if link["url"].startswith("/") else link["url"])
    vals = parse_qs(urlsplit(link["url"]).query).get("page_info")
    return vals[0] if vals else None


def _throttle(resp: Any, log: logging.Logger) -> None:
    """Pause when the leaky bucket is nearly full (it drains about 2 calls a second)."""
    raw = resp.headers.get(CALL_LIMIT_HEADER) if hasattr(resp, "headers") else None
    try:
        used, size = (int(x) for x in str(raw).split("/"))
    except (TypeError, ValueError):
        return
    if size and used >= size - 2:
        log.info("%s: call limit %s/%s reached; pausing 1 s", SOURCE, used, size)
        time.sleep(1.0)


def pages(api: ApiClient, resource: str, key: str, params: Mapping[str, Any], page_info: str | None,
          log: logging.Logger) -> Iterator[tuple[list[Any], str | None]]:
    """Yield (records, page_info of the next page or None)."""
    guard = CursorGuard(api, "GET", resource, "page_info (Link rel=next)")
    guard.check(page_info)
    while True:
        query = {"limit": PAGE_LIMIT, "page_info": page_info} if page_info else {"limit": PAGE_LIMIT, **params}
        resp = api.request("GET", resource, params=query)
        _throttle(resp, log)
        body = api.parse_json(resp)  # an HTML page or garbage: an ApiError saying so
        items = body.get(key) if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise ApiError(f"{SOURCE}: GET /{resource} answer has no {key} list", source=SOURCE, method="GET",
                           endpoint=f"/{resource}", status=resp.status_code)
        nxt = next_page_info(resp, api) if items else None
        guard.check(nxt)  # a server repeating a cursor must not page forever
        yield items, nxt
        if not nxt:
            return
        page_info = nxt


# ------------------------------------------------------------------------------------------------
# Mapping
# ------------------------------------------------------------------------------------------------
def _obj(rec: Any) -> Mapping[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("record is not an object")
    return rec


def _money(rec: Mapping[str, Any], key: str) -> str | None:
    return parse_decimal(rec.get(key), key)


def map_customer(rec: Any) -> dict[str, Any]:
    rec = _obj(rec)
    consent = rec.get("email_marketing_consent")
    state = consent.get("state") if isinstance(consent, Mapping) else None
    updated = parse_ts(rec.get("updated_at"), "updated_at", required=True)
    return {
        "customer_id": parse_int(rec.get("id"), "id", required=True),
        "email": parse_str(rec.get("email"), "email"),
        "phone": parse_str(rec.get("phone"), "phone"),
        "first_name": parse_str(rec.get("first_name"), "first_name"),
        "last_name": parse_str(rec.get("last_name"), "last_name"),
        "email_marketing_state": parse_str(state, "email_marketing_consent.state"),
        "created_at": parse_ts(rec.get("created_at"), "created_at"),
        "updated_at": updated,
    }


def map_order(rec: Any) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One order -> (order row, line rows, refund rows); any bad part rejects the whole order."""
    rec = _obj(rec)
    order_id = parse_int(rec.get("id"), "id", required=True)
    customer = rec.get("customer")
    currency = parse_str(rec.get("currency"), "currency")
    order = {
        "order_id": order_id,
        "order_number": parse_int(rec.get("order_number"), "order_number"),
        "customer_id": parse_int(customer.get("id"), "customer.id") if isinstance(customer, Mapping) else None,
        "email": parse_str(rec.get("email") or rec.get("contact_email"), "email"),
        "phone": parse_str(rec.get("phone"), "phone"),
        "financial_status": parse_str(rec.get("financial_status"), "financial_status"),
        "currency": currency,
        "subtotal_price": _money(rec, "subtotal_price"),
        "total_discounts": _money(rec, "total_discounts"),
        "total_tax": _money(rec, "total_tax"),
        "total_price": _money(rec, "total_price"),
        "source_name": parse_str(rec.get("source_name"), "source_name"),
        "landing_site": parse_str(rec.get("landing_site"), "landing_site"),
        "created_at": parse_ts(rec.get("created_at"), "created_at", required=True),
        "processed_at": parse_ts(rec.get("processed_at"), "processed_at"),
        "cancelled_at": parse_ts(rec.get("cancelled_at"), "cancelled_at"),
        "updated_at": parse_ts(rec.get("updated_at"), "updated_at", required=True),
    }
    lines = []
    for li in rec.get("line_items") or []:
        li = _obj(li)
        lines.append({
            "line_id": parse_int(li.get("id"), "line_items.id", required=True),
            "order_id": order_id,
            "product_id": parse_int(li.get("product_id"), "line_items.product_id"),
            "title": parse_str(li.get("title"), "line_items.title"),
            "quantity": parse_int(li.get("quantity"), "line_items.quantity"),
            "price": _money(li, "price"),
            "total_discount": _money(li, "total_discount"),
        })
    refunds = []
    for rf in rec.get("refunds") or []:
        rf = _obj(rf)
        transactions = [t for t in (rf.get("transactions") or []) if isinstance(t, Mapping)
                        and t.get("kind") == "refund" and t.get("status") in (None, "success")]
        amount = sum((Decimal(parse_decimal(t.get("amount"), "refunds.transactions.amount") or "0")
                      for t in transactions), Decimal("0"))
        refunds.append({
            "refund_id": parse_int(rf.get("id"), "refunds.id", required=True),
            "order_id": order_id,
            "amount": str(amount),
            "currency": next((parse_str(t.get("currency"), "currency") for t in transactions if t.get("currency")),
                             currency),
            "created_at": parse_ts(rf.get("created_at"), "refunds.created_at"),
        })
    return order, lines, refunds


# ------------------------------------------------------------------------------------------------
# Run
# ------------------------------------------------------------------------------------------------
def _client(settings: Mapping[str, str], log: logging.Logger) -> ApiClient:
    token = env_required("SHOPIFY_ACCESS_TOKEN", settings)
    shop = env_required("SHOPIFY_SHOP_URL", settings).rstrip("/")
    if not shop.startswith(("http://", "https://")):
        shop = f"https://{shop}"
    version = env_default("SHOPIFY_API_VERSION", DEFAULT_VERSION, settings)
    return ApiClient(SOURCE, f"{shop}/admin/api/{version}", headers={"X-Shopify-Access-Token": token},
                     secrets=[token], log=log)


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Customers and orders updated since the last run (``start`` forces a re-read from that day;
    ``end`` is ignored: the Admin API pass always runs up to now)."""
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    with _client(settings_or_env(settings), log) as api, IngestRun(warehouse, SOURCE, log, raw_schema=RAW_SCHEMA) as run_:
        _sync(api, run_, "customers", {}, start, _customer_page)
        _sync(api, run_, "orders", {"status": "any"}, start, _order_page)
        return run_.result


def _sync(api: ApiClient, run_: IngestRun, stream: str, filters: Mapping[str, Any], start: date | None,
          write: Any) -> None:
    state = run_.get_json_cursor(stream)
    since = state.get("updated_at_min")
    page_info = state.get("page_info")
    high = state.get("high_water") or since
    started = state.get("pass_started") if page_info else None
    if start is not None:  # an explicit backfill starts a fresh pass
        since, page_info, high, started = ts_iso(datetime.combine(start, datetime.min.time())), None, None, None
    started = started or ts_iso(utcnow())
    params = {**filters, "order": "updated_at asc"}
    if since:
        params["updated_at_min"] = since
    cursor = {"updated_at_min": since, "pass_started": started}
    try:
        high = _pass(api, run_, stream, params, cursor, page_info, high, write)
    except ApiError as exc:
        if not page_info or exc.status not in (400, 422):
            raise
        run_.log.warning("%s: %s page_info no longer accepted; restarting the pass from its start", SOURCE, stream)
        high = _pass(api, run_, stream, params, cursor, None, high, write)
    # Records changed while the pass ran may sit on pages already read: the next pass starts no later
    # than this pass's start (minus a margin for clock skew), and never later than the newest record seen.
    margin = ts_iso(datetime.fromisoformat(started.rstrip("Z")) - SKEW)
    nxt = min(high, margin) if high else None
    run_.set_cursor(stream, {"updated_at_min": nxt, "page_info": None, "high_water": nxt})


def _pass(api: ApiClient, run_: IngestRun, stream: str, params: Mapping[str, Any], cursor: Mapping[str, Any],
          page_info: str | None, high: str | None, write: Any) -> str | None:
    for items, nxt in pages(api, f"{stream}.json", stream, params, page_info, run_.log):
        high = write(run_, stream, items, cursor, nxt, high)
    return high


def _high(high: str | None, rows: list[Mapping[str, Any]]) -> str | None:
    stamps = [ts_iso(r["updated_at"]) for r in rows if r.get("updated_at")]
    return max([s for s in [high, *stamps] if s], default=None)


def _ref(rec: Any, i: int, kind: str) -> str:
    if isinstance(rec, Mapping) and rec.get("id") not in (None, ""):
        return f"{kind} {rec.get('id')}"
    return f"{kind} index {i}"


def _customer_page(run_: IngestRun, stream: str, items: list[Any], cursor: Mapping[str, Any], nxt: str | None,
                   high: str | None) -> str | None:
    rows = run_.map_records("customers", items, map_customer, ref=lambda r, i: _ref(r, i, "customer"))
    high = _high(high, rows)
    run_.write_page(T_CUSTOMERS, rows, stream=stream,
                    cursor={**cursor, "page_info": nxt, "high_water": high})
    return high


def _order_page(run_: IngestRun, stream: str, items: list[Any], cursor: Mapping[str, Any], nxt: str | None,
                high: str | None) -> str | None:
    orders, lines, refunds = [], [], []
    bad = []
    for i, rec in enumerate(items):
        try:
            order, order_lines, order_refunds = map_order(rec)
        except (BadRecord, ValueError, TypeError, KeyError, AttributeError) as exc:
            reason = str(exc) if isinstance(exc, BadRecord) else f"{type(exc).__name__}: {exc}"[:200]
            bad.append((_ref(rec, i, "order"), reason, rec))
            continue
        orders.append(order)
        lines += order_lines
        refunds += order_refunds
    if bad:
        run_.quarantine("orders", bad)
    high = _high(high, orders)
    extra = []
    if orders:  # lines removed by an order edit disappear too
        ids = [o["order_id"] for o in orders]
        keep = [ln["line_id"] for ln in lines] or [-1]
        extra.append((f"delete from {T_LINES} where order_id in ({','.join('?' * len(ids))}) "
                      f"and line_id not in ({','.join('?' * len(keep))})", [*ids, *keep]))
    run_.write_pages({T_ORDERS: orders, T_LINES: lines, T_REFUNDS: refunds}, stream=stream,
                     cursor={**cursor, "page_info": nxt, "high_water": high}, extra=extra)
    return high


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema=RAW_SCHEMA,
    required_env=("SHOPIFY_SHOP_URL", "SHOPIFY_ACCESS_TOKEN"), optional_env=("SHOPIFY_API_VERSION",),
    run=run,
    description="Shopify Admin REST API: customers, orders with line items and refunds (incremental on updated_at).",
)
