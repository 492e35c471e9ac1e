"""What every connector shares: the spec, the run result, the run bookkeeping and value parsing.

A connector module defines ``run(warehouse, *, start=None, end=None, log=None) -> IngestResult``
and a :class:`ConnectorSpec`; ``lifecycle/connectors/__init__.py`` registers it in ``CONNECTORS``.

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
``IngestRun`` writes one row to ``ops.ingest_runs`` per run (status running -> success | failed).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lifecycle import raw_schema, warehouse

log_default = logging.getLogger("lifecycle.connectors")


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

    def is_configured(self, env: Mapping[str, str] = os.environ) -> bool:
        return all(env.get(k) for k in self.required_env)

    def missing_env(self, env: Mapping[str, str] = os.environ) -> list[str]:
        return [k for k in self.required_env if not env.get(k)]

    @property
    def tables(self) -> list[str]:
        return [t.qualified_name for t in raw_schema.tables_in(self.raw_schema)]


CONNECTORS: dict[str, ConnectorSpec] = {}


def register(spec: ConnectorSpec) -> ConnectorSpec:
    CONNECTORS[spec.name] = spec
    return spec


class BadRecord(ValueError):
    """A record that cannot be loaded; the message is the quarantine reason (no personal data)."""


class ConfigError(RuntimeError):
    """A required environment variable is missing or invalid."""


# ------------------------------------------------------------------------------------------------
# Environment
# ------------------------------------------------------------------------------------------------
def env_required(name: str, env: Mapping[str, str] = os.environ) -> str:
    value = env.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def env_default(name: str, default: str, env: Mapping[str, str] = os.environ) -> str:
    return env.get(name) or default


# ------------------------------------------------------------------------------------------------
# Value parsing (raise BadRecord with a reason that names the field, never its value)
# ------------------------------------------------------------------------------------------------
def parse_ts(value: Any, field_name: str = "timestamp", *, required: bool = False) -> datetime | None:
    """Any API timestamp -> naive UTC datetime.

    Accepts ISO 8601 with ``Z``/offsets (``+00:00`` and Salesforce's ``+0000``), naive ISO (taken as
    UTC), epoch seconds or milliseconds (int/float/str of digits), ``datetime`` and ``date``.
    """
    if value is None or value == "":
        if required:
            raise BadRecord(f"missing {field_name}")
        return None
    try:
        if isinstance(value, datetime):
            dt = value
        elif isinstance(value, date):
            dt = datetime.combine(value, time())
        elif isinstance(value, bool):
            raise TypeError
        elif isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
            num = float(value)
            if num > 1e11:  # milliseconds
                num /= 1000.0
            dt = datetime.fromtimestamp(num, UTC)
        elif isinstance(value, str):
            s = value.strip()
            if s.endswith(("Z", "z")):
                s = s[:-1] + "+00:00"
            if len(s) >= 5 and s[-5] in "+-" and s[-4:].isdigit() and "T" in s:  # +0000
                s = s[:-2] + ":" + s[-2:]
            dt = datetime.fromisoformat(s.replace(" ", "T", 1) if "T" not in s and len(s) > 10 else s)
        else:
            raise TypeError
    except (ValueError, TypeError, OverflowError, OSError):
        raise BadRecord(f"unparsable {field_name}") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_date(value: Any, field_name: str = "date") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadRecord(f"unparsable {field_name}") from None


def parse_int(value: Any, field_name: str = "id", *, required: bool = False) -> int | None:
    if value is None or value == "":
        if required:
            raise BadRecord(f"missing {field_name}")
        return None
    if isinstance(value, bool):
        raise BadRecord(f"{field_name} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise BadRecord(f"{field_name} is not an integer")


def parse_decimal(value: Any, field_name: str = "amount") -> str | None:
    """Money as a canonical decimal string (DuckDB casts it to decimal(18,2) exactly)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRecord(f"{field_name} is not a number")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadRecord(f"{field_name} is not a number") from None
    if not d.is_finite():
        raise BadRecord(f"{field_name} is not a number")
    return str(d)


def parse_bool(value: Any, field_name: str = "flag") -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "1", "yes", "t"):
        return True
    if s in ("false", "0", "no", "f"):
        return False
    raise BadRecord(f"{field_name} is not a boolean")


def parse_str(value: Any, field_name: str = "value") -> str | None:
    if value is None:
        return None
    if isinstance(value, (Mapping, list)):
        raise BadRecord(f"{field_name} is not a scalar")
    return str(value)


def require(record: Mapping[str, Any], key: str) -> Any:
    if not isinstance(record, Mapping):
        raise BadRecord("record is not an object")
    value = record.get(key)
    if value is None or value == "":
        raise BadRecord(f"missing {key}")
    return value


def ts_iso(dt: datetime | None) -> str | None:
    """Naive UTC datetime -> ISO string with Z (what cursors store)."""
    return None if dt is None else dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def day_start(d: date | None) -> datetime | None:
    return None if d is None else datetime.combine(d, time())


def day_end_exclusive(d: date | None) -> datetime | None:
    """``end`` arguments are inclusive days; the exclusive bound is the next midnight."""
    return None if d is None else datetime.combine(d + timedelta(days=1), time())


# ------------------------------------------------------------------------------------------------
# Run bookkeeping
# ------------------------------------------------------------------------------------------------
def frame(qualified_name: str, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows -> DataFrame with the table's columns and ``object`` dtype (big ints stay exact)."""
    cols = raw_schema.table(qualified_name).column_names
    return pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols, dtype=object)


