"""File drop: CSV, Parquet or JSONL exports in a folder, loaded into the ``raw_files.*`` tables.

Which entity a file holds comes from its name (``contacts.csv``, ``contacts_2024-05.csv``,
``orders.parquet``, ``messages.jsonl``) or from the entity subfolder it sits in
(``touchpoints/may.csv``). Every row is validated against the entity's schema
(:mod:`ingestion.file_drop.schemas`): bad rows go to ``ops.quarantine`` with a reason naming the
file, the line and the column, good rows are merged on the primary key. One file is one transaction:
its good rows, its quarantined rows and its ``ops.file_loads`` row commit together, so a file is
either loaded or not, and loading it again adds no duplicate. The loaded-file state lives in the
warehouse (``ops.file_loads``), never in the folder.

``docs/sources/files.md`` describes the rules for users.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

import warehouse_io
from ingestion.file_drop.schemas import IDENTIFIERS, SCHEMAS, EntitySchema
from ingestion.parsing import (
    BIGINT_MAX,
    INTEGER_MAX,
    BadValue,
    is_empty,
    parse_date,
    parse_int,
    parse_str,
    parse_ts,
    to_decimal,
)
from ingestion.raw_tables import MONEY
from ingestion.runs import ConnectorSpec, IngestResult, IngestRun, env_required, frame
from warehouse_io.ops import FILE_LOADS

SOURCE = "files"
FOLDER_ENV = "LIFECYCLE_FILES_DIR"
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_log = logging.getLogger("ingestion.file_drop.loader")


class FileDropError(RuntimeError):
    """One or more files of a folder could not be loaded (the message names them)."""


class _FileFailed(Exception):
    """The whole file is rejected (unreadable, missing required column); the message says why."""


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------
def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass
class FileOutcome:
    """What happened to one file: loaded (possibly with quarantined rows), failed or skipped."""

    name: str                       # path relative to the drop folder
    entity: str | None
    status: str                     # loaded | failed | skipped
    rows: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    ignored_columns: list[str] = field(default_factory=list)
    duplicate_keys: int = 0
    error: str | None = None

    def describe(self) -> str:
        if self.status == "failed":
            return f"{self.name}: failed: {self.error}"
        if self.status == "skipped":
            return f"{self.name}: skipped: {self.error}"
        text = f"{self.name}: {_count(self.rows, 'row')} loaded into raw_files.{self.entity}"
        if self.bad_lines:
            shown = "; ".join(f"line {line}: {reason}" for line, reason in self.bad_lines[:10])
            more = f"; and {len(self.bad_lines) - 10} more" if len(self.bad_lines) > 10 else ""
            text += f", {_count(len(self.bad_lines), 'row')} quarantined ({shown}{more})"
        if self.duplicate_keys:
            text += f", {_count(self.duplicate_keys, 'repeated key')} (last row kept)"
        if self.ignored_columns:
            text += f", unknown columns ignored: {', '.join(self.ignored_columns)}"
        return text


@dataclass
class FolderLoadResult(IngestResult):
    """An :class:`IngestResult` with one :class:`FileOutcome` per file seen."""

    files: list[FileOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def summary(self) -> str:
        head = super().summary()
        if not self.files:
            return head + "\nno new files"
        return "\n".join([head, *(f.describe() for f in self.files)])

    def check(self) -> FolderLoadResult:
        """Raise :class:`FileDropError` when a file failed (after the others were loaded)."""
        if self.failed:
            raise FileDropError("; ".join(f.describe() for f in self.failed))
        return self


# ------------------------------------------------------------------------------------------------
# Finding files
# ------------------------------------------------------------------------------------------------
def entity_of(relative: Path) -> str | None:
    """The entity a file holds, from its entity subfolder or else its name; None when unknown."""
    if len(relative.parts) > 1:
        top = relative.parts[0].lower()
        return top if top in SCHEMAS else None
    stem = relative.name.lower().rsplit(".", 1)[0]
    for entity in sorted(SCHEMAS, key=len, reverse=True):
        if stem == entity or (stem.startswith(entity) and stem[len(entity)] in "_-."):
            return entity
    return None


def _ignored_name(name: str) -> bool:
    return name.startswith((".", "_", "~"))


def discover(folder: Path) -> list[Path]:
    """Data files of the folder (top level and entity subfolders), in load order (by relative path)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"file-drop folder {folder} does not exist")
    found: list[Path] = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(_ignored_name(p) for p in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() in SUFFIXES:
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _stat(path: Path) -> tuple[int, datetime]:
    st = path.stat()
    return st.st_size, datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_file_loads(con: duckdb.DuckDBPyConnection) -> None:
    warehouse_io.ensure_ops_tables(con)


def _loaded_state(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, datetime, str, str]]:
    return con.execute(
        "select file_path, size_bytes, modified_at, sha256, status from ops.file_loads"
    ).fetchall()


