"""Meta Conversions API: lead and purchase events, normalised and hashed as Meta documents.

Contract (Meta Conversions API):

- ``POST /{api_version}/{dataset_id}/events`` (the dataset or pixel id; ``access_token`` as a query
  parameter, never in the body or the outbox), body ``{"data": [event, ...], "test_event_code"?}``,
  at most 1,000 events a request; 200 answers ``{"events_received": n, ...}``. One invalid event
  rejects the whole request (400 with an ``error`` object): the engine splits the batch until the bad
  event is alone, and stores Meta's message as its reason. Only server-side failures are retried
  (5xx, timeouts, and Meta's throttling codes 4, 17, 32, 613).
- Each event: ``event_name``, ``event_time`` (Unix seconds, at most 7 days old: older events are
  skipped with that reason), ``event_id`` (Meta deduplicates ``event_id`` + ``event_name`` within
  48 h, so a resent event is never counted twice), ``action_source``, ``user_data``, ``custom_data``.
- Click-to-message leads: ``action_source: business_messaging`` with ``messaging_channel``
  (whatsapp, messenger, instagram) and ``user_data.ctwa_clid`` (plus the WhatsApp Business Account or
  page id when configured); Meta's name for a lead there is ``LeadSubmitted`` (configurable).
- ``user_data`` is normalised then SHA-256 hashed (:func:`hash_user_data`); ``ctwa_clid``, ``fbc``,
  ``fbp``, IP address and user agent are sent as they are, never hashed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import phonenumbers
from pydantic import Field, field_validator

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
from activation.http import Request, Response

log = logging.getLogger("activation.meta_capi")

HASHED = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
NOT_HASHED = ("client_ip_address", "client_user_agent", "fbc", "fbp", "ctwa_clid", "page_id", "page_scoped_user_id",
              "whatsapp_business_account_id", "ig_account_id", "ig_sid", "lead_id", "subscription_id",
              "fb_login_id", "anon_id", "madid")
USER_DATA_KEYS = frozenset(HASHED + NOT_HASHED)
EVENT_KEYS = frozenset({"event_name", "event_time", "event_id", "action_source", "messaging_channel",
                        "event_source_url", "opt_out"})
CUSTOM_DATA_KEYS = frozenset({"value", "currency", "order_id", "content_ids", "content_type", "content_name",
                              "num_items", "predicted_ltv", "status"})
MESSAGING_CHANNELS = ("whatsapp", "messenger", "instagram")
ACTION_SOURCES = ("email", "website", "app", "phone_call", "chat", "physical_store", "system_generated",
                  "business_messaging", "other")
THROTTLING_CODES = {4, 17, 32, 613, 80004}
AUTH_CODES = {10, 102, 190, 200, 270}

_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_US_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")

US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "district of columbia": "dc", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
    "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi",
    "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny", "north carolina": "nc",
    "north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "rhode island": "ri", "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx",
    "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv",
    "wisconsin": "wi", "wyoming": "wy", "puerto rico": "pr",
}
_warned: set[tuple[str, str]] = set()


class Unnormalisable(ValueError):
    """A user_data value that cannot be normalised; the message names the reason, never the value."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _letters_only(text: str, keep_spaces: bool) -> str:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat[0] in ("L", "N") or (keep_spaces and ch == " "):
            out.append(ch)
    return " ".join("".join(out).split()) if keep_spaces else "".join(out)


