"""Sync configuration: one YAML file per sync in ``activation/syncs/``, validated on load.

A sync says which segment model to read, where to send it and how::

    description: Hot leads upserted into HubSpot contacts by email.
    source:
      model: seg_hot_leads        # a segment model (schema `segments`), or schema.model
      key: contact_id             # unique per row; the state is kept per key
    destination:
      type: hubspot               # hubspot, salesforce, meta_capi, tiktok_events, respondio, webhook, file
      base_url: null              # override the vendor's host (sandboxes, regional hosts, tests)
      ...                         # the destination's own settings (see its module)
    mode: upsert                  # upsert | update_only | mirror | append
    mapping:                      # destination field: segment column
      email: email
      firstname: first_name
    schedule: "15 * * * *"        # cron (a Dagster schedule, created stopped); null: with the pipeline only
    enabled: true

Every error names the file, the key (dotted path) and the bad value, e.g.
``activation/syncs/hubspot_hot_leads.yml: destination.id_property: 'emial' is not a mapped field``.
Values that may be personal data are never echoed: only keys and configuration values are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SYNCS_DIR = Path(__file__).resolve().parent / "syncs"
SYNCS_DIR_ENV = "LIFECYCLE_SYNCS_DIR"
DEFAULT_SCHEMA = "segments"
MODES = ("upsert", "update_only", "mirror", "append")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CRON = re.compile(r"^(\S+\s+){4}\S+$")


class SyncConfigError(ValueError):
    """A sync file is invalid; the message names the file, the key and the value."""

    def __init__(self, file: Path | str, problems: Iterable[str]):
        self.file = str(file)
        self.problems = list(problems)
        super().__init__("; ".join(f"{self.file}: {p}" for p in self.problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimit(Strict):
    """At most ``requests`` requests per ``per_seconds`` seconds, across the sync's concurrent senders."""

    requests: int = Field(gt=0)
    per_seconds: float = Field(gt=0)


class Source(Strict):
    model: str
    key: str

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        parts = v.split(".")
        if len(parts) > 2 or not all(_IDENT.match(p) for p in parts):
            raise ValueError("expected a model name like seg_hot_leads or schema.model")
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError("expected a column name")
        return v

    @property
    def relation(self) -> str:
        return self.model if "." in self.model else f"{DEFAULT_SCHEMA}.{self.model}"

    @property
    def schema_name(self) -> str:
        return self.relation.split(".")[0]

    @property
    def table_name(self) -> str:
        return self.relation.split(".")[1]


class SyncConfig(Strict):
    """One sync, as read from its YAML file (destination settings are validated by the destination)."""

    name: str
    file: str = ""
    description: str = ""
    source: Source
    destination: dict[str, Any]
    mode: Literal["upsert", "update_only", "mirror", "append"] = "upsert"
    mapping: dict[str, str] = Field(default_factory=dict)
    static: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    schedule: str | None = None
    enabled: bool = True
    batch_size: int | None = Field(default=None, gt=0)
    concurrency: int = Field(default=2, ge=1, le=32)
    rate_limit: RateLimit | None = None
    commit_every: int | None = Field(default=None, gt=0)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=20)
    keep_record_runs: int = Field(default=30, ge=1)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("expected lower-case letters, digits and underscores (the file name without .yml)")
        return v

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: dict[str, str]) -> dict[str, str]:
        for field, column in v.items():
            if not isinstance(column, str) or not _IDENT.match(column):
                raise ValueError(f"mapping of {field!r}: {column!r} is not a column name")
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        if v is not None and not _CRON.match(v.strip()):
            raise ValueError("expected a cron expression with 5 fields, e.g. '15 * * * *'")
        return v.strip() if v else None

    @model_validator(mode="after")
    def _destination_type(self) -> SyncConfig:
        kind = self.destination.get("type")
        if not isinstance(kind, str) or not kind:
            raise ValueError("destination.type is required")
        return self

    @property
    def destination_type(self) -> str:
        return str(self.destination["type"])

    @property
    def destination_settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.destination.items() if k != "type"}

    def columns(self) -> list[str]:
        """Segment columns the mapping reads (key first), in a stable order."""
        cols = [self.source.key]
        for c in self.mapping.values():
            if c not in cols:
                cols.append(c)
        return cols


def _value(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[str]:
    """pydantic errors as 'key: value: message' lines (dotted keys, the offending value)."""
    out = []
    for err in exc.errors():
        loc = [*prefix, *err.get("loc", ())]
        key = ".".join(str(p) for p in loc) or "(file)"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if err.get("type") == "missing":
            out.append(f"{key}: missing (required)")
        elif err.get("type") == "extra_forbidden":
            out.append(f"{key}: unknown key (value {_value(err.get('input'))})")
        else:
            out.append(f"{key}: {_value(err.get('input'))}: {msg}")
    return out


def parse_sync(data: Any, file: Path | str, name: str | None = None) -> SyncConfig:
    """Validate one sync's YAML content; raise :class:`SyncConfigError` naming file, key and value."""
    path = Path(file)
    if not isinstance(data, dict):
        raise SyncConfigError(path, [f"(file): expected a mapping of sync settings, got {type(data).__name__}"])
    stem = name or path.stem
    body = dict(data)
    declared = body.get("name")
    if declared is not None and declared != stem:
        raise SyncConfigError(path, [f"name: {declared!r}: must equal the file name ({stem!r})"])
    body["name"] = stem
    body["file"] = str(path)
    try:
        config = SyncConfig.model_validate(body)
    except ValidationError as exc:
        raise SyncConfigError(path, format_validation_error(exc)) from None
    from activation.destinations import destination_class  # the destination validates its own settings

    try:
        cls = destination_class(config.destination_type)
    except KeyError as exc:
        raise SyncConfigError(path, [f"destination.type: {config.destination_type!r}: {exc.args[0]}"]) from None
    problems = cls.validate_config(config)
    if problems:
        raise SyncConfigError(path, problems)
    return config


def load_sync(path: Path | str) -> SyncConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SyncConfigError(path, ["(file): does not exist"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SyncConfigError(path, [f"(file): {where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None
    return parse_sync(data, path)


def load_syncs(folder: Path | str | None = None) -> dict[str, SyncConfig]:
    """Every ``*.yml`` sync of a folder (default ``activation/syncs/``), by name; all errors at once."""
    folder = Path(folder) if folder else SYNCS_DIR
    if not folder.is_dir():
        raise SyncConfigError(folder, ["(folder): does not exist"])
    syncs: dict[str, SyncConfig] = {}
    problems: list[str] = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        try:
            syncs[path.stem] = load_sync(path)
        except SyncConfigError as exc:
            problems += [f"{exc.file}: {p}" for p in exc.problems]
    if problems:
        err = SyncConfigError(folder, [])
        err.problems = problems
        err.args = ("\n".join(problems),)
        raise err
    return syncs
