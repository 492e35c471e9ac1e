"""HubSpot CRM v3 contacts batch API on 127.0.0.1, with the state HubSpot keeps.

Implements: Bearer auth (401 ``INVALID_AUTHENTICATION``); ``POST /crm/v3/objects/contacts/batch/upsert``
and ``batch/update`` (at most 100 inputs, else 400 ``VALIDATION_ERROR``; ``idProperty`` must be a unique
property; results echo ``objectWriteTraceId``; 207 with per-input errors for inputs in ``reject``; 400
for the whole batch when an input is in ``reject_batch``, as HubSpot does for invalid property values);
``batch/archive``; HubSpot's forward-only ``lifecyclestage`` (a backward value is ignored and the kept
stage returned; ``""`` clears it); a sliding-window rate limit answered with 429 + policyName.
"""

from __future__ import annotations

import re
import time
from collections import deque
from typing import Any

from .common import ContractServer, Req, bearer, reply

TOKEN = "pat-na1-activation-test-token"
ORDER = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
         "evangelist", "other"]
UNIQUE = {"email", "hs_object_id", "external_contact_id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class HubSpotServer(ContractServer):
    def __init__(self, token: str = TOKEN, batch_limit: int = 100, rate_limit: tuple[int, float] | None = None):
        super().__init__(auth=bearer(token), unauthorized=reply(401, {
            "status": "error", "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION"}))
        self.batch_limit = batch_limit
        self.rate_limit = rate_limit
        self._window: deque[float] = deque()
        self.contacts: dict[str, dict[str, Any]] = {}   # by lower-cased email
        self.next_id = 1000
        self.reject: dict[str, str] = {}        # id value -> per-input error message (207)
        self.reject_batch: set[str] = set()     # id values that make HubSpot refuse the whole batch (400)
        self.writes = 0                          # inputs applied (upserts, updates), to see resends
        for op in ("upsert", "update"):
            self.route("POST", f"/crm/v3/objects/contacts/batch/{op}", lambda req, op=op: self._batch(req, op))
        self.route("POST", "/crm/v3/objects/contacts/batch/archive", self._archive)

    def _limited(self) -> Any:
        if not self.rate_limit:
            return None
        n, per = self.rate_limit
        now = time.monotonic()
        while self._window and self._window[0] < now - per:
            self._window.popleft()
        if len(self._window) >= n:
            return reply(429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                               "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"},
                         {"Retry-After": "1"})
        self._window.append(now)
        return None

    def _batch(self, req: Req, op: str):
        limited = self._limited()
        if limited is not None:
            return limited
        body = req.json or {}
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            return reply(400, {"status": "error", "category": "VALIDATION_ERROR", "message": "inputs is required"})
        if len(inputs) > self.batch_limit:
            return reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": f"Batch input size of {len(inputs)} exceeds the limit of {self.batch_limit}"})
        ids = [str(i.get("id", "")).lower() for i in inputs]
        if len(set(ids)) != len(ids):
            return reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": "Duplicate IDs found in batch input"})
        for inp in inputs:
            if inp.get("idProperty") not in UNIQUE:
                return reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                                   "message": f"{inp.get('idProperty')} is not a unique property"})
        bad = [i for i in ids if i in self.reject_batch]
        if bad:
            return reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                               "message": "Property values were not valid: [{\"isValid\":false,\"message\":"
                                          "\"Email address is invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]"})
        results, errors = [], []
        for inp, id_value in zip(inputs, ids, strict=True):
            trace = inp.get("objectWriteTraceId")
            if id_value in self.reject:
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "message": self.reject[id_value],
                               "context": {"objectWriteTraceId": [trace]}})
                continue
            if not _EMAIL.match(id_value):
                errors.append({"status": "error", "category": "VALIDATION_ERROR",
                               "message": "Email address is invalid", "context": {"objectWriteTraceId": [trace]}})
                continue
            contact = self.contacts.get(id_value)
            if contact is None and op == "update":
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Object not found",
                               "context": {"objectWriteTraceId": [trace]}})
                continue
            created = contact is None
            if created:
                self.next_id += 1
                contact = {"id": str(self.next_id), "properties": {"email": id_value}}
                self.contacts[id_value] = contact
            props = contact["properties"]
            for name, value in (inp.get("properties") or {}).items():
                if name == "lifecyclestage":
                    current = props.get("lifecyclestage") or ""
                    if value == "" or not current or ORDER.index(value) >= ORDER.index(current):
                        props["lifecyclestage"] = value
                    continue  # HubSpot keeps a later stage: the value is ignored, the kept one returned
                props[name] = value
            self.writes += 1
            results.append({"id": contact["id"], "new": created, "objectWriteTraceId": trace,
                            "properties": dict(props), "createdAt": "2026-01-01T00:00:00Z",
                            "updatedAt": "2026-01-01T00:00:00Z", "archived": False})
        status = 207 if errors else 200
        return reply(status, {"status": "COMPLETE", "results": results, "errors": errors,
                              "numErrors": len(errors)} if errors else {"status": "COMPLETE", "results": results})

    def _archive(self, req: Req):
        inputs = (req.json or {}).get("inputs") or []
        if len(inputs) > self.batch_limit:
            return reply(400, {"status": "error", "category": "VALIDATION_ERROR", "message": "too many inputs"})
        ids = {str(i.get("id")) for i in inputs}
        for email in [e for e, c in self.contacts.items() if c["id"] in ids]:
            del self.contacts[email]
        return reply(204)

    # --- what the tests compare --------------------------------------------------------------------
    def state(self) -> dict[str, dict[str, Any]]:
        """Contacts by email, with their properties (what a HubSpot user would see)."""
        with self.lock:
            return {e: dict(c["properties"]) for e, c in self.contacts.items()}
