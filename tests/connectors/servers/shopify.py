"""A fake Shopify Admin REST API (customers.json and orders.json).

Contract implemented: ``X-Shopify-Access-Token`` header (401 ``{"errors": "[API] Invalid API key or
access token ..."}`` otherwise); ``GET /admin/api/2024-10/{customers,orders}.json`` with ``limit``
(capped at ``page_size`` so small fixtures span pages), ``updated_at_min`` (inclusive),
``order=updated_at asc``, ``status=any`` for orders (without it only open orders, as Shopify does);
cursor paging through the ``Link`` header (``<...?limit=N&page_info=X>; rel="next"``, plus
``rel="previous"``), where a request with ``page_info`` may carry nothing but ``limit`` (400
otherwise, as Shopify answers); ``X-Shopify-Shop-Api-Call-Limit`` on every answer.

The data: customers and orders with line items and refunds (with refund transactions), timestamps with
offsets. One order has an unparsable ``created_at``: the malformed record to quarantine.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from .common import ApiServer, Reply, Request, header_token

TOKEN = "shpat_test_0b7d2c"
VERSION = "2024-10"
PREFIX = f"/admin/api/{VERSION}"


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts).astimezone(UTC)


class ShopifyFake:
    def __init__(self, n_customers: int = 7, n_orders: int = 8, page_size: int = 3, token: str = TOKEN):
        self.token = token
        self.page_size = page_size
        self.calls = 0
        self.server = ApiServer(
            auth=header_token("X-Shopify-Access-Token", token),
            unauthorized=Reply(401, {"errors": "[API] Invalid API key or access token (unrecognized login or "
                                               "wrong password)"}))
        self.customers: list[dict[str, Any]] = []
        for i in range(1, n_customers + 1):
            self.customers.append({
                "id": 6_100_000_000 + i, "email": f"buyer{i}@example.test", "phone": f"+4917000000{i:02d}",
                "first_name": f"Buyer{i}", "last_name": "Test", "state": "enabled",
                "email_marketing_consent": {"state": ["subscribed", "not_subscribed", "unsubscribed"][i % 3],
                                            "opt_in_level": "single_opt_in", "consent_updated_at": None},
                "created_at": f"2024-05-{i:02d}T09:00:00-04:00", "updated_at": f"2024-05-{i:02d}T12:{i:02d}:00-04:00",
                "addresses": [], "tags": "",
            })
        self.orders: list[dict[str, Any]] = []
        for i in range(1, n_orders + 1):
            cust = self.customers[(i - 1) % n_customers]
            order_id = 5_500_000_000 + i
            lines = [{"id": order_id * 10 + k, "product_id": 7_700 + k, "title": f"Product {k}", "quantity": k,
                      "price": f"{19.5 + k:.2f}", "total_discount": "0.00" if k % 2 else "2.00"}
                     for k in range(1, 2 + i % 3)]
            refunds = []
            if i % 4 == 0:
                refunds.append({"id": order_id * 100 + 1, "order_id": order_id,
                                "created_at": f"2024-05-{10 + i:02d}T10:00:00+02:00", "note": "damaged",
                                "refund_line_items": [],
                                "transactions": [{"id": 1, "kind": "refund", "status": "success", "amount": "20.50",
                                                  "currency": "EUR"},
                                                 {"id": 2, "kind": "refund", "status": "failure", "amount": "5.00",
                                                  "currency": "EUR"}]})
            self.orders.append({
                "id": order_id, "order_number": 1000 + i, "email": cust["email"], "phone": None,
                "customer": {"id": cust["id"], "email": cust["email"]} if i != 3 else None,
                "financial_status": "partially_refunded" if refunds else "paid", "currency": "EUR",
                "subtotal_price": f"{40 + i:.2f}", "total_discounts": "2.00", "total_tax": "7.60",
                "total_price": f"{47.6 + i:.2f}", "source_name": "web",
                "landing_site": f"/?utm_source=meta&utm_campaign=spring&fbclid=fb.{i}",
                "created_at": f"2024-05-{i:02d}T15:30:00+02:00", "processed_at": f"2024-05-{i:02d}T15:30:01+02:00",
                "cancelled_at": None, "closed_at": None, "updated_at": f"2024-05-{10 + i:02d}T08:00:00Z",
                "line_items": lines, "refunds": refunds,
            })
        self.orders[4]["created_at"] = "last tuesday"  # malformed
        self.bad_order_id = self.orders[4]["id"]
        self.orders.append({**self.orders[0], "id": 5_599_999_999, "order_number": 1999, "cancelled_at":
                            "2024-05-20T10:00:00Z", "financial_status": "voided", "closed_at": "2024-05-20T10:00:00Z",
                            "updated_at": "2024-05-20T10:00:00Z", "line_items": [], "refunds": []})
        self.server.add_route("GET", rf"{PREFIX}/(customers|orders)\.json", self._list)

    def env(self) -> dict[str, str]:
        return {"SHOPIFY_SHOP_URL": self.server.url, "SHOPIFY_ACCESS_TOKEN": self.token,
                "SHOPIFY_API_VERSION": VERSION}

    def _list(self, req: Request) -> Any:
        self.calls += 1
        resource = req.groups[0]
        limit = min(int(req.arg("limit") or 50), 250, self.page_size)
        token = req.arg("page_info")
        if token:
            extra = set(req.query) - {"page_info", "limit", "fields"}
            if extra:
                return Reply(400, {"errors": {"page_info": [
                    f"page_info cannot be combined with other parameters: {', '.join(sorted(extra))}"]}})
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                return Reply(400, {"errors": {"page_info": ["Invalid value."]}})
            filters, offset = state["filters"], state["offset"]
        else:
            filters = {k: v[0] for k, v in req.query.items() if k not in ("limit",)}
            offset = 0
        items = self.customers if resource == "customers" else self.orders
        if resource == "orders" and filters.get("status") != "any":
            items = [o for o in items if not o.get("closed_at") and not o.get("cancelled_at")]
        if filters.get("updated_at_min"):
            since = parse(filters["updated_at_min"].replace("Z", "+00:00"))
            items = [r for r in items if parse(r["updated_at"].replace("Z", "+00:00")) >= since]
        if filters.get("order") == "updated_at asc":
            items = sorted(items, key=lambda r: (parse(r["updated_at"].replace("Z", "+00:00")), r["id"]))
        chunk = items[offset:offset + limit]
        links = []
        base = f"{self.server.url}{req.path}"

        def tok(off: int) -> str:
            return base64.urlsafe_b64encode(json.dumps({"filters": filters, "offset": off}).encode()).decode()

        if offset > 0:
            links.append(f'<{base}?limit={limit}&page_info={tok(max(0, offset - limit))}>; rel="previous"')
        if offset + limit < len(items):
            links.append(f'<{base}?limit={limit}&page_info={tok(offset + limit)}>; rel="next"')
        headers = {"X-Shopify-Shop-Api-Call-Limit": f"{min(40, 1 + self.calls % 5)}/40"}
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, {resource: chunk}, headers)
