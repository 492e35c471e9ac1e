"""A generic webhook: JSON batches, an HMAC-SHA256 signature, and an Idempotency-Key per batch.

Contract (what a receiver implements):

- ``POST <url>`` with ``{"sync": name, "records": [{"action": "upsert" | "remove", "key": k, "data": {...}}]}``
  (``remove`` in mirror mode for rows that left the segment), at most ``batch_size`` records (≤ 1,000);
- ``X-Lifecycle-Signature: sha256=<hex HMAC-SHA256 of the exact body with the shared secret>``
  (``LIFECYCLE_WEBHOOK_SECRET``) so the receiver can check the batch came from this sync;
- ``Idempotency-Key: <sha256 of the sync name and the body>``: a retried batch (after a timeout, a 5xx or
  a crash) carries the same key, so a receiver that remembers keys applies it once. 409 for a key it
  already applied counts as accepted.
- 2xx accepts the batch; a body ``{"errors": [{"key": k, "error": "..."}]}`` rejects those records
  only. 429 / 5xx are retried; 401 / 403 / 404 stop the run; another 4xx rejects the batch (split to
  isolate the bad records).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from activation.destinations.base import (
    Ack,
    BatchRejected,
    CredentialSpec,
    Destination,
    Fail,
    Item,
    Outcome,
    Phase,
    PhaseOutcomes,
    Record,
    Removal,
    Settings,
    Skip,
    error_detail,
    stable_json,
)
from activation.http import Request, Response

SIGNATURE_HEADER = "X-Lifecycle-Signature"


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(timespec="milliseconds") + ("" if v.tzinfo else "Z")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookSettings(Settings):
    url: str | None = None
    batch_size: int = Field(default=500, ge=1, le=1000)


class WebhookDestination(Destination):
    kind = "webhook"
    settings_model = WebhookSettings
    max_batch_size = 1000
    modes = ("upsert", "mirror", "append")
    credential_specs = (CredentialSpec("url", "LIFECYCLE_WEBHOOK_URL", secret=False),
                        CredentialSpec("secret", "LIFECYCLE_WEBHOOK_SECRET"))
    base_url_credential = "url"

    settings: WebhookSettings

    @property
    def batch_size(self) -> int:
        return min(self.config.batch_size or self.settings.batch_size, self.max_batch_size)

    def base_url(self) -> str:
        return self.base_url_override or self.settings.url or self.settings.base_url or self.credentials.get("url", "")

    def missing_credentials(self) -> list[str]:
        missing = super().missing_credentials()
        if self.base_url():
            missing = [m for m in missing if m != "LIFECYCLE_WEBHOOK_URL"]
        return missing

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        return {k: _json_value(v) for k, v in self.mapped(row).items()}

    def plan(self, records: Sequence[Record], removals: Sequence[Removal]
             ) -> Generator[Phase, PhaseOutcomes, None]:
        if records:
            yield Phase("send", [Item(r.key, {"action": "upsert", "key": r.key, "data": r.payload}) for r in records])
        if removals:
            yield Phase("remove", [Item(r.key, {"action": "remove", "key": r.key}) for r in removals], removal=True)

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        body = stable_json({"sync": self.config.name, "records": [i.data for i in items]})
        idem = hashlib.sha256(self.config.name.encode("utf-8") + b"\n" + body).hexdigest()
        headers = [("Idempotency-Key", idem)]
        secret = self.credentials.get("secret")
        if secret:
            headers.append((SIGNATURE_HEADER, signature(secret, body)))
        return Request("POST", "", body, headers=tuple(headers), keys=tuple(i.key for i in items), phase=phase.name)

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        status = response.status
        if status in (401, 403, 404):
            raise self.fatal(f"the webhook refused the batch (HTTP {status}: {error_detail(response)}); check "
                             "LIFECYCLE_WEBHOOK_URL and LIFECYCLE_WEBHOOK_SECRET")
        if status == 409 or 200 <= status < 300:
            out: dict[str, Outcome] = {i.key: Ack() for i in items}
            body = response.json()
            if status != 409 and isinstance(body, dict):
                keys = {i.key for i in items}
                for err in body.get("errors") or []:
                    if isinstance(err, dict) and str(err.get("key")) in keys:
                        out[str(err["key"])] = Fail(str(err.get("error") or "rejected by the webhook"))
            return out
        raise BatchRejected(f"HTTP {status}: {error_detail(response)}")
