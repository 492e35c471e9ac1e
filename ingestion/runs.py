"""What every loader shares: the source spec, the run result and the run bookkeeping.

A connector module defines ``run(warehouse, *, start=None, end=None, log=None, settings=None) ->
IngestResult`` and a :class:`ConnectorSpec` named ``SPEC``; :mod:`ingestion.sources` lists them all.
``settings`` maps the environment-variable names of :attr:`ConnectorSpec.settings_env` to values: the
Dagster resources pass them; ``None`` reads the process environment when the run starts.
Values are parsed with :mod:`ingestion.parsing`.

Inside ``run`` a connector typically does::

    with IngestRun(warehouse, "hubspot", log) as run:
        since = run.get_cursor("contacts")
        for page in ...:
            good = run.map_records("raw_hubspot.contacts", page_records, map_contact, ref=lambda r, i: ...)
            run.write_page("raw_hubspot.contacts", good, stream="contacts", cursor=next_cursor)
        return run.result

``write_page`` merges the rows on the primary key and stores the cursor in the same transaction, so a
run killed mid-way resumes from the last committed page. ``map_records`` sends records whose mapping
raises :class:`BadRecord` / ``ValueError`` / ``TypeError`` / ``KeyError`` to ``ops.quarantine`` with a
reason and a record ref (never the record's personal fields in logs), and returns the good rows.
``IngestRun`` writes one row to ``ops.ingest_runs`` per run (status running -> success | partial |
failed); a ``running`` row that no live run owns (its process was killed) becomes ``abandoned`` when
the next run starts. Nothing personal reaches a log line or ``detail``: reasons name fields, and any
foreign text (an exception's message) passes through :func:`warehouse_io.redact`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

import warehouse_io
from ingestion import raw_tables
from ingestion.parsing import BadRecord
from warehouse_io import redact, safe_error

log_default = logging.getLogger("ingestion")
_active_runs: set[str] = set()  # ingest_run_id of the runs under way in this process
_active_lock = threading.Lock()


# ------------------------------------------------------------------------------------------------
# Contract types
# ------------------------------------------------------------------------------------------------
@dataclass
class IngestResult:
    source: str
    rows: dict[str, int] = field(default_factory=dict)  # qualified raw table -> rows merged this run
    quarantined: int = 0
    pages: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        """One line, counts only (no personal data)."""
        per_table = ", ".join(f"{t}={n}" for t, n in sorted(self.rows.items())) or "no rows"
        return (f"{self.source}: {self.total_rows} rows merged ({per_table}); "
                f"{self.quarantined} quarantined; {self.pages} pages")


@dataclass(frozen=True)
class ConnectorSpec:
    name: str                                   # 'respondio', 'hubspot', ...
    raw_schema: str                             # 'raw_respondio', ...
    required_env: tuple[str, ...]               # credentials; enabled when all are set
    run: Callable[..., IngestResult]            # run(warehouse, *, start=None, end=None, log=None)
    time_sliced: bool = False                   # daily-report sources: start/end select days
    description: str = ""
    optional_env: tuple[str, ...] = ()          # settings with defaults (base URL, API version)

    def is_configured(self, env: Mapping[str, str] | None = None) -> bool:
        return not self.missing_env(env)

    def missing_env(self, env: Mapping[str, str] | None = None) -> list[str]:
        env = settings_or_env(env)
        return [k for k in self.required_env if not env.get(k)]

    @property
    def settings_env(self) -> tuple[str, ...]:
        """Every environment variable the connector reads: credentials first, then optional settings."""
        return (*self.required_env, *self.optional_env)

    @property
    def tables(self) -> list[str]:
        return [t.qualified_name for t in raw_tables.tables_in(self.raw_schema)]


class ConfigError(RuntimeError):
    """A required environment variable is missing or invalid."""


# ------------------------------------------------------------------------------------------------
# Environment
# ------------------------------------------------------------------------------------------------
def settings_or_env(settings: Mapping[str, str] | None) -> Mapping[str, str]:
    """A connector's settings: the mapping it was given (Dagster resources pass one), else the process
    environment as it is when the run starts (the standalone ``python -m ingestion.connectors``)."""
    return os.environ if settings is None else settings


def env_required(name: str, env: Mapping[str, str] | None = None) -> str:
    value = settings_or_env(env).get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def env_default(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    return settings_or_env(env).get(name) or default


# ------------------------------------------------------------------------------------------------
# Run bookkeeping
# ------------------------------------------------------------------------------------------------
def frame(qualified_name: str, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows -> DataFrame with the table's columns and ``object`` dtype (big ints stay exact)."""
    cols = raw_tables.table(qualified_name).column_names
    return pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols, dtype=object)


