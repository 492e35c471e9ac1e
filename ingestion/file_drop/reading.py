"""Reading drop files into (line, record, problem) rows: strict CSV, JSON lines, Parquet.

Each reader takes the file's bytes and returns the normalised column names and the rows. A row is
``(line, record, problem, raw)``: ``record`` is a dict of the row's values (``None`` when the line
could not be read at all), ``problem`` the reason it is bad (``None`` when it could be read), ``raw``
what a quarantine keeps when there is no record (the line's text, or its bytes in base64), so every
line can be replayed from the warehouse.

Why a reader of our own rather than ``csv`` or DuckDB's ``read_csv``: line numbers. A bad row must be
quarantined as ``file:line``, and validation of the values (enumerations, identifiers, timestamps)
happens after reading, per row; Python's ``csv`` module is lenient where an export needs strictness
(an unterminated quote swallows every following line into one value; a row with fewer fields than the
header is padded), and DuckDB's rejects table numbers the lines it rejects but not the rows it
accepts. The rules here are the ones a well-kept CSV reader enforces, with a recovery that loses nothing:

- Every row has exactly as many fields as the header (trailing empty fields aside); a row using
  another delimiter, a line holding only a NUL byte, a truncated row: each is a bad row.
- A field either is quoted (``"..."`` with ``""`` for a quote) or holds no quote at all; text after a
  closing quote, or a quote inside an unquoted value, makes the row bad.
- A quoted value may span lines (RFC 4180), unless one of the lines it would swallow is itself a
  complete row: then the quote is taken as left open by mistake, the line that opened it is a bad
  row, and reading resumes on the next line. A quote never closed is handled the same way.
- Bytes that are not UTF-8 make that line bad, not the file (a UTF-16 file with a BOM is decoded).
- Header names are matched without regard to case, surrounding spaces, and ``-`` or spaces inside
  (``First Name`` -> ``first_name``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

Row = tuple[int, dict[str, Any] | None, str | None, dict[str, str] | None]  # (line, record, problem, raw)

MAX_LINES_PER_VALUE = 100        # a quoted value spanning more lines is taken as a quote left open
MAX_RECORD_CHARS = 1 << 20      # 1 MiB per record
DELIMITERS = (",", ";", "\t", "|")


class FileUnreadable(Exception):
    """The whole file cannot be read (the message says why, without any value of it)."""


def normalise_name(name: str) -> str:
    """``" First-Name "`` -> ``first_name`` (how header names and JSON keys are matched)."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def display(text: str, limit: int = 60) -> str:
    """A name from a file made safe to print: control characters and lone surrogates escaped, cut short."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    safe = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group(0)):02x}", safe)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def raw_of(data: bytes | str) -> dict[str, str]:
    """What the quarantine keeps of a line it could not read: its text, or its bytes in base64."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
            return {"_raw_line": data}
        except UnicodeEncodeError:
            data = data.encode("utf-8", "surrogatepass")
    try:
        return {"_raw_line": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"_raw_line_base64": base64.b64encode(data).decode("ascii")}


def _header_names(names: list[str]) -> list[str]:
    normalised = [normalise_name(n) for n in names]
    seen: dict[str, int] = {}
    for n in normalised:
        if n:
            seen[n] = seen.get(n, 0) + 1
    dupes = sorted(n for n, k in seen.items() if k > 1)
    if dupes:
        raise FileUnreadable(f"repeats column(s) {', '.join(display(d) for d in dupes)} in the header "
                             "(names are matched without regard to case)")
    if not any(normalised):
        raise FileUnreadable("has an empty header line")
    return normalised


# ------------------------------------------------------------------------------------------------
# Lines
# ------------------------------------------------------------------------------------------------
def _physical_lines(data: bytes) -> list[bytes | str]:
    """The file's lines: ``str`` when the file was decoded as a whole (UTF-16), else ``bytes`` per line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileUnreadable("starts with a UTF-16 byte-order mark but is not valid UTF-16 text") from None
        return [line.removesuffix("\r") for line in text.split("\n")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends
        return data.split(b"\r")
    return [line.removesuffix(b"\r") for line in data.split(b"\n")]


def _decode(line: bytes | str) -> str | None:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------
def _scan(text: str, delim: str) -> tuple[list[str], str | None]:
    """Split one record's text into fields; problem ``"open"`` when a quoted value is still open at the end."""
    fields: list[str] = []
    i, n = 0, len(text)
    while True:
        j = i
        while j < n and text[j] == " ":
            j += 1
        if j < n and text[j] == '"':
            parts: list[str] = []
            k = j + 1
            while True:
                q = text.find('"', k)
                if q == -1:
                    return fields, "open"
                if q + 1 < n and text[q + 1] == '"':
                    parts.append(text[k:q + 1])
                    k = q + 2
                    continue
                parts.append(text[k:q])
                i = q + 1
                break
            fields.append("".join(parts))
            while i < n and text[i] == " ":
                i += 1
            if i == n:
                return fields, None
            if text[i] != delim:
                return fields, "has text after a closing quote"
            i += 1
            continue
        k = text.find(delim, i)
        end = n if k == -1 else k
        value = text[i:end]
        if '"' in value:
            return fields, "has a quote inside an unquoted value (quote the whole value and double the quote)"
        fields.append(value)
        if k == -1:
            return fields, None
        i = k + 1


