"""`lifecycle`: the one entry point a person uses.

    lifecycle demo        generate the demo data, run the whole pipeline, then serve the dashboards
    lifecycle run         run the pipeline (ingest -> dbt build -> activation) without serving
    lifecycle dashboard   serve the dashboards on the existing warehouse
    lifecycle dagster     open the Dagster UI (lineage, runs, schedules) on this project

    lifecycle segments list                       the segments, their size and what they are
    lifecycle segments preview NAME               the first rows (personal data masked unless --show-personal-data)
    lifecycle segments export NAME --format csv   the whole segment as a CSV or Parquet file
    lifecycle segments generate [--check]         YAML segments (activation/segments/) -> dbt models
    lifecycle sync list                           the syncs (activation/syncs/*.yml) and their last run
    lifecycle sync run NAME [--dry-run]           run one sync now (live, unless --dry-run)
    lifecycle sync status [NAME]                  runs, counts and failures with the destination's reasons

`lifecycle run` drives the Dagster jobs of :mod:`orchestration.definitions` in process; its options
become the run configuration of the resources (warehouse, source mode, drop folder, demo size), so
the same graph runs with the same code whatever the source.

`lifecycle run` holds the warehouse's writer lock for the whole run: a second run on the same
warehouse refuses at once with one line (or waits, with ``--wait SECONDS``). An expected failure
ends with one line naming the source, the request and the problem, no traceback. Exit codes: 0
success, 1 failed, 2 usage or configuration error, 3 partial (some input was not loaded), 75 busy
(:mod:`orchestration.exit_codes`).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.dbt import PROJECT_ROOT
from orchestration.exit_codes import EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from warehouse_io import WAREHOUSE_ENV, resolve_path

log = logging.getLogger("lifecycle")
DEFAULT_API_DAYS = 28


def _instance():
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def pipeline_run_config(source: str, warehouse: Path, *, files: Path | None = None, contacts: int | None = None,
                        seed: int | None = None, end_date: date | None = None) -> dict[str, Any]:
    """The run configuration of the resources for one `lifecycle run`."""
    resources: dict[str, Any] = {
        "warehouse": {"config": {"path": str(warehouse)}},
        "sources": {"config": {"mode": source}},
    }
    if files is not None:
        resources["file_drop"] = {"config": {"folder": str(files)}}
    if source == "demo":
        demo: dict[str, Any] = {"end_date": (end_date or datetime.now(UTC).date()).isoformat()}
        if contacts is not None:
            demo["contacts"] = contacts
        if seed is not None:
            demo["seed"] = seed
        resources["demo"] = {"config": demo}
    return {"resources": resources}


def _partition_windows(source: str, run_config: dict[str, Any], start: date | None,
                       end: date | None) -> dict[str, tuple[date, date]]:
    """The days each partitioned source loads before the pipeline: the demo's window, or the API range."""
    from ingestion.sources import SOURCES
    from orchestration.assets.ingestion import DAILY, PARTITIONED_SOURCES
    from orchestration.resources import DEMO_SOURCES, DemoResource

    first_day = DAILY.start.date()
    windows: dict[str, tuple[date, date]] = {}
    for name in PARTITIONED_SOURCES:
        if source == "demo" and name in DEMO_SOURCES:
            config = DemoResource(**run_config["resources"]["demo"]["config"]).config()
            from ingestion.demo import window

            begin_s, end_s = window(config)
            begin, last = date(1970, 1, 1) + timedelta(seconds=begin_s), config.end_date - timedelta(days=1)
        elif source == "api" and SOURCES[name].is_configured():
            last = end or (datetime.now(UTC).date() - timedelta(days=1))
            begin = start or (last - timedelta(days=DEFAULT_API_DAYS - 1))
        else:
            continue
        windows[name] = (max(begin, first_day), last)
    return windows


