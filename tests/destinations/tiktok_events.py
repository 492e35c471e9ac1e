"""TikTok Events API 2.0 on 127.0.0.1: /open_api/v1.3/event/track/ with TikTok's answers.

Implements: the ``Access-Token`` header (else code 40105); ``event_source`` and ``event_source_id``
required; at most 1,000 events (else code 40002); each event needs ``event``, ``event_time``,
``event_id`` and a ``user`` whose ``email`` / ``phone`` / ``external_id`` are SHA-256 hex digests; one
invalid event (or one in ``poison``) rejects the whole call with code 40002; rate limiting answered as
TikTok does, HTTP 200 with code 40100 (``rate_limit_after`` requests per window). Events are
deduplicated on ``event`` + ``event_id``; ``received`` counts every copy.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .common import ContractServer, Req, reply

TOKEN = "tt-events-test-token"
SOURCE_ID = "CRM_EVENT_SET_1"
_HEX64 = re.compile(r"^[a-f0-9]{64}$")


def _answer(code: int, message: str, data: Any = None):
    return reply(200, {"code": code, "message": message, "request_id": "20260101000000", "data": data or {}})


class TikTokEventsServer(ContractServer):
    def __init__(self, token: str = TOKEN, source_id: str = SOURCE_ID, batch_limit: int = 1000):
        super().__init__()
        self.token = token
        self.source_id = source_id
        self.batch_limit = batch_limit
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.received: Counter = Counter()
        self.poison: set[str] = set()
        self.rate_limited_calls: set[int] = set()
        self.calls = 0
        self.route("POST", "/open_api/v1.3/event/track/", self._track)

    def _track(self, req: Req):
        if req.headers.get("Access-Token") != self.token:
            return _answer(40105, "The access token is invalid or has been revoked")
        self.calls += 1
        if self.calls in self.rate_limited_calls:
            return _answer(40100, "Too many requests. Please retry in some time.")
        body = req.json or {}
        if body.get("event_source") not in ("web", "app", "offline", "crm") or body.get("event_source_id") != self.source_id:
            return _answer(40002, "event_source and event_source_id are required")
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return _answer(40002, "data is required")
        if len(data) > self.batch_limit:
            return _answer(40002, f"data size {len(data)} exceeds the limit of {self.batch_limit}")
        for ev in data:
            for key in ("event", "event_time", "event_id", "user"):
                if key not in ev:
                    return _answer(40002, f"data.{key} is required")
            if ev["event_id"] in self.poison:
                return _answer(40002, "data.properties.value: invalid value")
            for key in ("email", "phone", "external_id"):
                if key in ev["user"] and not _HEX64.match(str(ev["user"][key])):
                    return _answer(40002, f"data.user.{key} must be SHA-256 hashed")
        for ev in data:
            ident = (ev["event"], ev["event_id"])
            self.received[ident] += 1
            self.events.setdefault(ident, ev)
        return _answer(0, "OK")

    def state(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {eid: ev for (_, eid), ev in self.events.items()}
