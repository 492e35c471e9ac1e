"""HubSpot CRM v3: contact (or other object) batch upsert / update, lifecycle stage, mirror removal.

Contract (HubSpot CRM v3):

- ``POST /crm/v3/objects/{object}/batch/upsert`` with ``{"inputs": [{"id", "idProperty", "properties",
  "objectWriteTraceId"}]}``, at most 100 inputs a call; ``idProperty`` is a unique property (``email``
  or a custom unique one). ``mode: update_only`` uses ``batch/update`` instead (a record HubSpot does
  not have is skipped, not created). 200 when every input succeeded, 207 with ``results`` and
  ``errors`` otherwise; each input carries the segment key as ``objectWriteTraceId``, so results and
  errors map back to their rows. 400 rejects the whole batch (the engine splits it to isolate the bad
  input); 401/403/404 stop the run.
- Property values are strings; a null column is left out (HubSpot keeps its value).
- ``lifecyclestage`` only moves forward in HubSpot. The preset's stages are mapped to HubSpot's values
  by configuration (``lifecycle_stages``). To move a contact backward the sync clears the property
  (``""``) in one request and sets the earlier value in the next. It knows a move is backward from the
  stage it last set (kept in ``ops.sync_state``), and from HubSpot's answer when someone else moved the
  contact forward meanwhile (the upsert returns the stage it kept).
- Rate limit: 100 requests per 10 s by default (HubSpot's lowest tier; raise it with ``rate_limit``).
- ``mode: mirror``: a contact that leaves the segment is archived (``batch/archive`` with the HubSpot
  id remembered from the upsert) or, with ``removal: {properties: {...}}``, gets those properties set.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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

# HubSpot's default lifecycle stages, in their forward order.
HUBSPOT_STAGE_ORDER = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                       "customer", "evangelist", "other")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RemovalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["archive", "set_properties"] = "archive"
    properties: dict[str, str] = Field(default_factory=dict)


class HubSpotSettings(Settings):
    object: str = "contacts"
    id_property: str = "email"
    stage_column: str | None = None
    lifecycle_stages: dict[str, str] = Field(default_factory=dict)
    lifecycle_order: list[str] = Field(default_factory=lambda: list(HUBSPOT_STAGE_ORDER))
    removal: RemovalSettings = Field(default_factory=RemovalSettings)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    text = str(value).strip()
    return text or None


class HubSpotDestination(Destination):
    kind = "hubspot"
    settings_model = HubSpotSettings
    max_batch_size = 100
    modes = ("upsert", "update_only", "mirror")
    credential_specs = (CredentialSpec("access_token", "HUBSPOT_ACCESS_TOKEN"),)
    default_base_url = "https://api.hubapi.com"
    default_rate_limit = (100, 10.0)
    payload_version = "2"
    personal_fields = frozenset({"email", "firstname", "lastname", "phone", "mobilephone", "id"})

    settings: HubSpotSettings

    @classmethod
    def check(cls, config, settings: HubSpotSettings) -> list[str]:
        problems = []
        if settings.id_property not in config.mapping:
            problems.append(f"destination.id_property: {settings.id_property!r}: must be one of the mapped "
                            f"properties (mapping: {', '.join(config.mapping) or 'empty'})")
        order = set(settings.lifecycle_order)
        for stage, value in settings.lifecycle_stages.items():
            if value not in order:
                problems.append(f"destination.lifecycle_stages.{stage}: {value!r}: not a HubSpot lifecycle stage "
                                f"of lifecycle_order ({', '.join(settings.lifecycle_order)})")
        if settings.lifecycle_stages and not settings.stage_column:
            problems.append("destination.stage_column: missing (lifecycle_stages needs the column holding the stage)")
        if "lifecyclestage" in config.mapping:
            problems.append("mapping.lifecyclestage: set the stage through destination.lifecycle_stages and "
                            "stage_column (the mapping is configuration, and backward moves need it)")
        if config.mode == "mirror" and settings.removal.action == "set_properties" and not settings.removal.properties:
            problems.append("destination.removal.properties: missing (set_properties needs the properties to set)")
        return problems

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def source_columns(self) -> list[str]:
        cols = super().source_columns()
        if self.settings.stage_column and self.settings.stage_column not in cols:
            cols.append(self.settings.stage_column)
        return cols

    # --- payloads --------------------------------------------------------------------------------
    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        s = self.settings
        properties: dict[str, str] = {}
        for prop, column in self._columns:
            value = row.get(column)
            if value is None:
                continue
            text = value.strip() if type(value) is str else _text(value)
            if text:
                properties[prop] = text
        for prop, value in self.config.static.items():
            text = _text(value)
            if text is not None:
                properties[prop] = text
        id_value = properties.get(s.id_property)
        if id_value is None:
            return Skip(f"no {s.id_property}: HubSpot upserts {s.object} by {s.id_property}")
        if s.id_property == "email":
            id_value = id_value.lower()
            if not _EMAIL.match(id_value):
                return Skip("email is not a valid address")
            properties["email"] = id_value
        if s.stage_column:
            stage = _text(row.get(s.stage_column))
            if stage is not None and stage in s.lifecycle_stages:
                properties["lifecyclestage"] = s.lifecycle_stages[stage]
        return {"id": id_value, "properties": properties}

    @property
    def _columns(self) -> list[tuple[str, str]]:
        cols = self.__dict__.get("_cols")
        if cols is None:
            cols = self.__dict__["_cols"] = list(self.config.mapping.items())
        return cols

    def _input(self, key: str, id_value: str, properties: Mapping[str, str]) -> dict[str, Any]:
        return {"id": id_value, "idProperty": self.settings.id_property, "properties": dict(properties),
                "objectWriteTraceId": key}

    def _order(self, stage: str | None) -> int:
        order = self.settings.lifecycle_order
        return order.index(stage) if stage in order else -1

    def plan(self, records: Sequence[Record], removals: Sequence[Removal]
             ) -> Generator[Phase, PhaseOutcomes, None]:
        s = self.settings
        by_key = {r.key: r for r in records}
        if records:
            backward = [r for r in records if r.previous
                        and (old := r.previous.get("lifecyclestage"))
                        and (new := r.payload["properties"].get("lifecyclestage")) is not None
                        and self._order(new) < self._order(old)]
            if backward:
                yield Phase("clear_lifecyclestage", [Item(r.key, self._input(r.key, r.payload["id"],
                                                                             {"lifecyclestage": ""}))
                                                     for r in backward])
            id_property = s.id_property
            outcomes = yield Phase("upsert" if self.config.mode != "update_only" else "update",
                                   [Item(r.key, {"id": r.payload["id"], "idProperty": id_property,
                                                 "properties": r.payload["properties"], "objectWriteTraceId": r.key})
                                    for r in records])
            # HubSpot kept a later stage (someone moved the contact forward meanwhile): clear, then set
            blocked = []
            for key, outcome in (outcomes or {}).items():
                wanted = by_key[key].payload["properties"].get("lifecyclestage")
                kept = (outcome.state or {}).get("lifecyclestage") if isinstance(outcome, Ack) else None
                if wanted and kept and kept != wanted:
                    blocked.append(by_key[key])
            if blocked:
                yield Phase("clear_lifecyclestage", [Item(r.key, self._input(r.key, r.payload["id"],
                                                                             {"lifecyclestage": ""}))
                                                     for r in blocked])
                yield Phase("set_lifecyclestage", [Item(r.key, self._input(
                    r.key, r.payload["id"], {"lifecyclestage": r.payload["properties"]["lifecyclestage"]}))
                    for r in blocked])
        if removals:
            if s.removal.action == "archive":
                yield Phase("archive", [Item(r.key, {"id": r.destination_id}) for r in removals], removal=True)
            else:
                yield Phase("removal_properties",
                            [Item(r.key, self._input(r.key, (r.previous or {}).get("id") or "", s.removal.properties))
                             for r in removals], removal=True)

    # --- requests --------------------------------------------------------------------------------
    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        obj = self.settings.object
        if phase.name == "archive":
            return Request("POST", f"/crm/v3/objects/{obj}/batch/archive",
                           stable_json({"inputs": [{"id": i.data["id"]} for i in items]}),
                           keys=tuple(i.key for i in items), phase=phase.name)
        endpoint = "update" if self.config.mode == "update_only" else "upsert"
        return Request("POST", f"/crm/v3/objects/{obj}/batch/{endpoint}",
                       stable_json({"inputs": [i.data for i in items]}), keys=tuple(i.key for i in items),
                       phase=phase.name)

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        status = response.status
        if status in (401, 403):
            raise self.fatal(f"HubSpot refused the credentials (HTTP {status}: {error_detail(response)}); "
                             "check HUBSPOT_ACCESS_TOKEN and its crm.objects write scope")
        if status == 404 and phase.name != "archive":
            raise self.fatal(f"HubSpot has no object type {self.settings.object!r} (HTTP 404)")
        if phase.name == "archive":
            if status in (200, 204):
                return {i.key: Ack() for i in items}
            raise BatchRejected(f"HTTP {status}: {error_detail(response)}")
        if status >= 400:
            raise BatchRejected(f"HTTP {status}: {error_detail(response)}")
        body = response.json() or {}
        out: dict[str, Outcome] = {}
        by_key = {i.key: i for i in items}
        keys = by_key.keys()
        by_id = {str(i.data.get("id", "")).lower(): i.key for i in items}
        for res in body.get("results") or []:
            props = res.get("properties") or {}
            key = res.get("objectWriteTraceId")
            if key not in keys:
                key = by_id.get(str(props.get(self.settings.id_property, "")).lower())
            if key is None:
                continue
            item = by_key[key]
            state: dict[str, Any] = {"id": item.data.get("id")}
            kept = props.get("lifecyclestage")
            sent = item.data["properties"].get("lifecyclestage")
            if sent is not None:
                state["lifecyclestage"] = kept if kept not in (None, "") or sent == "" else sent
            out[key] = Ack(str(res.get("id")) if res.get("id") is not None else None, state)
        for err in body.get("errors") or []:
            reason = "; ".join(p for p in (err.get("category"), err.get("message")) if p) or "rejected by HubSpot"
            context = err.get("context") or {}
            traced = err.get("objectWriteTraceId") or context.get("objectWriteTraceId") or []
            traced = [traced] if isinstance(traced, str) else list(traced)
            ids = [by_id.get(str(v).lower()) for v in (context.get("ids") or context.get("id") or [])]
            for key in [*traced, *ids]:
                if key in keys:
                    not_found = err.get("category") == "OBJECT_NOT_FOUND" or "not found" in reason.lower()
                    if self.config.mode == "update_only" and not_found:
                        out[key] = Skip("not in HubSpot (mode update_only creates nothing)")
                    else:
                        out[key] = Fail(reason)
        for item in items:
            out.setdefault(item.key, Fail("HubSpot returned no result for this input"))
        return out
