"""`lifecycle`: the one entry point a person uses.

    lifecycle demo        generate the demo data, run the whole pipeline, then serve the dashboards
    lifecycle run         run the pipeline (ingest -> dbt build -> activation) without serving
    lifecycle dashboard   serve the dashboards on the existing warehouse
    lifecycle dagster     open the Dagster UI (lineage, runs, schedules) on this project
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from lifecycle.warehouse import PROJECT_ROOT, WAREHOUSE_ENV, warehouse_path

log = logging.getLogger("lifecycle")


def _set_warehouse(path: str | None) -> Path:
    if path:
        os.environ[WAREHOUSE_ENV] = path
    resolved = warehouse_path()
    os.environ[WAREHOUSE_ENV] = str(resolved)  # absolute for dbt, Dagster and Streamlit alike
    return resolved


def _instance():
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def run_pipeline(source: str, *, files: str | None = None, contacts: int | None = None, seed: int | None = None,
                 start: date | None = None, end: date | None = None) -> None:
    """Ingest the chosen source, build every dbt model and test, then run the activation syncs."""
    os.environ["LIFECYCLE_SOURCE"] = source
    if files:
        folder = Path(files).expanduser().resolve()
        if not folder.is_dir():
            raise SystemExit(f"lifecycle run: --files {files}: not a folder")
        os.environ["LIFECYCLE_FILES_DIR"] = str(folder)
    if contacts is not None:
        os.environ["LIFECYCLE_DEMO_CONTACTS"] = str(contacts)
    if seed is not None:
        os.environ["LIFECYCLE_DEMO_SEED"] = str(seed)

    from lifecycle.dbt import ensure_manifest

    ensure_manifest()
    from orchestration.definitions import defs, ingestion
    from orchestration.jobs import PIPELINE_JOB

    if source == "api" and not ingestion:
        from lifecycle.connectors import CONNECTORS

        needed = "; ".join(f"{c.name}: {', '.join(c.required_env)}" for c in CONNECTORS.values())
        raise SystemExit(f"lifecycle run --source api: no API connector is configured. Set the credentials of "
                         f"at least one source ({needed}).")
    instance = _instance()
    for asset in ingestion:
        if asset.partitions_def is None:
            continue
        last = end or (date.today() - timedelta(days=1))
        first = start or (last - timedelta(days=27))
        job = defs.resolve_job_def(f"{asset.node_def.name.removesuffix('_source')}_daily")
        # one run over the whole range (the assets have a single-run backfill policy)
        job.execute_in_process(instance=instance, tags={"dagster/asset_partition_range_start": first.isoformat(),
                                                        "dagster/asset_partition_range_end": last.isoformat()})
    result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(instance=instance)
    if not result.success:
        raise SystemExit("lifecycle run: the pipeline failed (see the log above)")


def _summary(path: Path) -> str:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        parts = []
        for label, sql in (("contacts", "select count(*) from marts.dim_contacts"),
                           ("funnel report rows", "select count(*) from marts.rpt_lifecycle_funnel"),
                           ("hot leads", "select count(*) from marts.seg_hot_leads")):
            try:
                parts.append(f"{con.execute(sql).fetchone()[0]} {label}")
            except duckdb.Error:
                parts.append(f"no {label}")
        return ", ".join(parts)
    finally:
        con.close()


def serve_dashboard(port: int, host: str = "127.0.0.1") -> int:
    app = PROJECT_ROOT / "dashboards" / "app.py"
    print(f"Dashboards: http://{host}:{port}  (Ctrl+C to stop)", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(port), "--server.address", host, "--browser.gatherUsageStats", "false"]
    try:
        return subprocess.call(cmd, cwd=PROJECT_ROOT)
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
    run.add_argument("--start", type=date.fromisoformat, help="first day to backfill (time-sliced API sources)")
    run.add_argument("--end", type=date.fromisoformat, help="last day to backfill (time-sliced API sources)")

    dash = sub.add_parser("dashboard", help="serve the dashboards on the existing warehouse")
    dash.add_argument("--port", type=int, default=8501)

    dag = sub.add_parser("dagster", help="open the Dagster UI on this project")
    dag.add_argument("--port", type=int, default=3000)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    path = _set_warehouse(args.warehouse)

    if args.command in {"demo", "run"}:
        source = "demo" if args.command == "demo" else args.source
        if args.command == "run" and args.files and source != "files":
            parser.error("--files goes with --source files")
        if source == "files" and not (getattr(args, "files", None) or os.environ.get("LIFECYCLE_FILES_DIR")):
            parser.error("--source files needs --files DIR (or LIFECYCLE_FILES_DIR)")
        began = time.monotonic()
        run_pipeline(source, files=getattr(args, "files", None), contacts=args.contacts, seed=args.seed,
                     start=getattr(args, "start", None), end=getattr(args, "end", None))
        print(f"Pipeline finished in {time.monotonic() - began:.0f} s: {_summary(path)}. Warehouse: {path}",
              flush=True)
        if args.command == "demo" and not args.no_serve:
            return serve_dashboard(args.port)
        return 0
    if args.command == "dashboard":
        if not path.exists():
            print(f"No warehouse at {path} yet: run `lifecycle run` first.", file=sys.stderr)
            return 1
        return serve_dashboard(args.port)
    if args.command == "dagster":
        from lifecycle.dbt import ensure_manifest

        ensure_manifest()
        bindir = Path(sys.executable).parent
        # dagster dev's code server runs under another interpreter path: give it this environment's tools
        env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
        return subprocess.call([str(bindir / "dagster"), "dev", "-m", "orchestration.definitions",
                                "-p", str(args.port)], cwd=PROJECT_ROOT, env=env)
    return 2


if __name__ == "__main__":
    sys.exit(main())
