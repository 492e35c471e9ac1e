"""What every destination implements, and the types the engine and destinations exchange.

A destination turns segment rows into payloads (:meth:`Destination.build`), plans the requests a chunk
of records needs (:meth:`Destination.plan`, a generator of :class:`Phase` that sees each phase's
outcomes before planning the next), encodes a batch of one phase into one exact
:class:`~activation.http.Request` (:meth:`Destination.encode`) and reads the response
(:meth:`Destination.interpret`): per record an :class:`Ack`, a :class:`Fail` with the destination's
reason, or a :class:`Skip`; :class:`BatchRejected` when the destination refused the whole request (the
engine splits the batch to isolate the bad records); :class:`~activation.http.DestinationError` when
the run itself cannot go on (bad credentials, unknown object).

To add a destination: subclass :class:`Destination` in a module of this package, declare its settings
as a pydantic model, its batch limit, modes, credentials and default host, and register it in
``activation/destinations/__init__.py``. docs/activation.md walks through it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from activation.http import DestinationError, Request, Response
from activation.masking import redact

if TYPE_CHECKING:
    from activation.config import SyncConfig


class Settings(BaseModel):
    """Base of every destination's settings (the keys of ``destination:`` other than ``type``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str | None = None


@dataclass(frozen=True)
class Skip:
    """The row is not sent, for this reason (it has no usable identifier, it is too old...)."""

    reason: str


@dataclass(frozen=True)
class Ack:
    """The destination accepted the record; what to remember about it for the next run."""

    destination_id: str | None = None
    state: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Fail:
    """The destination rejected the record; its reason (never personal values) is stored."""

    reason: str


Outcome = Ack | Fail | Skip


class BatchRejected(Exception):  # noqa: N818 - a signal, not an error of ours
    """The destination refused the whole request; the engine splits it to find the bad records."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Record:
    """A segment row to send: its key, the hash of its mapped fields, its payload, what the destination holds."""

    key: str
    row_hash: str
    payload: dict[str, Any]
    destination_id: str | None = None
    previous: Mapping[str, Any] | None = None  # destination_state of the last acknowledged send


@dataclass
class Removal:
    """A key that left the segment (mirror mode): what the destination holds for it."""

    key: str
    destination_id: str | None = None
    previous: Mapping[str, Any] | None = None


@dataclass
class Item:
    """One record's part of one phase (what goes into a batch request)."""

    key: str
    data: Any


@dataclass
class Phase:
    """A step every item of which can be sent in any order and batched (e.g. HubSpot's clear, then set)."""

    name: str
    items: list[Item]
    removal: bool = False
    batch_size: int | None = None


PhaseOutcomes = dict[str, Outcome]


@dataclass
class CredentialSpec:
    name: str          # logical name the destination uses
    env: str           # variable holding it
    required: bool = True
    secret: bool = True


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def _json_default(value: Any) -> Any:
    return float(value) if isinstance(value, float) else str(value)  # a float subclass (numpy) stays a number