class IngestRun:
    """Opens the warehouse, logs the run in ``ops.ingest_runs`` and writes pages with their cursor."""

    def __init__(self, warehouse_path: Path | str, source: str, log: logging.Logger | None = None,
                 tables: Iterable[str] | None = None, raw_schema: str | None = None):
        self.warehouse_path = Path(warehouse_path)
        self.source = source
        self.log = log or log_default
        self.run_id = str(uuid.uuid4())
        self.result = IngestResult(source=source)
        self._tables = list(tables) if tables is not None else None
        self._raw_schema = raw_schema or f"raw_{source}"
        self._cm = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.started_at = warehouse_io.utcnow()
        self._last_counts: dict[str, int] = {}
        self.partial_reason: str | None = None  # set when some input was not loaded: status `partial`

    # context manager -----------------------------------------------------------------------------
    def __enter__(self) -> IngestRun:
        self._cm = warehouse_io.connect(self.warehouse_path)
        self.con = self._cm.__enter__()
        schema_tables = [raw_tables.table(t) for t in self._tables] if self._tables is not None else [
            t for t in raw_tables.RAW_TABLES if t.schema == self._raw_schema]
        raw_tables.ensure_raw_tables(self.con, schema_tables or None)
        with _active_lock:
            keep = sorted(_active_runs)
            abandoned = warehouse_io.mark_abandoned(self.con, "ops.ingest_runs", "ingest_run_id", keep=keep,
                                                    by=self.run_id)
            _active_runs.add(self.run_id)
        if abandoned:
            self.log.warning("%s: %d earlier ingest run(s) had stopped without finishing (killed?); marked abandoned",
                             self.source, abandoned)
        self.con.execute(
            "insert into ops.ingest_runs (ingest_run_id, source, started_at, status) values (?, ?, ?, 'running')",
            [self.run_id, self.source, self.started_at],
        )
        self.log.info("%s: ingest run %s started", self.source, self.run_id)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if self.con is not None:
                status = "failed" if exc is not None else "partial" if self.partial_reason else "success"
                if exc is not None:
                    detail = safe_error(exc, 1000)
                elif self.partial_reason:  # first line: what was not loaded (the CLI's partial line)
                    detail = f"not loaded: {' '.join(self.partial_reason.split())[:1000]}\n{self.result.summary()}"
                else:
                    detail = self.result.summary()
                detail = redact(detail, 4000)
                self.con.execute(
                    "update ops.ingest_runs set finished_at = ?, status = ?, rows_loaded = ?, "
                    "rows_quarantined = ?, detail = ? where ingest_run_id = ?",
                    [warehouse_io.utcnow(), status, self.result.total_rows, self.result.quarantined, detail,
                     self.run_id],
                )
                if exc is None:
                    self.log.info("%s", self.result.summary())
                else:
                    self.log.error("%s: ingest run failed: %s", self.source, detail)
        finally:
            with _active_lock:
                _active_runs.discard(self.run_id)
            if self._cm is not None:
                self._cm.__exit__(exc_type, exc, tb)
            self.con = None

    # cursors -------------------------------------------------------------------------------------
    def get_cursor(self, stream: str) -> str | None:
        assert self.con is not None
        return warehouse_io.get_cursor(self.con, self.source, stream)

    def get_json_cursor(self, stream: str) -> dict[str, Any]:
        raw = self.get_cursor(stream)
        if not raw:
            return {}
        try:
            val = json.loads(raw)
        except ValueError:
            return {"value": raw}
        return val if isinstance(val, dict) else {"value": val}

    def set_cursor(self, stream: str, value: str | Mapping[str, Any] | None) -> None:
        assert self.con is not None
        warehouse_io.set_cursor(self.con, self.source, stream, _cursor_text(value))

    # records -------------------------------------------------------------------------------------
    def map_records(self, entity: str, records: Iterable[Any],
                    mapper: Callable[[Any], Mapping[str, Any] | list[Mapping[str, Any]] | None],
                    ref: Callable[[Any, int], str] | None = None) -> list[dict[str, Any]]:
        """Map API records to raw rows; bad ones go to ``ops.quarantine`` and the rest continue.

        ``mapper`` returns a row, a list of rows (one record -> several rows), or None (skip).
        """
        good: list[dict[str, Any]] = []
        bad: list[tuple[str | None, str, Any]] = []
        for i, rec in enumerate(records):
            try:
                out = mapper(rec)
            except (BadRecord, ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
                # our own reasons name the field and the problem; any other exception's text may quote
                # the value (int('jane@...')), so only its type and the mapper are kept
                reason = str(exc) if isinstance(exc, BadRecord) else (
                    f"the record could not be mapped ({type(exc).__name__} in "
                    f"{getattr(mapper, '__name__', 'the mapper')})")
                bad.append((_record_ref(rec, i, ref), reason, rec))
                continue
            if out is None:
                continue
            good.extend([dict(o) for o in out] if isinstance(out, list) else [dict(out)])
        if bad:
            self.quarantine(entity, bad)
        return good

    def quarantine(self, entity: str, records: Sequence[tuple[str | None, str, Any]]) -> int:
        assert self.con is not None
        n = warehouse_io.quarantine(self.con, self.source, entity, records, ingest_run_id=self.run_id)
        self.result.quarantined += n
        for ref, reason, _ in records:
            self.log.warning("%s: quarantined %s %s: %s", self.source, entity,
                             redact(ref, 200, international_only=True), redact(reason, 500))
        return n

    def write_page(self, qualified_name: str, rows: Sequence[Mapping[str, Any]], *,
                   stream: str | None = None, cursor: str | Mapping[str, Any] | None = None,
                   extra: Sequence[tuple[str, Sequence[Any]]] = (), count_page: bool = True) -> int:
        """Merge rows on the primary key; store ``cursor`` for ``stream`` in the same transaction."""
        self.write_pages({qualified_name: rows}, stream=stream, cursor=cursor, extra=extra, count_page=count_page)
        return self._last_counts.get(qualified_name, 0)

    def write_pages(self, batches: Mapping[str, Sequence[Mapping[str, Any]]], *, stream: str | None = None,
                    cursor: str | Mapping[str, Any] | None = None,
                    extra: Sequence[tuple[str, Sequence[Any]]] = (), count_page: bool = True) -> None:
        """Several tables from one API page in ONE transaction, with the cursor (all or nothing)."""
        assert self.con is not None
        stmts = list(extra)
        if stream is not None:
            stmts.append(warehouse_io.cursor_sql(self.source, stream, _cursor_text(cursor)))
        frames = {raw_tables.table(qn): frame(qn, rows) for qn, rows in batches.items()}
        self._last_counts = warehouse_io.merge_batches(self.con, frames, extra=stmts)
        for qn, n in self._last_counts.items():
            self.result.rows[qn] = self.result.rows.get(qn, 0) + n
        if count_page:
            self.result.pages += 1

    def existing(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        assert self.con is not None
        return self.con.execute(sql, list(params)).fetchall()


def _cursor_text(value: str | Mapping[str, Any] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _record_ref(rec: Any, index: int, ref: Callable[[Any, int], str] | None) -> str:
    if ref is not None:
        try:
            return ref(rec, index)
        except Exception:  # noqa: BLE001 - a ref must never fail the run
            pass
    if isinstance(rec, Mapping):
        for key in ("id", "Id", "contact_id", "message_id", "hs_object_id"):
            if rec.get(key) not in (None, "") and not isinstance(rec.get(key), (Mapping, list)):
                return f"id {rec.get(key)}"
    return f"index {index}"