class IngestRun:
    """Opens the warehouse, logs the run in ``ops.ingest_runs`` and writes pages with their cursor."""

    def __init__(self, warehouse_path: Path | str, source: str, log: logging.Logger | None = None,
                 tables: Iterable[str] | None = None):
        self.warehouse_path = Path(warehouse_path)
        self.source = source
        self.log = log or log_default
        self.run_id = str(uuid.uuid4())
        self.result = IngestResult(source=source)
        self._tables = list(tables) if tables is not None else None
        self._cm = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self.started_at = warehouse.utcnow()

    # context manager -----------------------------------------------------------------------------
    def __enter__(self) -> IngestRun:
        self._cm = warehouse.connect(self.warehouse_path)
        self.con = self._cm.__enter__()
        schema_tables = [raw_schema.table(t) for t in self._tables] if self._tables is not None else [
            t for t in raw_schema.RAW_TABLES if t.schema == _schema_of(self.source)]
        warehouse.ensure_raw_tables(self.con, schema_tables or None)
        self.con.execute(
            "insert into ops.ingest_runs (ingest_run_id, source, started_at, status) values (?, ?, ?, 'running')",
            [self.run_id, self.source, self.started_at],
        )
        self.log.info("%s: ingest run %s started", self.source, self.run_id)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if self.con is not None:
                status = "success" if exc is None else "failed"
                detail = self.result.summary() if exc is None else f"{type(exc).__name__}: {exc}"[:1000]
                self.con.execute(
                    "update ops.ingest_runs set finished_at = ?, status = ?, rows_loaded = ?, "
                    "rows_quarantined = ?, detail = ? where ingest_run_id = ?",
                    [warehouse.utcnow(), status, self.result.total_rows, self.result.quarantined, detail,
                     self.run_id],
                )
                if exc is None:
                    self.log.info("%s", self.result.summary())
                else:
                    self.log.error("%s: ingest run failed: %s", self.source, detail)
        finally:
            if self._cm is not None:
                self._cm.__exit__(exc_type, exc, tb)
            self.con = None

    # cursors -------------------------------------------------------------------------------------
    def get_cursor(self, stream: str) -> str | None:
        assert self.con is not None
        return warehouse.get_cursor(self.con, self.source, stream)

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
        warehouse.set_cursor(self.con, self.source, stream, _cursor_text(value))

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
            except (BadRecord, ValueError, TypeError, KeyError, AttributeError) as exc:
                reason = str(exc) if isinstance(exc, BadRecord) else f"{type(exc).__name__}: {exc}"[:200]
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
        n = warehouse.quarantine(self.con, self.source, entity, records, ingest_run_id=self.run_id)
        self.result.quarantined += n
        for ref, reason, _ in records:
            self.log.warning("%s: quarantined %s %s: %s", self.source, entity, ref, reason)
        return n

    def write_page(self, qualified_name: str, rows: Sequence[Mapping[str, Any]], *,
                   stream: str | None = None, cursor: str | Mapping[str, Any] | None = None,
                   extra: Sequence[tuple[str, Sequence[Any]]] = (), count_page: bool = True) -> int:
        """Merge rows on the primary key; store ``cursor`` for ``stream`` in the same transaction."""
        assert self.con is not None
        stmts = list(extra)
        if stream is not None:
            stmts.append(warehouse.cursor_sql(self.source, stream, _cursor_text(cursor)))
        n = warehouse.merge_rows(self.con, qualified_name, frame(qualified_name, rows), extra=stmts)
        self.result.rows[qualified_name] = self.result.rows.get(qualified_name, 0) + n
        if count_page:
            self.result.pages += 1
        return n

    def write_pages(self, batches: Mapping[str, Sequence[Mapping[str, Any]]], *, stream: str | None = None,
                    cursor: str | Mapping[str, Any] | None = None,
                    extra: Sequence[tuple[str, Sequence[Any]]] = ()) -> None:
        """Several tables from one API page in ONE transaction, with the cursor (all or nothing)."""
        assert self.con is not None
        con = self.con
        con.execute("begin")
        try:
            for qn, rows in batches.items():
                t = raw_schema.table(qn)
                warehouse.ensure_raw_tables(con, [t])
                if not rows:
                    self.result.rows.setdefault(qn, 0)
                    continue
                data = warehouse._conform(t, frame(qn, rows)).drop_duplicates(  # noqa: F841
                    subset=list(t.primary_key), keep="last")
                key_match = " and ".join(
                    f"{qn}.{k} = cast(data.{k} as {t.column(k).type})" for k in t.primary_key)
                con.execute(f"delete from {qn} using data where {key_match}")
                con.execute(f"insert into {qn} {warehouse._select_cast(t, 'data')}")
                self.result.rows[qn] = self.result.rows.get(qn, 0) + len(data)
            for sql, params in extra:
                con.execute(sql, list(params))
            if stream is not None:
                sql, params = warehouse.cursor_sql(self.source, stream, _cursor_text(cursor))
                con.execute(sql, params)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        self.result.pages += 1

    def existing(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        assert self.con is not None
        return self.con.execute(sql, list(params)).fetchall()


def _schema_of(source: str) -> str:
    spec = CONNECTORS.get(source)
    return spec.raw_schema if spec else f"raw_{source}"


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
