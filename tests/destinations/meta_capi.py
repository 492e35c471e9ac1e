"""Meta Conversions API on 127.0.0.1: the events edge with Meta's validation and deduplication.

Implements: ``POST /{version}/{dataset}/events`` with ``access_token`` as a query parameter (else 400
code 190); at most 1,000 events (else 400 code 100); every event validated as Meta does, and ONE
invalid event rejects the whole request (400 code 100 with ``error_user_msg``): missing required
fields, ``event_time`` older than 7 days or in the future, unhashed ``em``/``ph``/``fn``/``ln``/
``external_id`` (not a SHA-256 hex digest), a hashed ``ctwa_clid``, ``business_messaging`` without
``messaging_channel`` or ``ctwa_clid``, an event id in ``poison``. Accepted events are deduplicated on
``event_name`` + ``event_id`` (as Meta does within 48 h): ``events`` holds each once, ``received`` counts
every copy that arrived.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

from .common import ContractServer, Req, reply

TOKEN = "EAAB-capi-test-token"
DATASET = "1234567890"
HASHED = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "external_id", "ge", "db")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")


def _error(message: str, code: int = 100, subcode: int | None = None, title: str | None = None):
    err: dict[str, Any] = {"message": "Invalid parameter", "type": "OAuthException", "code": code,
                           "error_user_msg": message, "fbtrace_id": "AbCdEf"}
    if subcode:
        err["error_subcode"] = subcode
    if title:
        err["error_user_title"] = title
    return reply(400, {"error": err})


class MetaCapiServer(ContractServer):
    def __init__(self, token: str = TOKEN, dataset: str = DATASET, version: str = "v21.0", batch_limit: int = 1000):
        super().__init__()
        self.token = token
        self.batch_limit = batch_limit
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.received: Counter = Counter()
        self.poison: set[str] = set()
        self.test_event_codes: Counter = Counter()
        self.route("POST", f"/{version}/{dataset}/events", self._events)

    def _invalid(self, ev: dict[str, Any], now: int) -> str | None:
        for required in ("event_name", "event_time", "action_source", "user_data"):
            if required not in ev:
                return f"The parameter {required} is required"
        if str(ev.get("event_id")) in self.poison:
            return "Invalid custom_data: value must be a number"
        t = ev["event_time"]
        if not isinstance(t, int):
            return "event_time must be a Unix timestamp in seconds"
        if t < now - 7 * 86400:
            return "The timestamp for this event is older than 7 days"
        if t > now + 600:
            return "The timestamp for this event is in the future"
        user = ev["user_data"]
        if not isinstance(user, dict) or not user:
            return "user_data must contain customer information parameters"
        for key in HASHED:
            values = user.get(key)
            for v in (values if isinstance(values, list) else [values] if values is not None else []):
                if not _HEX64.match(str(v)):
                    return f"user_data.{key} must be a SHA-256 hash of the normalized value"
        if "ctwa_clid" in user and _HEX64.match(str(user["ctwa_clid"])):
            return "ctwa_clid must not be hashed"
        if ev["action_source"] == "business_messaging":
            if ev.get("messaging_channel") not in ("whatsapp", "messenger", "instagram"):
                return "messaging_channel is required for business_messaging events"
            if not user.get("ctwa_clid") and not user.get("page_scoped_user_id"):
                return "business_messaging events need ctwa_clid or a page-scoped user id"
        return None

    def _events(self, req: Req):
        if req.query.get("access_token") != self.token:
            return reply(400, {"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                                         "type": "OAuthException", "code": 190, "fbtrace_id": "x"}})
        body = req.json or {}
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return _error("The parameter data is required")
        if len(data) > self.batch_limit:
            return _error(f"Batch size of {len(data)} exceeds the limit of {self.batch_limit} events", subcode=2804019)
        now = int(time.time())
        for index, ev in enumerate(data):
            problem = self._invalid(ev, now)
            if problem:  # one invalid event rejects the whole request
                return _error(f"Event {index}: {problem}", subcode=2804003, title="Invalid event")
        for ev in data:
            ident = (ev["event_name"], str(ev.get("event_id")))
            self.received[ident] += 1
            self.events.setdefault(ident, ev)
        if body.get("test_event_code"):
            self.test_event_codes[body["test_event_code"]] += len(data)
        return reply(200, {"events_received": len(data), "messages": [], "fbtrace_id": "AbCdEf"})

    def state(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {eid: ev for (_, eid), ev in self.events.items()}
