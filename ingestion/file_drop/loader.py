"""File drop: CSV, Parquet or JSONL exports in a folder, loaded into the ``raw_files.*`` tables.

Which entity a file holds comes from its name (``contacts.csv``, ``contacts_2024-05.csv``,
``orders.parquet``, ``messages.jsonl``) or from the entity subfolder it sits in
(``touchpoints/may.csv``). Every row is validated against the entity's schema
(:mod:`ingestion.file_drop.schemas`): bad rows go to ``ops.quarantine`` with a reason naming the
file, the line and the column, good rows are merged on the primary key. One file is one transaction:
its good rows, its quarantined rows and its ``ops.file_loads`` row commit together, so a file is
either loaded or not, and loading it again adds no duplicate. The loaded-file state lives in the
warehouse (``ops.file_loads``), never in the folder.

Hardening, each rule with its reason:

- Nothing outside the folder is read: symbolic links (to files or folders) are not followed but
  reported, special files (pipes, devices) likewise, and files are opened with ``O_NOFOLLOW``.
- Every file the folder holds is accounted for: a data file is loaded or fails with a reason, and any
  other file is reported as skipped (an entity named with an unsupported extension, ``orders.xlsx``,
  makes the run ``partial``). Each is recorded once in ``ops.file_loads``.
- No exception escapes for one bad row or one bad file: a row that cannot be read or converted is
  quarantined with ``file:line``, the reason and its raw text; a file that cannot be read fails alone.
- Reasons name the column and the kind of problem, never a value: a value may be personal data in any
  column (a phone number in a swapped ``channel`` column).
- A renamed drop folder keeps its source system: the folder's identity on disk and the source system
  its rows got on first load are kept in ``ops.file_drop_folders``, and a file whose content was
  already loaded under another source system is refused rather than loaded twice.

``docs/sources/files.md`` describes the rules for users.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

import warehouse_io
from ingestion.file_drop.reading import READERS, FileUnreadable, display
from ingestion.file_drop.schemas import IDENTIFIERS, SCHEMAS, EntitySchema, Rule
from ingestion.parsing import (
    BIGINT_MAX,
    INTEGER_MAX,
    BadValue,
    check_text,
    is_empty,
    parse_date,
    parse_int,
    parse_str,
    parse_ts,
    to_decimal,
)
from ingestion.raw_tables import MONEY
from ingestion.runs import ConnectorSpec, IngestResult, IngestRun, env_default, env_required, frame
from warehouse_io import safe_error
from warehouse_io.ops import FILE_LOADS

SOURCE = "files"
FOLDER_ENV = "LIFECYCLE_FILES_DIR"
SOURCE_SYSTEM_ENV = "LIFECYCLE_FILES_SOURCE_SYSTEM"
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
    attention: bool = False         # skipped, but the user meant it to load (makes the run partial)

    @property
    def needs_attention(self) -> bool:
        """A file that was meant to load and did not: failed, or skipped for a reason the user must fix."""
        return self.status == "failed" or self.attention

    def describe(self) -> str:
        name = display(self.name, 200)
        if self.status == "failed":
            return f"{name}: failed: {self.error}"
        if self.status == "skipped":
            return f"{name}: skipped: {self.error}"
        text = f"{name}: {_count(self.rows, 'row')} loaded into raw_files.{self.entity}"
        if self.bad_lines:
            shown = "; ".join(f"line {line}: {reason}" for line, reason in self.bad_lines[:10])
            more = f"; and {len(self.bad_lines) - 10} more" if len(self.bad_lines) > 10 else ""
            text += f", {_count(len(self.bad_lines), 'row')} quarantined ({shown}{more})"
        if self.duplicate_keys:
            text += f", {_count(self.duplicate_keys, 'repeated key')} (last row kept)"
        if self.ignored_columns:
            text += f", unknown columns ignored: {', '.join(display(c) for c in self.ignored_columns)}"
        return text


@dataclass
class FolderLoadResult(IngestResult):
    """An :class:`IngestResult` with one :class:`FileOutcome` per file seen."""

    files: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def needing_attention(self) -> list[FileOutcome]:
        return [f for f in self.files if f.needs_attention]

    @property
    def partial(self) -> bool:
        """Some file meant to load did not (failed, or skipped for a reason to fix): run status `partial`."""
        return bool(self.needing_attention)

    def summary(self) -> str:
        head = super().summary()
        lines = [head, *self.notes]
        if not self.files:
            return "\n".join([*lines, "no new files"])
        return "\n".join([*lines, *(f.describe() for f in self.files)])

    def check(self) -> FolderLoadResult:
        """Raise :class:`FileDropError` when a file failed or was skipped for a reason to fix."""
        if self.needing_attention:
            raise FileDropError("; ".join(f.describe() for f in self.needing_attention))
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


@dataclass(frozen=True)
class Found:
    """An entry of the drop folder: a data file to load, or something reported and not read."""

    path: Path                  # inside the folder, symbolic links not resolved
    skip: str | None = None     # why it is not read (None: a data file)
    attention: bool = False     # the skip needs the user's attention (makes the run partial)


def scan(folder: Path) -> list[Found]:
    """Every entry of the folder (top level and subfolders), in load order (by relative path).

    Symbolic links are never followed: a link (to a file or a folder) is reported, not read, so the
    file drop reads nothing outside its folder. Names starting with ``.``, ``_`` or ``~`` are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"file-drop folder {folder} does not exist")
    found: list[Found] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if _ignored_name(d):
                dirnames.remove(d)
            elif (here / d).is_symlink():
                dirnames.remove(d)
                found.append(Found(here / d, "is a symbolic link to a folder; the file drop reads only what is "
                                             "inside its folder (copy the files in instead)", attention=True))
        for name in filenames:
            if _ignored_name(name):
                continue
            path = here / name
            try:
                st = path.lstat()
            except OSError:
                continue  # vanished meanwhile
            if stat.S_ISLNK(st.st_mode):
                found.append(Found(path, "is a symbolic link; the file drop reads only files inside its folder "
                                         "(copy the file in instead)", attention=True))
            elif not stat.S_ISREG(st.st_mode):
                found.append(Found(path, "is not a regular file (a pipe, socket or device)", attention=True))
            elif path.suffix.lower() not in SUFFIXES:
                entity = entity_of(path.relative_to(folder))
                shown = display(path.suffix.lower() or "(none)")
                found.append(Found(path, f"the extension {shown} is not a format the file drop reads (.csv, "
                                         f".jsonl, .ndjson, .parquet)" + (
                                             f"; save it as {entity}.csv" if entity else ""),
                                   attention=entity is not None))
            else:
                found.append(Found(path))
    return sorted(found, key=lambda f: f.path.relative_to(folder).as_posix())


