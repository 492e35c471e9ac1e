"""CSV / Parquet file export: a file that always equals the segment, or one delta file per run.

- ``mode: mirror``: ``<path>/<file_name>.<format>`` holds exactly the segment's current rows (the mapped
  columns, in key order). It is written first, to a temporary file renamed over the old one, so a
  reader never sees half a file and a failed write changes no state.
- ``mode: append``: every run writes the rows that are new or changed since the last run to
  ``<path>/<file_name>/<run start>_<chunk number>_<random>.<format>``, one file per committed chunk, whose
  names sort in the order they were written (a feed for tools that load increments in name order).

A dry run writes nothing there: the outbox holds the file it would write (CSV as text, Parquet as
base64). Column names are the mapping's keys.
"""

from __future__ import annotations

import io
import itertools
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import field_validator

from activation.destinations.base import Ack, Destination, Outcome, Phase, Settings, Skip
from activation.http import Request


class FileSettings(Settings):
    path: str
    format: Literal["csv", "parquet"] = "csv"
    file_name: str | None = None

    @field_validator("file_name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and (not v or "/" in v or v.startswith(".")):
            raise ValueError("expected a plain file name without a folder or extension")
        return v


def encode_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> bytes:
    data = {c: [_plain(r.get(c)) for r in rows] for c in columns}
    table = pa.table({c: pa.array(v) if any(x is not None for x in v) else pa.array(v, pa.string())
                      for c, v in data.items()}) if rows else pa.table({c: pa.array([], pa.string()) for c in columns})
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf)
    else:
        pacsv.write_csv(table, buf)
    return buf.getvalue()


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (datetime, date)):
        return v
    return v


class FileDestination(Destination):
    kind = "file"
    settings_model = FileSettings
    max_batch_size = 10_000_000
    modes = ("mirror", "append")
    uses_http = False

    settings: FileSettings

    def __post_init__(self) -> None:
        super().__post_init__()
        self._chunk_numbers = itertools.count(1)  # next() is atomic: concurrent senders get distinct numbers

    @classmethod
    def check(cls, config, settings: FileSettings) -> list[str]:
        if not config.mapping:
            return ["mapping: missing (name the columns to export: file column: segment column)"]
        return []

    @property
    def needs_snapshot(self) -> bool:
        return self.config.mode == "mirror"

    def _target(self) -> Path:
        return Path(self.settings.path).expanduser() / f"{self.settings.file_name or self.config.name}.{self.settings.format}"

    def build(self, row: Mapping[str, Any]) -> dict[str, Any] | Skip:
        return self.mapped(row)

    def _write(self, path: Path, body: bytes, sender: Any, rows: int) -> None:
        request = Request("WRITE", str(path), body, content_type="text/csv" if self.settings.format == "csv"
                          else "application/vnd.apache.parquet", keys=(), phase=f"write {rows} rows")
        if sender.dry_run:
            sender.send(request)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)

    def write_snapshot(self, rows: Sequence[Mapping[str, Any]], sender: Any) -> None:
        payloads = [p for p in (self.build(r) for r in rows) if not isinstance(p, Skip)]
        self._write(self._target(), encode_table(payloads, list(self.config.mapping), self.settings.format),
                    sender, len(payloads))

    def deliver(self, phase: Phase, sender: Any) -> dict[str, Outcome] | None:
        if self.config.mode == "append" and not phase.removal:
            folder = self._target().with_suffix("")
            # names sort in the order the rows were sent: the run's start to the microsecond, then the chunk's
            # number in the run (two runs in one second, or two chunks of a run, must not sort by chance)
            number = next(self._chunk_numbers)
            name = f"{self.now:%Y%m%dT%H%M%S%f}_{number:06d}_{uuid.uuid4().hex[:8]}.{self.settings.format}"
            self._write(folder / name, encode_table([i.data for i in phase.items], list(self.config.mapping),
                                                    self.settings.format), sender, len(phase.items))
        # mirror: the snapshot written before the chunks holds the rows, and lacks the removed ones
        return {i.key: Ack() for i in phase.items}

    def removal_item(self, removal) -> Any:
        return None
