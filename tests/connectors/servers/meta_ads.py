"""A fake Meta Marketing API (Graph API) for the read edges the connector uses.

Contract implemented: ``access_token`` query parameter (HTTP 400 OAuthException code 190 otherwise,
as Graph API answers); ``GET /v21.0/act_{id}/{campaigns,adsets,ads,insights}`` with ``fields``,
``limit`` (capped at ``page_size``) and cursor paging: ``{"data": [...], "paging": {"cursors":
{"before", "after"}, "next": URL}}`` where ``next`` is only present when there is a next page and
``after`` selects it. Insights take ``level=ad``, ``time_increment=1`` and ``time_range`` (JSON
``{"since","until"}``) and return one row per ad and day with delivery (numbers as strings, an
``actions`` list), as Graph API does. Errors use the ``{"error": {"message","type","code",...}}`` shape.

The data set: one ad account, campaigns / ad sets / ads, and insights for the last ``days`` days
before today (UTC). One campaign has an unparsable ``created_time`` and one insights row a ``spend``
that is not a number: the malformed records the connector must quarantine.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .common import ApiServer, Reply, Request, query_token

TOKEN = "meta-test-token-91c2"
ACCOUNT = "1234567890"
VERSION = "v21.0"


def _cursor(offset: int) -> str:
    return base64.b64encode(f"off:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().split(":")[1])


class MetaAdsFake:
    def __init__(self, days: int = 40, n_ads: int = 7, page_size: int = 3, insights_page_size: int = 25,
                 token: str = TOKEN):
        self.token = token
        self.page_size = page_size
        self.insights_page_size = insights_page_size
        self.server = ApiServer(
            auth=query_token("access_token", token),
            unauthorized=Reply(400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                               "code": 190, "fbtrace_id": "AbC"}}),
        )
        created = "2024-04-01T10:00:00+0200"
        self.campaigns = [
            {"id": f"2385{i:04d}", "account_id": ACCOUNT, "name": f"Campaign {i}",
             "objective": ["OUTCOME_ENGAGEMENT", "OUTCOME_LEADS", "OUTCOME_SALES"][i % 3],
             "status": "ACTIVE" if i % 2 else "PAUSED", "created_time": created,
             "updated_time": f"2024-05-0{1 + i % 9}T08:30:00+0000"}
            for i in range(1, 5)
        ]
        self.campaigns.append({"id": "23859999", "account_id": ACCOUNT, "name": "Broken", "objective": "OUTCOME_LEADS",
                               "status": "ACTIVE", "created_time": "not-a-date", "updated_time": created})
        self.adsets = [
            {"id": f"2386{i:04d}", "campaign_id": self.campaigns[(i - 1) % 4]["id"], "account_id": ACCOUNT,
             "name": f"Ad set {i}", "destination_type": ["WHATSAPP", "MESSENGER", "INSTAGRAM_DIRECT", "WEBSITE"][i % 4],
             "optimization_goal": "CONVERSATIONS", "status": "ACTIVE", "created_time": created,
             "updated_time": "2024-05-02T09:00:00+0000"}
            for i in range(1, 6)
        ]
        self.ads = [
            {"id": f"2387{i:04d}", "adset_id": self.adsets[(i - 1) % 5]["id"],
             "campaign_id": self.adsets[(i - 1) % 5]["campaign_id"], "account_id": ACCOUNT, "name": f"Ad {i}",
             "status": "ACTIVE", "created_time": created, "updated_time": "2024-05-03T10:00:00+0000"}
            for i in range(1, n_ads + 1)
        ]
        today = datetime.now(UTC).date()
        self.insights: list[dict[str, Any]] = []
        for d in range(days, 0, -1):
            day = today - timedelta(days=d)
            for k, ad in enumerate(self.ads):
                if (d + k) % 5 == 0:
                    continue  # no delivery that day: Graph API returns no row
                impressions = 800 + 37 * ((d * 7 + k * 13) % 50)
                actions = [{"action_type": "link_click", "value": str(impressions // 40)},
                           {"action_type": "onsite_conversion.messaging_conversation_started_7d",
                            "value": str((d + k) % 4)}]
                if k % 3 == 0:
                    actions.append({"action_type": "lead", "value": str((d * k) % 3)})
                self.insights.append({
                    "date_start": day.isoformat(), "date_stop": day.isoformat(), "ad_id": ad["id"],
                    "adset_id": ad["adset_id"], "campaign_id": ad["campaign_id"], "account_id": ACCOUNT,
                    "account_currency": "EUR", "spend": f"{10 + ((d * 3 + k) % 17) * 1.37:.2f}",
                    "impressions": str(impressions), "reach": str(impressions * 3 // 4),
                    "clicks": str(impressions // 30), "inline_link_clicks": str(impressions // 40),
                    "actions": actions,
                })
        # a malformed row: spend with a decimal comma
        self.bad_insight = self.insights[len(self.insights) // 2]
        self.bad_insight["spend"] = "12,50"
        self.server.add_route("GET", rf"/{VERSION}/act_(\d+)/(campaigns|adsets|ads)", self._objects)
        self.server.add_route("GET", rf"/{VERSION}/act_(\d+)/insights", self._insights)

    # --------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.server.url

    def env(self) -> dict[str, str]:
        return {"META_ACCESS_TOKEN": self.token, "META_AD_ACCOUNT_IDS": f"act_{ACCOUNT}",
                "META_BASE_URL": self.server.url, "META_API_VERSION": VERSION}

    def insights_between(self, since: date, until: date) -> list[dict[str, Any]]:
        return [r for r in self.insights if since.isoformat() <= r["date_start"] <= until.isoformat()]

    def _page(self, req: Request, items: list[dict[str, Any]], size: int) -> dict[str, Any]:
        limit = min(int(req.arg("limit") or 25), size)
        start = _offset(req.arg("after"))
        chunk = items[start:start + limit]
        body: dict[str, Any] = {"data": chunk, "paging": {"cursors": {"before": _cursor(start),
                                                                      "after": _cursor(start + len(chunk))}}}
        if start + limit < len(items):
            query = "&".join(f"{k}={v[0]}" for k, v in req.query.items() if k not in ("after", "access_token"))
            body["paging"]["next"] = (f"{self.server.url}{req.path}?{query}&access_token={self.token}"
                                      f"&after={_cursor(start + len(chunk))}")
        return body

    def _objects(self, req: Request) -> Any:
        account, edge = req.groups
        if account != ACCOUNT:
            return Reply(400, {"error": {"message": "Unsupported get request.", "type": "GraphMethodException",
                                         "code": 100}})
        if not req.arg("fields"):
            return Reply(400, {"error": {"message": "fields required by this fake", "type": "OAuthException",
                                         "code": 100}})
        items = {"campaigns": self.campaigns, "adsets": self.adsets, "ads": self.ads}[edge]
        return self._page(req, items, self.page_size)

    def _insights(self, req: Request) -> Any:
        if req.arg("level") != "ad" or req.arg("time_increment") != "1":
            return Reply(400, {"error": {"message": "level=ad and time_increment=1 expected", "type": "OAuthException",
                                         "code": 100}})
        try:
            tr = json.loads(req.arg("time_range") or "")
            since, until = date.fromisoformat(tr["since"]), date.fromisoformat(tr["until"])
        except (ValueError, KeyError, TypeError):
            return Reply(400, {"error": {"message": "(#100) time_range is invalid", "type": "OAuthException",
                                         "code": 100}})
        return self._page(req, self.insights_between(since, until), self.insights_page_size)
