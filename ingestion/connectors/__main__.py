"""``python -m ingestion.connectors <name> [--warehouse PATH] [--start YYYY-MM-DD] [--end YYYY-MM-DD]``.

Runs one connector against the warehouse and prints its one-line summary (counts only). ``list``
shows the registered connectors and whether their environment variables are set. Exit code 0 on
success, 1 when the run failed, 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

import warehouse_io
from ingestion.runs import ConfigError
from ingestion.sources import SOURCES


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.connectors", description=__doc__.split("\n")[0])
    parser.add_argument("name", help="connector name, or 'list'")
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default $LIFECYCLE_WAREHOUSE)")
    parser.add_argument("--start", type=_date, default=None, help="backfill from this day (inclusive)")
    parser.add_argument("--end", type=_date, default=None, help="backfill up to this day (inclusive)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    if args.name == "list":
        for name, spec in SOURCES.items():
            state = "configured" if spec.is_configured() else "missing " + ", ".join(spec.missing_env())
            print(f"{name:12} {spec.raw_schema:16} {state}")
        return 0
    spec = SOURCES.get(args.name)
    if spec is None:
        print(f"unknown connector {args.name!r}; known: {', '.join(sorted(SOURCES))}", file=sys.stderr)
        return 2
    if not spec.is_configured():
        print(f"{spec.name} is not configured: set {', '.join(spec.missing_env())}", file=sys.stderr)
        return 2
    if args.start and args.end and args.start > args.end:
        print("--start is after --end", file=sys.stderr)
        return 2
    wh = args.warehouse or warehouse_io.warehouse_path()
    log = logging.getLogger(f"ingestion.connectors.{spec.name}")
    try:
        result = spec.run(wh, start=args.start, end=args.end, log=log)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the message is already free of tokens (ApiError scrubs)
        print(f"{spec.name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
