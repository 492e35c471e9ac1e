"""A fake TikTok API for Business v1.3 (the read endpoints the connector uses).

Contract implemented: ``Access-Token`` header (otherwise HTTP 200 with ``code`` 40105, as TikTok
answers); every answer is ``{"code", "message", "request_id", "data"}``; ``GET
/open_api/v1.3/{campaign,adgroup,ad}/get/`` with ``advertiser_id``, ``page``, ``page_size`` (capped at
``page_size`` here so small fixtures span pages) and ``data.page_info {page, page_size, total_number,
total_page}``; ``GET advertiser/info/`` (currency); ``GET report/integrated/get/`` with
``report_type=BASIC``, ``data_level=AUCTION_AD``, ``dimensions`` / ``metrics`` as JSON arrays and
``start_date``/``end_date`` (code 40002 when the range exceeds 30 days), rows
``{"dimensions": {"ad_id", "stat_time_day": "YYYY-MM-DD 00:00:00"}, "metrics": {... strings}}``.

One campaign has an unparsable ``create_time`` and one report row a non-numeric ``impressions``: the
malformed records the connector must quarantine.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .common import ApiServer, Reply, Request, header_token

TOKEN = "tt-test-token-55e1"
ADVERTISER = "7000000000000000001"
PREFIX = "/open_api/v1.3"


def ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "message": "OK", "request_id": uuid.uuid4().hex, "data": data}


def error(code: int, message: str) -> Reply:
    return Reply(200, {"code": code, "message": message, "request_id": uuid.uuid4().hex, "data": {}})


class TikTokAdsFake:
    def __init__(self, days: int = 40, n_ads: int = 6, page_size: int = 2, report_page_size: int = 20,
                 token: str = TOKEN):
        self.token = token
        self.page_size = page_size
        self.report_page_size = report_page_size
        self.server = ApiServer(auth=header_token("Access-Token", token),
                                unauthorized=error(40105, "Access token is incorrect or has been revoked."))
        self.campaigns = [
            {"campaign_id": f"17{i:017d}", "advertiser_id": ADVERTISER, "campaign_name": f"TT campaign {i}",
             "objective_type": ["TRAFFIC", "LEAD_GENERATION", "CONVERSIONS"][i % 3],
             "operation_status": "ENABLE" if i % 2 else "DISABLE",
             "create_time": f"2024-04-0{i} 09:00:00", "modify_time": f"2024-05-0{i} 10:30:00"}
            for i in range(1, 5)
        ]
        self.campaigns.insert(2, {"campaign_id": "1799999999999999999", "advertiser_id": ADVERTISER,
                                  "campaign_name": "Broken", "objective_type": "TRAFFIC",
                                  "operation_status": "ENABLE", "create_time": "31/12/2023 09:00",
                                  "modify_time": "2024-05-01 10:00:00"})
        good_campaigns = [c for c in self.campaigns if c["campaign_name"] != "Broken"]
        self.adgroups = [
            {"adgroup_id": f"18{i:017d}", "campaign_id": good_campaigns[(i - 1) % 4]["campaign_id"],
             "advertiser_id": ADVERTISER, "adgroup_name": f"TT ad group {i}",
             "optimization_goal": ["CLICK", "CONVERT", "LEAD_GENERATION"][i % 3], "operation_status": "ENABLE",
             "create_time": "2024-04-10 09:00:00", "modify_time": "2024-05-10 09:00:00"}
            for i in range(1, 6)
        ]
        self.ads = [
            {"ad_id": f"19{i:017d}", "adgroup_id": self.adgroups[(i - 1) % 5]["adgroup_id"],
             "campaign_id": self.adgroups[(i - 1) % 5]["campaign_id"], "advertiser_id": ADVERTISER,
             "ad_name": f"TT ad {i}", "operation_status": "ENABLE", "create_time": "2024-04-11 09:00:00",
             "modify_time": "2024-05-11 09:00:00"}
            for i in range(1, n_ads + 1)
        ]
        today = datetime.now(UTC).date()
        self.report: list[dict[str, Any]] = []
        for d in range(days, 0, -1):
            day = today - timedelta(days=d)
            for k, ad in enumerate(self.ads):
                if (d * 2 + k) % 7 == 0:
                    continue
                impressions = 1500 + 53 * ((d * 5 + k * 11) % 40)
                self.report.append({
                    "dimensions": {"ad_id": ad["ad_id"], "stat_time_day": f"{day.isoformat()} 00:00:00"},
                    "metrics": {"spend": f"{8 + ((d + k * 3) % 13) * 2.15:.2f}", "impressions": str(impressions),
                                "clicks": str(impressions // 45), "conversion": str((d + k) % 5)},
                })
        self.bad_row = self.report[len(self.report) // 2]
        self.bad_row["metrics"]["impressions"] = "n/a"
        self.server.add_route("GET", rf"{PREFIX}/(campaign|adgroup|ad)/get/", self._objects)
        self.server.add_route("GET", rf"{PREFIX}/advertiser/info/", self._advertiser)
        self.server.add_route("GET", rf"{PREFIX}/report/integrated/get/", self._report)

    def env(self) -> dict[str, str]:
        return {"TIKTOK_ACCESS_TOKEN": self.token, "TIKTOK_ADVERTISER_IDS": ADVERTISER,
                "TIKTOK_BASE_URL": self.server.url + PREFIX}

    def report_between(self, since: date, until: date) -> list[dict[str, Any]]:
        return [r for r in self.report if since.isoformat() <= r["dimensions"]["stat_time_day"][:10] <= until.isoformat()]

    def _page(self, req: Request, items: list[dict[str, Any]], cap: int) -> Any:
        try:
            page = int(req.arg("page") or 1)
            size = min(int(req.arg("page_size") or 10), cap)
        except ValueError:
            return error(40002, "page and page_size must be integers")
        start = (page - 1) * size
        return ok({"list": items[start:start + size], "page_info": {
            "page": page, "page_size": size, "total_number": len(items),
            "total_page": max(1, math.ceil(len(items) / size))}})

    def _objects(self, req: Request) -> Any:
        if req.arg("advertiser_id") != ADVERTISER:
            return error(40002, "advertiser_id is invalid")
        items = {"campaign": self.campaigns, "adgroup": self.adgroups, "ad": self.ads}[req.groups[0]]
        return self._page(req, items, self.page_size)

    def _advertiser(self, req: Request) -> Any:
        ids = json.loads(req.arg("advertiser_ids") or "[]")
        return ok({"list": [{"advertiser_id": a, "currency": "USD", "timezone": "Etc/GMT"} for a in ids
                            if a == ADVERTISER]})

    def _report(self, req: Request) -> Any:
        try:
            dims = json.loads(req.arg("dimensions") or "")
            metrics = json.loads(req.arg("metrics") or "")
            since, until = date.fromisoformat(req.arg("start_date") or ""), date.fromisoformat(req.arg("end_date") or "")
        except ValueError:
            return error(40002, "dimensions, metrics, start_date and end_date are required")
        if (req.arg("report_type"), req.arg("data_level")) != ("BASIC", "AUCTION_AD") or dims != ["ad_id",
                                                                                                  "stat_time_day"]:
            return error(40002, "unsupported report in this fake")
        if not set(metrics) <= {"spend", "impressions", "clicks", "conversion"}:
            return error(40002, "unsupported metrics in this fake")
        if (until - since).days > 29 or until < since:
            return error(40002, "The time range can not exceed 30 days when stat_time_day is a dimension.")
        return self._page(req, self.report_between(since, until), self.report_page_size)