def stable_json(value: Any) -> bytes:
    """The one JSON encoding of request bodies: compact, key order as built, UTF-8.

    orjson, because encoding is a fifth of a conversion API sync's client time with the standard
    library; dates, times and anything else JSON has no type for become their ``str()``, as before.
    What orjson refuses (an integer beyond 64 bits) falls back to the standard library.
    """
    try:
        return orjson.dumps(value, default=_json_default, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


@dataclass
class Destination:
    """Base class: one instance per sync run. Subclasses set the class attributes and implement build/encode/interpret."""

    kind: ClassVar[str] = ""
    settings_model: ClassVar[type[Settings]] = Settings
    max_batch_size: ClassVar[int] = 1
    modes: ClassVar[tuple[str, ...]] = ("upsert",)
    credential_specs: ClassVar[tuple[CredentialSpec, ...]] = ()
    default_base_url: ClassVar[str] = ""
    base_url_credential: ClassVar[str | None] = None   # a credential that is the host (Salesforce instance URL)
    default_rate_limit: ClassVar[tuple[int, float] | None] = None
    default_concurrency: ClassVar[int | None] = None
    payload_version: ClassVar[str] = "1"
    target_fields: ClassVar[frozenset[str] | None] = None   # mapping keys allowed; None: any
    required_fields: ClassVar[frozenset[str]] = frozenset()
    personal_fields: ClassVar[frozenset[str]] = frozenset()  # mapped fields masked in previews
    uses_http: ClassVar[bool] = True

    config: SyncConfig
    credentials: Mapping[str, str] = field(default_factory=dict)
    base_url_override: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.settings = self.settings_model.model_validate(self.config.destination_settings)

    # --- configuration ---------------------------------------------------------------------------
    @classmethod
    def validate_config(cls, config: SyncConfig) -> list[str]:
        """Problems with a sync's destination settings, mode and mapping, as 'key: value: message' lines."""
        from activation.config import format_validation_error

        problems: list[str] = []
        try:
            settings = cls.settings_model.model_validate(config.destination_settings)
        except ValidationError as exc:
            return format_validation_error(exc, ("destination",))
        if config.mode not in cls.modes:
            problems.append(f"mode: {config.mode!r}: {cls.kind} supports {', '.join(cls.modes)}")
        if config.batch_size and config.batch_size > cls.max_batch_size:
            problems.append(f"batch_size: {config.batch_size}: {cls.kind} takes at most {cls.max_batch_size} "
                            "records per request")
        if cls.target_fields is not None:
            for target in config.mapping:
                if target not in cls.target_fields:
                    problems.append(f"mapping.{target}: {config.mapping[target]!r}: {target!r} is not a "
                                    f"{cls.kind} field (known: {', '.join(sorted(cls.target_fields))})")
        for target in sorted(cls.required_fields - set(config.mapping)):
            problems.append(f"mapping.{target}: missing (required by {cls.kind})")
        problems += cls.check(config, settings)
        return problems

    @classmethod
    def check(cls, config: SyncConfig, settings: Any) -> list[str]:
        """Destination-specific checks beyond the settings model (override)."""
        return []

    @classmethod
    def credential_env(cls) -> list[str]:
        return [c.env for c in cls.credential_specs]

    def missing_credentials(self) -> list[str]:
        return [c.env for c in self.credential_specs if c.required and not self.credentials.get(c.name)]

    def base_url(self) -> str:
        if self.base_url_override:
            return self.base_url_override
        if self.settings.base_url:
            return self.settings.base_url
        if self.base_url_credential and self.credentials.get(self.base_url_credential):
            return self.credentials[self.base_url_credential]
        return self.default_base_url

    def secrets(self) -> list[str]:
        return [v for c in self.credential_specs if c.secret and (v := self.credentials.get(c.name))]

    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth_query(self) -> dict[str, str]:
        return {}

    def transient(self, response: Response) -> float | None:
        """Seconds to wait (0: exponential backoff) when a non-429/5xx response still means 'try again' (override)."""
        return None

    @property
    def batch_size(self) -> int:
        return min(self.config.batch_size or self.max_batch_size, self.max_batch_size)

    def fingerprint(self) -> str:
        """Everything besides the row that shapes the payload: a change resends every row."""
        shape = {"kind": self.kind, "version": self.payload_version, "mode": self.config.mode,
                 "mapping": self.config.mapping, "static": self.config.static,
                 "settings": self.settings.model_dump(exclude={"base_url"}, mode="json")}
        return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def prepare(self, to_send: int) -> int | None:
        """Called once the diff knows how many rows to send; may return the chunk size to use (override)."""
        return None

    def source_columns(self) -> list[str]:
        """Segment columns read and hashed (the key and the mapped columns, plus any the destination needs)."""
        return self.config.columns()

    # --- rows -> payloads ------------------------------------------------------------------------
    def mapped(self, row: Mapping[str, Any]) -> dict[str, Any]:
        items = self.__dict__.get("_mapping_items")
        if items is None:
            items = self.__dict__["_mapping_items"] = tuple(self.config.mapping.items())
        out = {target: row.get(column) for target, column in items}
        if self.config.static:
            out.update(self.config.static)
        return out

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        """The payload for one segment row, or why it is skipped (override)."""
        raise NotImplementedError

    def build_many(self, columns: Mapping[str, Sequence[Any]], n: int) -> list[dict[str, Any] | Skip]:
        """The payloads of ``n`` segment rows given as columns (name -> values), in order.

        Row by row through :meth:`build` by default; a destination whose payloads are cheaper to build a
        column at a time overrides it, and must give exactly what :meth:`build` gives.
        """
        if not columns:
            return [self.build_one({}) for _ in range(n)]
        names = list(columns)
        return [self.build_one(dict(zip(names, values, strict=True)))
                for values in zip(*columns.values(), strict=True)]

    def build_one(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        """:meth:`build`, where a value it cannot use skips the row, never the run."""
        try:
            return self.build(row)
        except (ValueError, TypeError, KeyError) as exc:
            return Skip(f"cannot build the payload: {type(exc).__name__}: {redact(str(exc))}")

    # --- payloads -> requests --------------------------------------------------------------------
    def plan(self, records: Sequence[Record], removals: Sequence[Removal]
             ) -> Generator[Phase, PhaseOutcomes, None]:
        """Phases for a chunk of records (and removals). Default: one upsert phase, one removal phase."""
        if records:
            yield Phase("send", [Item(r.key, self.item(r)) for r in records])
        if removals:
            yield Phase("remove", [Item(r.key, self.removal_item(r)) for r in removals], removal=True)

    def item(self, record: Record) -> Any:
        return record.payload

    def removal_identity(self, destination_id: str | None, previous: Mapping[str, Any] | None) -> str | None:
        """The destination's record a key's removal would act on (None: no other key can share it).

        Two keys can name one destination record: identity resolution merges records and a contact gets a
        new contact_id while its email or phone stays. The engine does not remove a key whose record another
        key in the segment holds. Default: the id the destination gave the record (HubSpot, Salesforce)."""
        return destination_id

    def payload_identity(self, payload: Mapping[str, Any]) -> str | None:
        """The destination's record that sending ``payload`` would act on, in :meth:`removal_identity`'s
        terms, when the payload alone names it; None when only the destination's answer tells (the id
        HubSpot or Salesforce gives a record). A dry run uses it in place of the state a live send would
        commit, so that its removals are the live run's."""
        return None

    def removal_item(self, removal: Removal) -> Any:
        raise DestinationError(f"{self.kind} cannot remove records (mode {self.config.mode})")

    def encode(self, phase: Phase, items: Sequence[Item]) -> Request:
        raise NotImplementedError

    def interpret(self, phase: Phase, request: Request, items: Sequence[Item], response: Response
                  ) -> dict[str, Outcome]:
        raise NotImplementedError

    def deliver(self, phase: Phase, sender: Any) -> dict[str, Outcome] | None:
        """Override to send a phase some other way than batched requests (files, Salesforce Bulk API)."""
        return None

    # --- helpers ---------------------------------------------------------------------------------
    def fatal(self, message: str) -> DestinationError:
        return DestinationError(f"{self.kind} ({self.config.name}): {message}")


def all_acked(items: Iterable[Item], destination_id: str | None = None) -> dict[str, Outcome]:
    return {i.key: Ack(destination_id) for i in items}


def error_detail(response: Response, limit: int = 300) -> str:
    """A short reason from a JSON error body (message-like fields), else the text."""
    body = response.json()
    parts: list[str] = []

    def walk(obj: Any, depth: int = 0) -> None:
        if depth > 3 or len(parts) > 4:
            return
        if isinstance(obj, Mapping):
            for k in ("errorCode", "statusCode", "category", "code", "error_subcode", "type", "error_user_title",
                      "error_user_msg", "message", "msg", "error"):
                v = obj.get(k)
                if isinstance(v, (str, int)) and v not in ("", 0):
                    parts.append(f"{k}={v}")
                elif isinstance(v, (Mapping, list)):
                    walk(v, depth + 1)
        elif isinstance(obj, list):
            for x in obj[:3]:
                walk(x, depth + 1)

    walk(body)
    text = "; ".join(dict.fromkeys(parts)) if parts else response.text(limit)
    return text[:limit]


def now_utc() -> datetime:
    return datetime.now(UTC)
