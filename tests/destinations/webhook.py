"""A webhook receiver on 127.0.0.1 that checks the signature and applies each Idempotency-Key once.

Implements: ``POST /hooks/lifecycle``; ``X-Lifecycle-Signature`` must be the HMAC-SHA256 of the body
with the shared secret (else 401); at most 1,000 records (else 413); a batch whose key was applied
before is answered again without being applied again; records whose key is in ``reject`` come back in
``errors``; a record in ``reject_batch`` makes the receiver answer 422 for the whole batch.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from typing import Any

from .common import ContractServer, Req, reply

SECRET = "whsec-test-secret"


class WebhookServer(ContractServer):
    def __init__(self, secret: str = SECRET):
        super().__init__()
        self.secret = secret
        self.records: dict[str, dict[str, Any]] = {}
        self.applied: Counter = Counter()          # per record key: upserts applied
        self.seen_keys: dict[str, dict[str, Any]] = {}
        self.reject: dict[str, str] = {}
        self.reject_batch: set[str] = set()
        self.route("POST", "/hooks/lifecycle", self._hook)

    def _hook(self, req: Req):
        expected = "sha256=" + hmac.new(self.secret.encode(), req.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(req.headers.get("X-Lifecycle-Signature", ""), expected):
            return reply(401, {"error": "bad signature"})
        key = req.headers.get("Idempotency-Key")
        if not key:
            return reply(400, {"error": "Idempotency-Key required"})
        if key in self.seen_keys:
            return reply(200, self.seen_keys[key])
        records = (req.json or {}).get("records") or []
        if len(records) > 1000:
            return reply(413, {"error": "too many records"})
        if any(r.get("key") in self.reject_batch for r in records):
            return reply(422, {"error": "a record failed validation"})
        errors = []
        for rec in records:
            k = rec["key"]
            if k in self.reject:
                errors.append({"key": k, "error": self.reject[k]})
            elif rec["action"] == "remove":
                self.records.pop(k, None)
            else:
                self.records[k] = rec["data"]
                self.applied[k] += 1
        answer = {"accepted": len(records) - len(errors), "errors": errors}
        self.seen_keys[key] = answer
        return reply(200, answer)
