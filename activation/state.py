"""Sync state, run log, per-record accounting and failures in the warehouse (``ops`` schema), on DuckDB and PostgreSQL.

The tables are defined once in :mod:`warehouse_io.ops`. What this module guarantees:

- **diff**: :meth:`SyncState.diff` hashes the mapped columns of every segment row in SQL (md5 over
  the columns' text, salted with the sync's payload-shaping settings) and compares the hashes with
  ``ops.sync_state``: a row is sent when it is new or its hash differs from what the destination last
  acknowledged, whatever changed (no timestamp watermark), and rows in the state but no longer in the
  segment are found in the same pass (a full outer join of the segment and the state).
- **commit**: :meth:`SyncState.commit` writes, in ONE transaction, the state of the records the
  destination acknowledged, their ``ops.sync_records`` accounting, the failures (with the
  destination's reason, attempts counted) and the run's counters. Nothing is written for records
  the destination did not acknowledge, so a crash between two commits loses no acknowledged work
  and the next run resends exactly what was not committed.
- **lock**: one run per sync at a time (``ops.sync_locks``); a lock whose process died (same host)
  or whose heartbeat is older than the lease is taken over, and the dead run is marked ``abandoned``.

All SQL here is portable (``?`` placeholders, ``md5``, ``concat_ws``, temporary tables, ``exists``).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from warehouse_io import SYNC_TABLES, Db, hash_expression, utcnow

LEASE = timedelta(minutes=15)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class SyncAlreadyRunning(RuntimeError):
    """Another run of the same sync holds its lock."""


@dataclass
class DiffCounts:
    total: int = 0
    to_send: int = 0
    unchanged: int = 0
    skipped_null_key: int = 0
    skipped_duplicate: int = 0
    gone: int = 0  # keys in the state that left the segment


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_dead(holder: str | None) -> bool:
    if not holder or ":" not in holder:
        return False
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not _pid_alive(int(pid))


RECORD_TYPES = {"sync_run_id": "varchar", "sync_name": "varchar", "record_key": "varchar", "status": "varchar",
                "reason": "varchar", "payload_hash": "varchar", "recorded_at": "timestamp"}
ACK_TYPES = {"record_key": "varchar", "payload_hash": "varchar", "destination_id": "varchar",
             "destination_state": "varchar"}
FAIL_TYPES = {"record_key": "varchar", "reason": "varchar"}
KEY_TYPES = {"record_key": "varchar"}


class SyncState:
    """The ops tables of one sync run on one open warehouse connection."""

    def __init__(self, db: Db, sync_name: str, run_id: str):
        self.db = db
        self.sync = sync_name
        self.run_id = run_id
        self.has_failures = True  # until ensure() has looked

    # --- setup, lock, run log --------------------------------------------------------------------
    def ensure(self) -> None:
        self.db.ensure_tables(SYNC_TABLES)
        self.has_failures = bool(self.db.query_one(
            "select count(*) from ops.sync_failures where sync_name = ?", [self.sync])[0])
        for name, types in (("_lc_acked", ACK_TYPES), ("_lc_failed", FAIL_TYPES), ("_lc_keys", KEY_TYPES)):
            self.db.create_temp_from_arrow(name, pa.table({c: pa.array([], pa.string()) for c in types}), types)

    def acquire(self) -> str | None:
        """Take the sync's lock; returns the run id of a dead run it took over (to mark abandoned)."""
        now = utcnow()
        with self.db.transaction():
            row = self.db.query_one("select sync_run_id, holder, heartbeat_at from ops.sync_locks where sync_name = ?",
                                    [self.sync])
            taken_over = None
            if row is not None:
                run_id, holder, heartbeat = row
                if not (_holder_dead(holder) or (heartbeat is not None and heartbeat < now - LEASE)):
                    raise SyncAlreadyRunning(
                        f"sync {self.sync} is already running (run {run_id} on {holder}, last progress "
                        f"{heartbeat:%Y-%m-%d %H:%M:%S} UTC); a lock without progress for {LEASE} is taken over")
                taken_over = run_id
                self.db.execute("delete from ops.sync_locks where sync_name = ?", [self.sync])
            self.db.execute("insert into ops.sync_locks (sync_name, sync_run_id, holder, acquired_at, heartbeat_at) "
                            "values (?, ?, ?, ?, ?)", [self.sync, self.run_id, HOLDER, now, now])
        return taken_over

    def release(self) -> None:
        self.db.execute("delete from ops.sync_locks where sync_name = ? and sync_run_id = ?", [self.sync, self.run_id])

    def mark_abandoned(self) -> int:
        """Earlier runs of this sync still 'running' died without finishing (their commits stand)."""
        rows = self.db.query("select sync_run_id from ops.sync_runs where sync_name = ? and status = 'running' "
                             "and sync_run_id <> ?", [self.sync, self.run_id])
        if rows:
            self.db.execute("update ops.sync_runs set status = 'abandoned', finished_at = coalesce(heartbeat_at, "
                            "started_at), error = 'the process running it stopped before the run finished; what it "
                            "committed stands, the rest was sent again by a later run' "
                            "where sync_name = ? and status = 'running' and sync_run_id <> ?", [self.sync, self.run_id])
        return len(rows)

    def start(self, destination: str, mode: str, started: datetime, source_relation: str | None = None) -> None:
        self.db.execute(
            "insert into ops.sync_runs (sync_run_id, sync_name, destination, mode, started_at, status, rows_total, "
            "rows_sent, rows_unchanged, rows_skipped, rows_failed, rows_removed, rows_left, requests, heartbeat_at, "
            "source_relation) values (?, ?, ?, ?, ?, 'running', 0, 0, 0, 0, 0, 0, 0, 0, ?, ?)",
            [self.run_id, self.sync, destination, mode, started, started, source_relation])

    def progress(self, counts: Mapping[str, int]) -> None:
        now = utcnow()
        sets = ", ".join(f"{k} = ?" for k in counts)
        self.db.execute(f"update ops.sync_runs set {sets}, heartbeat_at = ? where sync_run_id = ?",
                        [*counts.values(), now, self.run_id])
        self.db.execute("update ops.sync_locks set heartbeat_at = ? where sync_name = ? and sync_run_id = ?",
                        [now, self.sync, self.run_id])

    def finish(self, status: str, counts: Mapping[str, int], detail: Mapping[str, Any],
               outbox_path: str | None) -> None:
        sets = ", ".join(f"{k} = ?" for k in counts)
        now = utcnow()
        self.db.execute(f"update ops.sync_runs set {sets}, status = ?, finished_at = ?, heartbeat_at = ?, "
                        "detail = ?, outbox_path = ? where sync_run_id = ?",
                        [*counts.values(), status, now, now, json.dumps(detail, sort_keys=True), outbox_path,
                         self.run_id])

    def fail(self, error: str, counts: Mapping[str, int] | None = None) -> None:
        counts = dict(counts or {})
        sets = "".join(f"{k} = ?, " for k in counts)
        self.db.execute(f"update ops.sync_runs set {sets}status = 'failed', finished_at = ?, error = ? "
                        "where sync_run_id = ?", [*counts.values(), utcnow(), error[:2000], self.run_id])

    # --- diff ------------------------------------------------------------------------------------
    def diff(self, relation: str, key: str, columns: Sequence[str], salt: str) -> DiffCounts:
        """Classify every segment row and every state row in ONE pass (temporary table ``_lc_diff``).

        A full outer join of the segment's keys and hashes with the sync's state: ``in_segment = 1`` rows
        are the segment's (unchanged when the hashes match, else to send); ``in_segment = 0`` rows are keys
        the destination holds that left the segment.
        """
        row_hash = hash_expression(columns, salt, alias="seg")
        self.db.create_temp_table("_lc_diff", f"""
            select coalesce(d.record_key, st.record_key) as record_key, d.row_hash, st.payload_hash as state_hash,
                   coalesce(d.in_segment, 0) as in_segment
            from (select cast(seg.{key} as varchar) as record_key, {row_hash} as row_hash, 1 as in_segment
                  from {relation} as seg) as d
            full outer join (select record_key, payload_hash from ops.sync_state where sync_name = ?) as st
                on st.record_key = d.record_key""", [self.sync])
        total, keyed, distinct, unchanged, gone = self.db.query_one(
            "select coalesce(sum(in_segment), 0), count(case when in_segment = 1 then record_key end), "
            "count(distinct case when in_segment = 1 then record_key end), "
            "coalesce(sum(case when in_segment = 1 and state_hash = row_hash then 1 else 0 end), 0), "
            "coalesce(sum(1 - in_segment), 0) from _lc_diff")
        counts = DiffCounts(total=int(total), skipped_null_key=int(total) - int(keyed), gone=int(gone))
        self.db.create_temp_table("_lc_dups", "select record_key, count(*) as n from _lc_diff where in_segment = 1 "
                                              "and record_key is not null group by record_key having count(*) > 1"
                                  if keyed != distinct else
                                  "select record_key, 1 as n from _lc_diff where 1 = 0")
        if keyed != distinct:
            counts.skipped_duplicate = int(self.db.query_one("select coalesce(sum(n), 0) from _lc_dups")[0])
            unchanged = self.db.query_one(
                "select count(*) from _lc_diff where in_segment = 1 and state_hash = row_hash "
                "and record_key not in (select record_key from _lc_dups)")[0]
        counts.unchanged = int(unchanged)
        counts.to_send = counts.total - counts.unchanged - counts.skipped_null_key - counts.skipped_duplicate
        return counts

    def stage_rows_to_send(self, relation: str, key: str, columns: Sequence[str], salt: str) -> int:
        """Materialise the rows to send (new or changed), numbered in key order, for paging (``_lc_send``)."""
        cols = ", ".join(f"seg.{c}" for c in columns)
        self.db.create_temp_table("_lc_send", f"""
            select row_number() over (order by d.record_key) as lc_n, {cols},
                   d.record_key as lc_record_key, d.row_hash as lc_row_hash,
                   st.destination_id as lc_destination_id, st.destination_state as lc_destination_state,
                   case when d.state_hash is null then 0 else 1 end as lc_in_state
            from (select record_key, row_hash, state_hash from _lc_diff
                  where in_segment = 1 and record_key is not null
                    and (state_hash is null or state_hash <> row_hash)
                    and record_key not in (select record_key from _lc_dups)) as d
            join {relation} as seg
                on cast(seg.{key} as varchar) = d.record_key
            left join ops.sync_state as st
                on st.sync_name = ? and st.record_key = d.record_key""", [self.sync])
        if self.db.dialect == "postgres":
            self.db.execute("create index on _lc_send (lc_n)")
        return int(self.db.query_one("select count(*) from _lc_send")[0])

    def rows_to_send(self, chunk: int) -> Iterator[dict[str, list[Any]]]:
        """The staged rows, ``chunk`` at a time, as columns (name -> values): destinations that build
        payloads column-wise take them as they are, the others get rows (:meth:`Destination.build_many`)."""
        n = int(self.db.query_one("select count(*) from _lc_send")[0])
        for start in range(1, n + 1, chunk):
            table = self.db.query_arrow("select * from _lc_send where lc_n >= ? and lc_n < ? order by lc_n",
                                        [start, start + chunk])
            yield {name: column.to_pylist() for name, column in zip(table.column_names, table.columns, strict=True)
                   if name != "lc_n"}

    def gone_rows(self) -> list[tuple[str, str | None, str | None]]:
        return self.db.query(
            "select st.record_key, st.destination_id, st.destination_state from _lc_diff as d "
            "join ops.sync_state as st on st.sync_name = ? and st.record_key = d.record_key "
            "where d.in_segment = 0 order by st.record_key", [self.sync])

    def live_destination_rows(self) -> list[tuple[str, str | None, str | None]]:
        """(key, destination_id, destination_state) of the keys in the segment that the destination holds (state
        as committed so far, so rows acknowledged earlier in this run count)."""
        return self.db.query(
            "select st.record_key, st.destination_id, st.destination_state from _lc_diff as d "
            "join ops.sync_state as st on st.sync_name = ? and st.record_key = d.record_key "
            "where d.in_segment = 1", [self.sync])

    # --- commits ---------------------------------------------------------------------------------
    def _records_table(self, rows: Sequence[tuple[str | None, str, str | None, str | None]], now: datetime
                       ) -> pa.Table:
        n = len(rows)
        keys, statuses, reasons, hashes = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
        return pa.table({
            "sync_run_id": pa.array([self.run_id] * n, pa.string()),
            "sync_name": pa.array([self.sync] * n, pa.string()),
            "record_key": pa.array(keys, pa.string()),
            "status": pa.array(statuses, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "payload_hash": pa.array(hashes, pa.string()),
            "recorded_at": pa.array([now] * n, pa.timestamp("us")),
        })

    def record(self, rows: Sequence[tuple[str | None, str, str | None, str | None]]) -> None:
        """Append accounting rows (key, status, reason, hash) for this run."""
        self.db.insert_arrow("ops.sync_records", self._records_table(rows, utcnow()))

    def commit(self, *, acked: Sequence[tuple[str, str, str | None, str | None]],
               failed: Sequence[tuple[str, str, str | None]],
               records: Sequence[tuple[str | None, str, str | None, str | None]],
               removed: Sequence[str] = (), counts: Mapping[str, int] | None = None,
               known: set[str] | None = None, acked_status: str | None = None) -> None:
        """One transaction: acknowledged state, failures, accounting rows and the run's counters.

        ``acked``: (key, payload hash, destination id, destination state JSON);
        ``failed``: (key, reason, payload hash); ``removed``: keys removed from the destination; ``known``:
        keys that had a state row before this run (None: assume any may have one); ``acked_status``: when
        given, each acknowledged key is also accounted with that status here (``records`` leaves them out).
        """
        now = utcnow()
        with self.db.transaction():
            if acked:
                self.db.execute("delete from _lc_acked")
                self.db.insert_arrow("_lc_acked", pa.table({
                    "record_key": pa.array([a[0] for a in acked], pa.string()),
                    "payload_hash": pa.array([a[1] for a in acked], pa.string()),
                    "destination_id": pa.array([a[2] for a in acked], pa.string()),
                    "destination_state": pa.array([a[3] for a in acked], pa.string())}))
                if known is None or any(a[0] in known for a in acked):  # new keys have no state row to replace
                    self.db.execute("delete from ops.sync_state where sync_name = ? and record_key in "
                                    "(select record_key from _lc_acked)", [self.sync])
                self.db.execute("insert into ops.sync_state (sync_name, record_key, payload_hash, synced_at, "
                                "sync_run_id, destination_id, destination_state) select ?, record_key, payload_hash, "
                                "?, ?, destination_id, destination_state from _lc_acked", [self.sync, now, self.run_id])
                if self.has_failures:
                    self.db.execute("delete from ops.sync_failures where sync_name = ? and record_key in "
                                    "(select record_key from _lc_acked)", [self.sync])
                if acked_status:
                    self.db.execute("insert into ops.sync_records (sync_run_id, sync_name, record_key, status, reason, "
                                    "payload_hash, recorded_at) select ?, ?, record_key, ?, null, payload_hash, ? "
                                    "from _lc_acked", [self.run_id, self.sync, acked_status, now])
            if removed:
                self._keys(removed)
                self.db.execute("delete from ops.sync_state where sync_name = ? and record_key in "
                                "(select record_key from _lc_keys)", [self.sync])
                self.db.execute("delete from ops.sync_failures where sync_name = ? and record_key in "
                                "(select record_key from _lc_keys)", [self.sync])
            if failed:
                self.has_failures = True
                self.db.execute("delete from _lc_failed")
                self.db.insert_arrow("_lc_failed", pa.table({
                    "record_key": pa.array([f[0] for f in failed], pa.string()),
                    "reason": pa.array([f[1] for f in failed], pa.string())}))
                self.db.create_temp_table("_lc_failed_merged", """
                    select f.record_key, f.reason, coalesce(o.attempts, 0) + 1 as attempts,
                           coalesce(o.first_failed_at, ?) as first_failed_at
                    from _lc_failed as f
                    left join ops.sync_failures as o
                        on o.sync_name = ? and o.record_key = f.record_key""", [now, self.sync])
                self.db.execute("delete from ops.sync_failures where sync_name = ? and record_key in "
                                "(select record_key from _lc_failed)", [self.sync])
                self.db.execute("insert into ops.sync_failures (sync_name, record_key, reason, attempts, "
                                "first_failed_at, last_failed_at, sync_run_id) select ?, record_key, reason, "
                                "attempts, first_failed_at, ?, ? from _lc_failed_merged", [self.sync, now, self.run_id])
            if records:
                self.db.insert_arrow("ops.sync_records", self._records_table(records, now))
            if counts:
                self.progress(counts)

    def _keys(self, keys: Sequence[str]) -> None:
        self.db.execute("delete from _lc_keys")
        self.db.insert_arrow("_lc_keys", pa.table({"record_key": pa.array(list(keys), pa.string())}))

    def record_unchanged_and_skipped(self, *, live: bool) -> None:
        """Accounting rows for the rows the diff settled in SQL (unchanged, null or duplicate keys)."""
        now = utcnow()
        self.db.execute(
            "insert into ops.sync_records (sync_run_id, sync_name, record_key, status, reason, payload_hash, "
            "recorded_at) select ?, ?, record_key, 'unchanged', null, row_hash, ? from _lc_diff "
            "where in_segment = 1 and state_hash = row_hash and record_key not in (select record_key from _lc_dups)",
            [self.run_id, self.sync, now])
        self.db.execute(
            "insert into ops.sync_records (sync_run_id, sync_name, record_key, status, reason, payload_hash, "
            "recorded_at) select ?, ?, record_key, 'skipped', case when record_key is null then "
            "'the key column is null' else 'duplicate key: several segment rows share it' end, row_hash, ? "
            "from _lc_diff where in_segment = 1 and (record_key is null or record_key in "
            "(select record_key from _lc_dups))",
            [self.run_id, self.sync, now])
        if live:  # a row that failed before and now equals what the destination holds needs no retry
            self.db.execute("delete from ops.sync_failures where sync_name = ? and record_key in "
                            "(select record_key from _lc_diff where in_segment = 1 and state_hash = row_hash)",
                            [self.sync])

    def leave(self, reason: str, *, live: bool) -> int:
        """Rows that left the segment and stay as they are in the destination: accounted, state dropped."""
        now = utcnow()
        self.db.create_temp_table("_lc_gone", "select record_key, state_hash as payload_hash from _lc_diff "
                                  "where in_segment = 0")
        n = int(self.db.query_one("select count(*) from _lc_gone")[0])
        if not n:
            return 0
        self.db.execute(
            "insert into ops.sync_records (sync_run_id, sync_name, record_key, status, reason, payload_hash, "
            "recorded_at) select ?, ?, record_key, 'left', ?, payload_hash, ? from _lc_gone",
            [self.run_id, self.sync, reason, now])
        if live:
            for table in ("ops.sync_failures", "ops.sync_state"):
                self.db.execute(f"delete from {table} where sync_name = ? and record_key in "
                                "(select record_key from _lc_gone)", [self.sync])
        return n

    def drop_failures_of_departed(self) -> None:
        """Failures of rows that left the segment and the destination never held are moot."""
        self.db.execute(
            "delete from ops.sync_failures where sync_name = ? "
            "and not exists (select 1 from _lc_diff as d where d.record_key = sync_failures.record_key "
            "and d.in_segment = 1) "
            "and not exists (select 1 from ops.sync_state as st where st.sync_name = sync_failures.sync_name "
            "and st.record_key = sync_failures.record_key)", [self.sync])

    def prune_records(self, keep_runs: int) -> None:
        """Keep the per-record accounting of the latest ``keep_runs`` runs of this sync."""
        self.db.execute(
            "delete from ops.sync_records where sync_name = ? and sync_run_id not in (select sync_run_id from "
            "(select sync_run_id from ops.sync_runs where sync_name = ? order by started_at desc limit ?) as keep)",
            [self.sync, self.sync, keep_runs])


_STATE_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False, default=str)


def state_json(state: Mapping[str, Any] | None) -> str | None:
    """The destination's memory of a record, as JSON (destinations build it in a fixed key order)."""
    return None if not state else _STATE_ENCODER.encode(state if isinstance(state, dict) else dict(state))


def parse_state(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
