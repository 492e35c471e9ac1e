"""Activation throughput: the sync engine end to end against local servers speaking each vendor's contract.

Scenarios (each in a fresh process, so its peak memory is its own; the destination server runs in
another process, as a real destination would be on another machine):

1. ``hubspot``: 100,000 segment rows -> a HubSpot batch/upsert server (100 inputs a request), live,
   end to end: read, diff, build, send, commit state. Target >= 10,000 rows/s.
2. ``capi``: 100,000 conversion events -> a Meta Conversions API server (1,000 events a request), live,
   with Meta's normalisation and SHA-256 hashing. Target >= 30,000 events/s.
3. ``diff``: a 1,000,000-row segment whose state is current, 1% of rows changed: the diff (hash every
   row in SQL, compare with the state, find the changed and the removed rows). Target < 3 s.

Each prints rows/s, seconds, the sync process's CPU seconds (all its threads: what the engine costs,
whatever share of the two cores the server on the same machine takes), peak memory (RSS of the sync's
process, before the floor) and the ratio to a floor measured in the same process:
reading the same segment once from the warehouse into Python rows (what any sync must at least do).
The real HubSpot allows 100-190 requests per 10 s (1,000-1,900 rows/s), so the benchmark lifts the
sync's rate limit: it measures the engine, not the vendor's quota.

    .venv/bin/python bench/bench_activation.py [hubspot|capi|diff ...] [--rows N]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TARGETS = {"hubspot": ("rows/s", 10_000, ">="), "capi": ("events/s", 30_000, ">="), "diff": ("s", 3.0, "<")}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(kind: str, port_q: mp.Queue, stop: mp.Event) -> None:
    from destinations.hubspot import HubSpotServer
    from destinations.meta_capi import MetaCapiServer

    srv = HubSpotServer() if kind == "hubspot" else MetaCapiServer()
    srv.keep_bodies = False
    with srv:
        port_q.put((srv.url, ))
        stop.wait()
        port_q.put(len(srv.state()))


def _cpu_seconds() -> float:
    """CPU time of this process, every thread (DuckDB's included): the sync's own cost, which the contract
    server's share of the machine's two cores does not change."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _floor(target, relation: str) -> float:
    began = time.perf_counter()
    with target.open(read_only=True) as db:
        rows = db.query_arrow(f"select * from {relation} order by 1").to_pylist()
    assert rows
    return time.perf_counter() - began


def _make_segment(db, relation: str, n: int, kind: str) -> None:
    db.execute("create schema if not exists segments")
    if kind == "capi":
        now = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=2)
        db.execute(f"""create or replace table {relation} as
            select 'purchase:' || i as event_id, case when i % 3 = 0 then 'Purchase' else 'Lead' end as event_name,
                   timestamp '{now:%Y-%m-%d %H:%M:%S}' - interval (i % 3600) second as event_time,
                   case when i % 3 = 0 then 10 + (i % 90) end::decimal(18,2) as value,
                   case when i % 3 = 0 then 'USD' end as currency, 'c' || (i // 2) as contact_id,
                   'buyer' || (i // 2) || '@example.com' as email, '+1650555' || lpad(((i // 2) % 10000)::varchar, 4, '0') as phone,
                   'Ann' as first_name, 'Lee' as last_name, 'US' as country_code
            from range({n}) t(i)""")
    else:
        db.execute(f"""create or replace table {relation} as
            select 'c' || lpad(i::varchar, 8, '0') as contact_id, 'lead' || i || '@example.com' as email,
                   '+4477009' || lpad((i % 100000)::varchar, 5, '0') as phone, 'Ann' as first_name,
                   'Smith' as last_name, case when i % 4 = 0 then 'Payment' else 'Hot Lead' end as current_stage,
                   timestamp '2026-01-01' + interval (i) second as current_stage_entered_at
            from range({n}) t(i)""")


def _sync_config(kind: str, url: str):
    from activation.config import parse_sync

    if kind == "capi":
        body = {"source": {"model": "seg_bench", "key": "event_id"},
                "destination": {"type": "meta_capi", "base_url": url, "default_region": "US"}, "mode": "append",
                "mapping": {"event_id": "event_id", "event_name": "event_name", "event_time": "event_time",
                            "value": "value", "currency": "currency", "em": "email", "ph": "phone", "fn": "first_name",
                            "ln": "last_name", "country": "country_code", "external_id": "contact_id"}}
    else:
        body = {"source": {"model": "seg_bench", "key": "contact_id"},
                "destination": {"type": "hubspot", "base_url": url, "stage_column": "current_stage",
                                "lifecycle_stages": {"Hot Lead": "salesqualifiedlead", "Payment": "opportunity"}},
                "mode": "upsert", "mapping": {"email": "email", "firstname": "first_name", "lastname": "last_name",
                                              "phone": "phone"}}
    body.update({"concurrency": 4, "rate_limit": {"requests": 1_000_000, "per_seconds": 1}})
    return parse_sync(body, Path(f"bench_{kind}.yml"))


