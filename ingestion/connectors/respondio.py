"""respond.io Developer API v2 -> ``raw_respondio.*``.

Endpoints (Bearer token, base ``https://api.respond.io/v2``):
- ``POST /contact/list?limit=&cursorId=`` with a filter body ``{"search", "timezone", "filter"}``;
  the answer is ``{"items": [...], "pagination": {"next": URL, "previous": URL}}``; the ``next`` URL
  carries the next ``cursorId``.
- ``GET /contact/id:{id}/channels?limit=&cursorId=``: the channels a contact is reachable on.
- ``GET /contact/id:{id}/message/list?limit=&cursorId=``: the contact's messages.
- ``GET /space/user?limit=&cursorId=``: workspace users.

The v2 API has no contact "updated since" filter, no lifecycle or tag history endpoint and no
conversation list (those arrive by webhooks), so:
- contacts are a full pass each run, merged on the primary key (idempotent), resumable by the
  ``cursorId`` committed with each page;
- ``lifecycle_events`` and ``tag_events`` are derived by diffing each contact's ``lifecycle`` and
  ``tags`` against the row loaded last time, in the same transaction as the contact page. A contact
  seen for the first time gets one event per current stage/tag dated at its ``created_at``;
  later changes are dated at the run that observed them (``changed_by_type`` is null: unknown);
- messages of a contact are re-read only when one of its channels reports a ``lastMessageTime``
  newer than the one stored for that contact (per-contact cursor ``messages:<id>``);
- ``contacts.updated_at`` is the API's ``updated_at`` when present, else the time a change was first
  observed (kept unchanged while the contact does not change);
- ``conversations``, ``consent_events`` and ``survey_responses`` have no read endpoint: they come
  from the file drop (``raw_files``) or the demo generator.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingestion.connectors.http import ApiClient, ApiError, CursorGuard, dumps_compact
from ingestion.parsing import (
    BadRecord,
    parse_int,
    parse_str,
    parse_ts,
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
from warehouse_io import cursor_sql, utcnow

SOURCE = "respondio"
DEFAULT_BASE_URL = "https://api.respond.io/v2"
PAGE_LIMIT = 100  # the API's maximum

T_CONTACTS = "raw_respondio.contacts"
T_CHANNELS = "raw_respondio.contact_channels"
T_USERS = "raw_respondio.users"
T_MESSAGES = "raw_respondio.messages"
T_LIFECYCLE = "raw_respondio.lifecycle_events"
T_TAGS = "raw_respondio.tag_events"


def channel_type(source: str | None) -> str | None:
    """respond.io channel ``source`` -> the raw table's channel_type vocabulary."""
    if not source:
        return None
    s = source.lower()
    if "whatsapp" in s or s == "360dialog":
        return "whatsapp"
    if s in ("facebook", "messenger"):
        return "messenger"
    if s in ("gmail", "other_email", "email"):
        return "email"
    if s in ("webchat", "website", "livechat", "web_chat"):
        return "webchat"
    return s  # instagram, tiktok, telegram, line, viber... kept as is


def _cursor_id(next_url: Any) -> str | None:
    if not next_url or not isinstance(next_url, str):
        return None
    vals = parse_qs(urlsplit(next_url).query).get("cursorId")
    return vals[0] if vals else None


def _event_id(kind: str, contact_id: int, *parts: Any) -> str:
    digest = hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()[:16]
    return f"{kind}:{contact_id}:{digest}"


