"""Salesforce: sObject Collections upsert on an external id, and Bulk API 2.0 for large runs.

Contract (Salesforce REST API):

- ``PATCH /services/data/{version}/composite/sobjects/{SObject}/{ExternalIdField}`` with
  ``{"allOrNone": false, "records": [{"attributes": {"type": SObject}, field: value...}]}``, at most 200
  records; the answer lists one result per record, in order: ``{"id", "success", "created", "errors":
  [{"statusCode", "message", "fields"}]}``. A failed record is stored with Salesforce's status code and
  message; the others are acknowledged with their Salesforce id (kept for mirror removals).
- Above ``bulk_threshold`` rows to send in a run, Bulk API 2.0: create an ingest job (``upsert`` on
  the external id, CSV), upload the rows, close the job, poll until it completes, then read
  ``successfulResults`` and ``failedResults`` to account for each row by its external id.
- A request Salesforce refuses as a whole for a configuration reason (``INVALID_FIELD``, ``NOT_FOUND``,
  ``INVALID_TYPE``, an expired session) stops the run with that reason; any other whole-request
  rejection is split to isolate the bad records.
- ``mode: mirror``: rows that leave the segment are deleted (``DELETE /composite/sobjects?ids=...``,
  200 ids a call) or, with ``removal: {fields: {...}}``, get those fields set.
- Null values are left out (Salesforce keeps its value); ``SALESFORCE_INSTANCE_URL`` is the host.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Generator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
from activation.http import DestinationError, Request, Response

CONFIG_ERRORS = {"INVALID_FIELD", "NOT_FOUND", "INVALID_TYPE", "INVALID_SESSION_ID", "API_DISABLED_FOR_ORG",
                 "REQUEST_LIMIT_EXCEEDED", "INSUFFICIENT_ACCESS", "INVALID_OPERATION_WITH_EXPIRED_PASSWORD"}
DELETE_BATCH = 200


class SalesforceRemoval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Literal["delete", "set_fields"] = "delete"
    fields: dict[str, str | bool | int | None] = Field(default_factory=dict)


class SalesforceSettings(Settings):
    api_version: str = "v60.0"
    sobject: str = "Lead"
    external_id_field: str
    bulk_threshold: int = Field(default=10_000, ge=1)
    bulk_job_size: int = Field(default=100_000, ge=1)
    bulk_poll_seconds: float = Field(default=5.0, gt=0)
    bulk_timeout_seconds: float = Field(default=3600.0, gt=0)
    removal: SalesforceRemoval = Field(default_factory=SalesforceRemoval)

    @field_validator("api_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not v.startswith("v") or not v[1:].replace(".", "").isdigit():
            raise ValueError("expected an API version like v60.0")
        return v


def _value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, str):
        return v.strip()
    return v


class SalesforceDestination(Destination):
    kind = "salesforce"
    settings_model = SalesforceSettings
    max_batch_size = 200
    modes = ("upsert", "mirror")
    credential_specs = (CredentialSpec("instance_url", "SALESFORCE_INSTANCE_URL", secret=False),
                        CredentialSpec("access_token", "SALESFORCE_ACCESS_TOKEN"))
    base_url_credential = "instance_url"
    personal_fields = frozenset({"Email", "Phone", "MobilePhone", "FirstName", "LastName", "Name"})

    settings: SalesforceSettings
    use_bulk: bool = False

    @classmethod
    def check(cls, config, settings: SalesforceSettings) -> list[str]:
        problems = []
        if settings.external_id_field not in config.mapping:
            problems.append(f"destination.external_id_field: {settings.external_id_field!r}: must be one of the "
                            f"mapped fields (mapping: {', '.join(config.mapping) or 'empty'})")
        if config.mode == "mirror" and settings.removal.action == "set_fields" and not settings.removal.fields:
            problems.append("destination.removal.fields: missing (set_fields needs the fields to set)")
        return problems

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def missing_credentials(self) -> list[str]:
        missing = super().missing_credentials()
        if self.base_url_override or self.settings.base_url:
            missing = [m for m in missing if m != "SALESFORCE_INSTANCE_URL"]
        return missing

    def prepare(self, to_send: int) -> int | None:
        self.use_bulk = to_send > self.settings.bulk_threshold
        return self.settings.bulk_job_size if self.use_bulk else None

    # --- payloads --------------------------------------------------------------------------------
    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        fields: dict[str, Any] = {}
        for name, value in self.mapped(row).items():
            v = _value(value)
            if v is not None and v != "":
                fields[name] = v
        ext = fields.get(self.settings.external_id_field)
        if ext is None:
            return Skip(f"no {self.settings.external_id_field}: Salesforce upserts on this external id")
        fields[self.settings.external_id_field] = str(ext)
        return fields

    def plan(self, records: Sequence[Record], removals: Sequence[Removal]
             ) -> Generator[Phase, PhaseOutcomes, None]:
        if records:
            yield Phase("upsert", [Item(r.key, r.payload) for r in records])
        if removals:
            if self.settings.removal.action == "delete":
                yield Phase("delete", [Item(r.key, r.destination_id) for r in removals], removal=True,
                            batch_size=DELETE_BATCH)
            else:
                yield Phase("removal_fields", [
                    Item(r.key, {self.settings.external_id_field: (r.previous or {}).get("external_id"),
                                 **self.settings.removal.fields}) for r in removals], removal=True)

    def _base(self) -> str:
        return f"/services/data/{self.settings.api_version}"

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        s = self.settings
        keys = tuple(i.key for i in items)
        if phase.name == "delete":
            ids = ",".join(str(i.data) for i in items)
            return Request("DELETE", f"{self._base()}/composite/sobjects?ids={ids}&allOrNone=false", None,
                           content_type=None, keys=keys, phase=phase.name)
        records = [{"attributes": {"type": s.sobject}, **i.data} for i in items]
        return Request("PATCH", f"{self._base()}/composite/sobjects/{s.sobject}/{s.external_id_field}",
                       stable_json({"allOrNone": False, "records": records}), keys=keys, phase=phase.name)

    def _check_request_level(self, response: Response) -> None:
        if response.status == 401:
            raise self.fatal(f"Salesforce refused the session (HTTP 401: {error_detail(response)}); check "
                             "SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL")
        body = response.json()
        codes = {e.get("errorCode") for e in body if isinstance(e, dict)} if isinstance(body, list) else set()
        if response.status >= 400 and codes & CONFIG_ERRORS:
            raise self.fatal(f"Salesforce refused the request (HTTP {response.status}: {error_detail(response)})")

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        self._check_request_level(response)
        if response.status >= 400:
            raise BatchRejected(f"HTTP {response.status}: {error_detail(response)}")
        body = response.json()
        if not isinstance(body, list) or len(body) != len(items):
            raise BatchRejected(f"Salesforce answered {len(body) if isinstance(body, list) else 'no'} results "
                                f"for {len(items)} records")
        out: dict[str, Outcome] = {}
        for item, res in zip(items, body, strict=True):
            if res.get("success"):
                ext = item.data.get(self.settings.external_id_field) if isinstance(item.data, dict) else None
                out[item.key] = Ack(res.get("id"), {"external_id": ext} if ext is not None else None)
            else:
                errors = res.get("errors") or []
                reason = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" +
                                   (f" ({', '.join(e['fields'])})" if e.get("fields") else "") for e in errors)
                if phase.name == "delete" and any(e.get("statusCode") == "ENTITY_IS_DELETED" for e in errors):
                    out[item.key] = Ack()
                else:
                    out[item.key] = Fail(reason or "rejected by Salesforce")
        return out

    # --- Bulk API 2.0 ----------------------------------------------------------------------------
    def deliver(self, phase: Phase, sender: Any) -> dict[str, Outcome] | None:
        if phase.name == "delete":
            missing = [i for i in phase.items if not i.data]
            if missing:
                phase.items = [i for i in phase.items if i.data]
                out = {i.key: Fail("no Salesforce id known for this record (it was never acknowledged)")
                       for i in missing}
                return {**out, **({} if not phase.items else self._send_batches(phase, sender))}
            return None
        if phase.name != "upsert" or not self.use_bulk:
            return None
        return self._bulk_upsert(phase, sender)

    def _send_batches(self, phase: Phase, sender: Any) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for start in range(0, len(phase.items), DELETE_BATCH):
            items = phase.items[start:start + DELETE_BATCH]
            req = self.encode(phase, items)
            if sender.dry_run:
                sender.send(req)
                out.update({i.key: Ack() for i in items})
                continue
            try:
                out.update(self.interpret(phase, req, items, sender.send(req)))
            except BatchRejected as exc:
                out.update({i.key: Fail(exc.reason) for i in items})
        return out

    def _bulk_upsert(self, phase: Phase, sender: Any) -> dict[str, Outcome]:
        s = self.settings
        ext_field = s.external_id_field
        columns = [ext_field] + sorted({k for i in phase.items for k in i.data} - {ext_field})
        by_ext = {str(i.data[ext_field]): i.key for i in phase.items}
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for item in phase.items:
            writer.writerow(["" if item.data.get(c) is None else item.data.get(c) for c in columns])
        keys = tuple(i.key for i in phase.items)
        base = f"{self._base()}/jobs/ingest"
        create = Request("POST", base, stable_json({"object": s.sobject, "externalIdFieldName": ext_field,
                                                    "contentType": "CSV", "operation": "upsert", "lineEnding": "LF"}),
                         keys=keys, phase="bulk_create_job")
        resp = sender.send(create)
        job_id = "{job_id}" if sender.dry_run else (resp.json() or {}).get("id")
        if not sender.dry_run:
            self._check_request_level(resp)
            if resp.status >= 400 or not job_id:
                raise self.fatal(f"Bulk API 2.0 did not create the job (HTTP {resp.status}: {error_detail(resp)})")
        upload = Request("PUT", f"{base}/{job_id}/batches", buf.getvalue().encode("utf-8"), content_type="text/csv",
                         keys=keys, phase="bulk_upload")
        close = Request("PATCH", f"{base}/{job_id}", stable_json({"state": "UploadComplete"}), keys=keys,
                        phase="bulk_close_job")
        for req in (upload, close):
            r = sender.send(req)
            if not sender.dry_run and r.status >= 400:
                raise self.fatal(f"Bulk API 2.0 {req.phase} failed (HTTP {r.status}: {error_detail(r)})")
        if sender.dry_run:
            return {i.key: Ack() for i in phase.items}
        deadline = time.monotonic() + s.bulk_timeout_seconds
        state = None
        while time.monotonic() < deadline:
            info = sender.send(Request("GET", f"{base}/{job_id}", None, content_type=None, phase="bulk_poll"))
            state = (info.json() or {}).get("state")
            if state in ("JobComplete", "Failed", "Aborted"):
                break
            time.sleep(s.bulk_poll_seconds)
        else:
            raise DestinationError(f"salesforce: Bulk API 2.0 job {job_id} did not finish in "
                                   f"{s.bulk_timeout_seconds:.0f} s (state {state}); its rows are sent again next run")
        out: dict[str, Outcome] = {}
        for kind in ("successfulResults", "failedResults"):
            resp = sender.send(Request("GET", f"{base}/{job_id}/{kind}/", None, content_type=None, phase="bulk_results"))
            if resp.status >= 400:
                continue
            for row in csv.DictReader(io.StringIO(resp.body.decode("utf-8"))):
                key = by_ext.get(row.get(ext_field, ""))
                if key is None:
                    continue
                if kind == "successfulResults":
                    out[key] = Ack(row.get("sf__Id") or None, {"external_id": row.get(ext_field)})
                else:
                    out[key] = Fail(row.get("sf__Error") or "failed in the Bulk API job")
        for item in phase.items:
            out.setdefault(item.key, Fail(f"not processed by Bulk API job (state {state})"))
        return out