def _is_new(path: Path, state: Mapping[str, list[tuple[int, datetime, str, str]]]) -> bool:
    """New unless this path was loaded with the same size+mtime or the same content hash.

    A failed load counts as seen only while size and mtime are unchanged: fix (or touch) the file
    and it is picked up again.
    """
    seen = state.get(str(path.resolve()))
    if not seen:
        return True
    size, mtime = _stat(path)
    if any(s == size and m == mtime for s, m, _, _ in seen):
        return False
    loaded_hashes = {h for _, _, h, status in seen if status == "loaded"}
    return not loaded_hashes or _sha256(path) not in loaded_hashes


def _state_by_path(rows: Sequence[tuple[str, int, datetime, str, str]]) -> dict[str, list[tuple[int, datetime, str, str]]]:
    state: dict[str, list[tuple[int, datetime, str, str]]] = {}
    for p, size, mtime, sha, status in rows:
        state.setdefault(p, []).append((size, mtime, sha, status))
    return state


def list_new_files(folder: Path, warehouse_file: Path) -> list[Path]:
    """Data files of ``folder`` not loaded into ``warehouse_file`` yet (for a sensor; read-only)."""
    files = discover(Path(folder))
    wh = Path(warehouse_file)
    if not wh.exists():
        return files
    with warehouse_io.connect(wh, read_only=True) as con:
        try:
            rows = _loaded_state(con)
        except duckdb.CatalogException:  # nothing loaded yet
            return files
    state = _state_by_path(rows)
    return [p for p in files if _is_new(p, state)]


# ------------------------------------------------------------------------------------------------
# Reading files: (line, record | reading problem)
# ------------------------------------------------------------------------------------------------
Row = tuple[int, dict[str, Any] | None, str | None]  # (line, record, problem)


