"""`lifecycle segments ...` and `lifecycle sync ...`: segments and syncs for people who do not write SQL.

Segments are read through :func:`activation.segments.segment_reader`; syncs run through the same
engine and destination resources as the Dagster assets (credentials read from the environment now,
live unless ``--dry-run``). Exit codes: 0 success, 1 failure, 2 bad usage or configuration, 3 a sync
that ran but had rows rejected by the destination (kept in ops.sync_failures, retried next run).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warehouse_io import WarehouseError, WarehouseTarget


def _target(path: Path) -> WarehouseTarget:
    return WarehouseTarget.from_environment(path)


def _manifest() -> Path | None:
    from orchestration.dbt import DEFAULT_TARGET_PATH

    manifest = DEFAULT_TARGET_PATH / "manifest.json"
    return manifest if manifest.exists() else None


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    text = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) if text else len(h) for i, h in enumerate(headers)]
    widths = [min(w, 48) for w in widths]

    def line(cells: Sequence[str]) -> str:
        return "  ".join((c if len(c) <= w else c[:w - 1] + "…").ljust(w) for c, w in zip(cells, widths, strict=True))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in text)])


def _fail(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


# ------------------------------------------------------------------------------------------------
# segments
# ------------------------------------------------------------------------------------------------
def segments_command(args: Any, warehouse: Path) -> int:
    from activation import segments

    if args.segments_command == "generate":
        try:
            changed = segments.generate(check=args.check)
        except segments.SegmentDefinitionError as exc:
            return _fail(str(exc), 2)
        if args.check:
            if changed:
                return _fail("not current (run `lifecycle segments generate`): " + ", ".join(changed))
            print("generated segment models are current")
            return 0
        print("wrote " + ", ".join(changed) if changed else "generated segment models were already current")
        return 0
    target = _target(warehouse)
    try:
        if args.segments_command == "list":
            listed = segments.list_segments(target, _manifest())
            if not listed:
                print("No segments in the warehouse yet: run `lifecycle run` first.")
                return 0
            print(_table([(s.name.removeprefix("seg_"), s.rows, s.description[:90]) for s in listed],
                         ["segment", "rows", "description"]))
            return 0
        if args.segments_command == "preview":
            total, rows = segments.preview(target, args.name, args.limit, args.show_personal_data, _manifest())
            print(f"{args.name}: {total} rows" + ("" if args.show_personal_data else
                                                  " (personal data masked; --show-personal-data to see it)"))
            if rows:
                cols = list(rows[0])
                print(_table([[r[c] for c in cols] for r in rows], cols))
            return 0
        if args.segments_command == "export":
            name = args.name.removeprefix("seg_")
            out = Path(args.output) if args.output else Path.cwd() / f"{name}.{args.format}"
            n = segments.export(target, args.name, out, args.format)
            print(f"wrote {n} rows of {args.name} to {out}")
            return 0
    except (LookupError, FileNotFoundError, WarehouseError) as exc:
        return _fail(str(exc))
    return 2


# ------------------------------------------------------------------------------------------------
# sync
# ------------------------------------------------------------------------------------------------
def _syncs(args: Any):
    from activation import load_syncs

    folder = args.syncs or os.environ.get("LIFECYCLE_SYNCS_DIR") or None
    return load_syncs(folder)


def _runs(target: WarehouseTarget, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    try:
        with target.open(read_only=True) as db:
            if not db.relation_exists("ops", "sync_runs"):
                return []
            return db.query(sql, params)
    except (FileNotFoundError, WarehouseError):
        return []


def _publish_runs(target: WarehouseTarget) -> None:
    """Publish the serving copy again so the dashboards show the run (as the Dagster sync asset does);
    skipped while a pipeline run holds the warehouse: that run publishes when its build succeeds."""
    if target.dialect != "duckdb" or target.path is None:
        return
    import warehouse_io

    try:
        with warehouse_io.writer_lock(target.path, wait=0, purpose="lifecycle sync run publishing the serving copy"):
            warehouse_io.publish_serving(target.path)
    except (warehouse_io.WarehouseBusy, WarehouseError, OSError):
        pass


def sync_command(args: Any, warehouse: Path) -> int:
    from activation import DestinationError, SegmentMissing, SyncAlreadyRunning, SyncConfigError, run_sync

    try:
        syncs = _syncs(args)
    except SyncConfigError as exc:
        return _fail(f"invalid sync configuration:\n{exc}", 2)
    target = _target(warehouse)
    if args.sync_command == "list":
        last = {r[0]: r[1:] for r in _runs(target, """
            select sync_name, status, mode, finished_at, rows_total, rows_sent, rows_failed from ops.sync_runs r
            where started_at = (select max(started_at) from ops.sync_runs x where x.sync_name = r.sync_name)""")}
        rows = []
        for name, s in sorted(syncs.items()):
            run = last.get(name)
            rows.append((name, s.destination_type, s.mode, s.source.model, s.schedule or "with the pipeline",
                         "yes" if s.enabled else "no",
                         f"{run[0]} ({run[1]}) {run[2]:%Y-%m-%d %H:%M}: {run[4]}/{run[3]} sent, {run[5]} failed"
                         if run and run[2] else (run[0] if run else "never")))
        print(_table(rows, ["sync", "destination", "mode", "segment", "schedule", "enabled", "last run"]))
        return 0
    if args.sync_command == "run":
        import logging

        if not getattr(args, "verbose", False):  # the summary is printed below; the log line would repeat it
            logging.getLogger("activation").setLevel(logging.WARNING)
        sync = syncs.get(args.name)
        if sync is None:
            return _fail(f"no sync {args.name!r} (syncs: {', '.join(sorted(syncs)) or 'none'})", 2)
        from activation.destinations import destination_class

        # the same values the destination resource reads in Dagster: the variables the destination declares
        # (read now, never stored), the outbox folder of LIFECYCLE_OUTBOX_DIR or beside the warehouse
        specs = destination_class(sync.destination_type).credential_specs
        credentials = {c.name: v for c in specs if (v := os.environ.get(c.env))}
        folder = os.environ.get("LIFECYCLE_OUTBOX_DIR")
        outbox = Path(folder) if folder else (target.path.parent if target.path else Path.cwd() / "warehouse") / "outbox"
        try:
            result = run_sync(sync, warehouse=target, dry_run=args.dry_run,
                              credentials={} if args.dry_run else credentials, outbox_dir=outbox)
        except (DestinationError, SegmentMissing, SyncAlreadyRunning, LookupError, WarehouseError) as exc:
            _publish_runs(target)  # the failed run, for the dashboards
            return _fail(f"sync {args.name} failed: {exc}")
        _publish_runs(target)
        print(result.summary())
        if result.skip_reasons:
            print("skipped: " + "; ".join(f"{n} x {r}" for r, n in result.skip_reasons.most_common()))
        if result.fail_reasons:
            print("rejected by the destination (retried next run): " +
                  "; ".join(f"{n} x {r}" for r, n in result.fail_reasons.most_common(5)))
        if result.outbox_path:
            print(f"outbox (the exact requests): {result.outbox_path}")
            preview = json.loads(result.preview_path.read_text(encoding="utf-8"))
            print("sample (masked):")
            for item in preview["sample"]:
                print("  " + json.dumps(item, ensure_ascii=False, default=str)[:300])
        return 3 if result.status == "partial" else 0
    if args.sync_command == "status":
        if not args.name:
            rows = _runs(target, """
                select sync_name, mode, status, started_at, rows_total, rows_sent, rows_unchanged, rows_skipped,
                       rows_failed, rows_removed, requests
                from ops.sync_runs order by started_at desc limit 30""")
            if not rows:
                print("No sync has run yet.")
                return 0
            print(_table([(r[0], r[1], r[2], f"{r[3]:%Y-%m-%d %H:%M:%S}", *r[4:]) for r in rows],
                         ["sync", "mode", "status", "started (UTC)", "rows", "sent", "unchanged", "skipped",
                          "failed", "removed", "requests"]))
            return 0
        runs = _runs(target, """
            select sync_run_id, mode, status, started_at, rows_total, rows_sent, rows_unchanged, rows_skipped,
                   rows_failed, rows_removed, rows_left, requests, error
            from ops.sync_runs where sync_name = ? order by started_at desc limit 10""", [args.name])
        if not runs:
            print(f"Sync {args.name} has not run yet.")
            return 0 if args.name in syncs else _fail(f"no sync {args.name!r}", 2)
        print(_table([(r[0][:8], r[1], r[2], f"{r[3]:%Y-%m-%d %H:%M:%S}", *r[4:12]) for r in runs],
                     ["run", "mode", "status", "started (UTC)", "rows", "sent", "unchanged", "skipped", "failed",
                      "removed", "left", "requests"]))
        if runs[0][12]:
            print(f"\nlast error: {runs[0][12]}")
        failures = _runs(target, """
            select reason, count(*), max(attempts), min(record_key) from ops.sync_failures where sync_name = ?
            group by reason order by count(*) desc limit 10""", [args.name])
        if failures:
            print("\nrows the destination rejects (retried on every run until they succeed or leave the segment):")
            print(_table(failures, ["reason", "rows", "max attempts", "e.g. key"]))
        return 0
    return 2
