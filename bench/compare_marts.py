"""Compare the marts of two warehouses row for row (a refactor must not change a single row).

    python bench/compare_marts.py --build after.duckdb [--contacts 5000 --seed 42 --end-date 2026-11-23]
    python bench/compare_marts.py BEFORE.duckdb AFTER.duckdb [--schemas marts intermediate]

``--build`` generates the demo business with the current code into a new warehouse and runs
``dbt build`` on it (the same thing ``lifecycle run --source demo`` does, with a fixed end date so two
builds on different days are comparable). The comparison prints, per table, the rows of each side and
the rows found on one side only (multiset difference, ``except all`` both ways; floating-point values
compared to 9 significant digits, since parallel aggregation sums doubles in a varying order), and exits 1
when any table differs, is missing on one side, or has other columns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(path: Path, contacts: int, seed: int, end_date: dt.date) -> None:
    import warehouse_io
    from ingestion import raw_tables
    from ingestion.demo import DemoConfig, write_demo
    from orchestration.dbt import run_dbt

    started = time.monotonic()
    with warehouse_io.connect(path) as con:
        raw_tables.ensure_raw_tables(con)
        write_demo(con, DemoConfig(n_contacts=contacts, seed=seed, end_date=end_date))
    run_dbt(["build"], warehouse=path, target_path=path.parent / f"{path.stem}_target")
    print(f"built {path} ({contacts} people, seed {seed}, ending {end_date}) in {time.monotonic() - started:.0f} s")


def _tables(con: duckdb.DuckDBPyConnection, alias: str, schemas: list[str]) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_catalog = ? and table_schema in ({', '.join('?' * len(schemas))}) "
        "order by table_schema, table_name, ordinal_position", [alias, *schemas]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        out.setdefault(f"{schema}.{table}", []).append((column, data_type))
    return out


def _select_list(columns: list[tuple[str, str]]) -> str:
    """Columns to compare; floating-point values to 9 significant digits (parallel sums differ in the last bits)."""
    parts = []
    for name, data_type in columns:
        if data_type in ("DOUBLE", "FLOAT", "REAL"):
            parts.append(f'case when "{name}" = 0 or "{name}" is null or isnan("{name}") or isinf("{name}") then "{name}" '
                         f'else round("{name}", 8 - cast(floor(log10(abs("{name}"))) as integer)) end as "{name}"')
        else:
            parts.append(f'"{name}"')
    return ", ".join(parts)


def compare(before: Path, after: Path, schemas: list[str]) -> int:
    con = duckdb.connect()
    con.execute(f"attach '{before}' as a (read_only)")
    con.execute(f"attach '{after}' as b (read_only)")
    left, right = _tables(con, "a", schemas), _tables(con, "b", schemas)
    differing = 0
    print(f"{'table':55} {'rows before':>12} {'rows after':>11} {'only before':>12} {'only after':>11}")
    for name in sorted(set(left) | set(right)):
        if name not in left or name not in right:
            differing += 1
            print(f"{name:55} {'missing before' if name not in left else 'missing after'}")
            continue
        if left[name] != right[name]:
            differing += 1
            print(f"{name:55} columns differ: {sorted(set(left[name]) ^ set(right[name])) or 'order'}")
            continue
        cols = _select_list(left[name])
        n_a = con.execute(f"select count(*) from a.{name}").fetchone()[0]
        n_b = con.execute(f"select count(*) from b.{name}").fetchone()[0]
        only_a = con.execute(f"select count(*) from (select {cols} from a.{name} except all "
                             f"select {cols} from b.{name})").fetchone()[0]
        only_b = con.execute(f"select count(*) from (select {cols} from b.{name} except all "
                             f"select {cols} from a.{name})").fetchone()[0]
        differing += bool(only_a or only_b)
        print(f"{name:55} {n_a:>12,} {n_b:>11,} {only_a:>12,} {only_b:>11,}")
    total = len(set(left) | set(right))
    print(f"\n{total - differing} of {total} tables identical row for row; {differing} differ")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="*", type=Path, help="BEFORE.duckdb AFTER.duckdb")
    parser.add_argument("--build", type=Path, help="build the demo warehouse with the current code at this path")
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 23))
    parser.add_argument("--schemas", nargs="+", default=["marts"])
    args = parser.parse_args(argv)
    if args.build:
        build(args.build.resolve(), args.contacts, args.seed, args.end_date)
    if len(args.warehouses) == 2:
        return compare(args.warehouses[0].resolve(), args.warehouses[1].resolve(), args.schemas)
    if not args.build:
        parser.error("give BEFORE and AFTER warehouses, or --build PATH")
    return 0


if __name__ == "__main__":
    sys.exit(main())
