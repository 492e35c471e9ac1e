"""TikTok Events API 2.0: lead and purchase events with hashed identifiers.

Contract (TikTok Events API 2.0):

- ``POST /open_api/v1.3/event/track/`` with the ``Access-Token`` header and
  ``{"event_source": "web"|"app"|"offline"|"crm", "event_source_id": <pixel code / event set id>,
  "test_event_code"?, "data": [event, ...]}``, at most 1,000 events a call.
- Each event: ``event`` (TikTok's standard names: ``SubmitForm``, ``CompletePayment``...; the segment's
  ``Lead`` / ``Purchase`` are mapped by ``event_names``), ``event_time`` (Unix seconds), ``event_id``
  (TikTok deduplicates ``event`` + ``event_id`` within 48 h), ``user`` {``email``, ``phone``,
  ``external_id`` SHA-256 hashed after trimming and lower-casing (phone in E.164 with its ``+``),
  ``ttclid`` as it is}, ``properties`` {``value``, ``currency``}.
- TikTok answers HTTP 200 with ``{"code": 0, "message": "OK", ...}``; a non-zero ``code`` is an error
  for the whole request: 40100 is rate limiting (retried after a pause), 5xxxx a server error
  (retried), authentication codes stop the run, any other code rejects the batch (the engine splits
  it to isolate the bad event).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from activation.destinations.base import (
    Ack,
    BatchRejected,
    CredentialSpec,
    Destination,
    Item,
    Outcome,
    Phase,
    Settings,
    Skip,
    stable_json,
)
from activation.destinations.meta_capi import Unnormalisable, event_time_seconds, normalise_phone, sha256
from activation.http import Request, Response

TRACK_PATH = "/open_api/v1.3/event/track/"
RATE_LIMITED = 40100
AUTH_CODES = {40102, 40104, 40105}  # access token expired or invalid
USER_KEYS = frozenset({"email", "phone", "external_id", "ttclid", "ip", "user_agent"})
EVENT_KEYS = frozenset({"event_name", "event_time", "event_id", "value", "currency", "order_id", "lead_id",
                        "page_url"})


class TikTokSettings(Settings):
    event_source: Literal["web", "app", "offline", "crm"] = "crm"
    event_source_id: str | None = None
    test_event_code: str | None = None
    default_region: str | None = None
    event_names: dict[str, str] = Field(default_factory=lambda: {"Lead": "SubmitForm", "Purchase": "CompletePayment"})
    max_event_age_days: int = Field(default=7, ge=1, le=28)


class TikTokEventsDestination(Destination):
    kind = "tiktok_events"
    settings_model = TikTokSettings
    max_batch_size = 1000
    modes = ("append",)
    credential_specs = (CredentialSpec("access_token", "TIKTOK_EVENTS_ACCESS_TOKEN"),
                        CredentialSpec("event_source_id", "TIKTOK_EVENT_SOURCE_ID", required=False, secret=False))
    default_base_url = "https://business-api.tiktok.com"
    target_fields = USER_KEYS | EVENT_KEYS
    required_fields = frozenset({"event_name", "event_time", "event_id"})
    personal_fields = USER_KEYS

    settings: TikTokSettings

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        return {"Access-Token": token} if token else {}

    def missing_credentials(self) -> list[str]:
        missing = super().missing_credentials()
        if not (self.settings.event_source_id or self.credentials.get("event_source_id")):
            missing.append("TIKTOK_EVENT_SOURCE_ID (or destination.event_source_id)")
        return missing

    def transient(self, response: Response) -> float | None:
        body = response.json()
        if response.status == 200 and isinstance(body, dict):
            code = body.get("code")
            if code == RATE_LIMITED or (isinstance(code, int) and code >= 50000):
                return 0.0  # no Retry-After from TikTok: exponential backoff
        return None

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        s = self.settings
        m = self.mapped(row)
        for required in ("event_id", "event_name", "event_time"):
            if m.get(required) in (None, ""):
                return Skip(f"no {required}")
        try:
            when = event_time_seconds(m["event_time"])
        except (TypeError, ValueError):
            return Skip("event_time is not a time")
        now = int(self.now.timestamp())
        if when < now - s.max_event_age_days * 86400:
            return Skip(f"event_time older than {s.max_event_age_days} days")
        if when > now + 600:
            return Skip("event_time is in the future")
        user: dict[str, str] = {}
        email = m.get("email")
        if email not in (None, "") and "@" in str(email):
            user["email"] = sha256(str(email).strip().lower())
        phone = m.get("phone")
        if phone not in (None, ""):
            try:
                user["phone"] = sha256("+" + normalise_phone(str(phone), s.default_region))
            except Unnormalisable:
                pass
        if m.get("external_id") not in (None, ""):
            user["external_id"] = sha256(str(m["external_id"]).strip().lower())
        for raw in ("ttclid", "ip", "user_agent"):
            if m.get(raw) not in (None, ""):
                user[raw] = str(m[raw]).strip()
        if not user:
            return Skip("no identifier to match the event on (email, phone, external_id or ttclid)")
        name = str(m["event_name"])
        event: dict[str, Any] = {"event": s.event_names.get(name, name), "event_time": when,
                                 "event_id": str(m["event_id"]), "user": user}
        props: dict[str, Any] = {}
        if m.get("value") is not None:
            props["value"] = round(float(m["value"]), 2)
        if m.get("currency"):
            props["currency"] = str(m["currency"]).strip().upper()
        if m.get("order_id"):
            props["order_id"] = str(m["order_id"])
        if props:
            event["properties"] = props
        if m.get("lead_id"):
            event["lead"] = {"lead_id": str(m["lead_id"])}
        if m.get("page_url"):
            event["page"] = {"url": str(m["page_url"])}
        return event

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        source_id = self.settings.event_source_id or self.credentials.get("event_source_id") or "{event_source_id}"
        body: dict[str, Any] = {"event_source": self.settings.event_source, "event_source_id": source_id}
        if self.settings.test_event_code:
            body["test_event_code"] = self.settings.test_event_code
        body["data"] = [i.data for i in items]
        return Request("POST", TRACK_PATH, stable_json(body), keys=tuple(i.key for i in items), phase=phase.name)

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        body = response.json() if isinstance(response.json(), dict) else {}
        code = body.get("code")
        message = body.get("message") or response.text()
        if response.status in (401, 403) or code in AUTH_CODES:
            raise self.fatal(f"TikTok refused the access token or the event source (HTTP {response.status}, "
                             f"code {code}: {message}); check TIKTOK_EVENTS_ACCESS_TOKEN and TIKTOK_EVENT_SOURCE_ID")
        if response.status == 200 and code == 0:
            return {i.key: Ack(i.data["event_id"]) for i in items}
        raise BatchRejected(f"HTTP {response.status}, code {code}: {message}")
