"""The sync engine: read a segment, diff it against what the destination holds, send only what changed.

One run of one sync (:func:`run_sync`):

1. takes the sync's lock (``ops.sync_locks``; a dead run's lock is taken over and the run marked
   ``abandoned``) and logs the run in ``ops.sync_runs``;
2. diffs the segment against ``ops.sync_state`` in SQL (:meth:`activation.state.SyncState.diff`): new
   and changed rows are sent, unchanged ones are not, rows that left the segment are removed from the
   destination (mirror mode) or reported as ``left``; rows that failed before are sent again with their
   current values, because a failure never writes state;
3. builds the destination's payloads in chunks, plans the phases each chunk needs (HubSpot: clear,
   then set a backward lifecycle stage; respond.io: create, tag, set the stage), sends each phase in
   batches of the destination's size over one keep-alive session with a rate limiter and concurrent
   senders, retries 429 / 5xx / timeouts, and splits a batch the destination rejects as a whole until
   the bad records are isolated;
4. commits after every chunk, in one transaction, the state of exactly the records the destination
   acknowledged together with their accounting (``ops.sync_records``), the failures with the
   destination's reason (``ops.sync_failures``) and the run's counters.

A dry run does everything but send: the exact requests go to an outbox file (one JSON line per
request, the body as the exact text the live path sends), with a preview (counts and a masked sample),
and no state or failure is written. Every row is accounted for: ``rows_sent + rows_unchanged +
rows_skipped + rows_failed == rows_total`` (the segment's rows); rows that left the segment are
counted apart (``rows_removed``, ``rows_left``). Log lines carry counts and ids only.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from activation.config import SyncConfig
from activation.destinations import destination_class
from activation.destinations.base import (
    Ack,
    BatchRejected,
    Destination,
    Fail,
    Item,
    Outcome,
    Phase,
    Record,
    Removal,
    Skip,
)
from activation.http import DestinationError, HttpClient, RateLimiter, Request, Response
from activation.masking import mask_payload, redact
from activation.state import SyncState, parse_state, state_json
from warehouse_io import WarehouseTarget

log = logging.getLogger("activation")
_split_lock = threading.Lock()
PREVIEW_SAMPLE = 5


class SegmentMissing(LookupError):
    """The segment model the sync reads does not exist in the warehouse."""


@dataclass
class SyncResult:
    sync_run_id: str
    sync_name: str
    destination: str
    mode: str  # live or dry_run
    sync_mode: str = "upsert"
    status: str = "running"
    rows_total: int = 0
    rows_sent: int = 0
    rows_unchanged: int = 0
    rows_skipped: int = 0
    rows_failed: int = 0
    rows_removed: int = 0
    rows_left: int = 0
    removals_failed: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    batches_split: int = 0
    seconds: float = 0.0
    skip_reasons: Counter = field(default_factory=Counter)
    fail_reasons: Counter = field(default_factory=Counter)
    outbox_path: Path | None = None
    preview_path: Path | None = None
    abandoned_runs: int = 0

    def counts(self) -> dict[str, int]:
        return {"rows_total": self.rows_total, "rows_sent": self.rows_sent, "rows_unchanged": self.rows_unchanged,
                "rows_skipped": self.rows_skipped, "rows_failed": self.rows_failed,
                "rows_removed": self.rows_removed, "rows_left": self.rows_left, "requests": self.requests}

    def detail(self) -> dict[str, Any]:
        return {"skip_reasons": dict(self.skip_reasons), "fail_reasons": dict(self.fail_reasons),
                "removals_failed": self.removals_failed, "retries": self.retries,
                "rate_limited": self.rate_limited, "batches_split": self.batches_split,
                "seconds": round(self.seconds, 3), "sync_mode": self.sync_mode}

    def summary(self) -> str:
        verb = "would send" if self.mode == "dry_run" else "sent"
        removed = "would remove" if self.mode == "dry_run" else "removed"
        return (f"sync {self.sync_name} [{self.mode}] run {self.sync_run_id}: {self.status}; {self.rows_total} rows: "
                f"{self.rows_sent} {verb}, {self.rows_unchanged} unchanged, {self.rows_skipped} skipped, "
                f"{self.rows_failed} failed; {self.rows_removed} {removed}, {self.rows_left} left the segment; "
                f"{self.requests} requests in {self.seconds:.1f} s")


# ------------------------------------------------------------------------------------------------
# Senders: live HTTP, or the dry run's outbox
# ------------------------------------------------------------------------------------------------
class LiveSender:
    dry_run = False

    def __init__(self, client: HttpClient | None):
        self.client = client

    def send(self, request: Request) -> Response:
        if self.client is None:
            raise DestinationError("this destination sends no HTTP requests")
        return self.client.send(request)


class OutboxSender:
    """Writes each request as one JSON line (body as its exact text) instead of sending it."""

    dry_run = True

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(path.name + ".tmp")
        self._fh = self._tmp.open("w", encoding="utf-8")

    def send(self, request: Request) -> Response:
        self._fh.write(json.dumps(request.outbox_line(), ensure_ascii=False) + "\n")
        self.count += 1
        return Response(200, {}, b"")

    def close(self, keep: bool) -> None:
        self._fh.close()
        if keep:
            self._tmp.replace(self.path)  # a reader never sees a half-written outbox
        else:
            self._tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------
def make_destination(config: SyncConfig, credentials: Mapping[str, str] | None = None,
                     base_url: str | None = None, now: datetime | None = None) -> Destination:
    cls = destination_class(config.destination_type)
    return cls(config=config, credentials=dict(credentials or {}), base_url_override=base_url or None,
               now=now or datetime.now(UTC))


def _client(dest: Destination, config: SyncConfig) -> HttpClient:
    rate = config.rate_limit
    limit = (rate.requests, rate.per_seconds) if rate else dest.default_rate_limit
    limiter = RateLimiter(*(limit or (None, None)))
    return HttpClient(dest.kind, dest.base_url(), auth_headers=dest.auth_headers(), auth_query=dest.auth_query(),
                      secrets=dest.secrets(), timeout=config.timeout_seconds, max_retries=config.max_retries,
                      limiter=limiter, pool_size=config.concurrency, transient=dest.transient)


def run_sync(config: SyncConfig, *, warehouse: WarehouseTarget, dry_run: bool = True,
             credentials: Mapping[str, str] | None = None, base_url: str | None = None,
             outbox_dir: Path | None = None, now: datetime | None = None,
             client_factory: Callable[[Destination, SyncConfig], HttpClient] | None = None) -> SyncResult:
    """Run one sync. Raises on a failed run (after logging it in ``ops.sync_runs``)."""
    dest = make_destination(config, credentials, base_url, now)
    run_id = str(uuid.uuid4())
    result = SyncResult(run_id, config.name, dest.kind, "dry_run" if dry_run else "live", sync_mode=config.mode)
    began = time.monotonic()
    started = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.open() as db:
        state = SyncState(db, config.name, run_id)
        state.ensure()
        state.acquire()
        try:
            result.abandoned_runs = state.mark_abandoned()
            state.start(dest.kind, result.mode, started, config.source.relation)
            outbox: OutboxSender | None = None
            client: HttpClient | None = None
            try:
                if dry_run:
                    folder = Path(outbox_dir) if outbox_dir else warehouse_outbox(warehouse)
                    result.outbox_path = folder / config.name / f"{started:%Y%m%dT%H%M%S}_{run_id}.jsonl"
                    outbox = OutboxSender(result.outbox_path)
                    sender: Any = outbox
                else:
                    missing = dest.missing_credentials() if dest.uses_http else []
                    if missing:
                        raise DestinationError(f"sync {config.name}: {dest.kind} needs {', '.join(missing)} "
                                               "(environment variables) to send; a dry run needs none")
                    client = (client_factory or _client)(dest, config) if dest.uses_http else None
                    sender = LiveSender(client)
                sample = _run(config, dest, state, sender, result, dry_run)
                if client is not None:
                    result.requests = client.stats.requests
                    result.retries = client.stats.retries
                    result.rate_limited = client.stats.rate_limited
                if outbox is not None:
                    result.requests = outbox.count
                    outbox.close(keep=True)
                    result.preview_path = _write_preview(result, sample)
                result.status = "partial" if (result.rows_failed or result.removals_failed) else "success"
                result.seconds = time.monotonic() - began
                with db.transaction():
                    state.finish(result.status, result.counts(), result.detail(),
                                 str(result.outbox_path) if result.outbox_path else None)
                    state.prune_records(config.keep_record_runs)
            except BaseException as exc:
                if outbox is not None:
                    outbox.close(keep=False)
                if client is not None:
                    result.requests = client.stats.requests
                message = f"{type(exc).__name__}: {exc}"
                if client is not None:
                    message = client.scrub(message)
                result.status = "failed"
                result.seconds = time.monotonic() - began
                state.fail(redact(message), result.counts())
                raise
            finally:
                if client is not None:
                    client.close()
        finally:
            state.release()
    log.info(result.summary())
    return result


def warehouse_outbox(warehouse: WarehouseTarget) -> Path:
    """Default outbox: ``outbox/`` beside the DuckDB file (or under ./warehouse for PostgreSQL)."""
    if warehouse.dialect == "duckdb" and warehouse.path is not None:
        return warehouse.path.parent / "outbox"
    return Path.cwd() / "warehouse" / "outbox"


def _chunk_size(config: SyncConfig, dest: Destination) -> int:
    """Rows per commit: enough batches to keep the senders busy, few enough that a crash resends little."""
    if config.commit_every:
        return config.commit_every
    return max(1000, min(dest.batch_size * config.concurrency * 10, 20_000))


def _run(config: SyncConfig, dest: Destination, state: SyncState, sender: Any, result: SyncResult,
         dry_run: bool) -> list[dict[str, Any]]:
    db = state.db
    relation = config.source.relation
    if not db.relation_exists(config.source.schema_name, config.source.table_name):
        raise SegmentMissing(f"sync {config.name}: segment model {relation} does not exist in the warehouse; "
                             "run the pipeline (dbt build) first")
    present = {c for c, _ in db.relation_columns(config.source.schema_name, config.source.table_name)}
    columns = dest.source_columns()
    missing = [c for c in columns if c not in present]
    if missing:
        raise LookupError(f"{config.file or config.name}: mapping reads {', '.join(missing)}, which "
                          f"{relation} does not have (columns: {', '.join(sorted(present))})")
    salt = dest.fingerprint()
    diff = state.diff(relation, config.source.key, columns, salt)
    result.rows_total = diff.total
    result.rows_unchanged = diff.unchanged
    if diff.skipped_null_key:
        result.skip_reasons["the key column is null"] += diff.skipped_null_key
    if diff.skipped_duplicate:
        result.skip_reasons["duplicate key: several segment rows share it"] += diff.skipped_duplicate
    result.rows_skipped = diff.skipped_null_key + diff.skipped_duplicate
    if getattr(dest, "needs_snapshot", False):  # a file that must equal the segment is written first
        snapshot = db.query_arrow(f"select {', '.join(columns)} from {relation} order by {config.source.key}")
        dest.write_snapshot(snapshot.to_pylist(), sender)
    to_send = state.stage_rows_to_send(relation, config.source.key, columns, salt)
    chunk = dest.prepare(to_send) or _chunk_size(config, dest)

    pool = ThreadPoolExecutor(max_workers=config.concurrency) if not dry_run and config.concurrency > 1 else None
    preview: list[dict[str, Any]] = []
    # a dry run commits no state, so its removals cannot see which destination records the rows it would
    # send hold: key -> the record its send would act on, where the payload alone names it
    would_hold: dict[str, str] = {}
    try:
        _send_chunks(config, dest, state, sender, result, dry_run, chunk, pool, preview, would_hold)
        if diff.gone:
            if config.mode == "mirror":
                _remove(config, dest, state, sender, result, dry_run, pool, would_hold)
            else:
                result.rows_left = state.leave(
                    f"left the segment; kept in the destination (mode {config.mode})", live=not dry_run)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    with db.transaction():
        state.record_unchanged_and_skipped(live=not dry_run)
        if not dry_run:
            state.drop_failures_of_departed()
    return preview


@dataclass
class _Chunk:
    records: list[Record]
    accounting: list[tuple[str | None, str, str | None, str | None]]
    known: set[str]  # keys the destination held before (their state rows are replaced, not just added)


def _build_chunk(dest: Destination, result: SyncResult, dry_run: bool, columns: dict[str, list[Any]],
                 preview: list[dict[str, Any]], would_hold: dict[str, str] | None = None) -> _Chunk:
    """Payloads for a chunk of rows, and the accounting of those skipped."""
    chunk = _Chunk([], [], set())
    keys = columns.pop("lc_record_key")
    hashes = columns.pop("lc_row_hash")
    destination_ids = columns.pop("lc_destination_id")
    in_state = columns.pop("lc_in_state")
    states = columns.pop("lc_destination_state")
    built_rows = dest.build_many(columns, len(keys))
    if len(built_rows) != len(keys):
        raise RuntimeError(f"{dest.kind}: built {len(built_rows)} payloads for {len(keys)} rows")
    records, accounting = chunk.records, chunk.accounting
    skips: Counter[str] = Counter()
    for key, row_hash, destination_id, known, state_text, built in zip(
            keys, hashes, destination_ids, in_state, states, built_rows, strict=True):
        if known:
            chunk.known.add(key)
        if isinstance(built, Skip):
            skips[built.reason] += 1
            accounting.append((key, "skipped", built.reason, row_hash))
            continue
        records.append(Record(key, row_hash, built, destination_id, parse_state(state_text) if state_text else None))
        if dry_run:
            identity = dest.payload_identity(built) if would_hold is not None else None
            if identity is not None:  # else the destination's id in the state stays (an upsert keeps it)
                would_hold[key] = identity
            if len(preview) < PREVIEW_SAMPLE:
                preview.append(mask_payload(built, dest.personal_fields))
    if skips:
        result.rows_skipped += skips.total()
        result.skip_reasons.update(skips)
    return chunk


def _finish_chunk(state: SyncState, result: SyncResult, dry_run: bool, chunk: _Chunk,
                  outcomes: Mapping[str, Outcome]) -> None:
    """Account for a delivered chunk and commit it: state only for the acknowledged records."""
    acked: list[tuple[str, str, str | None, str | None]] = []
    failed: list[tuple[str, str, str | None]] = []
    accounting = chunk.accounting
    sent = "would_send" if dry_run else "sent"
    records = chunk.records
    found = [outcomes.get(rec.key) for rec in records]
    if all(type(outcome) is Ack for outcome in found):  # the common case: everything acknowledged
        if dry_run:  # live, the commit accounts for the acknowledged rows from the state it writes
            accounting.extend([(rec.key, sent, None, rec.row_hash) for rec in records])
        acked = [(rec.key, rec.row_hash, outcome.destination_id, state_json(outcome.state) if outcome.state else None)
                 for rec, outcome in zip(records, found, strict=True)]
        records = []
    account, ack = accounting.append, acked.append
    for rec, outcome in zip(records, found, strict=False):  # records is empty when all were acknowledged
        if outcome is None:
            outcome = Fail("the destination returned no result for this record")
        if isinstance(outcome, Ack):
            if dry_run:
                account((rec.key, sent, None, rec.row_hash))
            ack((rec.key, rec.row_hash, outcome.destination_id, state_json(outcome.state)))
        elif isinstance(outcome, Skip):
            result.rows_skipped += 1
            result.skip_reasons[outcome.reason] += 1
            account((rec.key, "skipped", outcome.reason, rec.row_hash))
        else:
            reason = redact(outcome.reason)
            result.rows_failed += 1
            result.fail_reasons[reason] += 1
            account((rec.key, "failed", reason, rec.row_hash))
            failed.append((rec.key, reason, rec.row_hash))
    result.rows_sent += len(acked)
    if dry_run:
        with state.db.transaction():
            state.record(accounting)
            state.progress(result.counts())
    else:
        state.commit(acked=acked, failed=failed, records=accounting, counts=result.counts(), known=chunk.known,
                     acked_status="sent")


COLLECT_EVERY_ROWS = 250_000


@contextlib.contextmanager
def _collector_paused() -> Iterator[Callable[[int], None]]:
    """The cyclic garbage collector paused while chunks are built, sent and committed. The caller reports
    each chunk's records to the callable it gets, which collects the young generations every
    ``COLLECT_EVERY_ROWS`` rows.

    A chunk holds about six container objects per row (the payload and its parts, the record, the item,
    the acknowledgement) and the pipeline keeps two chunks alive, so the automatic collector kept
    rescanning them: CPython runs a full collection each time the long-lived objects grow by a quarter.
    That was a quarter of a conversion API sync's CPU time. The engine's objects form no reference
    cycles (a test holds it so), reference counting frees them either way; the collection every
    ``COLLECT_EVERY_ROWS`` rows bounds what a cycle made elsewhere (an exception's traceback, the HTTP
    library) could hold. The collector is enabled again at the end, and left alone if something
    else had disabled it.
    """
    if not gc.isenabled():
        yield lambda rows: None
        return
    since = 0

    def done(rows: int) -> None:
        nonlocal since
        since += rows
        if since >= COLLECT_EVERY_ROWS:
            since = 0
            gc.collect(1)

    gc.disable()
    try:
        yield done
    finally:
        gc.enable()


def _send_chunks(config: SyncConfig, dest: Destination, state: SyncState, sender: Any, result: SyncResult,
                 dry_run: bool, chunk_size: int, pool: ThreadPoolExecutor | None,
                 preview: list[dict[str, Any]], would_hold: dict[str, str] | None = None) -> None:
    """Build, deliver and commit chunk after chunk. Live, chunk n+1 is read and built while chunk n is on the
    wire (one delivery thread), and each chunk commits once its own deliveries are done; a dry run is
    sequential so its outbox keeps the order of the rows."""
    if dry_run:
        with _collector_paused() as collect:
            for columns in state.rows_to_send(chunk_size):
                chunk = _build_chunk(dest, result, dry_run, columns, preview, would_hold)
                outcomes = _deliver(dest, sender, result, dry_run, chunk.records, (), pool) if chunk.records else {}
                _finish_chunk(state, result, dry_run, chunk, outcomes)
                collect(len(chunk.records))
        return
    delivery = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lc-delivery")
    pending: tuple[_Chunk, Any] | None = None
    try:
        with _collector_paused() as collect:
            for columns in state.rows_to_send(chunk_size):
                chunk = _build_chunk(dest, result, dry_run, columns, preview)
                future = delivery.submit(_deliver, dest, sender, result, dry_run, chunk.records, (), pool) \
                    if chunk.records else None
                if pending is not None:
                    _finish_chunk(state, result, dry_run, pending[0], pending[1].result() if pending[1] else {})
                    collect(len(pending[0].records))
                pending = (chunk, future)
            if pending is not None:
                _finish_chunk(state, result, dry_run, pending[0], pending[1].result() if pending[1] else {})
    finally:
        delivery.shutdown(wait=True, cancel_futures=True)


def _remove(config: SyncConfig, dest: Destination, state: SyncState, sender: Any, result: SyncResult,
            dry_run: bool, pool: ThreadPoolExecutor | None, would_hold: Mapping[str, str] | None = None
            ) -> None:
    gone = [Removal(k, d, parse_state(s)) for k, d, s in state.gone_rows()]
    # a key whose destination record another key in the segment holds (a contact merged under a new id,
    # same phone) only leaves the state: removing it would remove that contact from the destination.
    # Live, the state holds what was acknowledged so far in this run; a dry run takes, for each row it
    # would send, the record its payload names in place of what the state says (see Destination.payload_identity)
    sent = would_hold or {}  # filled by dry runs only
    held = {dest.removal_identity(d, parse_state(s)) for k, d, s in state.live_destination_rows() if k not in sent}
    held = (held | set(sent.values())) - {None}
    shared = [r for r in gone if dest.removal_identity(r.destination_id, r.previous) in held]
    if shared:
        reason = "left the segment; another key in the segment holds the same destination record"
        accounting_shared = [(r.key, "left", reason, None) for r in shared]
        result.rows_left += len(shared)
        if dry_run:
            with state.db.transaction():
                state.record(accounting_shared)
        else:
            state.commit(acked=(), failed=(), records=accounting_shared, removed=[r.key for r in shared],
                         counts=result.counts())
        keys = {r.key for r in shared}
        gone = [r for r in gone if r.key not in keys]
    chunk = _chunk_size(config, dest)
    for start in range(0, len(gone), chunk):
        removals = gone[start:start + chunk]
        outcomes = _deliver(dest, sender, result, dry_run, (), removals, pool)
        removed: list[str] = []
        failed: list[tuple[str, str, str | None]] = []
        accounting: list[tuple[str | None, str, str | None, str | None]] = []
        for rem in removals:
            outcome = outcomes.get(rem.key) or Fail("the destination returned no result for this removal")
            if isinstance(outcome, (Ack, Skip)):
                result.rows_removed += 1
                removed.append(rem.key)
                reason = outcome.reason if isinstance(outcome, Skip) else "left the segment"
                accounting.append((rem.key, "would_remove" if dry_run else "removed", reason, None))
            else:
                reason = redact(outcome.reason)
                result.removals_failed += 1
                result.fail_reasons[f"removal: {reason}"] += 1
                accounting.append((rem.key, "remove_failed", reason, None))
                failed.append((rem.key, f"removal: {reason}", None))
        if dry_run:
            with state.db.transaction():
                state.record(accounting)
        else:
            state.commit(acked=(), failed=failed, records=accounting, removed=removed, counts=result.counts())


def _deliver(dest: Destination, sender: Any, result: SyncResult, dry_run: bool, records: Sequence[Record],
             removals: Sequence[Removal], pool: ThreadPoolExecutor | None) -> dict[str, Outcome]:
    """Run the destination's phases for a chunk; a key's outcome is its first failure, else its merged ack."""
    final: dict[str, Outcome] = {}
    plan = dest.plan(records, removals)
    try:
        phase = next(plan)
    except StopIteration:
        return final
    while True:
        if final:  # a later phase: what failed or was skipped before goes no further
            phase.items = [i for i in phase.items if not isinstance(final.get(i.key), (Fail, Skip))]
        outcomes = _deliver_phase(dest, phase, sender, result, dry_run, pool) if phase.items else {}
        if not final:  # the first phase's outcomes are the outcomes so far
            final.update(outcomes)
        else:
            for key, outcome in outcomes.items():
                prior = final.get(key)
                if isinstance(outcome, (Fail, Skip)) or prior is None:
                    final[key] = outcome
                elif isinstance(prior, Ack) and isinstance(outcome, Ack):
                    merged_state = {**(prior.state or {}), **(outcome.state or {})}
                    final[key] = Ack(outcome.destination_id or prior.destination_id, merged_state or None)
        try:
            phase = plan.send(outcomes)
        except StopIteration:
            return final


def _deliver_phase(dest: Destination, phase: Phase, sender: Any, result: SyncResult, dry_run: bool,
                   pool: ThreadPoolExecutor | None) -> dict[str, Outcome]:
    custom = dest.deliver(phase, sender)
    if custom is not None:
        return custom
    size = min(phase.batch_size or dest.batch_size, dest.max_batch_size)
    batches = [phase.items[i:i + size] for i in range(0, len(phase.items), size)]
    if dry_run:
        for batch in batches:
            sender.send(dest.encode(phase, batch))
        return {i.key: Ack() for i in phase.items}

    send = functools.partial(_send_batch, dest, phase, sender, result)
    out: dict[str, Outcome] = {}
    if pool is None or len(batches) == 1:
        for batch in batches:
            out.update(send(batch))
    else:
        for got in pool.map(send, batches):
            out.update(got)
    return out


def _send_batch(dest: Destination, phase: Phase, sender: Any, result: SyncResult, items: list[Item]
                ) -> dict[str, Outcome]:
    """One batch request; a batch the destination rejects as a whole is split in halves until the bad records
    are alone. (A function of its own, not a closure calling itself: that closure is a reference cycle, which
    kept each chunk's payloads alive until the cyclic garbage collector ran.)"""
    request = dest.encode(phase, items)
    response = sender.send(request)
    try:
        return dest.interpret(phase, request, items, response)
    except BatchRejected as rejected:
        if len(items) == 1:
            return {items[0].key: Fail(rejected.reason)}
        with _split_lock:
            result.batches_split += 1
    mid = len(items) // 2
    return {**_send_batch(dest, phase, sender, result, items[:mid]),
            **_send_batch(dest, phase, sender, result, items[mid:])}


def _write_preview(result: SyncResult, sample: list[dict[str, Any]]) -> Path:
    preview = {
        "sync": result.sync_name, "destination": result.destination, "sync_run_id": result.sync_run_id,
        "mode": result.sync_mode,
        "counts": {"rows_total": result.rows_total, "would_send": result.rows_sent,
                   "unchanged": result.rows_unchanged, "skipped": result.rows_skipped,
                   "would_remove": result.rows_removed, "left_segment": result.rows_left,
                   "requests": result.requests},
        "skip_reasons": dict(result.skip_reasons),
        "sample": sample,
        "note": "personal fields are masked; the outbox holds the exact requests",
    }
    path = result.outbox_path.with_suffix(".preview.json")
    path.write_text(json.dumps(preview, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path
