"""respond.io API v2 on 127.0.0.1: contacts by identifier, tags, lifecycle stages, rate limits.

Implements: Bearer auth; identifiers ``phone:+E164`` / ``email:addr`` / ``id:N`` (else 400);
``POST /v2/contact/create_or_update/{identifier}``; ``POST`` and ``DELETE /v2/contact/{identifier}/tag``
with a JSON array of at most 10 tag names (404 for an unknown contact); ``POST
/v2/contact/{identifier}/lifecycle/update`` with ``{"name"}`` (empty clears); a per-method rate
limit of ``rate`` requests per second answered with 429 + ``Retry-After``; identifiers in ``reject``
are refused by create_or_update with respond.io's 400 message.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Any
from urllib.parse import unquote

from .common import ContractServer, Req, bearer, reply

TOKEN = "respondio-test-token"


class RespondIoServer(ContractServer):
    def __init__(self, token: str = TOKEN, rate: int | None = None):
        super().__init__(auth=bearer(token), unauthorized=reply(401, {"code": 401, "message": "Unauthorized"}))
        self.rate = rate
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self.contacts: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.reject: dict[str, str] = {}
        self.route("POST", "/v2/contact/create_or_update/(.+)", self._create_or_update)
        self.route("POST", "/v2/contact/(.+)/tag", lambda r: self._tag(r, add=True))
        self.route("DELETE", "/v2/contact/(.+)/tag", lambda r: self._tag(r, add=False))
        self.route("POST", "/v2/contact/(.+)/lifecycle/update", self._lifecycle)

    def _limited(self, method: str):
        if not self.rate:
            return None
        window = self._windows[method]
        now = time.monotonic()
        while window and window[0] < now - 1.0:
            window.popleft()
        if len(window) >= self.rate:
            return reply(429, {"code": 429, "message": "Too many requests"}, {"Retry-After": "1"})
        window.append(now)
        return None

    def _find(self, identifier: str) -> tuple[int | None, str | None]:
        kind, _, value = unquote(identifier).partition(":")
        if kind not in ("phone", "email", "id") or not value:
            return None, "invalid identifier"
        for cid, c in self.contacts.items():
            if (kind == "id" and str(cid) == value) or (kind in ("phone", "email") and c.get(kind) == value):
                return cid, None
        return None, None

    def _create_or_update(self, req: Req):
        limited = self._limited("create_or_update")
        if limited:
            return limited
        ident = unquote(req.path.split("/create_or_update/")[1])
        if ident in self.reject:
            return reply(400, {"code": 400, "message": self.reject[ident]})
        cid, problem = self._find(ident)
        if problem:
            return reply(400, {"code": 400, "message": problem})
        if cid is None:
            if ident.startswith("id:"):
                return reply(404, {"code": 404, "message": "Contact not found"})
            cid = self.next_id
            self.next_id += 1
            kind, _, value = ident.partition(":")
            self.contacts[cid] = {kind: value, "tags": set(), "lifecycle": None}
        self.contacts[cid].update({k: v for k, v in (req.json or {}).items() if k in (
            "firstName", "lastName", "email", "phone", "language", "countryCode")})
        return reply(200, {"contactId": cid})

    def _tag(self, req: Req, add: bool):
        limited = self._limited("tag" if add else "untag")
        if limited:
            return limited
        ident = req.path[len("/v2/contact/"):-len("/tag")]
        tags = req.json
        if not isinstance(tags, list) or not tags or len(tags) > 10:
            return reply(400, {"code": 400, "message": "tags must be an array of 1 to 10 names"})
        cid, problem = self._find(ident)
        if problem:
            return reply(400, {"code": 400, "message": problem})
        if cid is None:
            return reply(404, {"code": 404, "message": "Contact not found"})
        (self.contacts[cid]["tags"].update if add else self.contacts[cid]["tags"].difference_update)(tags)
        return reply(200, {"contactId": cid})

    def _lifecycle(self, req: Req):
        limited = self._limited("lifecycle")
        if limited:
            return limited
        ident = req.path[len("/v2/contact/"):-len("/lifecycle/update")]
        cid, problem = self._find(ident)
        if problem or cid is None:
            return reply(404 if not problem else 400, {"code": 404, "message": problem or "Contact not found"})
        self.contacts[cid]["lifecycle"] = (req.json or {}).get("name") or None
        return reply(200, {"contactId": cid})

    def tagged(self, tag: str) -> set[str]:
        with self.lock:
            return {c.get("phone") or c.get("email") for c in self.contacts.values() if tag in c["tags"]}