def discover(folder: Path) -> list[Path]:
    """Data files of the folder (top level and entity subfolders), in load order (by relative path)."""
    return [f.path for f in scan(folder) if f.skip is None]


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _stat(path: Path) -> tuple[int, datetime]:
    st = path.lstat()
    return st.st_size, datetime.fromtimestamp(st.st_mtime, UTC).replace(tzinfo=None)


def _read_inside(folder: Path, path: Path) -> bytes:
    """The bytes of a regular file inside ``folder``; never through a symbolic link, never a pipe."""
    real = Path(os.path.realpath(path))
    if folder not in real.parents:
        raise _FileFailed("resolves to a place outside the drop folder; it is not read")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _FileFailed("is not a regular file; it is not read")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_key(folder: Path) -> str:
    """The folder's identity on disk (device and inode): unchanged when the folder is renamed."""
    st = Path(folder).stat()
    return f"{st.st_dev}:{st.st_ino}"


def ensure_file_loads(con: duckdb.DuckDBPyConnection) -> None:
    warehouse_io.ensure_ops_tables(con)


State = dict[tuple[str, ...], list[tuple[int, datetime, str, str]]]


def _loaded_state(con: duckdb.DuckDBPyConnection) -> State:
    """Earlier loads, by absolute path and by (folder identity, name inside the folder)."""
    state: State = {}
    for path, key, name, size, mtime, sha, status in con.execute(
            "select file_path, folder_key, file_name, size_bytes, modified_at, sha256, status from ops.file_loads"
    ).fetchall():
        state.setdefault(("path", path), []).append((size, mtime, sha, status))
        if key:
            state.setdefault(("key", key, name), []).append((size, mtime, sha, status))
    return state


