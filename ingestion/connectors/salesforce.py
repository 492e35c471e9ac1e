"""Salesforce REST API -> ``raw_salesforce.*``.

``GET {instance}/services/data/v{version}/queryAll?q=SOQL`` (queryAll so soft-deleted rows come back
with ``IsDeleted = true``), paged with ``nextRecordsUrl`` until ``done``. One SOQL per object:
``WHERE SystemModstamp >= cursor ORDER BY SystemModstamp, Id``; the cursor is the newest
SystemModstamp of the last committed page (``>=`` so rows sharing that stamp are never skipped; the
primary-key merge absorbs the re-read). ``nextRecordsUrl`` locators expire, so a killed run restarts
the query from the committed SystemModstamp rather than from a stored locator.

Optional fields (``CurrencyIsoCode`` in single-currency orgs, the custom ``Loss_Reason__c``) are
dropped and the query retried when Salesforce answers ``INVALID_FIELD``. Errors come as
``[{"message", "errorCode"}]`` and are reported by the shared session without the token.
Credentials: an OAuth access token (``SALESFORCE_ACCESS_TOKEN``) for a user with API access and
read on Lead, Contact, Opportunity, OpportunityHistory; ``SALESFORCE_INSTANCE_URL``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingestion.connectors.http import ApiClient, ApiError, CursorGuard
from ingestion.parsing import (
    day_end_exclusive,
    day_start,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_str,
    parse_ts,
    require,
    ts_iso,
)
from ingestion.runs import (
    ConnectorSpec,
    IngestResult,
    IngestRun,
    env_default,
    env_required,
    settings_or_env,
)

SOURCE = "salesforce"
DEFAULT_API_VERSION = "62.0"
EPOCH = datetime(1970, 1, 1)

# object -> (raw table, [(SOQL field, raw column, parser)], optional SOQL fields)
OBJECTS: dict[str, tuple[str, list[tuple[str, str, Any]], set[str]]] = {
    "Lead": ("raw_salesforce.leads", [
        ("Id", "id", parse_str), ("Email", "email", parse_str), ("Phone", "phone", parse_str),
        ("MobilePhone", "mobile_phone", parse_str), ("FirstName", "first_name", parse_str),
        ("LastName", "last_name", parse_str), ("Company", "company", parse_str), ("Status", "status", parse_str),
        ("LeadSource", "lead_source", parse_str), ("IsConverted", "is_converted", parse_bool),
        ("ConvertedContactId", "converted_contact_id", parse_str),
        ("ConvertedOpportunityId", "converted_opportunity_id", parse_str),
        ("CreatedDate", "created_date", parse_ts), ("SystemModstamp", "system_modstamp", parse_ts),
        ("IsDeleted", "is_deleted", parse_bool)], set()),
    "Contact": ("raw_salesforce.contacts", [
        ("Id", "id", parse_str), ("AccountId", "account_id", parse_str), ("Email", "email", parse_str),
        ("Phone", "phone", parse_str), ("MobilePhone", "mobile_phone", parse_str),
        ("FirstName", "first_name", parse_str), ("LastName", "last_name", parse_str),
        ("LeadSource", "lead_source", parse_str), ("CreatedDate", "created_date", parse_ts),
        ("SystemModstamp", "system_modstamp", parse_ts), ("IsDeleted", "is_deleted", parse_bool)], set()),
    "Opportunity": ("raw_salesforce.opportunities", [
        ("Id", "id", parse_str), ("AccountId", "account_id", parse_str), ("ContactId", "contact_id", parse_str),
        ("Name", "name", parse_str), ("StageName", "stage_name", parse_str), ("Amount", "amount", parse_decimal),
        ("CurrencyIsoCode", "currency_iso_code", parse_str), ("CloseDate", "close_date", parse_date),
        ("IsClosed", "is_closed", parse_bool), ("IsWon", "is_won", parse_bool),
        ("Loss_Reason__c", "loss_reason", parse_str), ("LeadSource", "lead_source", parse_str),
        ("CreatedDate", "created_date", parse_ts), ("SystemModstamp", "system_modstamp", parse_ts),
        ("IsDeleted", "is_deleted", parse_bool)], {"CurrencyIsoCode", "Loss_Reason__c", "ContactId"}),
    "OpportunityHistory": ("raw_salesforce.opportunity_history", [
        ("Id", "id", parse_str), ("OpportunityId", "opportunity_id", parse_str),
        ("StageName", "stage_name", parse_str), ("Amount", "amount", parse_decimal),
        ("CloseDate", "close_date", parse_date), ("CreatedDate", "created_date", parse_ts),
        ("SystemModstamp", None, parse_ts), ("IsDeleted", "is_deleted", parse_bool)], set()),
}


def soql_datetime(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def mapper(fields: list[tuple[str, str | None, Any]], present: set[str]):
    def map_record(rec: Mapping[str, Any]) -> dict[str, Any]:
        require(rec, "Id")
        require(rec, "SystemModstamp")
        row: dict[str, Any] = {}
        for soql, col, parse in fields:
            if soql not in present:
                continue
            val = parse(rec.get(soql), soql) if parse is not parse_ts else parse_ts(
                rec.get(soql), soql, required=soql == "SystemModstamp")
            if col:
                row[col] = val
            if soql == "SystemModstamp":
                row["_modstamp"] = val
        return row
    return map_record


def _client(settings: Mapping[str, str], log: logging.Logger) -> tuple[ApiClient, str]:
    instance = env_required("SALESFORCE_INSTANCE_URL", settings)
    token = env_required("SALESFORCE_ACCESS_TOKEN", settings)
    version = env_default("SALESFORCE_API_VERSION", DEFAULT_API_VERSION, settings).lstrip("v")
    return ApiClient(SOURCE, instance, bearer_token=token, log=log), f"/services/data/v{version}"


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Incremental on SystemModstamp; ``start``/``end`` backfill a SystemModstamp range (own cursor)."""
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    api, prefix = _client(settings_or_env(settings), log)
    with api, IngestRun(warehouse, SOURCE, log) as run_:
        for obj in OBJECTS:
            _sync(api, prefix, run_, obj, start, end)
        return run_.result


