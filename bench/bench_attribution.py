"""Build time of the attribution and customer-value models against the rest of the dbt project.

Generates the demo business (``--contacts``, default 5,000), runs ``dbt build`` once, and reads
``run_results.json``: the time spent in the new folders (ad performance, attribution, customer value,
campaigns, customers, crm), with the Python models separately, as ratios to the time of the lifecycle engine
(the floor measured in the same run), plus the peak memory of the dbt process.

    .venv/bin/python bench/bench_attribution.py [--contacts 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path

import warehouse_io
from ingestion import raw_tables
from ingestion.demo import DemoConfig, write_demo
from orchestration.dbt import run_dbt

NEW = ("ad_performance", "attribution", "customer_value", "campaigns", "customers", "crm")
FLOOR = ("lifecycle",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        with warehouse_io.connect(path) as con:
            raw_tables.ensure_raw_tables(con)
            write_demo(con, DemoConfig(n_contacts=args.contacts, seed=7, end_date=dt.date(2026, 6, 30)))
        started = time.perf_counter()
        run_dbt(["build"], warehouse=path, target_path=Path(folder) / "target")
        total = time.perf_counter() - started
        results = json.loads((Path(folder) / "target" / "run_results.json").read_text())["results"]
    by_group: dict[str, float] = {"new_sql": 0.0, "new_python": 0.0, "new_tests": 0.0, "floor": 0.0, "all": 0.0}
    for r in results:
        uid, seconds = r["unique_id"], float(r["execution_time"])
        by_group["all"] += seconds
        parts = uid.split(".")
        is_new = any(k in uid for k in (*NEW, "rfm", "customer_", "deal_stage"))
        if uid.startswith("model.") and is_new:
            python = parts[-1] in ("int_attribution__markov_removal_effects", "int_customer_value__predictions")
            by_group["new_python" if python else "new_sql"] += seconds
        elif is_new:
            by_group["new_tests"] += seconds
        elif uid.startswith("model.") and any(f"{name}__" in uid or f"fct_{name}" in uid for name in FLOOR):
            by_group["floor"] += seconds
    floor = by_group["floor"] or 1e-9
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"contacts={args.contacts} dbt build wall {total:.1f} s; summed node time {by_group['all']:.1f} s")
    print(f"floor (lifecycle engine models) {floor:.2f} s")
    for key in ("new_sql", "new_python", "new_tests"):
        print(f"{key:>11}: {by_group[key]:6.2f} s  = {by_group[key] / floor:5.2f} x floor")
    print(f"peak memory of the dbt process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
