"""A fake Salesforce REST API: SOQL ``query``/``queryAll`` with ``nextRecordsUrl`` paging.

Contract implemented: Bearer auth (401 ``[{"message": "Session expired or invalid", "errorCode":
"INVALID_SESSION_ID"}]`` otherwise); ``GET /services/data/vXX.X/queryAll?q=`` (and ``query``, which
hides ``IsDeleted`` rows) understanding the SOQL the connector sends: ``SELECT fields FROM Object
[WHERE SystemModstamp >= dt [AND SystemModstamp < dt]] ORDER BY SystemModstamp ASC, Id ASC``;
answers ``{"totalSize", "done", "records": [{"attributes": {...}, ...}], "nextRecordsUrl"}`` with
``page_size`` records per batch; ``GET /services/data/vXX.X/query/{locator}`` for the next batch.
A field the org does not have (``Loss_Reason__c`` by default) answers 400 ``INVALID_FIELD`` as
Salesforce does. Errors are JSON arrays ``[{"message", "errorCode"}]``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .common import ApiServer, Reply, bearer

TOKEN = "00Dxx0000000000!AQ4AQFake.Token"
VERSION = "62.0"
T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def sf_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class SalesforceFake:
    def __init__(self, page_size: int = 3, missing_fields: tuple[str, ...] = ("Loss_Reason__c",),
                 token: str = TOKEN):
        self.page_size = page_size
        self.missing_fields = set(missing_fields)
        self.server = ApiServer(auth=bearer(token), unauthorized=Reply(401, [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]))
        self.locators: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
        self.data: dict[str, list[dict[str, Any]]] = {"Lead": [], "Contact": [], "Opportunity": [],
                                                      "OpportunityHistory": []}
        for i in range(1, 9):
            self.data["Lead"].append({
                "Id": f"00Q{i:015d}", "Email": f"l{i}@example.test", "Phone": f"+4930{i:07d}", "MobilePhone": None,
                "FirstName": f"Lf{i}", "LastName": f"Ll{i}", "Company": f"Co {i}",
                "Status": "Closed - Converted" if i % 4 == 0 else "Working - Contacted", "LeadSource": "Web",
                "IsConverted": i % 4 == 0, "ConvertedContactId": f"003{i:015d}" if i % 4 == 0 else None,
                "ConvertedOpportunityId": None, "CreatedDate": sf_ts(T0 - timedelta(days=i)),
                "SystemModstamp": sf_ts(T0 + timedelta(minutes=10 * i)), "IsDeleted": False})
        # two leads share a SystemModstamp across a page boundary (ties must not be skipped)
        self.data["Lead"][3]["SystemModstamp"] = self.data["Lead"][2]["SystemModstamp"]
        # malformed: an unparsable CreatedDate
        self.data["Lead"].append({"Id": "00Q999999999999999", "LastName": "Bad", "CreatedDate": "31.12.2024",
                                  "SystemModstamp": sf_ts(T0 + timedelta(hours=5)), "IsDeleted": False})
        for i in range(1, 6):
            self.data["Contact"].append({
                "Id": f"003{i:015d}", "AccountId": f"001{i:015d}", "Email": f"c{i}@example.test",
                "Phone": None, "MobilePhone": f"+4917{i:07d}", "FirstName": f"Cf{i}", "LastName": f"Cl{i}",
                "LeadSource": "Web", "CreatedDate": sf_ts(T0 - timedelta(days=i)),
                "SystemModstamp": sf_ts(T0 + timedelta(minutes=7 * i)), "IsDeleted": i == 5})
        for i in range(1, 5):
            won, lost = i % 2 == 0, i == 3
            self.data["Opportunity"].append({
                "Id": f"006{i:015d}", "AccountId": f"001{i:015d}", "ContactId": f"003{i:015d}", "Name": f"Opp {i}",
                "StageName": "Closed Won" if won else "Closed Lost" if lost else "Prospecting",
                "Amount": 1000.0 * i + 0.25, "CurrencyIsoCode": "EUR", "CloseDate": f"2024-07-0{i}",
                "IsClosed": won or lost, "IsWon": won, "LeadSource": "Web", "Probability": 50,
                "CreatedDate": sf_ts(T0 - timedelta(days=i)),
                "SystemModstamp": sf_ts(T0 + timedelta(minutes=13 * i)), "IsDeleted": False})
            for k, stage in enumerate(["Prospecting"] + (["Closed Won"] if won else ["Closed Lost"] if lost else [])):
                self.data["OpportunityHistory"].append({
                    "Id": f"008{i:013d}{k:02d}", "OpportunityId": f"006{i:015d}", "StageName": stage,
                    "Amount": 1000.0 * i + 0.25, "CloseDate": f"2024-07-0{i}",
                    "CreatedDate": sf_ts(T0 + timedelta(minutes=13 * i + k)),
                    "SystemModstamp": sf_ts(T0 + timedelta(minutes=13 * i + k)), "IsDeleted": False})
        s = self.server
        s.add_route("GET", rf"/services/data/v{re.escape(VERSION)}/(query|queryAll)", self._query)
        s.add_route("GET", rf"/services/data/v{re.escape(VERSION)}/query/([\w-]+)", self._more)

    def _query(self, req):
        q = req.arg("q") or ""
        m = re.fullmatch(r"SELECT (.+) FROM (\w+)(?: WHERE (.+?))? ORDER BY SystemModstamp ASC, Id ASC", q)
        if not m:
            return Reply(400, [{"message": "unexpected token", "errorCode": "MALFORMED_QUERY"}])
        fields = [f.strip() for f in m.group(1).split(",")]
        obj, where = m.group(2), m.group(3)
        bad = [f for f in fields if f in self.missing_fields]
        if bad:
            return Reply(400, [{"message": f"\n{bad[0]}\n^\nERROR at Row:1:Column:8\nNo such column '{bad[0]}' on "
                                           f"entity '{obj}'.", "errorCode": "INVALID_FIELD"}])
        recs = list(self.data[obj])
        if req.groups[0] == "query":
            recs = [r for r in recs if not r.get("IsDeleted")]
        for cond in (where.split(" AND ") if where else []):
            cm = re.fullmatch(r"SystemModstamp (>=|<|>) (\S+)", cond.strip())
            if not cm:
                return Reply(400, [{"message": "unsupported filter", "errorCode": "MALFORMED_QUERY"}])
            op, bound = cm.group(1), _parse(cm.group(2))
            stamps = [(r, _parse(r["SystemModstamp"].replace("+0000", "+00:00"))) for r in recs]
            recs = [r for r, d in stamps if (d >= bound if op == ">=" else d < bound if op == "<" else d > bound)]
        recs.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
        out = [{"attributes": {"type": obj, "url": f"/services/data/v{VERSION}/sobjects/{obj}/{r['Id']}"},
                **{f: r.get(f) for f in fields}} for r in recs]
        return self._batch(out, 0)

    def _batch(self, recs: list[dict[str, Any]], offset: int) -> dict[str, Any]:
        page = recs[offset:offset + self.page_size]
        done = offset + self.page_size >= len(recs)
        body: dict[str, Any] = {"totalSize": len(recs), "done": done, "records": page}
        if not done:
            loc = f"01g{uuid.uuid4().hex[:12]}-{offset + self.page_size}"
            self.locators[loc] = (recs, [])
            body["nextRecordsUrl"] = f"/services/data/v{VERSION}/query/{loc}"
        return body

    def _more(self, req):
        loc = req.groups[0]
        if loc not in self.locators:
            return Reply(400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
        recs, _ = self.locators[loc]
        return self._batch(recs, int(loc.rsplit("-", 1)[1]))