def _sync(api: ApiClient, prefix: str, run_: IngestRun, obj: str, start: date | None, end: date | None) -> None:
    table, fields, optional = OBJECTS[obj]
    stream = obj if not (start or end) else f"{obj}@{start or ''}..{end or ''}"
    saved = run_.get_cursor(stream)
    since = parse_ts(saved) if saved else (day_start(start) if start else None)
    present = {f for f, _c, _p in fields}
    while True:
        where = [f"SystemModstamp >= {soql_datetime(since)}"] if since else []
        if end:
            where.append(f"SystemModstamp < {soql_datetime(day_end_exclusive(end))}")
        soql = (f"SELECT {', '.join(f for f, _c, _p in fields if f in present)} FROM {obj}"
                + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY SystemModstamp ASC, Id ASC")
        try:
            data = api.get_json(f"{prefix}/queryAll", params={"q": soql})
        except ApiError as exc:
            dropped = {f for f in optional & present if exc.status == 400 and f in (exc.detail or "")}
            if not dropped or "INVALID_FIELD" not in (exc.detail or ""):
                raise
            run_.log.warning("%s: %s has no field(s) %s; querying without them", SOURCE, obj, sorted(dropped))
            present -= dropped
            continue
        break
    map_record = mapper(fields, present)
    guard = CursorGuard(api, "GET", f"{prefix}/queryAll", "nextRecordsUrl")
    while True:
        records = data.get("records") if isinstance(data, Mapping) else None
        if not isinstance(records, list):
            raise ApiError(f"{SOURCE}: {obj} query answer has no records list", source=SOURCE, method="GET",
                           endpoint=f"{prefix}/queryAll")
        nxt = None if data.get("done", True) else data.get("nextRecordsUrl")
        if nxt is not None and not isinstance(nxt, str):
            raise ApiError(f"{SOURCE}: {obj} query answer has a nextRecordsUrl that is not text", source=SOURCE,
                           method="GET", endpoint=f"{prefix}/queryAll")
        if nxt:
            api.url(nxt)  # another host: an ApiError before anything of this page is committed
            guard.check(nxt)
        rows = run_.map_records(obj, records, map_record,
                                ref=lambda r, i: f"{obj} {r.get('Id')}" if isinstance(r, Mapping) and r.get("Id")
                                else f"{obj} index {i}")
        newest = max((r.pop("_modstamp") for r in rows), default=None)
        cursor = ts_iso(max(newest, since) if since and newest else newest or since)
        run_.write_page(table, rows, stream=stream, cursor=cursor)
        if cursor:
            since = parse_ts(cursor)
        if not nxt:
            return
        data = api.get_json(nxt)


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema="raw_salesforce",
    required_env=("SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"), optional_env=("SALESFORCE_API_VERSION",),
    run=run,
    description="Salesforce REST (SOQL queryAll): Lead, Contact, Opportunity, OpportunityHistory.",
)
