"""HubSpot CRM v3 -> ``raw_hubspot.*``.

Endpoints (private-app Bearer token; base ``https://api.hubapi.com``):
- ``POST /crm/v3/objects/contacts/search`` and ``/crm/v3/objects/deals/search``: filter
  ``lastmodifieddate`` / ``hs_lastmodifieddate`` ``GTE`` the cursor (epoch ms), sorted ascending,
  ``limit`` 100, paged with ``paging.next.after``. Search stops at 10,000 results per query, so when
  ``after`` reaches that window the connector starts a new query from the last record's modified
  time (``GTE``, the overlap is absorbed by the primary-key merge).
- ``POST /crm/v3/objects/{contacts|deals}/batch/read`` with ``propertiesWithHistory``
  (``lifecyclestage`` / ``dealstage``) for the ids of each page: the stage history.
- ``POST /crm/v4/associations/deals/contacts/batch/read``: deal -> contact associations.

Each page (records + their history + associations) is written in one transaction with the cursor
``{"since": ms, "after": token}``, so a killed run resumes at the last committed page. 429 answers
(``policyName`` in the body, ``Retry-After`` when sent) are retried by the shared session.
Scopes: ``crm.objects.contacts.read``, ``crm.objects.deals.read``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ingestion.connectors.http import ApiClient, ApiError, CursorGuard
from ingestion.parsing import (
    BadRecord,
    day_end_exclusive,
    day_start,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_str,
    parse_ts,
)
from ingestion.runs import (
    ConnectorSpec,
    IngestResult,
    IngestRun,
    env_default,
    env_required,
    settings_or_env,
)

SOURCE = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"
PAGE_LIMIT = 100
SEARCH_WINDOW = 10_000  # HubSpot search returns at most 10k results per query

CONTACT_PROPS = ["email", "phone", "mobilephone", "firstname", "lastname", "lifecyclestage", "hs_lead_status",
                 "createdate", "lastmodifieddate", "hs_object_id"]
DEAL_PROPS = ["dealname", "pipeline", "dealstage", "amount", "deal_currency_code", "closed_lost_reason",
              "hs_is_closed", "hs_is_closed_won", "createdate", "closedate", "hs_lastmodifieddate", "hs_object_id"]


def _ms(dt) -> int:
    from datetime import UTC
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000)


def map_contact(rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping) or not isinstance(rec.get("properties"), Mapping):
        raise BadRecord("record has no properties object")
    p = rec["properties"]
    return {
        "contact_id": parse_int(rec.get("id") or p.get("hs_object_id"), "id", required=True),
        "email": parse_str(p.get("email"), "email"),
        "phone": parse_str(p.get("phone"), "phone"),
        "mobilephone": parse_str(p.get("mobilephone"), "mobilephone"),
        "firstname": parse_str(p.get("firstname"), "firstname"),
        "lastname": parse_str(p.get("lastname"), "lastname"),
        "lifecyclestage": parse_str(p.get("lifecyclestage"), "lifecyclestage") or None,
        "hs_lead_status": parse_str(p.get("hs_lead_status"), "hs_lead_status") or None,
        "createdate": parse_ts(p.get("createdate") or rec.get("createdAt"), "createdate"),
        "lastmodifieddate": parse_ts(p.get("lastmodifieddate") or rec.get("updatedAt"), "lastmodifieddate",
                                     required=True),
        "archived": parse_bool(rec.get("archived"), "archived") or False,
    }


def map_deal(rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping) or not isinstance(rec.get("properties"), Mapping):
        raise BadRecord("record has no properties object")
    p = rec["properties"]
    return {
        "deal_id": parse_int(rec.get("id") or p.get("hs_object_id"), "id", required=True),
        "dealname": parse_str(p.get("dealname"), "dealname"),
        "pipeline": parse_str(p.get("pipeline"), "pipeline"),
        "dealstage": parse_str(p.get("dealstage"), "dealstage"),
        "amount": parse_decimal(p.get("amount"), "amount"),
        "deal_currency_code": parse_str(p.get("deal_currency_code"), "deal_currency_code") or None,
        "closed_lost_reason": parse_str(p.get("closed_lost_reason"), "closed_lost_reason") or None,
        "hs_is_closed": parse_bool(p.get("hs_is_closed"), "hs_is_closed"),
        "hs_is_closed_won": parse_bool(p.get("hs_is_closed_won"), "hs_is_closed_won"),
        "createdate": parse_ts(p.get("createdate") or rec.get("createdAt"), "createdate"),
        "closedate": parse_ts(p.get("closedate"), "closedate"),
        "lastmodifieddate": parse_ts(p.get("hs_lastmodifieddate") or rec.get("updatedAt"), "hs_lastmodifieddate",
                                     required=True),
    }


def _history(rec: Mapping[str, Any], prop: str) -> list[Mapping[str, Any]]:
    hist = (rec.get("propertiesWithHistory") or {}).get(prop) or []
    if not isinstance(hist, list):
        raise BadRecord(f"propertiesWithHistory.{prop} is not a list")
    return [h for h in hist if isinstance(h, Mapping)]


def map_contact_history(rec: Mapping[str, Any]) -> list[dict[str, Any]]:
    cid = parse_int(rec.get("id"), "id", required=True)
    return [{"contact_id": cid, "lifecyclestage": parse_str(h.get("value"), "value"),
             "source_type": parse_str(h.get("sourceType"), "sourceType"),
             "changed_at": parse_ts(h.get("timestamp"), "history timestamp", required=True)}
            for h in _history(rec, "lifecyclestage") if h.get("value") not in (None, "")]


def map_deal_history(rec: Mapping[str, Any]) -> list[dict[str, Any]]:
    did = parse_int(rec.get("id"), "id", required=True)
    return [{"deal_id": did, "dealstage": parse_str(h.get("value"), "value"),
             "changed_at": parse_ts(h.get("timestamp"), "history timestamp", required=True)}
            for h in _history(rec, "dealstage") if h.get("value") not in (None, "")]


def map_association(rec: Mapping[str, Any]) -> list[dict[str, Any]]:
    did = parse_int((rec.get("from") or {}).get("id"), "from.id", required=True)
    return [{"deal_id": did, "contact_id": parse_int(t.get("toObjectId"), "toObjectId", required=True)}
            for t in rec.get("to") or [] if isinstance(t, Mapping)]


def _offset(after: Any) -> int:
    try:
        return int(after)
    except (TypeError, ValueError):
        return 0


def _results(api: ApiClient, path: str, answer: Any) -> list[Any]:
    """The ``results`` list of a HubSpot answer, or an :class:`ApiError` naming the request."""
    results = answer.get("results") if isinstance(answer, Mapping) else None
    if results is None and isinstance(answer, Mapping) and "results" not in answer and path.endswith("/batch/read"):
        return []
    if not isinstance(results, list):
        raise ApiError(f"{SOURCE}: POST {path} answered without a results list", source=SOURCE, method="POST",
                       endpoint=path)
    return results


def _client(settings: Mapping[str, str], log: logging.Logger) -> ApiClient:
    return ApiClient(SOURCE, env_default("HUBSPOT_BASE_URL", DEFAULT_BASE_URL, settings),
                     bearer_token=env_required("HUBSPOT_ACCESS_TOKEN", settings), log=log)


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Incremental on last-modified time; ``start``/``end`` backfill a modified-date range (own cursor)."""
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    with _client(settings_or_env(settings), log) as api, IngestRun(warehouse, SOURCE, log) as run_:
        _sync(api, run_, "contacts", "lastmodifieddate", CONTACT_PROPS, start, end)
        _sync(api, run_, "deals", "hs_lastmodifieddate", DEAL_PROPS, start, end)
        return run_.result


