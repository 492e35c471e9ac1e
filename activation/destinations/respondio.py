"""respond.io API v2: broadcast lists as tags, and lifecycle stages, through contact identifiers.

Contract (respond.io Developer API v2, ``https://api.respond.io/v2``, Bearer token):

- contact identifiers ``phone:+<E.164>``, ``email:<address>`` or ``id:<contact id>`` in the path;
- ``POST /contact/create_or_update/{identifier}`` with the contact's fields (``firstName``,
  ``lastName``, ``email``, ``phone``, ``language``, ``countryCode``...);
- ``POST /contact/{identifier}/tag`` and ``DELETE /contact/{identifier}/tag`` with a JSON array of tag
  names: a broadcast targets a tag, so a segment becomes a broadcast list by tagging its contacts and
  (``mode: mirror``) untagging those who left it;
- ``POST /contact/{identifier}/lifecycle/update`` with ``{"name": stage}`` (an empty name clears it);
- no batch endpoint: one request per contact and step, 5 requests per second per method by default,
  429 with ``Retry-After``.

A contact is only tagged when the segment says it is reachable on the configured channel
(``channel`` + the segment's ``reachable_channels``): opted-out contacts never reach a broadcast list.
``mode: update_only`` never creates contacts: one respond.io does not know is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field

from activation.destinations.base import (
    Ack,
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

CONTACT_FIELDS = frozenset({"firstName", "lastName", "email", "phone", "language", "profilePic", "countryCode", "id"})
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RespondIoSettings(Settings):
    identifier: Literal["phone", "email", "id"] = "phone"
    tag: str = Field(min_length=1, max_length=100)
    lifecycle_column: str | None = None
    channel: str | None = None
    reachable_channels_column: str = "reachable_channels"


class RespondIoDestination(Destination):
    kind = "respondio"
    settings_model = RespondIoSettings
    max_batch_size = 1
    modes = ("upsert", "update_only", "mirror")
    credential_specs = (CredentialSpec("api_token", "RESPONDIO_API_TOKEN"),)
    default_base_url = "https://api.respond.io/v2"
    default_rate_limit = (5, 1.0)
    default_concurrency = 4
    target_fields = CONTACT_FIELDS
    personal_fields = frozenset({"firstName", "lastName", "email", "phone", "identifier", "fields"})

    settings: RespondIoSettings

    @classmethod
    def check(cls, config, settings: RespondIoSettings) -> list[str]:
        if settings.identifier not in config.mapping:
            return [f"destination.identifier: {settings.identifier!r}: map a column to {settings.identifier!r} "
                    "(the contact identifier)"]
        return []

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("api_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def source_columns(self) -> list[str]:
        cols = super().source_columns()
        for extra in (self.settings.lifecycle_column,
                      self.settings.reachable_channels_column if self.settings.channel else None):
            if extra and extra not in cols:
                cols.append(extra)
        return cols

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        s = self.settings
        if s.channel:
            reachable = {c.strip().lower() for c in str(row.get(s.reachable_channels_column) or "").split(",")}
            if s.channel.lower() not in reachable:
                return Skip(f"not reachable on {s.channel} (opted out, or never used it)")
        fields: dict[str, Any] = {}
        for name, value in self.mapped(row).items():
            if value is not None and str(value).strip() != "":
                fields[name] = str(value).strip()
        raw = fields.get(s.identifier)
        if raw is None:
            return Skip(f"no {s.identifier}: respond.io finds contacts by {s.identifier}")
        if s.identifier == "phone":
            if not _E164.match(raw):
                return Skip("phone is not in E.164 (+ and digits)")
        elif s.identifier == "email":
            raw = raw.lower()
            if not _EMAIL.match(raw):
                return Skip("email is not a valid address")
            fields["email"] = raw
        fields.pop("id", None)
        stage = row.get(s.lifecycle_column) if s.lifecycle_column else None
        return {"identifier": f"{s.identifier}:{raw}", "fields": fields,
                "lifecycle": (str(stage) if stage is not None else "") if s.lifecycle_column else None}

    def plan(self, records: Sequence[Record], removals: Sequence[Removal]
             ) -> Generator[Phase, PhaseOutcomes, None]:
        s = self.settings
        if records:
            if self.config.mode != "update_only":
                yield Phase("create_or_update", [Item(r.key, r.payload) for r in records])
            # a contact already tagged under the same identifier needs no second tag request (its
            # create_or_update acknowledged it); update_only has no such request, so it always tags
            untagged = records if self.config.mode == "update_only" else [
                r for r in records if not ((r.previous or {}).get("tag") == s.tag
                                           and (r.previous or {}).get("identifier") == r.payload["identifier"])]
            yield Phase("tag", [Item(r.key, r.payload) for r in untagged])
            stage_changes = [r for r in records if r.payload["lifecycle"] is not None
                             and r.payload["lifecycle"] != (r.previous or {}).get("lifecycle")]
            if stage_changes:
                yield Phase("lifecycle", [Item(r.key, r.payload) for r in stage_changes])
        if removals:
            yield Phase("untag", [Item(r.key, {"identifier": (r.previous or {}).get("identifier")}) for r in removals],
                        removal=True)

    def removal_identity(self, destination_id: str | None, previous: Mapping[str, Any] | None) -> str | None:
        """respond.io finds contacts by the identifier (``phone:+44...``): one contact whatever the key."""
        return (previous or {}).get("identifier")

    def payload_identity(self, payload: Mapping[str, Any]) -> str | None:
        return self.removal_identity(None, self._state(payload))

    def _state(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        state = {"identifier": payload["identifier"], "tag": self.settings.tag}
        if payload.get("lifecycle") is not None:
            state["lifecycle"] = payload["lifecycle"]
        return state

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        item = items[0]
        ident = quote(str(item.data.get("identifier") or ""), safe=":@+")
        keys = (item.key,)
        if phase.name == "create_or_update":
            return Request("POST", f"/contact/create_or_update/{ident}", stable_json(item.data["fields"]), keys=keys,
                           phase=phase.name)
        if phase.name == "tag":
            return Request("POST", f"/contact/{ident}/tag", stable_json([self.settings.tag]), keys=keys,
                           phase=phase.name)
        if phase.name == "untag":
            return Request("DELETE", f"/contact/{ident}/tag", stable_json([self.settings.tag]), keys=keys,
                           phase=phase.name)
        return Request("POST", f"/contact/{ident}/lifecycle/update", stable_json({"name": item.data["lifecycle"]}),
                       keys=keys, phase=phase.name)

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        item = items[0]
        status = response.status
        if status in (401, 403):
            raise self.fatal(f"respond.io refused the token (HTTP {status}: {error_detail(response)}); "
                             "check RESPONDIO_API_TOKEN")
        if 200 <= status < 300:
            state = None if phase.name == "untag" else self._state(item.data)
            return {item.key: Ack(None, state)}
        if status == 404:
            if phase.name == "untag":
                return {item.key: Ack()}  # the contact is gone: nothing left to untag
            if self.config.mode == "update_only":
                return {item.key: Skip("not in respond.io (mode update_only creates nothing)")}
        return {item.key: Fail(f"HTTP {status}: {error_detail(response)}")}