# ------------------------------------------------------------------------------------------------
# Record mapping (raise BadRecord -> quarantine)
# ------------------------------------------------------------------------------------------------
def map_contact(rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("record is not an object")
    tags = rec.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadRecord("tags is not a list of strings")
    assignee = rec.get("assignee")
    return {
        "contact_id": parse_int(rec.get("id"), "id", required=True),
        "first_name": parse_str(rec.get("firstName"), "firstName"),
        "last_name": parse_str(rec.get("lastName"), "lastName"),
        "phone": parse_str(rec.get("phone"), "phone"),
        "email": parse_str(rec.get("email"), "email"),
        "language": parse_str(rec.get("language"), "language"),
        "country_code": parse_str(rec.get("countryCode"), "countryCode"),
        "lifecycle": parse_str(rec.get("lifecycle"), "lifecycle") or None,
        "tags": dumps_compact(sorted(set(tags))),
        "assignee_user_id": parse_int(assignee.get("id"), "assignee.id") if isinstance(assignee, Mapping) else None,
        "created_at": parse_ts(rec.get("created_at"), "created_at", required=True),
        "updated_at": parse_ts(rec.get("updated_at") or rec.get("updatedAt"), "updated_at"),
    }


def map_channel(contact_id: int, rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("channel is not an object")
    meta = rec.get("meta") if isinstance(rec.get("meta"), Mapping) else {}
    user_id = next((meta.get(k) for k in ("id", "userId", "phone", "psid", "igsid", "email", "username")
                    if meta.get(k) not in (None, "")), None)
    return {
        "contact_id": contact_id,
        "channel_id": parse_int(rec.get("id"), "channel id", required=True),
        "channel_type": channel_type(parse_str(rec.get("source"), "source")),
        "channel_user_id": None if user_id is None else str(user_id),
        "created_at": parse_ts(rec.get("created_at"), "channel created_at"),
    }


def map_user(rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("record is not an object")
    team = rec.get("team")
    is_ai = bool(rec.get("isAiAgent") or rec.get("type") in ("ai_agent", "ai") or rec.get("role") == "ai_agent")
    return {
        "user_id": parse_int(rec.get("id"), "id", required=True),
        "first_name": parse_str(rec.get("firstName"), "firstName"),
        "last_name": parse_str(rec.get("lastName"), "lastName"),
        "email": parse_str(rec.get("email"), "email"),
        "role": parse_str(rec.get("role"), "role"),
        "agent_type": "ai_agent" if is_ai else "human",
        "team": parse_str(team.get("name"), "team.name") if isinstance(team, Mapping) else parse_str(team, "team"),
        "created_at": parse_ts(rec.get("created_at") or rec.get("createdAt"), "created_at"),
    }


def map_message(contact_id: int, channel_types: Mapping[int, str | None], rec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rec, Mapping):
        raise BadRecord("message is not an object")
    msg = rec.get("message") if isinstance(rec.get("message"), Mapping) else {}
    sent = rec.get("timestamp") or rec.get("created_at") or rec.get("createdAt") or rec.get("sentAt")
    if sent in (None, ""):
        statuses = rec.get("status") if isinstance(rec.get("status"), list) else []
        stamps = [s.get("timestamp") for s in statuses if isinstance(s, Mapping) and s.get("timestamp")]
        sent = min(stamps) if stamps else None
    traffic = parse_str(rec.get("traffic"), "traffic")
    if traffic not in ("incoming", "outgoing"):
        raise BadRecord("traffic is not incoming/outgoing")
    sender = rec.get("sender") if isinstance(rec.get("sender"), Mapping) else {}
    sender_type = parse_str(sender.get("source") or sender.get("type"), "sender.type")
    if traffic == "incoming" and not sender_type:
        sender_type = "contact"
    referral = rec.get("referral") or msg.get("referral") or {}
    if not isinstance(referral, Mapping):
        referral = {}
    channel_id = parse_int(rec.get("channelId"), "channelId")
    conv_obj = rec.get("conversation")
    conv = rec.get("conversationId") or (conv_obj.get("id") if isinstance(conv_obj, Mapping) else None)
    return {
        "message_id": parse_int(rec.get("messageId") or rec.get("id"), "messageId", required=True),
        "conversation_id": parse_int(conv, "conversationId"),
        "contact_id": parse_int(rec.get("contactId"), "contactId") or contact_id,
        "channel_id": channel_id,
        "channel_type": channel_types.get(channel_id) if channel_id is not None else None,
        "traffic": traffic,
        "sender_type": sender_type,
        "sender_user_id": parse_int(sender.get("userId") or sender.get("id"), "sender.userId") if sender else None,
        "message_type": parse_str(msg.get("type"), "message.type"),
        "referral_source_type": parse_str(referral.get("source_type") or referral.get("sourceType")
                                          or referral.get("type"), "referral.type"),
        "referral_ad_id": parse_str(referral.get("source_id") or referral.get("adId") or referral.get("ad_id"),
                                    "referral.ad_id"),
        "referral_ctwa_clid": parse_str(referral.get("ctwa_clid") or referral.get("ctwaClid"), "referral.ctwa_clid"),
        "sent_at": parse_ts(sent, "sent time", required=True),
    }


# ------------------------------------------------------------------------------------------------
# Paging
# ------------------------------------------------------------------------------------------------
def _pages(api: ApiClient, method: str, path: str, body: Any = None,
           start_cursor: str | None = None) -> Iterator[tuple[list[Any], str | None]]:
    """Yield (items, next cursorId) for a cursorId-paginated endpoint."""
    cursor = start_cursor
    guard = CursorGuard(api, method, path, "cursorId")
    guard.check(cursor)
    while True:
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if cursor:
            params["cursorId"] = cursor
        data = api.json(method, path, params=params, json_body=body if method == "POST" else None)
        items = data.get("items") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise ApiError(f"{SOURCE}: {method} {path} answered without an items list", source=SOURCE,
                           method=method, endpoint=path)
        pagination = data.get("pagination") if isinstance(data.get("pagination"), Mapping) else {}
        next_url = pagination.get("next") if items else None
        if isinstance(next_url, str) and next_url.startswith(("http://", "https://", "//")):
            api.check_same_origin(api.url(path) if next_url.startswith("//") else next_url, method=method)
        nxt = _cursor_id(next_url)
        guard.check(nxt)  # a server repeating a cursor must not page forever
        yield items, nxt
        if not nxt:
            return
        cursor = nxt


# ------------------------------------------------------------------------------------------------
# Run
# ------------------------------------------------------------------------------------------------
def _client(settings: Mapping[str, str], log: logging.Logger) -> ApiClient:
    token = env_required("RESPONDIO_API_TOKEN", settings)
    base = env_default("RESPONDIO_BASE_URL", DEFAULT_BASE_URL, settings)
    return ApiClient(SOURCE, base, bearer_token=token, log=log)


def run(warehouse: Path | str, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None,
        settings: Mapping[str, str] | None = None) -> IngestResult:
    """Load users, then contacts page by page with their channels, messages and derived events.

    ``start``/``end`` restrict which contacts' messages are (re)read to contacts created in that
    range (the API has no date filter on messages); contacts themselves are always a full pass.
    """
    log = log or logging.getLogger(f"ingestion.connectors.{SOURCE}")
    with _client(settings_or_env(settings), log) as api, IngestRun(warehouse, SOURCE, log) as run_:
        _load_users(api, run_)
        _load_contacts(api, run_, start, end)
        return run_.result


def _load_users(api: ApiClient, run_: IngestRun) -> None:
    for items, _nxt in _pages(api, "GET", "/space/user"):
        rows = run_.map_records("users", items, map_user)
        run_.write_page(T_USERS, rows)


def _load_contacts(api: ApiClient, run_: IngestRun, start: date | None, end: date | None) -> None:
    state = run_.get_json_cursor("contacts")
    resume = state.get("cursorId") if state.get("in_progress") else None
    pass_started = state.get("pass_started") if resume else ts_iso(utcnow())
    if resume:
        run_.log.info("%s: resuming contact pass at cursorId %s", SOURCE, resume)
    body = {"search": "", "timezone": "UTC", "filter": {"$and": []}}
    for items, nxt in _pages(api, "POST", "/contact/list", body, start_cursor=resume):
        contacts = run_.map_records("contacts", items, map_contact)
        batches, extra = _contact_page(api, run_, contacts, start, end)
        cursor = {"in_progress": bool(nxt), "cursorId": nxt, "pass_started": pass_started}
        if not nxt:
            cursor["last_pass_finished"] = ts_iso(utcnow())
        run_.write_pages(batches, stream="contacts", cursor=cursor, extra=extra)
    if run_.get_json_cursor("contacts").get("in_progress"):  # empty last page after a resume
        run_.set_cursor("contacts", {"in_progress": False, "cursorId": None, "pass_started": pass_started,
                                     "last_pass_finished": ts_iso(utcnow())})


def _contact_page(api: ApiClient, run_: IngestRun, contacts: list[dict[str, Any]],
                  start: date | None, end: date | None) -> tuple[dict[str, list[dict[str, Any]]], list]:
    ids = [c["contact_id"] for c in contacts]
    previous: dict[int, tuple] = {}
    if ids:
        marks = ",".join("?" for _ in ids)
        for cid, lifecycle, tags, fp_updated, *rest in run_.existing(
                f"select contact_id, lifecycle, tags, updated_at, first_name, last_name, phone, email, language, "
                f"country_code, assignee_user_id from {T_CONTACTS} where contact_id in ({marks})", ids):
            previous[cid] = (lifecycle, tags, fp_updated, tuple(rest))
    now = utcnow()
    channels: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    lifecycle_events: list[dict[str, Any]] = []
    tag_events: list[dict[str, Any]] = []
    extra: list = []
    for c in contacts:
        cid = c["contact_id"]
        prev = previous.get(cid)
        fields = tuple(c[k] for k in ("first_name", "last_name", "phone", "email", "language", "country_code",
                                      "assignee_user_id"))
        changed = prev is None or prev[0] != c["lifecycle"] or prev[1] != c["tags"] or prev[3] != fields
        if c["updated_at"] is None:
            c["updated_at"] = (c["created_at"] if prev is None else now) if changed else prev[2]
        lifecycle_events += _lifecycle_diff(c, prev, now)
        tag_events += _tag_diff(c, prev, now)
        # channels (+ messages when a channel reports a newer message)
        chan_rows: list[dict[str, Any]] = []
        last_message_time: datetime | None = None
        for items, _nxt in _pages(api, "GET", f"/contact/id:{cid}/channels"):
            chan_rows += run_.map_records("contact_channels", items, lambda r, cid=cid: map_channel(cid, r),
                                          ref=lambda r, i, cid=cid: f"contact {cid} channel {i}")
            for it in items:
                if isinstance(it, Mapping):
                    try:
                        t = parse_ts(it.get("lastMessageTime"), "lastMessageTime")
                    except BadRecord:
                        t = None
                    if t and (last_message_time is None or t > last_message_time):
                        last_message_time = t
        channels += chan_rows
        if start and c["created_at"].date() < start or end and c["created_at"].date() > end:
            continue
        stream = f"messages:{cid}"
        seen = run_.get_cursor(stream)
        latest = ts_iso(last_message_time) if last_message_time else None
        if latest is None or (seen is not None and seen >= latest):
            continue
        types = {r["channel_id"]: r["channel_type"] for r in chan_rows}
        for items, _nxt in _pages(api, "GET", f"/contact/id:{cid}/message/list"):
            messages += run_.map_records(
                "messages", items, lambda r, cid=cid, types=types: map_message(cid, types, r),
                ref=lambda r, i, cid=cid: f"contact {cid} message "
                + (str(r.get("messageId")) if isinstance(r, Mapping) and r.get("messageId") else f"index {i}"))
        extra.append(cursor_sql(SOURCE, stream, latest))
    return ({T_CONTACTS: contacts, T_CHANNELS: channels, T_MESSAGES: messages,
             T_LIFECYCLE: lifecycle_events, T_TAGS: tag_events}, extra)


def _lifecycle_diff(c: dict[str, Any], prev: tuple | None, now: datetime) -> list[dict[str, Any]]:
    cid, stage = c["contact_id"], c["lifecycle"]
    if prev is None:
        if not stage:
            return []
        at, before = c["created_at"], None
    else:
        if prev[0] == stage:
            return []
        at, before = now, prev[0]
    return [{"event_id": _event_id("lc", cid, before, stage, at), "contact_id": cid, "from_stage": before,
             "to_stage": stage, "changed_by_type": None, "changed_by_user_id": None, "changed_at": at}]


def _tag_diff(c: dict[str, Any], prev: tuple | None, now: datetime) -> list[dict[str, Any]]:
    cid = c["contact_id"]
    tags = set(json.loads(c["tags"]))
    old = set(json.loads(prev[1])) if prev is not None and prev[1] else set()
    at = c["created_at"] if prev is None else now
    out = []
    for action, names in (("added", tags - old), ("removed", old - tags)):
        for tag in sorted(names):
            out.append({"event_id": _event_id("tag", cid, tag, action, at), "contact_id": cid, "tag": tag,
                        "action": action, "changed_by_type": None, "changed_by_user_id": None, "event_at": at})
    return out


SPEC = ConnectorSpec(
    name=SOURCE,
    raw_schema="raw_respondio",
    required_env=("RESPONDIO_API_TOKEN",), optional_env=("RESPONDIO_BASE_URL",),
    run=run,
    description="respond.io Developer API v2: contacts, channels, messages, users; lifecycle/tag changes by diff.",
)
