"""Every Dagster resource, configured in one place from the environment, with local defaults.

One asset graph serves every deployment; the resources choose what runs behind it:

- ``warehouse``: the DuckDB file (``LIFECYCLE_WAREHOUSE``, default ``warehouse/lifecycle.duckdb``), or the
  PostgreSQL database when the dbt target is ``postgres`` (``LIFECYCLE_DBT_TARGET``, ``LIFECYCLE_PG_*``):
  :meth:`WarehouseResource.target` is where activation keeps its state beside the segments.
- ``sources``: the source mode, ``demo`` (default), ``files`` or ``api`` (``LIFECYCLE_SOURCE``). In demo
  mode the generated business stands in for the API sources; in files mode the file drop loads; in
  api mode each API source whose credentials are set loads from its API. A source that is off in the
  mode leaves its raw tables as they are.
- ``demo``: size, seed and end date of the generated business.
- ``file_drop``: the drop folder (``LIFECYCLE_FILES_DIR``, default ``data/file_drop``).
- one client resource per API source (``respondio``, ``hubspot``, ``salesforce``, ``shopify``,
  ``meta_ads``, ``tiktok_ads``): credentials and settings from the variables the source documents.
- ``dbt``: dagster-dbt's CLI resource on ``dbt_project/``.
- one resource per activation destination (``hubspot_destination``, ...): live or dry run, host
  override, outbox folder; credentials from the variables the destination declares
  (:mod:`activation.destinations`), read when the sync runs.

Nothing here reads the environment when the module is imported: values are resolved through
``dg.EnvVar(...).get_value()`` when a run starts (in ``setup_for_execution``), and explicit run
configuration wins (``lifecycle run`` passes its options that way). Why not ``EnvVar`` as a config
value: Dagster fails a run whose ``EnvVar`` is unset, and most of these are optional (a source without
credentials is simply off), so the resources name the variable and read it at run time; secrets
never appear in run configuration or in the UI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import Field

from activation.destinations import destination_class, destination_kinds
from ingestion import sources as source_registry
from ingestion.runs import ConnectorSpec
from orchestration.dbt import DBT_PROJECT_DIR, dbt_executable
from warehouse_io import WAREHOUSE_ENV, WarehouseTarget, resolve_path
from warehouse_io.db import PG_ENV, TARGET_ENV

SOURCE_ENV = "LIFECYCLE_SOURCE"
LOCK_WAIT_ENV = "LIFECYCLE_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 1800.0
FILES_SOURCE_SYSTEM_ENV = "LIFECYCLE_FILES_SOURCE_SYSTEM"
SOURCE_MODES = ("demo", "files", "api")
FILES_DIR_ENV = "LIFECYCLE_FILES_DIR"
DEFAULT_FILES_DIR = Path("data") / "file_drop"
# The raw schemas the demo generator fills, by the source that owns them.
DEMO_SOURCES = ("respondio", "hubspot", "shopify", "meta_ads", "tiktok_ads")


def _env(name: str) -> str | None:
    """A variable's value when the run starts (never at import)."""
    value = dg.EnvVar(name).get_value()
    return value if value not in (None, "") else None