def _read_csv(data: bytes) -> tuple[list[str], Iterator[Row]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _FileFailed("is not UTF-8 text") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise _FileFailed("is empty (no header line)") from None
    except csv.Error as exc:
        raise _FileFailed(f"has an unreadable header ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise _FileFailed("has an empty header line")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise _FileFailed(f"repeats column(s) {', '.join(dupes)} in the header")

    def rows() -> Iterator[Row]:
        start = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, None, f"row is not valid CSV ({exc})"
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) > len(header) and any(f.strip() for f in fields[len(header):]):
                yield line, None, f"row has {len(fields)} fields but the header has {len(header)}"
                continue
            yield line, {h: (fields[i] if i < len(fields) else None) for i, h in enumerate(header) if h}, None

    return [h for h in header if h], rows()


def _read_jsonl(data: bytes) -> tuple[list[str], Iterator[Row]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _FileFailed("is not UTF-8 text") from None
    parsed: list[Row] = []
    columns: dict[str, None] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            parsed.append((i, None, "line is not valid JSON"))
            continue
        if not isinstance(obj, dict):
            parsed.append((i, None, "line is not a JSON object"))
            continue
        columns.update(dict.fromkeys(obj))
        parsed.append((i, obj, None))
    return list(columns), iter(parsed)


def _read_parquet(data: bytes) -> tuple[list[str], Iterator[Row]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # noqa: BLE001 - any reader error means the file is unreadable
        raise _FileFailed(f"is not a readable Parquet file ({type(exc).__name__})") from None
    columns = list(table.column_names)
    records = table.to_pylist()
    return columns, iter([(i, rec, None) for i, rec in enumerate(records, start=1)])


READERS = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet}


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def _show(column: str, value: Any, sensitive: bool) -> str:
    """How a reason names a value: the column, plus the value itself only when it is not personal."""
    if sensitive:
        return column
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{column} {text!r}"


def _to_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise BadValue("value", "is not a text value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # ids that a spreadsheet or Parquet writer turned into floats
    if isinstance(value, datetime):
        return value.isoformat()
    text = parse_str(value, "value")
    return text.strip() if text is not None else ""


def _convert(column_type: str, value: Any) -> Any:
    """One file value -> the warehouse value of the column's type (BadValue.problem says what is wrong)."""
    if column_type == "timestamp":
        return parse_ts(value, epoch=False).isoformat(sep=" ", timespec="microseconds")
    if column_type == "date":
        return parse_date(value).isoformat()
    if column_type in ("bigint", "integer"):
        return parse_int(value, maximum=INTEGER_MAX if column_type == "integer" else BIGINT_MAX)
    if column_type == MONEY or column_type.startswith("decimal"):
        return to_decimal(value)
    return _to_text(value)


def _format_check(check: str, value: str) -> tuple[str, str | None]:
    """(normalised value, problem)."""
    if check == "email":
        return value, None if _EMAIL.match(value) else "is not an email address"
    if check == "phone":
        digits = sum(ch.isdigit() for ch in value)
        ok = _PHONE.match(value) and 6 <= digits <= 15
        return value, None if ok else "is not a phone number"
    if check == "currency":
        up = value.upper()
        return up, None if _CURRENCY.match(up) else "is not a 3-letter ISO 4217 currency code"
    if check == "country":
        up = value.upper()
        return up, None if _COUNTRY.match(up) else "is not a 2-letter ISO 3166 country code"
    if check == "slug":
        low = value.lower()
        return low, None if _SLUG.match(low) else "is not a lower-case snake_case name"
    return value, None


def validate_row(schema: EntitySchema, record: Mapping[str, Any], default_source: str,
                 source_file: str) -> tuple[dict[str, Any] | None, list[str]]:
    """One file row -> (raw row as strings/ints for the warehouse, problems). Problems name columns, not personal values."""
    table = schema.table
    out: dict[str, Any] = {}
    problems: list[str] = []
    for col in table.columns:
        name = col.name
        if name == "_source_file":
            continue
        rule = schema.rule(name)
        sensitive = name in table.sensitive
        raw = record.get(name)
        if is_empty(raw):
            if name == "source_system":
                out[name] = default_source
            elif rule.required:
                problems.append(f"{name} is missing")
            elif rule.default is not None:
                out[name] = rule.default
            else:
                out[name] = None
            continue
        try:
            value = _convert(col.type, raw)
        except BadValue as exc:
            problems.append(f"{_show(name, raw, sensitive)} {exc.problem}")
            continue
        if isinstance(value, str):
            if rule.accepted:
                low = value.lower()
                if low not in rule.accepted:
                    problems.append(f"{_show(name, raw, sensitive)} is not one of {', '.join(rule.accepted)}")
                    continue
                value = low
            if rule.check:
                value, problem = _format_check(rule.check, value)
                if problem:
                    problems.append(f"{_show(name, raw, sensitive)} {problem}")
                    continue
        if isinstance(value, (int, Decimal)):
            if rule.minimum is not None and value < rule.minimum:
                problems.append(f"{_show(name, raw, sensitive)} is below {rule.minimum:g}")
                continue
            if rule.maximum is not None and value > rule.maximum:
                problems.append(f"{_show(name, raw, sensitive)} is above {rule.maximum:g}")
                continue
            if isinstance(value, Decimal):
                value = f"{value:.2f}"
        out[name] = value

    if schema.entity == "surveys" and out.get("survey_type") == "csat" and isinstance(out.get("score"), int):
        if not 1 <= out["score"] <= 5:
            problems.append(f"score {out['score']!r} is not 1-5 (csat)")
    if schema.needs_contact and not any(out.get(k) for k in IDENTIFIERS) and not any(
            p.split(" ", 1)[0] in IDENTIFIERS for p in problems):
        problems.append("no contact identifier (contact_external_id, email or phone)")
    if schema.entity == "contacts" and not out.get("contact_external_id") and not problems:
        if out.get("email"):
            out["contact_external_id"] = "email:" + out["email"].lower()
        elif out.get("phone"):
            out["contact_external_id"] = "phone:" + ("+" if out["phone"].startswith("+") else "") + "".join(
                ch for ch in out["phone"] if ch.isdigit())
    if problems:
        return None, problems
    out["_source_file"] = source_file
    return out, []


# ------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------
def _quarantine_statements(entity: str, records: Sequence[tuple[str, str, Any]], run_id: str,
                           file_path: str, rel: str) -> list[tuple[str, list[Any]]]:
    """Replace the quarantine rows of earlier loads of this file with this load's (same transaction)."""
    return [(
        "delete from ops.quarantine where source = ? and entity = ? and left(record_ref, ?) = ? "
        "and ingest_run_id in (select ingest_run_id from ops.file_loads where file_path = ?)",
        [SOURCE, entity, len(rel) + 1, rel + ":", file_path],
    ), *warehouse_io.quarantine_statements(SOURCE, entity, records, run_id)]


def _file_load_statement(values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    names = FILE_LOADS.column_names
    marks = ", ".join(["?"] * len(names))
    return f"insert into ops.file_loads ({', '.join(names)}) values ({marks})", [values.get(c) for c in names]


def _load_file(run: IngestRun, folder: Path, path: Path, default_source: str, log: logging.Logger) -> FileOutcome:
    con = run.con
    assert con is not None
    rel = _rel(folder, path)
    entity = entity_of(Path(rel))
    size, mtime = _stat(path)
    file_row: dict[str, Any] = {
        "file_path": str(path.resolve()), "file_name": rel, "entity": entity, "source_system": default_source,
        "size_bytes": size, "modified_at": mtime, "ingest_run_id": run.run_id,
    }
    if entity is None:
        return FileOutcome(rel, None, "skipped", error="the name names no entity (see docs/sources/files.md)")
    schema = SCHEMAS[entity]
    try:
        data = path.read_bytes()
        file_row["sha256"] = hashlib.sha256(data).hexdigest()
        columns, rows = READERS[SUFFIXES[path.suffix.lower()]](data)
        parsed = list(rows)
        if any(rec is not None for _, rec, _ in parsed) or SUFFIXES[path.suffix.lower()] != "jsonl":
            missing = [c for c in schema.required_columns if c not in columns]
            if missing:
                raise _FileFailed(f"missing required column(s) {', '.join(missing)}")
            if schema.needs_contact and not any(c in columns for c in IDENTIFIERS):
                raise _FileFailed("has none of the contact identifier columns contact_external_id, email, phone")
    except OSError as exc:
        return _fail(con, file_row, rel, entity, f"cannot be read ({type(exc).__name__})", log)
    except _FileFailed as exc:
        return _fail(con, file_row, rel, entity, str(exc), log)

    known = set(schema.file_columns)
    outcome = FileOutcome(rel, entity, "loaded", ignored_columns=[c for c in columns if c not in known])
    good: list[dict[str, Any]] = []
    bad: list[tuple[str, str, Any]] = []
    for line, rec, problem in parsed:
        problems = [problem] if problem else []
        row = None
        if rec is not None:
            row, problems = validate_row(schema, rec, default_source, rel)
        if problems:
            reason = ", ".join(problems)
            outcome.bad_lines.append((line, reason))
            bad.append((f"{rel}:{line}", reason, rec))
        else:
            good.append(row)

    keys = [tuple(r[k] for k in schema.table.primary_key) for r in good]
    outcome.duplicate_keys = len(keys) - len(set(keys))
    outcome.rows = len(good) - outcome.duplicate_keys
    file_row.update(status="loaded", rows=outcome.rows, rows_quarantined=len(bad), loaded_at=warehouse_io.utcnow())
    extra = [*_quarantine_statements(entity, bad, run.run_id, file_row["file_path"], rel),
             _file_load_statement(file_row)]
    qualified = schema.table.qualified_name
    warehouse_io.merge_rows(con, schema.table, frame(qualified, good), extra=extra)
    run.result.rows[qualified] = run.result.rows.get(qualified, 0) + outcome.rows
    run.result.quarantined += len(bad)
    run.result.pages += 1
    log.info("%s", outcome.describe())
    return outcome


def _fail(con: duckdb.DuckDBPyConnection, file_row: dict[str, Any], rel: str, entity: str, error: str,
          log: logging.Logger) -> FileOutcome:
    file_row.update(status="failed", rows=0, rows_quarantined=0, error=error, loaded_at=warehouse_io.utcnow())
    sql, params = _file_load_statement(file_row)
    con.execute(sql, params)
    outcome = FileOutcome(rel, entity, "failed", error=error)
    log.error("%s", outcome.describe())
    return outcome


def load_folder(folder: Path, warehouse_file: Path, *, log: logging.Logger | None = None, force: bool = False,
                source_system: str | None = None) -> FolderLoadResult:
    """Load the new files of ``folder`` (every file with ``force``) into ``warehouse_file``.

    ``source_system`` defaults to the folder's name; a ``source_system`` column in a file wins per row.
    Files that fail (unreadable, missing a required column) are reported in the result and in
    ``ops.file_loads``; the other files go on. Call ``.check()`` on the result to raise if any failed.
    """
    folder = Path(folder).resolve()
    log = log or _log
    files = discover(folder)
    default_source = source_system or folder.name
    result = FolderLoadResult(source=SOURCE)
    run = IngestRun(warehouse_file, SOURCE, log, tables=[s.table.qualified_name for s in SCHEMAS.values()])
    run.result = result
    with run:
        assert run.con is not None
        ensure_file_loads(run.con)
        if not force:
            state = _state_by_path(_loaded_state(run.con))
            files = [p for p in files if _is_new(p, state)]
        for path in files:
            result.files.append(_load_file(run, folder, path, default_source, log))
    if result.failed:
        with warehouse_io.connect(warehouse_file) as con:
            con.execute("update ops.ingest_runs set status = 'partial' where ingest_run_id = ?", [run.run_id])
    return result


def run(warehouse_file: Path, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None, settings: Mapping[str, str] | None = None) -> FolderLoadResult:
    """Connector entry point: load the new files of the folder ``LIFECYCLE_FILES_DIR`` (start/end are ignored)."""
    folder = env_required(FOLDER_ENV, settings)
    return load_folder(Path(folder), warehouse_file, log=log)


SPEC = ConnectorSpec(
    name=SOURCE, raw_schema="raw_files", required_env=(FOLDER_ENV,), run=run,
    description="File drop: CSV, Parquet or JSONL exports in a folder (docs/sources/files.md).",
)
