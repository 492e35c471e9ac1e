"""Benchmark the demo generator: rows and seconds per size, optionally the write into a temporary DuckDB.

    .venv/bin/python bench/bench_demo.py                       # 5,000 and 100,000 contacts
    .venv/bin/python bench/bench_demo.py --contacts 1000000 --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestion.demo import DemoConfig, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--contacts", type=int, nargs="+", default=[5000, 100_000], help="sizes to generate")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    p.add_argument("--write", action="store_true", help="also time the write into a temporary DuckDB file")
    p.add_argument("--tables", action="store_true", help="print the row count of every table")
    args = p.parse_args(argv)

    header = f"{'contacts':>10} {'rows':>12} {'gen s':>8} {'cpu s':>8} {'rows/s':>12}"
    if args.write:
        header += f" {'write s':>8} {'rows/s':>12}"
    header += f" {'max RSS GB':>10}"
    print(header)
    for n in args.contacts:
        cfg = DemoConfig(n_contacts=n, seed=args.seed, end_date=args.end_date)
        t0, c0 = time.perf_counter(), time.process_time()
        frames = generate(cfg)
        gen, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows = sum(len(df) for df in frames.values())
        line = f"{n:>10,} {rows:>12,} {gen:>8.2f} {cpu:>8.2f} {rows / gen:>12,.0f}"
        if args.write:
            import warehouse_io
            from ingestion import raw_tables

            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                with warehouse_io.connect(Path(tmp) / "bench.duckdb") as con:
                    raw_tables.ensure_raw_tables(con)
                    for name, df in frames.items():
                        warehouse_io.replace_rows(con, raw_tables.table(name), df)
                wr = time.perf_counter() - t0
            line += f" {wr:>8.2f} {rows / wr:>12,.0f}"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        print(line + f" {rss:>10.2f}", flush=True)
        if args.tables:
            for name, df in frames.items():
                print(f"    {name:<42} {len(df):>12,}")
        del frames
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