def _is_new(folder: Path, key: str, path: Path, state: State) -> bool:
    """New unless this file was seen with the same size+mtime, or loaded with the same content hash.

    A file is the same file under its path or, when the folder was renamed, under the folder's
    identity and its name inside the folder. A failed or skipped file counts as seen only while size
    and mtime are unchanged: fix (or touch) it and it is picked up again.
    """
    seen = state.get(("key", key, _rel(folder, path))) or state.get(("path", str(path)))
    if not seen:
        return True
    try:
        size, mtime = _stat(path)
    except OSError:
        return False
    if any(s == size and m == mtime for s, m, _, _ in seen):
        return False
    loaded_hashes = {h for _, _, h, status in seen if status == "loaded"}
    if not loaded_hashes or path.is_symlink() or not path.is_file():
        return True
    return _sha256(path) not in loaded_hashes


def _resolved_folder(folder: Path | str) -> Path:
    return Path(folder).expanduser().resolve()


def list_new_files(folder: Path, warehouse_file: Path) -> list[Path]:
    """Entries of ``folder`` not seen by ``warehouse_file`` yet (for a sensor; read-only).

    Files the drop does not read (an unsupported extension, a link) count too: a run reports them once.
    """
    folder = _resolved_folder(folder)
    files = [f.path for f in scan(folder)]
    wh = Path(warehouse_file)
    if not wh.exists():
        return files
    with warehouse_io.connect(wh, read_only=True) as con:
        try:
            state = _loaded_state(con)
        except duckdb.Error:  # nothing loaded yet (or an older ops.file_loads without folder_key)
            return files
    key = folder_key(folder)
    return [p for p in files if _is_new(folder, key, p, state)]


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def _to_text(value: Any) -> str:
    if type(value) is str:  # the common case (CSV): only the checks text needs
        return check_text(value, "value").strip()
    if isinstance(value, (dict, list)):
        raise BadValue("value", "is not a text value")
    if isinstance(value, bool):
        raise BadValue("value", "is not a text value (true or false)")
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


@functools.cache
def _plan(entity: str) -> tuple[tuple[str, str, Rule], ...]:
    """(column, type, rule) of an entity's file columns, worked out once (validate_row runs per row)."""
    schema = SCHEMAS[entity]
    return tuple((c.name, c.type, schema.rule(c.name)) for c in schema.table.columns if c.name != "_source_file")


