"""``python -m ingestion.connectors <name> [--warehouse PATH] [--start YYYY-MM-DD] [--end YYYY-MM-DD]``.

Runs one connector against the warehouse and prints its one-line summary (counts only). ``list``
shows the registered connectors and whether their environment variables are set. Exit codes: 0
success, 1 the run failed (one line says why), 2 usage or configuration error, 3 partial (the run
finished but some input was not loaded, e.g. a file of the drop folder failed), 75 the warehouse is
busy (another run writes to it). The same codes as ``lifecycle run``.
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

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_BUSY = 0, 1, 2, 3, 75


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
        with warehouse_io.writer_lock(wh, purpose=f"`python -m ingestion.connectors {spec.name}`"):
            result = spec.run(wh, start=args.start, end=args.end, log=log)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except warehouse_io.WarehouseBusy as exc:
        print(f"{spec.name}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as exc:  # noqa: BLE001 - one line, tokens scrubbed (ApiError) and personal values redacted
        print(f"{spec.name} failed: {warehouse_io.safe_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(result.summary())
    if getattr(result, "partial", False):
        print(f"{spec.name}: partial: some input was not loaded (see the lines above)", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