def lock_wait_seconds() -> float:
    """How long a step of a Dagster run waits for the warehouse's writer lock (``LIFECYCLE_LOCK_WAIT``)."""
    raw = _env(LOCK_WAIT_ENV)
    try:
        return max(0.0, float(raw)) if raw is not None else DEFAULT_LOCK_WAIT
    except ValueError:
        raise dg.Failure(f"{LOCK_WAIT_ENV}={raw!r} is not a number of seconds") from None


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse every asset reads and writes."""

    path: str = Field(default="", description=f"DuckDB file; empty: ${WAREHOUSE_ENV} or warehouse/lifecycle.duckdb")

    def file(self) -> Path:
        return resolve_path(self.path or _env(WAREHOUSE_ENV))

    def target(self) -> WarehouseTarget:
        """The warehouse the dbt profile writes to (DuckDB file, or PostgreSQL for target ``postgres``)."""
        names = [TARGET_ENV, *PG_ENV.values()]
        try:
            return WarehouseTarget.from_settings({n: _env(n) for n in names}, self.file())
        except ValueError as exc:
            raise dg.Failure(str(exc)) from None


class SourceModeResource(dg.ConfigurableResource):
    """Which sources load: the demo generator, the file drop, or the configured APIs."""

    mode: str = Field(default="", description=f"demo, files or api; empty: ${SOURCE_ENV} or demo")

    def resolved(self) -> str:
        mode = (self.mode or _env(SOURCE_ENV) or "demo").strip().lower()
        if mode not in SOURCE_MODES:
            raise dg.Failure(f"source mode {mode!r} (resource `sources`, or {SOURCE_ENV}) is not one of "
                             f"{', '.join(SOURCE_MODES)}")
        return mode


class DemoResource(dg.ConfigurableResource):
    """The generated demo business (deterministic for a given size, seed and end date)."""

    contacts: int = Field(default=0, description="people; 0: $LIFECYCLE_DEMO_CONTACTS or 5000")
    seed: int = Field(default=-1, description="random seed; -1: $LIFECYCLE_DEMO_SEED or 42")
    months: int = Field(default=6, description="months of history")
    end_date: str = Field(default="", description="YYYY-MM-DD the data ends before; empty: today (UTC)")

    def config(self):
        from ingestion.demo import DemoConfig

        def number(value: int, unset: int, env: str, default: int) -> int:
            if value != unset:
                return value
            raw = _env(env)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                raise dg.Failure(f"{env}={raw!r} is not a whole number") from None

        end = dt.date.fromisoformat(self.end_date) if self.end_date else dt.datetime.now(dt.UTC).date()
        return DemoConfig(n_contacts=number(self.contacts, 0, "LIFECYCLE_DEMO_CONTACTS", 5000),
                          seed=number(self.seed, -1, "LIFECYCLE_DEMO_SEED", 42), months=self.months, end_date=end)


class FileDropResource(dg.ConfigurableResource):
    """The folder of export files."""

    folder: str = Field(default="", description=f"drop folder; empty: ${FILES_DIR_ENV} or data/file_drop")
    source_system: str = Field(default="", description=f"source system of its rows; empty: "
                                                       f"${FILES_SOURCE_SYSTEM_ENV}, else the one recorded on "
                                                       "the folder's first load, else the folder's name")

    def path(self) -> Path:
        return Path(self.folder or _env(FILES_DIR_ENV) or DEFAULT_FILES_DIR).expanduser().resolve()

    def source_system_name(self) -> str | None:
        return self.source_system or _env(FILES_SOURCE_SYSTEM_ENV)

    def configured(self) -> bool:
        """True when a folder was named (config or environment), not just the default."""
        return bool(self.folder or _env(FILES_DIR_ENV))


class ApiSourceResource(dg.ConfigurableResource):
    """One API source's client settings: credentials and options from the variables the source documents.

    ``base_url`` overrides the vendor's host (sandboxes, regional hosts, local test servers).
    """

    connector: str
    base_url: str = Field(default="", description="override of the API host; empty: the vendor's")

    @property
    def spec(self) -> ConnectorSpec:
        return source_registry.get(self.connector)

    def settings(self) -> Mapping[str, str]:
        values = {name: value for name in self.spec.settings_env if (value := _env(name)) is not None}
        if self.base_url:
            key = next((n for n in self.spec.settings_env if n.endswith(("_BASE_URL", "_INSTANCE_URL", "_SHOP_URL"))),
                       None)
            if key is None:
                raise dg.Failure(f"source {self.connector} has no base URL setting")
            values[key] = self.base_url
        return values

    def missing(self) -> list[str]:
        return self.spec.missing_env(self.settings())


class DestinationResource(dg.ConfigurableResource):
    """One activation destination: live or dry run, host override, outbox, credentials from the environment.

    ``live``: empty means ``$LIFECYCLE_ACTIVATION_LIVE`` (``1`` sends; anything else is a dry run that
    writes the exact requests to an outbox and changes no state). Credentials are the variables the
    destination declares (``credentials_env``), read when the sync runs, never put in run config.
    """

    destination: str
    live: str = Field(default="", description="'1' sends, '0' dry run; empty: $LIFECYCLE_ACTIVATION_LIVE or 0")
    base_url: str = Field(default="", description="override of the destination host; empty: the sync's, else the vendor's")
    outbox_dir: str = Field(default="", description="dry-run outbox; empty: $LIFECYCLE_OUTBOX_DIR or beside the warehouse")
    credentials_env: list[str] = Field(default_factory=list, description="variables holding the credentials")

    def is_live(self) -> bool:
        return (self.live or _env("LIFECYCLE_ACTIVATION_LIVE") or "0").strip() == "1"

    def outbox(self, warehouse_file: Path) -> Path:
        folder = self.outbox_dir or _env("LIFECYCLE_OUTBOX_DIR")
        return Path(folder) if folder else warehouse_file.parent / "outbox"

    def credentials(self) -> dict[str, str]:
        """The destination's credentials by the names it uses (``access_token``...), read now."""
        specs = destination_class(self.destination).credential_specs
        return {c.name: value for c in specs if (value := _env(c.env)) is not None}


API_SOURCE_NAMES = tuple(source_registry.API_SOURCES)
DESTINATIONS: dict[str, list[str]] = {kind: destination_class(kind).credential_env() for kind in destination_kinds()}


def destination_key(destination: str) -> str:
    return f"{destination}_destination"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())


def build_resources() -> dict[str, Any]:
    """The resources of the one asset graph (defaults only: nothing resolved until a run starts)."""
    resources: dict[str, Any] = {
        "warehouse": WarehouseResource(),
        "sources": SourceModeResource(),
        "demo": DemoResource(),
        "file_drop": FileDropResource(),
        "dbt": dbt_resource(),
    }
    for name in API_SOURCE_NAMES:
        resources[name] = ApiSourceResource(connector=name)
    for dest, creds in DESTINATIONS.items():
        resources[destination_key(dest)] = DestinationResource(destination=dest, credentials_env=creds)
    return resources
