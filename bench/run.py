"""Run every benchmark in bench/ but the scale one (``make bench``) and print their figures (on demand)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name == "bench_scale.py":  # millions of rows by default: `make bench` runs it on its own
            continue
        print(f"== {script.name}", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    sys.exit(status)