def _sync(api: ApiClient, run_: IngestRun, obj: str, mod_prop: str, props: list[str],
          start: date | None, end: date | None) -> None:
    stream = obj if not (start or end) else f"{obj}@{start or ''}..{end or ''}"
    state = run_.get_json_cursor(stream)
    since = state.get("since")
    if since is None and start:
        since = _ms(day_start(start))
    after = state.get("after")
    until = _ms(day_end_exclusive(end)) if end else None
    search = f"/crm/v3/objects/{obj}/search"
    guard = CursorGuard(api, "POST", search, "cursor (paging.next.after, or the restart time)")
    guard.check([since, after])
    while True:
        filters = [{"propertyName": mod_prop, "operator": "GTE", "value": str(since or 0)}]
        if until is not None:
            filters.append({"propertyName": mod_prop, "operator": "LT", "value": str(until)})
        body: dict[str, Any] = {"filterGroups": [{"filters": filters}],
                                "sorts": [{"propertyName": mod_prop, "direction": "ASCENDING"}],
                                "properties": props, "limit": PAGE_LIMIT}
        if after:
            body["after"] = after
        data = api.post_json(search, body)
        results = _results(api, search, data)
        paging = data.get("paging") if isinstance(data.get("paging"), Mapping) else {}
        nxt = (paging.get("next") if isinstance(paging.get("next"), Mapping) else {}).get("after")
        ref = lambda r, i: f"{obj} {r.get('id')}" if isinstance(r, Mapping) and r.get("id") else f"{obj} index {i}"  # noqa: E731
        if obj == "contacts":
            rows = run_.map_records("contacts", results, map_contact, ref=ref)
            key, table = "contact_id", "raw_hubspot.contacts"
        else:
            rows = run_.map_records("deals", results, map_deal, ref=ref)
            key, table = "deal_id", "raw_hubspot.deals"
        batches: dict[str, list[dict[str, Any]]] = {table: rows}
        ids = [r[key] for r in rows]
        if ids:
            hist_prop = "lifecyclestage" if obj == "contacts" else "dealstage"
            read = f"/crm/v3/objects/{obj}/batch/read"
            hist = _results(api, read, api.post_json(read, {
                "inputs": [{"id": str(i)} for i in ids], "properties": [hist_prop],
                "propertiesWithHistory": [hist_prop]}))
            if obj == "contacts":
                batches["raw_hubspot.contact_lifecycle_history"] = run_.map_records(
                    "contact_lifecycle_history", hist, map_contact_history, ref=ref)
            else:
                batches["raw_hubspot.deal_stage_history"] = run_.map_records(
                    "deal_stage_history", hist, map_deal_history, ref=ref)
                assoc_path = "/crm/v4/associations/deals/contacts/batch/read"
                assoc = _results(api, assoc_path, api.post_json(assoc_path, {"inputs": [{"id": str(i)} for i in ids]}))
                batches["raw_hubspot.deal_contacts"] = run_.map_records(
                    "deal_contacts", assoc, map_association, ref=lambda r, i: f"deal association index {i}")
        last_mod = max((r["lastmodifieddate"] for r in rows), default=None)
        if nxt and _offset(nxt) + PAGE_LIMIT > SEARCH_WINDOW and last_mod is not None:
            # the next page would pass the 10k search window: restart the query from this modified time
            cursor = {"since": _ms(last_mod), "after": None}
        elif nxt:
            cursor = {"since": since, "after": nxt}
        else:
            cursor = {"since": _ms(last_mod) if last_mod is not None else since, "after": None}
        if nxt:
            guard.check([cursor["since"], cursor["after"]])  # before committing: a loop must not move the cursor
        run_.write_pages(batches, stream=stream, cursor=cursor)
        if not nxt:
            return
        since, after = cursor["since"], cursor["after"]


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema="raw_hubspot",
    required_env=("HUBSPOT_ACCESS_TOKEN",), optional_env=("HUBSPOT_BASE_URL",),
    run=run,
    description="HubSpot CRM v3: contacts, deals, stage histories, deal-contact associations.",
)