def validate_row(schema: EntitySchema, record: Mapping[str, Any], default_source: str,
                 source_file: str) -> tuple[dict[str, Any] | None, list[str]]:
    """One file row -> (raw row as strings/ints for the warehouse, problems).

    Problems name the column and the kind of problem, never the value: a value can be personal data
    whatever column it sits in (a phone number in a swapped ``channel`` column).
    """
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name, col_type, rule in _plan(schema.entity):
        raw = record.get(name)
        if isinstance(raw, (bytes, bytearray, memoryview)):  # Parquet strings stored as plain binary
            try:
                raw = bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{name} is not UTF-8 text")
                continue
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
            value = _convert(col_type, raw)
        except BadValue as exc:
            problems.append(f"{name} {exc.problem}")
            continue
        except (ValueError, TypeError, ArithmeticError, OverflowError) as exc:
            problems.append(f"{name} cannot be read ({type(exc).__name__})")
            continue
        if isinstance(value, str):
            if rule.accepted:
                low = value.lower()
                if low not in rule.accepted:
                    problems.append(f"{name} is not one of {', '.join(rule.accepted)}")
                    continue
                value = low
            if rule.check:
                value, problem = _format_check(rule.check, value)
                if problem:
                    problems.append(f"{name} {problem}")
                    continue
        if isinstance(value, (int, Decimal)):
            if rule.minimum is not None and value < rule.minimum:
                problems.append(f"{name} is below {rule.minimum:g}")
                continue
            if rule.maximum is not None and value > rule.maximum:
                problems.append(f"{name} is above {rule.maximum:g}")
                continue
            if isinstance(value, Decimal):
                value = f"{value:.2f}"
        out[name] = value

    if schema.entity == "surveys" and out.get("survey_type") == "csat" and isinstance(out.get("score"), int):
        if not 1 <= out["score"] <= 5:
            problems.append("score is not 1-5 (csat)")
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
def _quarantine_statements(entity: str | None, records: Sequence[tuple[str, str, Any]], run_id: str,
                           folder_key_: str, rel: str) -> list[tuple[str, list[Any]]]:
    """Replace the quarantine rows of earlier loads of this file with this load's (same transaction).

    "This file" is its name inside the folder and the folder's identity, so a renamed folder's files
    replace their own earlier quarantine rows.
    """
    return [(
        "delete from ops.quarantine where source = ? and left(record_ref, ?) = ? "
        "and ingest_run_id in (select ingest_run_id from ops.file_loads where folder_key = ? and file_name = ?)",
        [SOURCE, len(rel) + 1, rel + ":", folder_key_, rel],
    ), *warehouse_io.quarantine_statements(SOURCE, entity or "unknown", records, run_id)]


