"""A fake respond.io Developer API v2 (the read endpoints the connector uses).

Contract implemented: Bearer auth (401 otherwise); ``POST /v2/contact/list`` with a JSON filter body
(400 without one) and ``?limit=&cursorId=`` paging whose ``pagination.next`` is a URL carrying the
next ``cursorId`` (ids ascending; ``cursorId`` = last id of the previous page); per contact
``GET /v2/contact/id:{id}/channels`` and ``GET /v2/contact/id:{id}/message/list`` with the same
paging; ``GET /v2/space/user``. The server caps ``limit`` at ``page_size`` (default 5) so small
fixtures still span several pages. Timestamps are Unix seconds, as respond.io sends them.
"""

from __future__ import annotations

from typing import Any

from .common import ApiServer, Reply, bearer

TOKEN = "rio-test-token-7f3a"
BASE_TS = 1_717_000_000  # 2024-05-29T16:26:40Z


class RespondIoFake:
    def __init__(self, n_contacts: int = 12, page_size: int = 5, token: str = TOKEN):
        self.page_size = page_size
        self.server = ApiServer(auth=bearer(token))
        self.users = [
            {"id": 1, "firstName": "Ana", "lastName": "Agent", "email": "ana@example.test", "role": "agent",
             "team": {"id": 9, "name": "Sales"}, "restrictions": []},
            {"id": 2, "firstName": "Bot", "lastName": "AI", "email": "bot@example.test", "role": "agent",
             "team": None, "isAiAgent": True},
            {"id": 3, "firstName": "Olga", "lastName": "Owner", "email": "olga@example.test", "role": "owner",
             "team": {"id": 9, "name": "Sales"}, "newFieldTheConnectorDoesNotKnow": {"x": 1}},
        ]
        stages = ["New Lead", "Qualified", None, "Customer"]
        self.contacts: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, list[dict[str, Any]]] = {}
        self.messages: dict[int, list[dict[str, Any]]] = {}
        for i in range(1, n_contacts + 1):
            cid = 1000 + i
            self.contacts[cid] = {
                "id": cid, "firstName": f"First{i}", "lastName": f"Last{i}", "phone": f"+6010000{i:04d}",
                "email": f"c{i}@example.test", "language": "en", "countryCode": "MY",
                "status": "open", "tags": ["vip"] if i % 3 == 0 else [],
                "assignee": {"id": 1, "firstName": "Ana", "lastName": "Agent", "email": "ana@example.test"}
                if i % 2 else None,
                "lifecycle": stages[i % 4], "created_at": BASE_TS + i * 3600,
                "custom_fields": [{"name": "Source", "value": "ad"}],
            }
            chan_time = BASE_TS + i * 3600 + 600
            self.channels[cid] = [{"id": 77, "name": "WhatsApp", "source": "whatsapp_cloud",
                                   "meta": {"phone": f"+6010000{i:04d}"}, "lastMessageTime": chan_time,
                                   "created_at": BASE_TS + i * 3600}]
            self.messages[cid] = [
                {"messageId": cid * 100 + k, "channelMessageId": f"wamid.{cid}.{k}", "contactId": cid,
                 "channelId": 77, "traffic": "incoming" if k % 2 == 0 else "outgoing",
                 "message": {"type": "text", "text": "hello"},
                 "status": [{"value": "delivered", "timestamp": BASE_TS + i * 3600 + k * 60}]}
                for k in range(3 if i % 2 else 7)
            ]
        # a click-to-WhatsApp referral on the first message of contact 1001
        self.messages[1001][0]["message"]["referral"] = {"source_type": "ad", "source_id": "ad-42",
                                                          "ctwa_clid": "clid-xyz"}
        # malformed records: a contact with an unparsable created_at, a message without traffic
        self.contacts[1999] = {"id": 1999, "firstName": "Bad", "created_at": "yesterday-ish", "tags": []}
        self.channels[1999] = []
        self.messages[1999] = []
        self.messages[1002].append({"messageId": 100299, "contactId": 1002, "channelId": 77,
                                    "message": {"type": "text"}, "status": [{"value": "sent",
                                                                              "timestamp": BASE_TS}]})
        s = self.server
        s.add_route("POST", r"/v2/contact/list", self._contact_list)
        s.add_route("GET", r"/v2/contact/id:(\d+)/channels", self._channels)
        s.add_route("GET", r"/v2/contact/id:(\d+)/message/list", self._messages)
        s.add_route("GET", r"/v2/space/user", self._users)

    # expected content ------------------------------------------------------------------------
    def good_contacts(self) -> dict[int, dict[str, Any]]:
        return {k: v for k, v in self.contacts.items() if k != 1999}

    def good_messages(self) -> list[dict[str, Any]]:
        return [m for ms in self.messages.values() for m in ms if m.get("traffic")]

    # paging ----------------------------------------------------------------------------------
    def _page(self, req, path: str, items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        limit = min(int(req.arg("limit") or 10), 100, self.page_size)
        cursor = req.arg("cursorId")
        ordered = sorted(items, key=lambda r: r[key])
        if cursor:
            ordered = [r for r in ordered if r[key] > int(cursor)]
        page = ordered[:limit]
        more = len(ordered) > limit
        base = self.server.url + "/v2"
        return {
            "items": page,
            "pagination": {
                "next": f"{base}{path}?limit={limit}&cursorId={page[-1][key]}" if more else None,
                "previous": f"{base}{path}?limit={limit}&cursorId=-{limit}" if cursor else None,
            },
        }

    def _contact_list(self, req):
        body = req.json
        if not isinstance(body, dict) or "filter" not in body or "timezone" not in body:
            return Reply(400, {"code": 400, "message": "Validation error."})
        return self._page(req, "/contact/list", list(self.contacts.values()), "id")

    def _channels(self, req):
        cid = int(req.groups[0])
        if cid not in self.contacts:
            return Reply(404, {"code": 404, "message": "Contact not found."})
        return self._page(req, f"/contact/id:{cid}/channels", self.channels[cid], "id")

    def _messages(self, req):
        cid = int(req.groups[0])
        if cid not in self.contacts:
            return Reply(404, {"code": 404, "message": "Contact not found."})
        return self._page(req, f"/contact/id:{cid}/message/list", self.messages[cid], "messageId")

    def _users(self, req):
        return self._page(req, "/space/user", self.users, "id")
