"""Reverse ETL: read a segment model, build the destination's payloads, send (or preview) them.

A sync reads one contract-enforced segment model from the warehouse, turns each row into a
destination record (or a skip with a reason), compares it with what the last successful sync sent
(state in ``ops.sync_state``, so only changed rows are sent), groups records into the destination's
batch requests and either

- **dry run**: writes the exact requests to an outbox file (JSON lines, one request a line) and sends
  nothing; sync state is not advanced, because nothing reached the destination; or
- **live**: sends them through the destination client (not available yet: refused with a clear error).

Every row is accounted for in ``ops.sync_records`` (would_send / sent / unchanged / skipped / failed,
with the reason) and every run is one row of ``ops.sync_runs``. Nothing personal is logged: log lines
carry counts and the run id only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import warehouse_io

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Record:
    """A destination record built from one segment row, or the reason the row is skipped."""

    key: str
    payload: dict[str, Any] | None
    skip_reason: str | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any]


@dataclass(frozen=True)
class SyncDefinition:
    name: str
    destination: str
    model: str  # relation in the warehouse, e.g. marts.seg_hot_leads
    key_column: str
    build_record: Callable[[dict[str, Any]], Record]
    build_requests: Callable[[Sequence[Record]], list[Request]]
    description: str = ""


@dataclass
class SyncResult:
    sync_run_id: str
    sync_name: str
    mode: str
    rows_total: int = 0
    rows_sent: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    rows_failed: int = 0
    requests: int = 0
    outbox_path: Path | None = None
    skip_reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        verb = "would send" if self.mode == "dry_run" else "sent"
        return (f"sync {self.sync_name} [{self.mode}] run {self.sync_run_id}: {self.rows_total} rows, "
                f"{self.rows_sent} {verb} in {self.requests} requests, {self.rows_unchanged} unchanged, "
                f"{self.rows_skipped} skipped, {self.rows_failed} failed")


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def outbox_dir(warehouse_file: Path) -> Path:
    """Default outbox: ``outbox/`` beside the warehouse file."""
    return warehouse_file.parent / "outbox"


def _ensure_tables(con) -> None:
    warehouse_io.ensure_ops_tables(con)


def _read_segment(con, sync: SyncDefinition) -> list[dict[str, Any]]:
    schema, _, name = sync.model.partition(".")
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchone()[0]
    if not exists:
        raise LookupError(f"sync {sync.name}: segment model {sync.model} does not exist; run dbt build first")
    cur = con.execute(f"select * from {sync.model} order by {sync.key_column}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _write_outbox(path: Path, requests: Iterable[Request]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for req in requests:
            fh.write(json.dumps({"method": req.method, "path": req.path, "body": req.body}, default=str) + "\n")
    tmp.replace(path)  # a reader never sees a half-written outbox


def run_sync(sync: SyncDefinition, *, warehouse_file: Path | None = None, dry_run: bool = True,
             outbox: Path | None = None) -> SyncResult:
    """Run one sync; dry run writes the outbox and the run log, live sending comes with the destinations."""
    if not dry_run:
        raise NotImplementedError(f"sync {sync.name}: live sending to {sync.destination} is not available yet; "
                                  "run it as a dry run")
    wh = Path(warehouse_file) if warehouse_file else warehouse_io.warehouse_path()
    result = SyncResult(sync_run_id=str(uuid.uuid4()), sync_name=sync.name, mode="dry_run" if dry_run else "live")
    started = warehouse_io.utcnow()
    with warehouse_io.connect(wh) as con:
        _ensure_tables(con)
        # one process writes the warehouse at a time (its writer lock) and syncs run one after the other:
        # a sync run still `running` now belongs to a process that died
        warehouse_io.mark_abandoned(con, "ops.sync_runs", "sync_run_id", detail_column="error", by=result.sync_run_id)
        con.execute(
            "insert into ops.sync_runs (sync_run_id, sync_name, destination, mode, started_at, status) "
            "values (?, ?, ?, ?, ?, 'running')",
            [result.sync_run_id, sync.name, sync.destination, result.mode, started],
        )
    try:
        with warehouse_io.connect(wh) as con:
            rows = _read_segment(con, sync)
            state = dict(con.execute(
                "select record_key, payload_hash from ops.sync_state where sync_name = ?", [sync.name]
            ).fetchall())
        result.rows_total = len(rows)
        to_send: list[Record] = []
        accounting: list[tuple[str, str, str | None, str | None]] = []
        for row in rows:
            rec = sync.build_record(row)
            if rec.payload is None:
                result.rows_skipped += 1
                reason = rec.skip_reason or "skipped"
                result.skip_reasons[reason] = result.skip_reasons.get(reason, 0) + 1
                accounting.append((rec.key, "skipped", reason, None))
                continue
            digest = payload_hash(rec.payload)
            if state.get(rec.key) == digest:
                result.rows_unchanged += 1
                accounting.append((rec.key, "unchanged", None, digest))
                continue
            to_send.append(rec)
            accounting.append((rec.key, "would_send" if dry_run else "sent", None, digest))
        requests = sync.build_requests(to_send)
        result.requests = len(requests)
        result.rows_sent = len(to_send)
        result.outbox_path = (outbox or outbox_dir(wh)) / sync.name / f"{started:%Y%m%dT%H%M%S}_{result.sync_run_id}.jsonl"
        _write_outbox(result.outbox_path, requests)
        with warehouse_io.connect(wh) as con:
            now = warehouse_io.utcnow()
            con.execute("begin")
            if accounting:  # an empty segment is a normal input (DuckDB refuses an empty executemany)
                con.executemany(
                    "insert into ops.sync_records values (?, ?, ?, ?, ?, ?, ?)",
                    [(result.sync_run_id, sync.name, key, status, reason, digest, now)
                     for key, status, reason, digest in accounting],
                )
            con.execute(
                "update ops.sync_runs set finished_at = ?, status = 'success', rows_total = ?, rows_sent = ?, "
                "rows_unchanged = ?, rows_skipped = ?, rows_failed = ?, requests = ?, outbox_path = ? "
                "where sync_run_id = ?",
                [now, result.rows_total, result.rows_sent, result.rows_unchanged, result.rows_skipped,
                 result.rows_failed, result.requests, str(result.outbox_path), result.sync_run_id],
            )
            con.execute("commit")
    except Exception as exc:
        with warehouse_io.connect(wh) as con:
            con.execute(
                "update ops.sync_runs set finished_at = ?, status = 'failed', error = ? where sync_run_id = ?",
                [warehouse_io.utcnow(), f"{type(exc).__name__}: {exc}"[:2000], result.sync_run_id],
            )
        raise
    log.info(result.summary())
    return result