class PipelineFailed(Exception):
    """The run did not succeed; ``str()`` is the one line for the user, ``code`` the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


def run_pipeline(source: str, warehouse: Path, *, files: Path | None = None, contacts: int | None = None,
                 seed: int | None = None, start: date | None = None, end: date | None = None,
                 verbose: bool = False, wait: float = 0.0, full_refresh: bool = False) -> str | None:
    """Ingest the chosen source, build every dbt model and test, then run the activation syncs.

    Holds the warehouse's writer lock throughout (waiting up to ``wait`` seconds for it). Raises
    :class:`PipelineFailed` with one line when the run fails; returns a line naming what was not
    loaded when the run was partial, else None. ``full_refresh`` rebuilds the incremental models from scratch.
    """
    import warehouse_io

    # checked before Dagster and dbt load (seconds): a busy warehouse or a SQLite file is said at once
    try:
        warehouse_io.check_warehouse_file(warehouse)
        lock = warehouse_io.writer_lock(warehouse, wait=wait, purpose=f"`lifecycle run --source {source}`")
        lock.__enter__()
    except warehouse_io.WarehouseBusy as exc:
        raise PipelineFailed(warehouse_io.redact(exc), EXIT_BUSY) from None
    except warehouse_io.WarehouseError as exc:
        raise PipelineFailed(warehouse_io.redact(exc)) from None
    try:
        from orchestration.console import expected_errors, one_line

        began = warehouse_io.utcnow()
        try:
            _run_jobs(source, warehouse, files=files, contacts=contacts, seed=seed, start=start, end=end,
                      verbose=verbose, full_refresh=full_refresh)
        except expected_errors() as exc:
            raise PipelineFailed(one_line(exc)) from None
        return _partial_line(warehouse, began)
    finally:
        lock.__exit__(None, None, None)


def _partial_line(warehouse: Path, since: datetime) -> str | None:
    """What the ingest runs since ``since`` could not load, in one line, or None when nothing is missing."""
    import duckdb

    import warehouse_io

    try:
        with warehouse_io.connect(warehouse, read_only=True) as con:
            rows = con.execute("select source, detail from ops.ingest_runs where started_at >= ? and status = 'partial' "
                               "order by started_at", [since]).fetchall()
    except (duckdb.Error, FileNotFoundError):
        return None
    if not rows:
        return None
    return "; ".join(f"{src}: {(detail or '').splitlines()[0]}" for src, detail in rows)


def _run_jobs(source: str, warehouse: Path, *, files: Path | None, contacts: int | None, seed: int | None,
              start: date | None, end: date | None, verbose: bool, full_refresh: bool = False) -> None:
    from orchestration.console import console_run_config, failure_line
    from orchestration.project import prepare_dbt_project
    from warehouse_io import resolve_path

    if source == "api":
        from ingestion.sources import API_SOURCES

        if not any(spec.is_configured() for spec in API_SOURCES.values()):
            needed = "; ".join(f"{s.name}: {', '.join(s.required_env)}" for s in API_SOURCES.values())
            raise PipelineFailed(f"lifecycle run --source api: no API connector is configured. Set the credentials "
                                 f"of at least one source ({needed}).", EXIT_USAGE)
    try:  # parsed with the warehouse var the build passes: the build then parses partially
        prepare_dbt_project(resolve_path(warehouse))
    except Exception as exc:  # noqa: BLE001 - dbt parse failed: its first error line is the message
        raise PipelineFailed(_parse_failure_line(exc), EXIT_USAGE) from None
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB

    run_config = {**pipeline_run_config(source, warehouse, files=files, contacts=contacts, seed=seed),
                  **console_run_config(verbose)}
    instance = _instance()
    for name, (first, last) in _partition_windows(source, run_config, start, end).items():
        # one run over the whole range (the assets have a single-run backfill policy)
        result = defs.resolve_job_def(f"{name}_daily").execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False,
            tags={"dagster/asset_partition_range_start": first.isoformat(),
                  "dagster/asset_partition_range_end": last.isoformat()})
        if not result.success:
            raise PipelineFailed(f"loading {name} ({first} to {last}) failed: {failure_line(result)}")
    if full_refresh:  # only the pipeline job has the dbt build
        run_config = {**run_config, "ops": {**run_config.get("ops", {}),
                                            "lifecycle_dbt_assets": {"config": {"full_refresh": True}}}}
    result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(run_config=run_config, instance=instance,
                                                                   raise_on_error=False)
    if not result.success:
        raise PipelineFailed(failure_line(result))


def _parse_failure_line(exc: BaseException) -> str:
    """dbt parse failed (a var with a bad value, a broken model): the line that says why."""
    from warehouse_io import redact

    lines = [" ".join(line.split()) for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        low = line.lower()
        if "error" in low and ("var" in low or "compilation" in low or "parsing" in low):
            return redact(f"dbt could not parse the project: {line[:500]}")
    return redact(f"dbt could not parse the project: {lines[-1][:500]}" if lines else
                  f"dbt could not parse the project ({type(exc).__name__})")


def _summary(path: Path) -> str:
    """Counts from the serving copy the pipeline just published (what the dashboards show)."""
    import duckdb

    import warehouse_io

    serving = warehouse_io.serving_path(path)
    if not serving.exists():
        return "no marts published yet"
    con = warehouse_io.open_duckdb(serving, read_only=True)
    try:
        parts = []
        for label, sql in (("contacts", "select count(*) from marts.dim_contacts"),
                           ("funnel report rows", "select count(*) from marts.rpt_lifecycle_funnel"),
                           ("hot leads", "select count(*) from segments.seg_hot_leads")):
            try:
                parts.append(f"{con.execute(sql).fetchone()[0]} {label}")
            except duckdb.Error:
                parts.append(f"no {label}")
        return ", ".join(parts)
    finally:
        con.close()


def serve_dashboard(port: int, warehouse: Path, host: str = "127.0.0.1") -> int:
    app = PROJECT_ROOT / "dashboards" / "app.py"
    print(f"Dashboards: http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(port), "--server.address", host, "--browser.gatherUsageStats", "false"]
    try:  # the dashboards are another process: they get the warehouse through their environment
        return subprocess.call(cmd, cwd=PROJECT_ROOT, env={**os.environ, WAREHOUSE_ENV: str(warehouse)})
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lifecycle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", help=f"DuckDB file (default ${WAREHOUSE_ENV} or warehouse/lifecycle.duckdb)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate demo data, run the pipeline, serve the dashboards")
    demo.add_argument("--contacts", type=int, default=None, help="demo size (default 5000)")
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--port", type=int, default=8501)
    demo.add_argument("--no-serve", action="store_true", help="stop after the pipeline")

    run = sub.add_parser("run", help="run the pipeline without serving")
    run.add_argument("--source", choices=["demo", "files", "api"], default="demo")
    run.add_argument("--files", help="file-drop folder (with --source files)")
    run.add_argument("--contacts", type=int, default=None, help="demo size (with --source demo)")
    run.add_argument("--seed", type=int, default=None)
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the incremental models from scratch (after changing a var that reshapes history)")
    run.add_argument("--start", type=date.fromisoformat, help="first day to backfill (time-sliced API sources)")
    run.add_argument("--end", type=date.fromisoformat, help="last day to backfill (time-sliced API sources)")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait this long for another run on the same warehouse to finish (default: refuse at once)")

    dash = sub.add_parser("dashboard", help="serve the dashboards on the existing warehouse")
    dash.add_argument("--port", type=int, default=8501)

    dag = sub.add_parser("dagster", help="open the Dagster UI on this project")
    dag.add_argument("--port", type=int, default=3000)

    seg = sub.add_parser("segments", help="list, preview, export and generate segments")
    seg_sub = seg.add_subparsers(dest="segments_command", required=True)
    seg_sub.add_parser("list", help="the segments, their size and description")
    prev = seg_sub.add_parser("preview", help="the first rows of a segment")
    prev.add_argument("name", help="segment name, with or without seg_ (e.g. hot_leads)")
    prev.add_argument("--limit", type=int, default=10)
    prev.add_argument("--show-personal-data", action="store_true", help="do not mask e-mails, phones and names")
    exp = seg_sub.add_parser("export", help="write the whole segment to a file")
    exp.add_argument("name")
    exp.add_argument("--format", choices=["csv", "parquet"], required=True)
    exp.add_argument("--output", help="file to write (default <name>.<format> in the current folder)")
    gen = seg_sub.add_parser("generate", help="turn activation/segments/*.yml into dbt models")
    gen.add_argument("--check", action="store_true", help="only report generated files that are not current")

    syn = sub.add_parser("sync", help="list, run and inspect the activation syncs")
    syn.add_argument("--syncs", help="folder of sync files (default $LIFECYCLE_SYNCS_DIR or activation/syncs)")
    syn_sub = syn.add_subparsers(dest="sync_command", required=True)
    syn_sub.add_parser("list", help="the syncs and their last run")
    srun = syn_sub.add_parser("run", help="run one sync now (live: its destination's credentials must be set)")
    srun.add_argument("name")
    srun.add_argument("--dry-run", action="store_true", help="write the exact requests to the outbox, send nothing")
    stat = syn_sub.add_parser("status", help="recent runs (all syncs, or one in detail)")
    stat.add_argument("name", nargs="?")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    path = resolve_path(args.warehouse)

    if args.command in {"demo", "run"}:
        source = "demo" if args.command == "demo" else args.source
        files = getattr(args, "files", None)
        if args.command == "run" and files and source != "files":
            parser.error("--files goes with --source files")
        files = files or (os.environ.get("LIFECYCLE_FILES_DIR") if source == "files" else None)
        if source == "files" and not files:
            parser.error("--source files needs --files DIR (or LIFECYCLE_FILES_DIR)")
        folder = Path(files).expanduser().resolve() if files else None
        if folder is not None and not folder.is_dir():
            parser.error(f"--files {files}: not a folder")
        began = time.monotonic()
        try:
            partial = run_pipeline(source, path, files=folder, contacts=args.contacts, seed=args.seed,
                                   start=getattr(args, "start", None), end=getattr(args, "end", None),
                                   verbose=args.verbose, wait=getattr(args, "wait", 0.0),
                                   full_refresh=getattr(args, "full_refresh", False))
        except PipelineFailed as exc:
            print(f"lifecycle {args.command} failed: {exc}", file=sys.stderr, flush=True)
            return exc.code
        print(f"Pipeline finished in {time.monotonic() - began:.0f} s: {_summary(path)}. Warehouse: {path}",
              flush=True)
        if partial:
            print(f"lifecycle {args.command} partial: some input was not loaded: {partial}", file=sys.stderr,
                  flush=True)
        if args.command == "demo" and not args.no_serve:
            return serve_dashboard(args.port, path)
        return EXIT_PARTIAL if partial else EXIT_OK
    if args.command == "dashboard":
        if not path.exists():
            print(f"No warehouse at {path} yet: run `lifecycle run` first.", file=sys.stderr)
            return EXIT_FAILED
        return serve_dashboard(args.port, path)
    if args.command == "segments":
        from orchestration.activation_cli import segments_command

        return segments_command(args, path)
    if args.command == "sync":
        from orchestration.activation_cli import sync_command

        return sync_command(args, path)
    if args.command == "dagster":
        from orchestration.project import prepare_dbt_project

        prepare_dbt_project()
        bindir = Path(sys.executable).parent
        # dagster dev's code server runs under another interpreter path: give it this environment's tools
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
               WAREHOUSE_ENV: str(path)}
        return subprocess.call([str(bindir / "dagster"), "dev", "-m", "orchestration.definitions",
                                "-p", str(args.port)], cwd=PROJECT_ROOT, env=env)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
