"""Shopify connector against a fake Admin REST API on 127.0.0.1 (real HTTP, real DuckDB)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.connectors import shopify
from ingestion.connectors.http import ApiError

from .servers.common import run_cli, run_cli_killed_midway
from .servers.shopify import PREFIX, ShopifyFake


@pytest.fixture
def fake():
    f = ShopifyFake()
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


def utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def assert_tables_equal_server(wh: Path, fake: ShopifyFake) -> None:
    assert q(wh, "select customer_id, email, phone, first_name, last_name, email_marketing_state, created_at, "
                 "updated_at from raw_shop.customers order by 1") == [
        (c["id"], c["email"], c["phone"], c["first_name"], c["last_name"], c["email_marketing_consent"]["state"],
         utc(c["created_at"]), utc(c["updated_at"])) for c in fake.customers]
    good = sorted((o for o in fake.orders if o["id"] != fake.bad_order_id), key=lambda o: o["id"])
    assert q(wh, "select order_id, order_number, customer_id, email, financial_status, currency, subtotal_price, "
                 "total_discounts, total_tax, total_price, source_name, landing_site, created_at, processed_at, "
                 "cancelled_at, updated_at from raw_shop.orders order by 1") == [
        (o["id"], o["order_number"], o["customer"]["id"] if o["customer"] else None, o["email"],
         o["financial_status"], o["currency"], money(o["subtotal_price"]), money(o["total_discounts"]),
         money(o["total_tax"]), money(o["total_price"]), o["source_name"], o["landing_site"], utc(o["created_at"]),
         utc(o["processed_at"]), utc(o["cancelled_at"]), utc(o["updated_at"])) for o in good]
    assert q(wh, "select line_id, order_id, product_id, title, quantity, price, total_discount "
                 "from raw_shop.order_lines order by 1") == sorted(
        (li["id"], o["id"], li["product_id"], li["title"], li["quantity"], money(li["price"]),
         money(li["total_discount"])) for o in good for li in o["line_items"])
    assert q(wh, "select refund_id, order_id, amount, currency, created_at from raw_shop.refunds order by 1") == sorted(
        (rf["id"], o["id"], Decimal("20.50"), "EUR", utc(rf["created_at"])) for o in good for rf in o["refunds"])


def test_run_loads_exactly_the_server_records_through_faults(fake, env, tmp_path):
    fake.server.fault(nth=1, path=rf"{PREFIX}/customers\.json", status=429, headers={"Retry-After": "1"})
    fake.server.fault(nth=1, path=rf"{PREFIX}/orders\.json", status=429, headers={"Retry-After": "1.0"})
    fake.server.fault(nth=3, path=rf"{PREFIX}/orders\.json", status=502)
    wh = tmp_path / "w.duckdb"
    result = shopify.run(wh)

    assert_tables_equal_server(wh, fake)
    assert q(wh, "select count(*) from raw_shop.refunds")[0][0] == 2
    assert q(wh, "select source, entity, record_ref, reason from ops.quarantine") == [
        ("shopify", "orders", f"order {fake.bad_order_id}", "created_at is not a timestamp")]
    assert result.quarantined == 1
    calls = [(p.removeprefix(PREFIX), qs, s) for _m, p, qs, s in fake.server.log]
    assert [s for p, _q, s in calls if p == "/customers.json"] == [429, 200, 200, 200]  # 7 customers, 3 per page
    assert [s for p, _q, s in calls if p == "/orders.json"] == [429, 200, 502, 200, 200]  # 9 orders
    first_orders = next(qs for p, qs, s in calls if p == "/orders.json" and s == 200)
    assert first_orders["status"] == ["any"] and first_orders["order"] == ["updated_at asc"]
    # follow-up pages carry only limit + page_info (the fake answers 400 to anything else)
    follow = [qs for p, qs, s in calls if s == 200 and "page_info" in qs]
    assert follow and all(set(qs) == {"limit", "page_info"} for qs in follow)
    cursor = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'orders'")[0][0])
    assert cursor["page_info"] is None and cursor["updated_at_min"] == "2024-05-20T10:00:00.000Z"


def test_incremental_runs_add_no_duplicates_and_pick_up_changes(fake, env, tmp_path):
    wh = tmp_path / "w.duckdb"
    shopify.run(wh)
    counts = [q(wh, f"select count(*) from {t}")[0][0] for t in shopify.SPEC.tables]
    n = len(fake.server.log)
    shopify.run(wh)
    assert [q(wh, f"select count(*) from {t}")[0][0] for t in shopify.SPEC.tables] == counts
    second = [qs for _m, p, qs, s in fake.server.log[n:] if p.endswith("/orders.json")]
    assert second[0]["updated_at_min"] == ["2024-05-20T10:00:00.000Z"]  # only what changed since

    # an order gets refunded and loses a line; a new customer signs up
    order = fake.orders[1]
    order.update(updated_at="2024-06-01T09:00:00Z", financial_status="refunded", line_items=order["line_items"][:1],
                 refunds=[{"id": 99, "created_at": "2024-06-01T09:00:00Z", "transactions": [
                     {"kind": "refund", "status": "success", "amount": "20.50", "currency": "EUR"}]}])
    fake.customers.append({**fake.customers[0], "id": 6_199_999_999, "email": "new@example.test",
                           "updated_at": "2024-06-02T10:00:00+00:00"})
    shopify.run(wh)
    assert_tables_equal_server(wh, fake)
    assert q(wh, f"select financial_status from raw_shop.orders where order_id = {order['id']}") == [("refunded",)]


def test_bad_token_fails_naming_the_endpoint_not_the_token(fake, env, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_wrong_123456")
    with pytest.raises(ApiError) as info:
        shopify.run(tmp_path / "w.duckdb")
    assert info.value.status == 401 and f"{PREFIX}/customers.json" in str(info.value)
    assert "shpat_wrong_123456" not in str(info.value)


def test_killed_run_resumes_and_ends_with_exactly_the_server_records(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    asked = threading.Event()
    fake.server.fault(path=rf"{PREFIX}/orders\.json", sleep=60,
                      when=lambda r: bool(r.arg("page_info")) and not asked.is_set() and (asked.set() or True))
    assert run_cli_killed_midway("shopify", wh, fake.env(), asked.is_set) == -9
    state = json.loads(q(wh, "select cursor_value from ops.ingest_cursors where stream = 'orders'")[0][0])
    assert state["page_info"] and state["updated_at_min"] is None
    assert q(wh, "select count(*) from raw_shop.orders")[0][0] == 3  # the first page is committed
    n = len(fake.server.log)

    proc = run_cli("shopify", wh, fake.env())
    assert proc.returncode == 0, proc.stderr
    resumed = [qs for _m, p, qs, s in fake.server.log[n:] if p.endswith("/orders.json")]
    assert resumed[0].get("page_info") == [state["page_info"]]
    assert_tables_equal_server(wh, fake)
