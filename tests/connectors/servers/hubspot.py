"""A fake HubSpot CRM API (search, batch read with history, v4 association batch read).

Contract implemented: Bearer auth (401 ``{"status": "error", "category": "INVALID_AUTHENTICATION"}``
otherwise); ``POST /crm/v3/objects/{contacts|deals}/search`` honouring ``GTE``/``LT`` filters on the
modified-date property, ascending sort, ``limit`` (capped at ``page_size``) and ``after`` paging via
``paging.next.after``; a 400 when ``after`` reaches the search window (HubSpot: 10,000);
``POST /crm/v3/objects/{obj}/batch/read`` with ``propertiesWithHistory``;
``POST /crm/v4/associations/deals/contacts/batch/read``. Property values are strings, as in HubSpot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .common import ApiServer, Reply, bearer

TOKEN = "pat-na1-test-0000-1111"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class HubSpotFake:
    def __init__(self, n_contacts: int = 14, n_deals: int = 7, page_size: int = 4, window: int = 10_000,
                 token: str = TOKEN):
        self.page_size = page_size
        self.window = window
        self.server = ApiServer(auth=bearer(token), unauthorized=Reply(401, {
            "status": "error", "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION"}))
        stages = ["subscriber", "lead", "marketingqualifiedlead", "customer"]
        self.contacts: dict[str, dict[str, Any]] = {}
        for i in range(1, n_contacts + 1):
            mod = T0 + timedelta(hours=i)
            stage = stages[i % 4]
            self.contacts[str(500 + i)] = {
                "_mod": mod,
                "id": str(500 + i), "archived": False,
                "createdAt": iso(T0 - timedelta(days=i)), "updatedAt": iso(mod),
                "properties": {"hs_object_id": str(500 + i), "email": f"h{i}@example.test", "phone": f"+1555{i:07d}",
                               "mobilephone": None, "firstname": f"F{i}", "lastname": f"L{i}",
                               "lifecyclestage": stage, "hs_lead_status": "OPEN" if i % 2 else None,
                               "createdate": iso(T0 - timedelta(days=i)), "lastmodifieddate": iso(mod)},
                "_history": [{"value": stage, "timestamp": iso(mod - timedelta(minutes=5)), "sourceType": "CRM_UI",
                              "sourceId": "userId:1"}]
                + ([{"value": "lead", "timestamp": iso(T0 - timedelta(days=i)), "sourceType": "API"}]
                   if stage != "lead" else []),
            }
        # malformed: an unparsable lastmodifieddate (the search still orders it by its real time)
        bad_mod = T0 + timedelta(hours=n_contacts + 1)
        self.contacts["599"] = {"_mod": bad_mod, "id": "599", "archived": False, "createdAt": iso(T0),
                                "updatedAt": iso(bad_mod),
                                "properties": {"hs_object_id": "599", "lastmodifieddate": "31/12/2024 25:00"},
                                "_history": []}
        self.deals: dict[str, dict[str, Any]] = {}
        self.assoc: dict[str, list[str]] = {}
        for j in range(1, n_deals + 1):
            mod = T0 + timedelta(hours=j, minutes=30)
            won, lost = j % 3 == 0, j % 3 == 1
            stage = "closedwon" if won else "closedlost" if lost else "appointmentscheduled"
            self.deals[str(900 + j)] = {
                "_mod": mod, "id": str(900 + j), "archived": False,
                "properties": {"hs_object_id": str(900 + j), "dealname": f"Deal {j}", "pipeline": "default",
                               "dealstage": stage, "amount": f"{j * 100}.50", "deal_currency_code": "EUR",
                               "closed_lost_reason": "price" if lost else None,
                               "hs_is_closed": "true" if won or lost else "false",
                               "hs_is_closed_won": "true" if won else "false",
                               "createdate": iso(T0 - timedelta(days=j)),
                               "closedate": iso(T0 + timedelta(days=j)) if won or lost else None,
                               "hs_lastmodifieddate": iso(mod), "hs_new_property_2025": "x"},
                "_history": [{"value": stage, "timestamp": iso(mod), "sourceType": "CRM_UI"},
                             {"value": "appointmentscheduled", "timestamp": iso(T0 - timedelta(days=j)),
                              "sourceType": "CRM_UI"}] if stage != "appointmentscheduled" else
                [{"value": stage, "timestamp": iso(T0 - timedelta(days=j)), "sourceType": "CRM_UI"}],
            }
            self.assoc[str(900 + j)] = [str(500 + j)] + ([str(500 + j + 1)] if j % 2 else [])
        s = self.server
        s.add_route("POST", r"/crm/v3/objects/(contacts|deals)/search", self._search)
        s.add_route("POST", r"/crm/v3/objects/(contacts|deals)/batch/read", self._batch_read)
        s.add_route("POST", r"/crm/v4/associations/deals/contacts/batch/read", self._assoc)

    def store(self, obj: str) -> dict[str, dict[str, Any]]:
        return self.contacts if obj == "contacts" else self.deals

    def touch_contact(self, cid: str, hours: int, **props: Any) -> None:
        """Change a contact on the server, moving its modified time."""
        c = self.contacts[cid]
        mod = T0 + timedelta(hours=hours)
        c["_mod"] = mod
        c["properties"].update(props, lastmodifieddate=iso(mod))
        if "lifecyclestage" in props:
            c["_history"].insert(0, {"value": props["lifecyclestage"], "timestamp": iso(mod), "sourceType": "API"})

    @staticmethod
    def public(rec: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in rec.items() if not k.startswith("_")}

    def _search(self, req):
        obj = req.groups[0]
        body = req.json or {}
        after = int(body.get("after") or 0)
        if after >= self.window:
            return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"Cannot page beyond {self.window} results."})
        recs = sorted(self.store(obj).values(), key=lambda r: (r["_mod"], r["id"]))
        for group in body.get("filterGroups") or []:
            for f in group.get("filters") or []:
                v = int(f["value"])
                if f["operator"] == "GTE":
                    recs = [r for r in recs if ms(r["_mod"]) >= v]
                elif f["operator"] == "LT":
                    recs = [r for r in recs if ms(r["_mod"]) < v]
        limit = min(int(body.get("limit") or 10), self.page_size)
        page = recs[after:after + limit]
        out: dict[str, Any] = {"total": len(recs), "results": [self.public(r) for r in page]}
        if after + limit < len(recs):
            out["paging"] = {"next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}}
        return out

    def _batch_read(self, req):
        obj = req.groups[0]
        body = req.json or {}
        with_hist = body.get("propertiesWithHistory") or []
        results = []
        for inp in body.get("inputs") or []:
            rec = self.store(obj).get(str(inp["id"]))
            if rec is None:
                continue
            r = self.public(rec)
            r["propertiesWithHistory"] = {p: rec["_history"] for p in with_hist}
            results.append(r)
        return {"status": "COMPLETE", "results": results}

    def _assoc(self, req):
        results = []
        for inp in (req.json or {}).get("inputs") or []:
            did = str(inp["id"])
            results.append({"from": {"id": did}, "to": [
                {"toObjectId": int(c), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3,
                                                             "label": None}]} for c in self.assoc.get(did, [])]})
        return {"status": "COMPLETE", "results": results}