@lru_cache(maxsize=65536)
def normalise_phone(value: str, default_region: str | None) -> str:
    """Digits with the country code, no '+' or leading zeros (E.164 without the plus), via phonenumbers."""
    text = value.strip()
    if _E164.match(text):  # already E.164, as the warehouse stores phones
        return text[1:]
    try:
        number = phonenumbers.parse(text, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise Unnormalisable("phone has no country code and no default_region is set") from None
        raise Unnormalisable("phone is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise Unnormalisable("phone is not a possible number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def _date_of_birth(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    text = str(value).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) == 8:
        try:
            datetime.strptime(digits, "%Y%m%d")
        except ValueError:
            raise Unnormalisable("db is not a date (expected YYYY-MM-DD)") from None
        return digits
    raise Unnormalisable("db is not a date (expected YYYY-MM-DD)")


def normalise(key: str, value: Any, default_region: str | None = None, country: str | None = None) -> str:
    """One user_data value normalised as Meta documents (before hashing); :class:`Unnormalisable` if it cannot be."""
    if key == "db":
        return _date_of_birth(value)
    text = str(value).strip()
    if not text:
        raise Unnormalisable(f"{key} is empty")
    lower = text.lower()
    if key == "em":
        if not _EMAIL.match(lower):
            raise Unnormalisable("em is not an e-mail address")
        return lower
    if key == "ph":
        return normalise_phone(text, default_region)
    if key in ("fn", "ln"):
        out = _letters_only(lower, keep_spaces=True)
        if not out:
            raise Unnormalisable(f"{key} has no letters")
        return out
    if key == "ge":
        if lower[:1] in ("f", "m"):
            return lower[:1]
        raise Unnormalisable("ge is not f or m")
    if key == "ct":
        out = _letters_only(lower, keep_spaces=False)
        if not out:
            raise Unnormalisable("ct has no letters")
        return out
    if key == "st":
        compact = _letters_only(lower, keep_spaces=True)
        if compact in US_STATES:
            return US_STATES[compact]
        out = compact.replace(" ", "")
        if not out:
            raise Unnormalisable("st has no letters")
        return out
    if key == "zp":
        out = re.sub(r"[\s-]", "", lower)
        us = (country or "").lower() == "us" or (not country and (default_region or "").upper() == "US")
        match = _US_ZIP.match(text.replace(" ", ""))
        if us or (match and not country):
            if not match:
                raise Unnormalisable("zp is not a US ZIP code")
            return match.group(1)
        if not out:
            raise Unnormalisable("zp is empty")
        return out
    if key == "country":
        if len(lower) == 2 and lower.upper() in phonenumbers.SUPPORTED_REGIONS:
            return lower
        raise Unnormalisable("country is not an ISO 3166-1 alpha-2 code")
    if key == "external_id":
        return text
    raise Unnormalisable(f"{key} is not a hashed user_data parameter")


def _left_out(key: str, reason: str) -> None:
    level = logging.WARNING if (key, reason) not in _warned else logging.DEBUG
    _warned.add((key, reason))
    log.log(level, "user_data.%s left out: %s", key, reason)


_HASHED_SET = frozenset(HASHED)
_NOT_HASHED_SET = frozenset(NOT_HASHED)


_CACHE_LIMIT = 262144
_SLOW = object()  # build_many: this row goes through build()


class _LeftOut:
    """build_many: a value that cannot be normalised, and why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_digests: dict[tuple[str, Any, str | None, str | None], tuple[str | None, str | None]] = {}


def _hashed(key: str, value: Any, default_region: str | None, country: str | None) -> tuple[str | None, str | None]:
    """(hash, None) or (None, reason): one value normalised and hashed, cached (events repeat their contacts).

    A plain dict rather than ``lru_cache``: this runs for every identifier of every event, and a dict
    lookup is the cheapest cache there is; it is emptied when full.
    """
    if type(value) is not str:  # 1, 1.0 and True are equal dict keys but normalise differently
        return _hash_one(key, value, default_region, country)
    cache_key = (key, value, default_region, country)
    found = _digests.get(cache_key)
    if found is not None:
        return found
    found = _hash_one(key, value, default_region, country)
    if len(_digests) >= _CACHE_LIMIT:
        _digests.clear()
    _digests[cache_key] = found
    return found


def _hash_one(key: str, value: Any, default_region: str | None, country: str | None) -> tuple[str | None, str | None]:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and len(text) == 64 and _HEX64.match(text):
        return text, None
    try:
        return sha256(normalise(key, value, default_region, country)), None
    except Unnormalisable as exc:
        return None, str(exc)


# build_many: (key, region, zip code country) -> text -> sent form, each emptied when full (65,536 values, about
# 15 MB: the keys with many distinct values, e-mail, phone and external id, hold together what the one
# tuple-keyed cache held)
_column_digests: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
_COLUMN_CACHE_LIMIT = _CACHE_LIMIT // 4


def _sent_form(key: str, text: str, region: str | None, country: str | None) -> str | _LeftOut | None:
    """build_many: what user_data carries for one text value: its hash, None when blank, or why it is left out."""
    if not text.strip():  # a blank value is no value
        return None
    digest, reason = _hash_one(key, text, region, country)  # build_many caches the result itself
    return digest if digest is not None else _LeftOut(reason or "cannot be normalised")


def _custom_column(key: str, values: Sequence[Any]) -> list[Any]:
    """build_many: one custom_data parameter for every row as sent, None when absent, ``_SLOW`` when
    :func:`_custom_value` cannot convert it (the row goes through build(), which skips it with the reason)."""
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        try:
            out.append(_custom_value(key, v))
        except (ValueError, TypeError, KeyError):
            out.append(_SLOW)
    return out


def _sent_forms(key: str, region: str | None, country: str | None, values: Sequence[Any]) -> dict[str, Any]:
    """build_many: the cache of (key, region, country), holding the sent form of every text among ``values``;
    each distinct text is normalised and hashed once, and a full cache is emptied first."""
    cache = _column_digests.setdefault((key, region, country), {})
    texts = {value for value in values if type(value) is str}
    missing = texts.difference(cache)
    if len(cache) + len(missing) > _COLUMN_CACHE_LIMIT:
        cache.clear()
        missing = texts
    for value in missing:
        cache[value] = _sent_form(key, value, region, country)
    return cache


def hash_user_data(user: Mapping[str, Any], default_region: str | None) -> dict[str, Any]:
    """Meta's ``user_data`` exactly as sent, from raw values keyed by Meta's parameter names.

    ``em``, ``ph``, ``fn``, ``ln``, ``ge``, ``db``, ``ct``, ``st``, ``zp``, ``country`` and ``external_id`` are
    normalised (see :func:`normalise`; phones with ``phonenumbers`` and ``default_region`` for numbers
    without a country code) and SHA-256 hashed; a value that is already a SHA-256 hex digest is kept.
    ``ctwa_clid``, ``fbc``, ``fbp``, ``client_ip_address``, ``client_user_agent`` and the other ids are
    sent as they are. A value that cannot be normalised is left out, and the reason is logged without
    the value. Lists give lists (several e-mails or phones).
    """
    out: dict[str, Any] = {}
    country = user.get("country")
    country_code = country.strip().lower() if isinstance(country, str) and len(country.strip()) == 2 else None
    for key, raw in user.items():
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if key in _NOT_HASHED_SET:
            out[key] = str(raw).strip() if not isinstance(raw, (list, tuple)) else [str(v).strip() for v in raw]
            continue
        if key not in _HASHED_SET:
            _left_out(key, "not a user_data parameter")
            continue
        region = default_region if key == "ph" or key == "zp" else None
        zp_country = country_code if key == "zp" else None
        if isinstance(raw, (list, tuple)):
            hashed = []
            for v in raw:
                if v is None:
                    continue
                digest, reason = _hashed(key, v, region, zp_country)
                if digest is None:
                    _left_out(key, reason or "cannot be normalised")
                else:
                    hashed.append(digest)
            if hashed:
                out[key] = hashed
            continue
        digest, reason = _hashed(key, raw, region, zp_country)
        if digest is None:
            _left_out(key, reason or "cannot be normalised")
        else:
            out[key] = digest
    return out


_EPOCH = datetime(1970, 1, 1)


def event_time_seconds(value: Any) -> int:
    if type(value) is datetime and value.tzinfo is None:  # the warehouse's naive UTC timestamps
        return int((value - _EPOCH).total_seconds())
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(aware.timestamp())
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        seconds = int(value)
        return seconds // 1000 if seconds > 10**11 else seconds  # milliseconds given by mistake
    text = str(value).strip()
    if text.isdigit():
        return event_time_seconds(int(text))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return event_time_seconds(parsed)


def _custom_value(key: str, value: Any) -> Any:
    """One custom_data value as sent (a value it cannot convert raises, and the row is skipped)."""
    if key == "value" or key == "predicted_ltv":
        return round(float(value), 2)
    if key == "currency":
        return str(value).strip().upper()
    if key == "num_items":
        return int(value)
    return value if isinstance(value, (list, int, float)) else str(value)


class MetaCapiSettings(Settings):
    api_version: str = "v21.0"
    dataset_id: str | None = None
    test_event_code: str | None = None
    default_region: str | None = None
    action_source: str = "system_generated"
    event_names: dict[str, str] = Field(default_factory=dict)
    business_messaging_event_names: dict[str, str] = Field(default_factory=lambda: {"Lead": "LeadSubmitted"})
    whatsapp_business_account_id: str | None = None
    page_id: str | None = None
    max_event_age_days: int = Field(default=7, ge=1, le=7)

    @field_validator("api_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not re.match(r"^v\d+\.\d+$", v):
            raise ValueError("expected a Graph API version like v21.0")
        return v

    @field_validator("default_region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and v.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("expected an ISO 3166-1 alpha-2 region code like US or GB")
        return v.upper() if v else v

    @field_validator("action_source")
    @classmethod
    def _source(cls, v: str) -> str:
        if v not in ACTION_SOURCES:
            raise ValueError(f"expected one of {', '.join(ACTION_SOURCES)}")
        return v


class MetaCapiDestination(Destination):
    kind = "meta_capi"
    settings_model = MetaCapiSettings
    max_batch_size = 1000
    modes = ("append",)
    credential_specs = (CredentialSpec("access_token", "META_CAPI_ACCESS_TOKEN"),
                        CredentialSpec("dataset_id", "META_CAPI_DATASET_ID", required=False, secret=False))
    default_base_url = "https://graph.facebook.com"
    target_fields = EVENT_KEYS | CUSTOM_DATA_KEYS | USER_DATA_KEYS
    required_fields = frozenset({"event_name", "event_time", "event_id"})
    personal_fields = frozenset(HASHED + NOT_HASHED)
    payload_version = "1"

    settings: MetaCapiSettings

    def __post_init__(self) -> None:
        super().__post_init__()
        keys = set(self.config.mapping) | set(self.config.static)
        self._user_keys = [k for k in self.config.mapping if k in USER_DATA_KEYS]
        self._custom_keys = sorted(CUSTOM_DATA_KEYS & keys)

    def auth_query(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        return {"access_token": token} if token else {}

    def missing_credentials(self) -> list[str]:
        missing = super().missing_credentials()
        if not (self.settings.dataset_id or self.credentials.get("dataset_id")):
            missing.append("META_CAPI_DATASET_ID (or destination.dataset_id)")
        return missing

    def transient(self, response: Response) -> float | None:
        if 400 <= response.status < 500:
            err = (response.json() or {}).get("error") if isinstance(response.json(), dict) else None
            if isinstance(err, dict) and (err.get("code") in THROTTLING_CODES or err.get("is_transient") is True):
                return 0.0  # throttled: exponential backoff
        return None

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        s = self.settings
        m = self.mapped(row)
        if m.get("event_id") in (None, ""):
            return Skip("no event_id: Meta deduplicates on it")
        if m.get("event_name") in (None, ""):
            return Skip("no event_name")
        if m.get("event_time") is None:
            return Skip("no event_time")
        try:
            when = event_time_seconds(m["event_time"])
        except (TypeError, ValueError):
            return Skip("event_time is not a time")
        now = int(self.now.timestamp())
        if when < now - s.max_event_age_days * 86400:
            return Skip(f"event_time older than {s.max_event_age_days} days: Meta accepts events at most 7 days old")
        if when > now + 600:
            return Skip("event_time is in the future")
        channel = (str(m.get("messaging_channel") or "").strip().lower()) or None
        raw_user = {k: m[k] for k in self._user_keys}
        business_messaging = channel in MESSAGING_CHANNELS and raw_user.get("ctwa_clid") not in (None, "")
        if business_messaging:
            if channel == "whatsapp" and s.whatsapp_business_account_id:
                raw_user.setdefault("whatsapp_business_account_id", s.whatsapp_business_account_id)
            if channel in ("messenger", "instagram") and s.page_id:
                raw_user.setdefault("page_id", s.page_id)
        else:
            raw_user.pop("ctwa_clid", None)
        user_data = hash_user_data(raw_user, s.default_region)
        if not user_data:
            return Skip("no customer information to match the event on (user_data is empty)")
        name = str(m["event_name"])
        name = s.event_names.get(name, name)
        if business_messaging:
            name = s.business_messaging_event_names.get(name, name)
        event: dict[str, Any] = {"event_name": name, "event_time": when, "event_id": str(m["event_id"]),
                                 "action_source": "business_messaging" if business_messaging
                                 else str(m.get("action_source") or s.action_source)}
        if business_messaging:
            event["messaging_channel"] = channel
        if m.get("event_source_url"):
            event["event_source_url"] = str(m["event_source_url"])
        event["user_data"] = user_data
        custom: dict[str, Any] = {}
        for k in self._custom_keys:
            v = m.get(k)
            if v is None:
                continue
            custom[k] = _custom_value(k, v)
        if custom:
            event["custom_data"] = custom
        return event

    def build_many(self, columns: Mapping[str, Sequence[Any]], n: int) -> list[dict[str, Any] | Skip]:
        """:meth:`build` for a chunk, a column at a time: the payloads and skips it gives, in order.

        A conversion API sync sends every event once, so this is where its time goes. The common event
        (text identifiers, a warehouse timestamp, no click-to-message channel) is built here from the
        columns: each identifier column is hashed once per distinct value and the user_data dicts are
        filled a column at a time; any other row goes through :meth:`build` (a test holds the two paths
        equal, key order included).
        """
        s = self.settings
        mapping, static = self.config.mapping, self.config.static

        def column(target: str) -> Sequence[Any]:  # what self.mapped(row)[target] would be, for every row
            if target in static:
                return [static[target]] * n
            source = mapping.get(target)
            return columns[source] if source is not None and source in columns else [None] * n

        event_ids, names, times = column("event_id"), column("event_name"), column("event_time")
        channels, sources, urls = column("messaging_channel"), column("action_source"), column("event_source_url")
        user_keys = [k for k in self._user_keys if k != "ctwa_clid"]  # dropped unless business messaging
        # hash_user_data reads the zip code's country from the user's own (mapped) country
        country_column = column("country") if "zp" in user_keys and "country" in user_keys else None
        slow_rows: set[int] = set()  # rows that go through build()
        users: list[dict[str, Any]] = [{} for _ in range(n)]
        for key in user_keys:  # in the mapping's order, as build() adds them: the body's key order
            values = self._user_column(key, column(key), country_column)
            if not any(type(v) is not str and v is not None for v in values):  # the common column
                for user, value in zip(users, values, strict=True):
                    if value is not None:
                        user[key] = value
                continue
            for i, value in enumerate(values):
                if value is None:
                    continue
                if type(value) is str:
                    users[i][key] = value
                elif value is _SLOW:
                    slow_rows.add(i)
                else:
                    _left_out(key, value.reason)
        custom = [(k, _custom_column(k, column(k))) for k in self._custom_keys]
        now = int(self.now.timestamp())
        oldest, latest = now - s.max_event_age_days * 86400, now + 600
        rename, default_source = s.event_names, s.action_source
        out: list[dict[str, Any] | Skip] = []
        for i, (event_id, name, when, channel, user) in enumerate(zip(event_ids, names, times, channels, users,
                                                                      strict=True)):
            if (event_id is None or event_id == "" or name is None or name == "" or type(when) is not datetime
                    or when.tzinfo is not None or channel is not None or not user or i in slow_rows):
                out.append(self.build_one(self._row(columns, i)))
                continue
            seconds = int((when - _EPOCH).total_seconds())
            if seconds < oldest or seconds > latest:
                out.append(self.build_one(self._row(columns, i)))
                continue
            name = str(name)
            event: dict[str, Any] = {"event_name": rename.get(name, name), "event_time": seconds,
                                     "event_id": str(event_id), "action_source": str(sources[i] or default_source)}
            if urls[i]:
                event["event_source_url"] = str(urls[i])
            event["user_data"] = user
            data: dict[str, Any] = {}
            for k, values in custom:
                v = values[i]
                if v is None:
                    continue
                if v is _SLOW:
                    break
                data[k] = v
            else:
                if data:
                    event["custom_data"] = data
                out.append(event)
                continue
            out.append(self.build_one(self._row(columns, i)))  # a custom value build() cannot convert: its Skip
        return out

    def _user_column(self, key: str, values: Sequence[Any], countries: Sequence[Any] | None) -> list[Any]:
        """One user_data parameter for every row, as :func:`hash_user_data` gives it: the value sent, None
        when there is none, a :class:`_LeftOut` when it cannot be normalised, ``_SLOW`` when the row must go
        through :meth:`build` (a value that is not text). Each distinct text is normalised and hashed once."""
        if key not in _HASHED_SET:
            return [(value.strip() or None) if type(value) is str else (None if value is None else _SLOW)
                    for value in values]
        region = self.settings.default_region if key == "ph" or key == "zp" else None
        if key == "zp" and countries is not None:  # the zip code's rules follow each row's own country
            zp_countries = [c.strip().lower() if isinstance(c, str) and len(c.strip()) == 2 else None
                            for c in countries]
            by_country: dict[str | None, list[Any]] = {}
            for value, country in zip(values, zp_countries, strict=True):
                by_country.setdefault(country, []).append(value)
            caches = {country: _sent_forms(key, region, country, same) for country, same in by_country.items()}
            return [caches[country][value] if type(value) is str else (None if value is None else _SLOW)
                    for value, country in zip(values, zp_countries, strict=True)]
        cache = _sent_forms(key, region, None, values)
        return [cache[value] if type(value) is str else (None if value is None else _SLOW) for value in values]

    @staticmethod
    def _row(columns: Mapping[str, Sequence[Any]], i: int) -> dict[str, Any]:
        return {name: values[i] for name, values in columns.items()}

    def _path(self) -> str:
        dataset = self.settings.dataset_id or self.credentials.get("dataset_id") or "{dataset_id}"
        return f"/{self.settings.api_version}/{dataset}/events"

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        body: dict[str, Any] = {"data": [i.data for i in items]}
        if self.settings.test_event_code:
            body["test_event_code"] = self.settings.test_event_code
        return Request("POST", self._path(), stable_json(body), keys=tuple(i.key for i in items), phase=phase.name)

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        body = response.json()
        if response.status == 200 and isinstance(body, dict):
            received = body.get("events_received")
            if received == len(items):
                return {i.key: Ack(i.data["event_id"]) for i in items}
            raise BatchRejected(f"Meta received {received} of {len(items)} events")
        err = body.get("error") if isinstance(body, dict) else None
        err = err if isinstance(err, dict) else {}
        code = err.get("code")
        if response.status in (401, 403) or code in AUTH_CODES:
            raise self.fatal(f"Meta refused the access token or the dataset (HTTP {response.status}, code {code}: "
                             f"{err.get('message', '')}); check META_CAPI_ACCESS_TOKEN and META_CAPI_DATASET_ID")
        message = err.get("error_user_msg") or err.get("message") or response.text()
        title = err.get("error_user_title")
        reason = f"HTTP {response.status}, code {code}" + (f" ({err.get('error_subcode')})" if err.get("error_subcode")
                                                           else "") + f": {title + ': ' if title else ''}{message}"
        raise BatchRejected(reason)


