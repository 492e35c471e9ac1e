"""End-to-end benchmark: generate the demo data and run the full pipeline, as `make pipeline` does.

Prints the wall time of each phase (demo generation + load, dbt build with tests, activation dry run)
and the total, on a fresh warehouse in a temp folder. Target (issue 2): under 3 minutes on 2 cores.

    python bench/bench_pipeline.py [--contacts 5000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the temp warehouse")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(folder / "lifecycle.duckdb"),
           "LIFECYCLE_OUTBOX_DIR": str(folder / "outbox")}
    lifecycle = str(Path(sys.executable).parent / "lifecycle")
    began = time.monotonic()
    proc = subprocess.run([lifecycle, "run", "--source", "demo", "--contacts", str(args.contacts)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    total = time.monotonic() - began
    if proc.returncode != 0:
        print((proc.stdout + proc.stderr)[-4000:])
        return proc.returncode
    steps = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        # Dagster logs "STEP_SUCCESS - Finished execution of step "x" in 12.3s."
        if "Finished execution of step" in line and " in " in line:
            step = line.split('step "')[1].split('"')[0]
            steps[step] = line.rsplit(" in ", 1)[1].rstrip(".")
    print(f"contacts: {args.contacts}")
    for step, took in steps.items():
        print(f"  {step:<32} {took}")
    print(f"total wall time (incl. start-up and dbt parse check): {total:.1f} s  (target < 180 s)")
    print(proc.stdout.strip().splitlines()[-1])
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
