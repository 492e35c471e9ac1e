"""Dashboard page timings: every page of dashboards/app.py PAGES, on the default demo and at 100,000 contacts.

For each warehouse size, builds the demo business (demo data + ``dbt build``, as bench_attribution does) in a
temp folder, then runs every page once through Streamlit's AppTest with the query cache cleared, timing
(a) the SQL the page ran (every ``ReadOnlyWarehouse.query`` call: open the serving copy, run, fetch) and
(b) the whole page run (SQL + pandas + charts, as the server does it). Targets (issue 10, printed, not
asserted): under 0.5 s per page on the demo, under 2 s at 100,000 contacts. The floor is one round trip of
``select 1`` through the same read-only handle (what any query costs at least); the ratio is the page's SQL
time over (its number of queries x the floor): how much of the time is real work rather than opening the file.
Pages are read from the app (tests/dashboard_helpers.app_pages), so pages added later are timed too.

    .venv/bin/python bench/bench_dashboards.py                      # 5,000 and 100,000 contacts
    .venv/bin/python bench/bench_dashboards.py --contacts 5000      # the default demo only
    .venv/bin/python bench/bench_dashboards.py --warehouse path.duckdb   # an already built warehouse
    .venv/bin/python bench/bench_dashboards.py --warehouse path.duckdb --contacts 1000000   # ... of this size
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TARGETS = {5000: 0.5, 100_000: 2.0}  # seconds per page; other sizes use the nearest


def _target(contacts: int | None) -> float:
    if contacts is None:
        return TARGETS[5000]
    return TARGETS[min(TARGETS, key=lambda size: abs(size - contacts))]


def build(folder: Path, contacts: int) -> Path:
    import warehouse_io
    from ingestion import raw_tables
    from ingestion.demo import DemoConfig, write_demo
    from orchestration.dbt import run_dbt

    path = folder / "bench.duckdb"
    began = time.perf_counter()
    with warehouse_io.connect(path) as con:
        raw_tables.ensure_raw_tables(con)
        write_demo(con, DemoConfig(n_contacts=contacts, seed=7, end_date=dt.date(2026, 6, 30)))
    run_dbt(["build"], warehouse=path, target_path=folder / "target")
    print(f"  built {contacts:,} contacts in {time.perf_counter() - began:.0f} s", flush=True)
    return path


def time_pages(path: Path, contacts: int | None, repeats: int) -> list[tuple]:
    from dashboard_helpers import APP, app_pages
    from streamlit.testing.v1 import AppTest

    from dashboards import queries
    from dashboards.warehouse_access import ReadOnlyWarehouse

    os.environ["LIFECYCLE_WAREHOUSE"] = str(path)
    spent: list[float] = []
    original = ReadOnlyWarehouse.query

    def timed(self, sql, params=()):
        began = time.perf_counter()
        try:
            return original(self, sql, params)
        finally:
            spent.append(time.perf_counter() - began)

    handle = ReadOnlyWarehouse(path)
    handle.query("select 1")  # publishes the serving copy when the warehouse has none yet
    floor = statistics.median(_once(handle) for _ in range(20))
    rows = []
    ReadOnlyWarehouse.query = timed
    try:
        for page in app_pages():
            sql_times, page_times, counts, trouble = [], [], [], ""
            for _ in range(repeats):
                at = AppTest.from_file(str(APP), default_timeout=300)
                if not page.default:
                    at.run()  # the default page first, as a browser opens the app; then time the switch
                queries.clear_caches()
                spent.clear()
                began = time.perf_counter()
                (at.switch_page(page.file) if not page.default else at).run()
                page_times.append(time.perf_counter() - began)
                sql_times.append(sum(spent))
                counts.append(len(spent))
                problems = [*at.exception, *at.error, *at.warning]
                if problems:
                    trouble = str(getattr(problems[0], "value", problems[0]))[:60]
            sql, whole, n = min(sql_times), min(page_times), max(counts)
            rows.append((contacts, page.title, n, sql, whole, _target(contacts), floor, trouble))
    finally:
        ReadOnlyWarehouse.query = original
    return rows


def _once(handle) -> float:
    began = time.perf_counter()
    handle.query("select 1")
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--contacts", type=int, nargs="+",
                   help="warehouse sizes to build (default 5,000 and 100,000); with --warehouse, its size "
                        "(for the target: the nearest of the issue's sizes)")
    p.add_argument("--warehouse", type=Path, help="time this built warehouse instead of building any")
    p.add_argument("--repeats", type=int, default=3, help="runs per page (the fastest is reported)")
    args = p.parse_args(argv)

    rows: list[tuple] = []
    if args.warehouse:
        rows += time_pages(args.warehouse.resolve(), args.contacts[0] if args.contacts else None, args.repeats)
    else:
        for n in args.contacts or [5000, 100_000]:
            print(f"== {n:,} contacts", flush=True)
            with tempfile.TemporaryDirectory(prefix="bench_dashboards_") as folder:
                rows += time_pages(build(Path(folder), n), n, args.repeats)

    print(f"{'contacts':>9} {'page':<24} {'queries':>7} {'SQL s':>7} {'page s':>7} {'target':>7} "
          f"{'':>4} {'floor ms':>8} {'x floor':>7}  note")
    for contacts, title, n, sql, whole, target, floor, trouble in rows:
        size = f"{contacts:,}" if contacts else "given"
        verdict = "ok" if whole < target else "SLOW"
        ratio = sql / (n * floor) if n and floor else float("nan")
        print(f"{size:>9} {title:<24} {n:>7} {sql:>7.3f} {whole:>7.3f} {target:>7.1f} {verdict:>4} "
              f"{floor * 1000:>8.2f} {ratio:>7.1f}  {trouble}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
