"""Benchmark the file drop's strict CSV reader and a whole folder load, as ratios to floors measured here.

    .venv/bin/python bench/bench_file_drop.py                 # 200,000 contacts
    .venv/bin/python bench/bench_file_drop.py --rows 1000000

Floors (same data, same run): Python's C ``csv.reader`` over the decoded text (what the lenient reader
used) for the reader; DuckDB's own ``read_csv`` into a table for the whole load (parse, validate,
merge). Prints seconds, the ratio to the floor, and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from ingestion.file_drop.loader import load_folder  # noqa: E402
from ingestion.file_drop.reading import read_csv  # noqa: E402


def make_csv(rows: int, quoted_every: int = 10) -> bytes:
    out = io.StringIO()
    out.write("contact_external_id,email,phone,first_name,last_name,channel,country_code,created_at\n")
    for i in range(rows):
        name = f'"Doe, Jane {i}"' if i % quoted_every == 0 else f"Jane{i}"
        out.write(f"C{i},person{i}@example.com,+4915100{i:06d},{name},Doe,whatsapp,DE,2024-05-01T10:00:00Z\n")
    return out.getvalue().encode()


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=200_000)
    args = p.parse_args(argv)
    data = make_csv(args.rows)

    floor_reader = timed(lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))))
    ours_reader = timed(lambda: sum(1 for _ in read_csv(data)[1]))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "crm"
        folder.mkdir()
        (folder / "contacts.csv").write_bytes(data)
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        floor_load = timed(lambda: con.execute(
            f"create table contacts as select * from read_csv('{folder / 'contacts.csv'}', all_varchar=true)"))
        con.close()
        ours_load = timed(lambda: load_folder(folder, Path(tmp) / "w.duckdb"))

    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"{'step':<34} {'rows':>10} {'seconds':>9} {'floor s':>9} {'ratio':>7}")
    print(f"{'strict reader vs csv.reader':<34} {args.rows:>10,} {ours_reader:>9.2f} {floor_reader:>9.2f} "
          f"{ours_reader / floor_reader:>7.1f}")
    print(f"{'load_folder vs DuckDB read_csv':<34} {args.rows:>10,} {ours_load:>9.2f} {floor_load:>9.2f} "
          f"{ours_load / floor_load:>7.1f}")
    print(f"peak memory {peak_gb:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