def read_csv(data: bytes) -> tuple[list[str], Iterator[Row]]:
    lines = _physical_lines(data)
    start = 0
    while start < len(lines) and not (_decode(lines[start]) or "").strip():
        start += 1
    if start == len(lines):
        return [], iter(())  # an empty file: no header, no rows (an empty export is a normal input)
    head = _decode(lines[start])
    if head is None:
        raise FileUnreadable("has a header line that is not UTF-8 text (export the file as UTF-8)")
    delim = max(DELIMITERS, key=head.count) if any(d in head for d in DELIMITERS) else ","
    names, problem = _scan(head, delim)
    if problem:
        raise FileUnreadable("has an unreadable header line (" + ("a quote is never closed" if problem == "open"
                                                                  else problem) + ")")
    header = _header_names(names)
    width = len(header)

    def naive_width(text: str | None) -> int:
        return 0 if text is None else len(text.split(delim))

    def rows() -> Iterator[Row]:
        i = start + 1
        while i < len(lines):
            line_no = i + 1
            text = _decode(lines[i])
            if text is None:
                yield line_no, None, "is not UTF-8 text (export the file as UTF-8)", raw_of(lines[i])
                i += 1
                continue
            if not text.strip():
                i += 1
                continue
            if '"' in text:
                record_text, used = text, 1
                fields, problem = _scan(record_text, delim)
                while problem == "open":
                    if i + used >= len(lines) or used >= MAX_LINES_PER_VALUE or len(record_text) > MAX_RECORD_CHARS:
                        break
                    nxt = _decode(lines[i + used])
                    if nxt is None or naive_width(nxt) >= width > 1:
                        break  # the next line is a row of its own (or unreadable): the quote was left open
                    record_text += "\n" + nxt
                    used += 1
                    fields, problem = _scan(record_text, delim)
                if problem == "open":
                    yield line_no, None, ("has a quote that is never closed (the value would swallow the rows "
                                          "after it)"), raw_of(text)
                    i += 1  # resume on the next line: the rows after it are read on their own
                    continue
                if problem:
                    yield line_no, None, problem, raw_of(record_text if used > 1 else text)
                    i += 1
                    continue
                i += used
            else:
                fields = text.split(delim)
                i += 1
            if not any(f.strip() for f in fields):
                continue  # a line of delimiters only (a spreadsheet's empty row) holds no data
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                fields = fields[:width]  # trailing delimiters
            if len(fields) != width:
                yield (line_no, None, f"has {len(fields)} field{'s' if len(fields) != 1 else ''} but the header "
                       f"has {width} (another delimiter, or a value with an unquoted '{display(delim)}'?)",
                       raw_of(text))
                continue
            yield line_no, {h: f for h, f in zip(header, fields, strict=True) if h}, None, None

    return [h for h in header if h], rows()


# ------------------------------------------------------------------------------------------------
# JSON lines
# ------------------------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


def read_jsonl(data: bytes) -> tuple[list[str], Iterator[Row]]:
    """One JSON object per line. Lines are split on ``\\n`` only: U+2028 / U+2029 inside a JSON string
    are valid JSON, not line breaks."""
    parsed: list[Row] = []
    columns: dict[str, None] = {}
    for i, line in enumerate(_physical_lines(data), start=1):
        text = _decode(line)
        if text is None:
            parsed.append((i, None, "is not UTF-8 text", raw_of(line)))
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            parsed.append((i, None, "line is not valid JSON", raw_of(text)))
            continue
        if not isinstance(obj, dict):
            parsed.append((i, None, "line is not a JSON object", raw_of(text)))
            continue
        record: dict[str, Any] = {}
        repeated: list[str] = []
        for key, value in obj.items():
            name = normalise_name(str(key))
            if name in record:
                repeated.append(name)
            record[name] = value
        if repeated:
            parsed.append((i, None, f"repeats key(s) {', '.join(sorted(display(r) for r in set(repeated)))} "
                                    "(keys are matched without regard to case)", raw_of(text)))
            continue
        columns.update(dict.fromkeys(record))
        parsed.append((i, record, None, None))
    return list(columns), iter(parsed)


# ------------------------------------------------------------------------------------------------
# Parquet
# ------------------------------------------------------------------------------------------------
def read_parquet(data: bytes) -> tuple[list[str], Iterator[Row]]:
    """Row numbers (1-based) stand for lines. Binary columns are decoded as UTF-8 per value later;
    a value Python cannot represent (a timestamp past year 9999) makes its row bad, not the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as exc:  # noqa: BLE001 - any reader error means the file is unreadable
        raise FileUnreadable(f"is not a readable Parquet file ({type(exc).__name__})") from None
    header = _header_names(list(table.column_names))
    table = table.rename_columns(header)
    parsed: list[Row] = []
    try:
        records = table.to_pylist()
        parsed = [(i, rec, None, None) for i, rec in enumerate(records, start=1)]
    except Exception:  # noqa: BLE001 - some value cannot become a Python object: find the rows
        for i in range(table.num_rows):
            try:
                parsed.append((i + 1, table.slice(i, 1).to_pylist()[0], None, None))
            except Exception as exc:  # noqa: BLE001
                parsed.append((i + 1, None, f"holds a value that cannot be read ({type(exc).__name__}: out of "
                                            "range?)", _row_as_text(table, i)))
    return header, iter(parsed)


def _row_as_text(table: Any, index: int) -> dict[str, str]:
    """A Parquet row as text per column (Arrow formats values Python cannot hold), for the quarantine."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, str] = {"_parquet_row": str(index + 1)}
    for name in table.column_names:
        column = table.column(name).slice(index, 1)
        try:
            value = pc.cast(column, pa.string())[0].as_py()
        except Exception:  # noqa: BLE001 - nested types: their JSON-ish form
            value = str(column.to_pylist() if not pa.types.is_timestamp(column.type) else column.type)
        out[name] = value if value is not None else ""
    return out


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