def _file_load_statement(values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    names = FILE_LOADS.column_names
    marks = ", ".join(["?"] * len(names))
    return f"insert into ops.file_loads ({', '.join(names)}) values ({marks})", [values.get(c) for c in names]


@dataclass
class _Folder:
    path: Path
    key: str
    source_system: str


def _file_row(run: IngestRun, folder: _Folder, path: Path, rel: str, entity: str | None) -> dict[str, Any]:
    try:
        size, mtime = _stat(path)
    except OSError:
        size, mtime = None, None
    return {"file_path": str(path), "file_name": rel, "entity": entity, "source_system": folder.source_system,
            "size_bytes": size, "modified_at": mtime, "ingest_run_id": run.run_id, "folder_key": folder.key}


def _skip(con: duckdb.DuckDBPyConnection, file_row: dict[str, Any], rel: str, entity: str | None, reason: str,
          attention: bool, log: logging.Logger) -> FileOutcome:
    """Record a file the drop does not read, so it is reported once (and again only when it changes)."""
    file_row.update(status="skipped", rows=0, rows_quarantined=0, error=reason, loaded_at=warehouse_io.utcnow())
    con.execute(*_file_load_statement(file_row))
    outcome = FileOutcome(rel, entity, "skipped", error=reason, attention=attention)
    (log.warning if attention else log.info)("%s", outcome.describe())
    return outcome


def _same_content_elsewhere(con: duckdb.DuckDBPyConnection, sha: str, source_system: str) -> tuple[str, str] | None:
    row = con.execute(
        "select file_name, source_system from ops.file_loads where sha256 = ? and status = 'loaded' "
        "and rows > 0 and source_system is distinct from ? order by loaded_at limit 1", [sha, source_system]).fetchone()
    return (row[0], row[1]) if row else None


def _load_file(run: IngestRun, folder: _Folder, found: Found, log: logging.Logger) -> FileOutcome:
    con = run.con
    assert con is not None
    path = found.path
    rel = _rel(folder.path, path)
    entity = entity_of(Path(rel))
    file_row = _file_row(run, folder, path, rel, entity)
    if found.skip is not None:
        return _skip(con, file_row, rel, entity, found.skip, found.attention, log)
    if entity is None:
        return _skip(con, file_row, rel, None, "the name names no entity (see docs/sources/files.md)", False, log)
    schema = SCHEMAS[entity]
    fmt = SUFFIXES[path.suffix.lower()]
    try:
        data = _read_inside(folder.path, path)
        file_row["sha256"] = hashlib.sha256(data).hexdigest()
        file_row["size_bytes"] = len(data)
        columns, rows = READERS[fmt](data)
        parsed = list(rows)
        if parsed and (any(rec is not None for _, rec, _, _ in parsed) or fmt != "jsonl"):
            missing = [c for c in schema.required_columns if c not in columns]
            if missing:
                raise _FileFailed(f"missing required column(s) {', '.join(missing)}")
            if schema.needs_contact and not any(c in columns for c in IDENTIFIERS):
                raise _FileFailed("has none of the contact identifier columns contact_external_id, email, phone")
    except OSError as exc:
        return _fail(con, file_row, rel, entity, f"cannot be read ({type(exc).__name__})", log)
    except (_FileFailed, FileUnreadable) as exc:
        return _fail(con, file_row, rel, entity, str(exc), log)

    known = set(schema.file_columns)
    outcome = FileOutcome(rel, entity, "loaded", ignored_columns=[c for c in columns if c not in known])
    good: list[dict[str, Any]] = []
    bad: list[tuple[str, str, Any]] = []
    for line, rec, problem, raw in parsed:
        problems = [problem] if problem else []
        row = None
        if rec is not None:
            try:
                row, problems = validate_row(schema, rec, folder.source_system, rel)
            except Exception as exc:  # noqa: BLE001 - one odd row must not stop the file (its type only: no value)
                row, problems = None, [f"the row cannot be read ({type(exc).__name__})"]
        if problems:
            reason = ", ".join(problems)
            outcome.bad_lines.append((line, reason))
            bad.append((f"{rel}:{line}", reason, rec if rec is not None else raw))
        else:
            good.append(row)

    if good:
        clash = _same_content_elsewhere(con, file_row["sha256"], folder.source_system)
        if clash is not None:
            return _fail(con, file_row, rel, entity,
                         f"has the same content as {display(clash[0], 120)}, already loaded as source system "
                         f"'{display(clash[1])}'; loading it as '{display(folder.source_system)}' would count its "
                         f"rows twice (was the drop folder renamed or copied? set {SOURCE_SYSTEM_ENV}="
                         f"{display(clash[1])} to load it as the same system)", log)
    keys = [tuple(r[k] for k in schema.table.primary_key) for r in good]
    outcome.duplicate_keys = len(keys) - len(set(keys))
    outcome.rows = len(good) - outcome.duplicate_keys
    file_row.update(status="loaded", rows=outcome.rows, rows_quarantined=len(bad), loaded_at=warehouse_io.utcnow())
    extra = [*_quarantine_statements(entity, bad, run.run_id, folder.key, rel), _file_load_statement(file_row)]
    qualified = schema.table.qualified_name
    warehouse_io.merge_rows(con, schema.table, frame(qualified, good), extra=extra)
    run.result.rows[qualified] = run.result.rows.get(qualified, 0) + outcome.rows
    run.result.quarantined += len(bad)
    run.result.pages += 1
    log.info("%s", outcome.describe())
    return outcome


def _fail(con: duckdb.DuckDBPyConnection, file_row: dict[str, Any], rel: str, entity: str | None, error: str,
          log: logging.Logger) -> FileOutcome:
    file_row.update(status="failed", rows=0, rows_quarantined=0, error=error, loaded_at=warehouse_io.utcnow())
    sql, params = _file_load_statement(file_row)
    con.execute(sql, params)
    outcome = FileOutcome(rel, entity, "failed", error=error)
    log.error("%s", outcome.describe())
    return outcome


def _drop_folder(con: duckdb.DuckDBPyConnection, folder: Path, explicit: str | None,
                 result: FolderLoadResult, log: logging.Logger) -> _Folder:
    """The folder's identity and source system: an explicit one, else the one recorded on its first load
    (a renamed folder keeps it), else the folder's name."""
    key = folder_key(folder)
    row = con.execute("select source_system, folder_path from ops.file_drop_folders where folder_key = ?",
                      [key]).fetchone()
    source_system = explicit or (row[0] if row else folder.name)
    if row and row[1] != str(folder) and not explicit:
        note = (f"the drop folder was renamed or moved (it was {display(row[1], 200)}); its rows keep the source "
                f"system '{display(source_system)}' of its first load")
        result.notes.append(note)
        log.warning("%s", note)
    now = warehouse_io.utcnow()
    if row:
        con.execute("update ops.file_drop_folders set folder_path = ?, last_loaded_at = ? where folder_key = ?",
                    [str(folder), now, key])
    else:
        con.execute("insert into ops.file_drop_folders values (?, ?, ?, ?, ?)",
                    [key, str(folder), source_system, now, now])
    return _Folder(folder, key, source_system)


def load_folder(folder: Path, warehouse_file: Path, *, log: logging.Logger | None = None, force: bool = False,
                source_system: str | None = None) -> FolderLoadResult:
    """Load the new files of ``folder`` (every file with ``force``) into ``warehouse_file``.

    ``source_system`` defaults to the one recorded on the folder's first load, else the folder's name;
    a ``source_system`` column in a file wins per row. Files that fail (unreadable, missing a required
    column) and files skipped for a reason to fix are reported in the result and in ``ops.file_loads``,
    the run is logged ``partial``, and the other files go on. ``.check()`` on the result raises then.
    """
    folder = _resolved_folder(folder)
    log = log or _log
    entries = scan(folder)
    result = FolderLoadResult(source=SOURCE)
    run = IngestRun(warehouse_file, SOURCE, log, tables=[s.table.qualified_name for s in SCHEMAS.values()])
    run.result = result
    with run:
        assert run.con is not None
        ensure_file_loads(run.con)
        drop = _drop_folder(run.con, folder, source_system, result, log)
        if not force:
            state = _loaded_state(run.con)
            entries = [f for f in entries if _is_new(folder, drop.key, f.path, state)]
        for found in entries:
            try:
                result.files.append(_load_file(run, drop, found, log))
            except duckdb.Error as exc:  # the warehouse itself refused (disk full, lock): the run fails
                raise FileDropError(f"{display(_rel(folder, found.path), 200)}: the warehouse refused the load "
                                    f"({safe_error(exc, 300)})") from None
            except Exception as exc:  # noqa: BLE001 - one file must not stop the others
                rel = _rel(folder, found.path)
                outcome = _fail(run.con, _file_row(run, drop, found.path, rel, entity_of(Path(rel))), rel,
                                entity_of(Path(rel)), f"cannot be loaded ({type(exc).__name__})", log)
                result.files.append(outcome)
        if result.partial:
            run.partial_reason = "; ".join(f.describe() for f in result.needing_attention)
    return result


def run(warehouse_file: Path, *, start: date | None = None, end: date | None = None,
        log: logging.Logger | None = None, settings: Mapping[str, str] | None = None) -> FolderLoadResult:
    """Connector entry point: load the new files of the folder ``LIFECYCLE_FILES_DIR`` (start/end are ignored).

    ``LIFECYCLE_FILES_SOURCE_SYSTEM`` names the source system instead of the folder's name.
    """
    folder = env_required(FOLDER_ENV, settings)
    explicit = env_default(SOURCE_SYSTEM_ENV, "", settings) or None
    return load_folder(Path(folder), warehouse_file, log=log, source_system=explicit)


SPEC = ConnectorSpec(
    name=SOURCE, raw_schema="raw_files", required_env=(FOLDER_ENV,), run=run,
    optional_env=(SOURCE_SYSTEM_ENV,),
    description="File drop: CSV, Parquet or JSONL exports in a folder (docs/sources/files.md).",
)