def bench_sync(kind: str, n: int, out: mp.Queue) -> None:
    from destinations.hubspot import TOKEN as HUBSPOT_TOKEN
    from destinations.meta_capi import DATASET
    from destinations.meta_capi import TOKEN as META_TOKEN

    from activation import run_sync
    from warehouse_io import WarehouseTarget

    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(kind, port_q, stop), daemon=True)
    server.start()
    (url,) = port_q.get(timeout=120)
    with tempfile.TemporaryDirectory() as tmp:
        target = WarehouseTarget.duckdb(Path(tmp) / "bench.duckdb")
        with target.open() as db:
            _make_segment(db, "segments.seg_bench", n, kind)
        creds = {"access_token": META_TOKEN, "dataset_id": DATASET} if kind == "capi" else {"access_token": HUBSPOT_TOKEN}
        config = _sync_config(kind, url)
        began, cpu_began = time.perf_counter(), _cpu_seconds()
        result = run_sync(config, warehouse=target, dry_run=False, credentials=creds)
        seconds, cpu = time.perf_counter() - began, _cpu_seconds() - cpu_began
        again = time.perf_counter()
        second = run_sync(config, warehouse=target, dry_run=False, credentials=creds)
        unchanged_seconds = time.perf_counter() - again
        peak = _peak_mb()  # before the floor, which holds every row as Python objects at once
        floor = _floor(target, "segments.seg_bench")
    stop.set()
    delivered = port_q.get(timeout=60)
    server.join(timeout=30)
    assert result.rows_sent == n and delivered == n, (result.summary(), delivered)
    assert second.rows_sent == 0 and second.rows_unchanged == n
    out.put({"kind": kind, "rows": n, "seconds": seconds, "rate": n / seconds, "floor": floor,
             "requests": result.requests, "peak_mb": peak, "rerun_seconds": unchanged_seconds, "cpu_seconds": cpu})


def bench_diff(n: int, out: mp.Queue) -> None:
    from activation.state import SyncState
    from warehouse_io import WarehouseTarget, hash_expression

    with tempfile.TemporaryDirectory() as tmp:
        target = WarehouseTarget.duckdb(Path(tmp) / "bench.duckdb")
        columns = ["contact_id", "email", "phone", "first_name", "last_name", "current_stage",
                   "current_stage_entered_at"]
        salt = "bench"
        with target.open() as db:
            _make_segment(db, "segments.seg_bench", n, "hubspot")
            state = SyncState(db, "bench", "run-0")
            state.ensure()
            db.execute(f"""insert into ops.sync_state (sync_name, record_key, payload_hash, synced_at, sync_run_id)
                select 'bench', contact_id, {hash_expression(columns, salt)}, now(), 'run-0'
                from segments.seg_bench""")
            # 1% changed, in a column that is no timestamp; 0.1% removed
            db.execute("update segments.seg_bench set first_name = 'Changed' where hash(contact_id) % 100 = 0")
            db.execute("delete from segments.seg_bench where hash(contact_id) % 1000 = 1")
            db.execute("checkpoint")
        with target.open() as db:
            state = SyncState(db, "bench", "run-1")
            state.ensure()
            began = time.perf_counter()
            counts = state.diff("segments.seg_bench", "contact_id", columns, salt)
            to_send = state.stage_rows_to_send("segments.seg_bench", "contact_id", columns, salt)
            gone = state.gone_rows()
            seconds = time.perf_counter() - began
        peak = _peak_mb()
        floor = _floor(target, "segments.seg_bench")
    assert counts.to_send == to_send and 0.009 * n < to_send < 0.011 * n and len(gone) == counts.gone > 0
    out.put({"kind": "diff", "rows": n, "seconds": seconds, "rate": n / seconds, "floor": floor,
             "changed": to_send, "removed": len(gone), "peak_mb": peak})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    scenarios = ("hubspot", "capi", "diff")
    # no choices= here: argparse checks a nargs="*" default list against the choices as one value and refuses it
    parser.add_argument("scenarios", nargs="*", default=list(scenarios), help=f"any of {', '.join(scenarios)} (default: all)")
    parser.add_argument("--rows", type=int, default=None, help="rows per scenario (default 100,000; diff 1,000,000)")
    args = parser.parse_args()
    unknown = [s for s in args.scenarios if s not in scenarios]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(scenarios)}")
    ctx = mp.get_context("spawn")
    status = 0
    for kind in args.scenarios:
        q = ctx.Queue()
        n = args.rows or (1_000_000 if kind == "diff" else 100_000)
        proc = ctx.Process(target=bench_diff if kind == "diff" else bench_sync,
                           args=(n, q) if kind == "diff" else (kind, n, q))
        proc.start()
        r = q.get(timeout=3600)
        proc.join()
        unit, target, op = TARGETS[kind]
        value = r["seconds"] if kind == "diff" else r["rate"]
        ok = value < target if op == "<" else value >= target
        status |= 0 if ok else 1
        extra = (f"{r['changed']:,} changed, {r['removed']:,} removed" if kind == "diff" else
                 f"{r['requests']:,} requests; re-run with no change {r['rerun_seconds']:.2f} s; "
                 f"the sync's CPU {r['cpu_seconds']:.2f} s, {r['rows'] / r['cpu_seconds']:,.0f} rows per CPU-second")
        print(f"{kind:8s} {r['rows']:>9,} rows  {r['seconds']:6.2f} s  {r['rate']:>9,.0f} rows/s  "
              f"floor (read the segment once) {r['floor']:.2f} s -> {r['seconds'] / r['floor']:.1f}x floor  "
              f"peak {r['peak_mb']:,.0f} MB  [{extra}]  target {op} {target:,} {unit}: {'OK' if ok else 'MISSED'}",
              flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
