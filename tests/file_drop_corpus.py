"""The bad-input corpus of the file drop, generated for every entity (nothing of it is committed).

For each entity of :data:`ingestion.file_drop.schemas.SCHEMAS` and each :class:`Case` that applies to
it, :func:`build_corpus` writes one file ``<entity>_<case>.<ext>`` holding good rows around the bad
input, and returns what must happen to it: which good rows load (by key) and which lines are
quarantined. The personal values in the rows come from :mod:`planted`, so no reason or log line may
show them.

The cases are the classes of bad input the hardening issue tried (about ninety of them across
formats): broken quoting, other delimiters, NUL bytes, bytes that are not UTF-8, swapped columns,
extreme timestamps, numbers that are not numbers, lone surrogates, U+2028 inside JSON strings,
nested values, odd encodings and line ends, empty files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import planted

from ingestion.file_drop.schemas import IDENTIFIERS, SCHEMAS, EntitySchema

N_GOOD = 6  # good rows per file


# --------------------------------------------------------------------------------------------------
# Rows of an entity
# --------------------------------------------------------------------------------------------------
@dataclass
class Kit:
    """Good rows of one entity, and which columns a case may spoil."""

    schema: EntitySchema
    tag: str = ""  # makes the keys of one case's file its own (files of one entity share a table)
    columns: list[str] = field(init=False)
    key: list[str] = field(init=False)

    def __post_init__(self) -> None:
        t = self.schema.table
        self.columns = [c for c in self.schema.file_columns if c != "source_system"]
        self.key = [k for k in t.primary_key if k != "source_system"]

    @property
    def entity(self) -> str:
        return self.schema.entity

    def type_of(self, column: str) -> str:
        return self.schema.table.column(column).type

    def value(self, column: str, n: int) -> str:
        rule = self.schema.rule(column)
        typ = self.type_of(column)
        if column == "ad_id":
            return f"{self.tag}ad-{n}"
        if column in self.key and typ == "varchar" and not rule.accepted and column != "contact_external_id":
            return f"{self.tag}{self.entity[:3]}-{n}"
        if column == "contact_external_id":
            return f"{self.tag}C{n}"
        if column == "email":
            return f"r{n}.{planted.EMAILS[0]}"
        if column == "phone":
            return planted.PHONES[n % len(planted.PHONES)]
        if column in ("first_name", "last_name"):
            return planted.NAMES[0 if column == "first_name" else 1]
        if column in ("channel_user_id", "click_id", "ctwa_clid"):
            return planted.CLICK_IDS[0]
        if column == "score":
            return "9"
        if column == "survey_type":
            return "nps"
        if column == "stage":
            return "Hot Lead"
        if rule.accepted:
            return rule.accepted[0]
        if rule.check == "currency":
            return "EUR"
        if rule.check == "country":
            return "DE"
        if rule.check == "slug":
            return "purchase"
        if typ == "timestamp":
            return "2024-05-01T10:00:00Z"
        if typ == "date":
            return "2024-05-01"
        if typ in ("bigint", "integer"):
            return "3"
        if typ.startswith("decimal"):
            return "10.50"
        return "x"

    def row(self, n: int) -> dict[str, str]:
        return {c: self.value(c, n) for c in self.columns}

    def key_of(self, n: int) -> tuple[str, ...]:
        return tuple(self.value(k, n) for k in self.key)

    # columns a case spoils -----------------------------------------------------------------------
    def first(self, pred: Callable[[str], bool]) -> str | None:
        return next((c for c in self.columns if pred(c)), None)

    @property
    def ts_col(self) -> str | None:
        req = self.first(lambda c: self.type_of(c) == "timestamp" and self.schema.rule(c).required)
        return req or self.first(lambda c: self.type_of(c) == "timestamp")

    @property
    def date_col(self) -> str | None:
        return self.first(lambda c: self.type_of(c) == "date")

    @property
    def enum_col(self) -> str | None:
        return self.first(lambda c: bool(self.schema.rule(c).accepted) or self.schema.rule(c).check == "slug")

    @property
    def num_col(self) -> str | None:
        return self.first(lambda c: self.type_of(c) in ("bigint", "integer") or self.type_of(c).startswith("decimal"))

    @property
    def int_col(self) -> str | None:
        return self.first(lambda c: self.type_of(c) in ("bigint", "integer"))

    @property
    def text_col(self) -> str:
        """A free-text column: no key, no identifier, no rule (a quote or a NUL lands there)."""
        col = self.first(lambda c: self.type_of(c) == "varchar" and c not in self.key and c not in IDENTIFIERS
                         and not self.schema.rule(c).accepted and not self.schema.rule(c).check
                         and not self.schema.rule(c).required and c not in ("source_system",))
        return col or self.key[0]

    @property
    def required_col(self) -> str | None:
        return self.first(lambda c: self.schema.rule(c).required and c not in self.key)


# --------------------------------------------------------------------------------------------------
# Writing rows
# --------------------------------------------------------------------------------------------------
def csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(kit: Kit, row: dict[str, str], **raw: str) -> str:
    """A CSV line of ``row``; ``raw`` values are written as given (no quoting)."""
    return ",".join(raw[c] if c in raw else csv_field(row[c]) for c in kit.columns)


@dataclass
class Built:
    data: bytes
    good: list[int]           # good row numbers (their keys must load)
    bad_lines: list[int]      # lines (rows, for Parquet) that must be quarantined
    rows: int                 # data rows in the file (loaded + quarantined must equal it)
    good_keys: list[tuple[str, ...]] | None = None  # keys when they differ from kit.key_of


@dataclass
class Case:
    name: str
    fmt: str
    build: Callable[[Kit], Built]
    applies: Callable[[Kit], bool] = lambda kit: True


def _csv(kit: Kit, lines: list[str | bytes], good: list[int], header: str | None = None,
         newline: str = "\n") -> tuple[bytes, list[int]]:
    """The file's bytes and the line numbers of the entries of ``lines`` (header is line 1)."""
    head = header if header is not None else ",".join(kit.columns)
    parts: list[bytes] = [head.encode()]
    for line in lines:
        parts.append(line if isinstance(line, bytes) else line.encode())
    return newline.encode().join(parts) + newline.encode(), list(range(2, len(lines) + 2))


def _csv_case(kit: Kit, bad_at: int, bad: list[str | bytes]) -> Built:
    """Good rows 1..N_GOOD with ``bad`` lines inserted before good row ``bad_at``."""
    goods = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
    lines: list[str | bytes] = [*goods[: bad_at - 1], *bad, *goods[bad_at - 1:]]
    data, numbers = _csv(kit, lines, [])
    bad_lines = numbers[bad_at - 1: bad_at - 1 + len(bad)]
    return Built(data, list(range(1, N_GOOD + 1)), bad_lines, N_GOOD + len(bad))


def _bad_row(kit: Kit, n: int = 90, **changes: str) -> dict[str, str]:
    row = kit.row(n)
    row.update(changes)
    return row


def _spoil_csv(col_attr: str, value: str) -> Callable[[Kit], Built]:
    def build(kit: Kit) -> Built:
        col = getattr(kit, col_attr)
        return _csv_case(kit, 3, [csv_line(kit, _bad_row(kit, **{col: value}))])
    return build


def _all_good_csv(transform: Callable[[Kit, bytes], bytes], header: Callable[[Kit], str] | None = None
                  ) -> Callable[[Kit], Built]:
    def build(kit: Kit) -> Built:
        lines = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
        data, _ = _csv(kit, lines, [], header=header(kit) if header else None)
        return Built(transform(kit, data), list(range(1, N_GOOD + 1)), [], N_GOOD)
    return build


def _unterminated_quote(kit: Kit) -> Built:
    col = kit.text_col
    bad = csv_line(kit, _bad_row(kit), **{col: f'"Unclosed {planted.NAMES[0]}'})
    return _csv_case(kit, 2, [bad])


def _quote_closed_later(kit: Kit) -> Built:
    col = kit.text_col
    goods = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
    opener = csv_line(kit, _bad_row(kit, 91), **{col: f'"Opened {planted.NAMES[0]}'})
    closer = csv_line(kit, _bad_row(kit, 92), **{col: f'{planted.NAMES[1]} closed"'})
    lines = [goods[0], opener, goods[1], goods[2], closer, *goods[3:]]
    data, numbers = _csv(kit, lines, [])
    return Built(data, list(range(1, N_GOOD + 1)), [numbers[1], numbers[4]], N_GOOD + 2)


def _legit_multiline(kit: Kit) -> Built:
    col = kit.text_col
    goods = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
    row7 = kit.row(7)
    row7[col] = "first line\nsecond line"
    lines = [*goods, csv_line(kit, row7)]
    data, _ = _csv(kit, lines, [])
    return Built(data, list(range(1, N_GOOD + 2)), [], N_GOOD + 1)


def _semicolon_row(kit: Kit) -> Built:
    return _csv_case(kit, 3, [";".join(kit.row(90).values())])


def _fewer_fields(kit: Kit) -> Built:
    values = list(kit.row(90).values())
    return _csv_case(kit, 3, [",".join(csv_field(v) for v in values[: max(1, len(values) // 2)])])


def _more_fields(kit: Kit) -> Built:
    return _csv_case(kit, 3, [csv_line(kit, kit.row(90)) + f",extra,{csv_field(planted.EMAILS[1])}"])


def _invalid_utf8(kit: Kit) -> Built:
    col = kit.text_col
    line = csv_line(kit, _bad_row(kit), **{col: "MARKER"}).encode().replace(b"MARKER", b"J\xf6rg \xff\xfe")
    return _csv_case(kit, 3, [line])


def _no_identifier(kit: Kit) -> Built:
    return _csv_case(kit, 3, [csv_line(kit, _bad_row(kit, contact_external_id="", email="", phone=""))])


def _missing_required(kit: Kit) -> Built:
    return _csv_case(kit, 3, [csv_line(kit, _bad_row(kit, **{kit.required_col: ""}))])


def _two_bad_timestamps(first: str, second: str) -> Callable[[Kit], Built]:
    def build(kit: Kit) -> Built:
        col = kit.ts_col
        return _csv_case(kit, 3, [csv_line(kit, _bad_row(kit, 90, **{col: first})),
                                  csv_line(kit, _bad_row(kit, 91, **{col: second}))])
    return build


def _bounds_accepted(kit: Kit) -> Built:
    col = kit.ts_col
    goods = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
    low = kit.row(7)
    low[col] = "1970-01-01T00:00:00Z"
    high = kit.row(8)
    high[col] = "2099-12-31T23:59:59+00:00"
    data, _ = _csv(kit, [*goods, csv_line(kit, low), csv_line(kit, high)], [])
    return Built(data, list(range(1, N_GOOD + 3)), [], N_GOOD + 2)


def _blank_lines(kit: Kit) -> Built:
    goods = [csv_line(kit, kit.row(n)) for n in range(1, N_GOOD + 1)]
    data, _ = _csv(kit, [goods[0], "", "   ", *goods[1:3], ",".join("" for _ in kit.columns), *goods[3:]], [])
    return Built(data, list(range(1, N_GOOD + 1)), [], N_GOOD)


CSV_CASES: list[Case] = [
    Case("unterminated_quote", "csv", _unterminated_quote),
    Case("quote_closed_later", "csv", _quote_closed_later),
    Case("stray_quote", "csv", lambda kit: _csv_case(
        kit, 3, [csv_line(kit, _bad_row(kit), **{kit.text_col: 'O"Brien'})])),
    # (a value in the first column that spans lines cannot be told from a swallowing quote: not a case)
    Case("legit_multiline_value", "csv", _legit_multiline, lambda k: k.columns.index(k.text_col) > 0),
    Case("semicolon_row", "csv", _semicolon_row),
    Case("nul_only_line", "csv", lambda kit: _csv_case(kit, 3, ["\x00"])),
    Case("nul_in_value", "csv", _spoil_csv("text_col", "ab\x00cd")),
    Case("fewer_fields", "csv", _fewer_fields),
    Case("more_fields", "csv", _more_fields),
    Case("invalid_utf8_line", "csv", _invalid_utf8),
    Case("phone_in_enum_column", "csv", _spoil_csv("enum_col", planted.PHONES[0]), lambda k: k.enum_col is not None),
    Case("email_in_timestamp_column", "csv", _spoil_csv("ts_col", planted.EMAILS[2]), lambda k: k.ts_col is not None),
    Case("name_in_number_column", "csv", _spoil_csv("num_col", planted.NAMES[0]), lambda k: k.num_col is not None),
    Case("ts_9999_with_offset", "csv", _spoil_csv("ts_col", "9999-12-31T23:00:00-05:00"),
         lambda k: k.ts_col is not None),
    Case("ts_0001_with_offset", "csv", _spoil_csv("ts_col", "0001-01-01T00:30:00+01:00"),
         lambda k: k.ts_col is not None),
    Case("ts_outside_1970_2099", "csv", _two_bad_timestamps("1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z"),
         lambda k: k.ts_col is not None),
    Case("ts_bounds_accepted", "csv", _bounds_accepted, lambda k: k.ts_col is not None),
    Case("ts_not_iso", "csv", _spoil_csv("ts_col", "01/05/2024 10:00"), lambda k: k.ts_col is not None),
    Case("date_impossible", "csv", _spoil_csv("date_col", "2024-13-45"), lambda k: k.date_col is not None),
    Case("date_year_0001", "csv", _spoil_csv("date_col", "0001-01-01"), lambda k: k.date_col is not None),
    Case("number_with_comma", "csv", _spoil_csv("num_col", "1,5"), lambda k: k.num_col is not None),
    Case("negative_number", "csv", _spoil_csv("num_col", "-5"), lambda k: k.num_col is not None),
    Case("huge_integer", "csv", _spoil_csv("int_col", "99999999999999999999"), lambda k: k.int_col is not None),
    Case("missing_required", "csv", _missing_required, lambda k: k.required_col is not None),
    Case("no_identifier", "csv", _no_identifier, lambda k: k.schema.needs_contact),
    Case("name_in_email_column", "csv", lambda kit: _csv_case(
        kit, 3, [csv_line(kit, _bad_row(kit, email=f"{planted.NAMES[0]} at home"))]),
         lambda k: "email" in k.columns),
    Case("header_in_other_case", "csv", _all_good_csv(
        lambda kit, data: data, header=lambda kit: ",".join(c.replace("_", " ").title() for c in kit.columns))),
    Case("crlf_and_bom", "csv", _all_good_csv(lambda kit, data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))),
    Case("utf16_with_bom", "csv", _all_good_csv(lambda kit, data: data.decode().encode("utf-16"))),
    Case("trailing_delimiters", "csv", _all_good_csv(lambda kit, data: data.replace(b"\n", b",\n"))),
    Case("blank_lines", "csv", _blank_lines),
    Case("empty_file", "csv", lambda kit: Built(b"", [], [], 0)),
    Case("header_only", "csv", lambda kit: Built((",".join(kit.columns) + "\n").encode(), [], [], 0)),
]


# --------------------------------------------------------------------------------------------------
# JSON lines
# --------------------------------------------------------------------------------------------------
def _jsonl(kit: Kit, bad_at: int, bad: list[str | bytes], good_rows: dict[int, dict[str, Any]] | None = None
           ) -> Built:
    rows = good_rows or {n: kit.row(n) for n in range(1, N_GOOD + 1)}
    goods = [json.dumps(r, ensure_ascii=False) for r in rows.values()]
    lines: list[str | bytes] = [*goods[: bad_at - 1], *bad, *goods[bad_at - 1:]]
    data = b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n"
    return Built(data, list(rows), list(range(bad_at, bad_at + len(bad))), len(rows) + len(bad))


def _jsonl_spoil(col_attr: str, value: Any) -> Callable[[Kit], Built]:
    def build(kit: Kit) -> Built:
        row: dict[str, Any] = dict(kit.row(90))
        row[getattr(kit, col_attr)] = value
        return _jsonl(kit, 3, [json.dumps(row)])
    return build


def _jsonl_u2028(kit: Kit) -> Built:
    rows: dict[int, dict[str, Any]] = {n: dict(kit.row(n)) for n in range(1, N_GOOD + 1)}
    column = kit.text_col if kit.text_col not in kit.key else "contact_external_id"
    rows[2][column] = "before\u2028middle\u2029after"  # raw characters: valid inside a JSON string
    return _jsonl(kit, N_GOOD + 1, [], rows)


def _jsonl_keys_upper(kit: Kit) -> Built:
    rows: dict[int, dict[str, Any]] = {n: {k.upper(): v for k, v in kit.row(n).items()} for n in range(1, N_GOOD + 1)}
    return _jsonl(kit, N_GOOD + 1, [], rows)


def _jsonl_int_ids(kit: Kit) -> Built:
    rows: dict[int, dict[str, Any]] = {}
    for n in range(1, N_GOOD + 1):
        r: dict[str, Any] = dict(kit.row(n))
        if "contact_external_id" in r:
            r["contact_external_id"] = 1000 + n  # a number where text is expected: kept as its digits
        rows[n] = r
    return _jsonl(kit, N_GOOD + 1, [], rows)


def _jsonl_duplicate_keys(kit: Kit) -> Built:
    row = kit.row(90)
    first = kit.columns[0]
    text = json.dumps(row)[:-1] + f', "{first.upper()}": {json.dumps(planted.EMAILS[0])}}}'
    return _jsonl(kit, 3, [text])


JSONL_CASES: list[Case] = [
    Case("invalid_json", "jsonl", lambda kit: _jsonl(kit, 3, [f'{{"email": "{planted.EMAILS[0]}", "x": ']),),
    Case("not_an_object", "jsonl", lambda kit: _jsonl(kit, 3, [json.dumps([planted.EMAILS[0], planted.PHONES[0]])])),
    Case("lone_surrogate", "jsonl", lambda kit: _jsonl(kit, 3, [_surrogate_line(kit)])),
    Case("u2028_u2029_inside_strings", "jsonl", _jsonl_u2028),
    Case("nested_object_in_text", "jsonl", _jsonl_spoil("text_col", {"nested": planted.EMAILS[0]})),
    Case("list_in_enum", "jsonl", _jsonl_spoil("enum_col", [planted.PHONES[0]]), lambda k: k.enum_col is not None),
    Case("boolean_in_enum", "jsonl", _jsonl_spoil("enum_col", True), lambda k: k.enum_col is not None),
    Case("boolean_in_text", "jsonl", _jsonl_spoil("text_col", False)),
    Case("nan_number", "jsonl", lambda kit: _jsonl(kit, 3, [_constant_line(kit, "NaN")]),
         lambda k: k.num_col is not None),
    Case("infinity_number", "jsonl", lambda kit: _jsonl(kit, 3, [_constant_line(kit, "-Infinity")]),
         lambda k: k.num_col is not None),
    Case("keys_in_other_case", "jsonl", _jsonl_keys_upper),
    Case("duplicate_keys_by_case", "jsonl", _jsonl_duplicate_keys),
    Case("deep_nesting", "jsonl", lambda kit: _jsonl(kit, 3, ['{"a": ' + "[" * 100000 + "]" * 100000 + "}"])),
    Case("ts_9999_with_offset", "jsonl", _jsonl_spoil("ts_col", "9999-12-31T23:00:00-05:00"),
         lambda k: k.ts_col is not None),
    Case("epoch_number_as_timestamp", "jsonl", _jsonl_spoil("ts_col", 1714557600), lambda k: k.ts_col is not None),
    Case("numbers_for_text_ids", "jsonl", _jsonl_int_ids, lambda k: "contact_external_id" in k.columns),
    Case("invalid_utf8_line", "jsonl", lambda kit: _jsonl(
        kit, 3, [json.dumps({**kit.row(90), kit.text_col: "MARKER"}).encode().replace(b"MARKER", b"\xff\xfe")])),
    Case("empty_file", "jsonl", lambda kit: Built(b"", [], [], 0)),
]


def _constant_line(kit: Kit, constant: str) -> str:
    row = dict(kit.row(90))
    row[kit.num_col] = "MARKER"
    return json.dumps(row).replace('"MARKER"', constant)  # Python's json writes these; JSON has none


def _surrogate_line(kit: Kit) -> str:
    row = dict(kit.row(90))
    row[kit.text_col] = "MARKER"
    return json.dumps(row).replace("MARKER", "a\\ud800b")  # a JSON escape of a lone surrogate: valid JSON syntax


# --------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------
def _parquet(kit: Kit, rows: list[dict[str, Any]], types: dict[str, Any] | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = types or {}
    arrays = {}
    for c in kit.columns:
        values = [r.get(c) for r in rows]
        arrays[c] = pa.array(values, type=types.get(c, pa.string()))
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays), buf)
    return buf.getvalue()


def _pq_binary(kit: Kit) -> Built:
    import pyarrow as pa

    rows = [{c: v.encode() for c, v in kit.row(n).items()} for n in range(1, N_GOOD + 1)]
    return Built(_parquet(kit, rows, {c: pa.binary() for c in kit.columns}), list(range(1, N_GOOD + 1)), [], N_GOOD)


def _pq_binary_bad_utf8(kit: Kit) -> Built:
    import pyarrow as pa

    rows = [{c: v.encode() for c, v in kit.row(n).items()} for n in range(1, N_GOOD + 1)]
    bad = {c: v.encode() for c, v in kit.row(90).items()}
    bad[kit.text_col] = b"J\xf6rg \xff"
    rows.insert(2, bad)
    return Built(_parquet(kit, rows, {c: pa.binary() for c in kit.columns}), list(range(1, N_GOOD + 1)), [3],
                 N_GOOD + 1)


def _pq_timestamps(kit: Kit) -> Built:
    import datetime as dt

    import pyarrow as pa

    col = kit.ts_col
    good = [dict(kit.row(n)) for n in range(1, N_GOOD + 1)]
    for r in good:
        r[col] = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    far = dict(kit.row(90))
    far[col] = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # year 10000 in UTC
    early = dict(kit.row(91))
    early[col] = dt.datetime(1, 1, 1, 0, 30)
    rows = [good[0], far, *good[1:4], early, *good[4:]]
    types = {c: pa.string() for c in kit.columns}
    types[col] = pa.timestamp("us", tz="UTC")
    return Built(_parquet(kit, rows, types), list(range(1, N_GOOD + 1)), [2, 6], N_GOOD + 2)


def _pq_list_in_text(kit: Kit) -> Built:
    import pyarrow as pa

    col = kit.text_col
    rows: list[dict[str, Any]] = [dict(kit.row(n)) for n in range(1, N_GOOD + 1)]
    for r in rows:
        r[col] = None
    bad: dict[str, Any] = dict(kit.row(90))
    bad[col] = [planted.EMAILS[0]]
    rows.insert(3, bad)
    types = {c: pa.string() for c in kit.columns}
    types[col] = pa.list_(pa.string())
    return Built(_parquet(kit, rows, types), list(range(1, N_GOOD + 1)), [4], N_GOOD + 1)


def _pq_int_overflow(kit: Kit) -> Built:
    import pyarrow as pa

    col = kit.int_col
    rows: list[dict[str, Any]] = [dict(kit.row(n)) for n in range(1, N_GOOD + 1)]
    for r in rows:
        r[col] = int(r[col])
    bad: dict[str, Any] = dict(kit.row(90))
    bad[col] = 2**63 + 5  # past bigint
    rows.insert(1, bad)
    types = {c: pa.string() for c in kit.columns}
    types[col] = pa.uint64()
    return Built(_parquet(kit, rows, types), list(range(1, N_GOOD + 1)), [2], N_GOOD + 1)


def _pq_float_ids(kit: Kit) -> Built:
    import pyarrow as pa

    rows: list[dict[str, Any]] = []
    for n in range(1, N_GOOD + 1):
        r: dict[str, Any] = dict(kit.row(n))
        r["contact_external_id"] = float(2000 + n)  # a spreadsheet turned the ids into floats
        rows.append(r)
    types = {c: pa.string() for c in kit.columns}
    types["contact_external_id"] = pa.float64()
    return Built(_parquet(kit, rows, types), list(range(1, N_GOOD + 1)), [], N_GOOD)


PARQUET_CASES: list[Case] = [
    Case("binary_string_columns", "parquet", _pq_binary),
    Case("binary_not_utf8", "parquet", _pq_binary_bad_utf8),
    Case("timestamps_out_of_range", "parquet", _pq_timestamps, lambda k: k.ts_col is not None),
    Case("list_in_text_column", "parquet", _pq_list_in_text, lambda k: k.text_col not in k.key),
    Case("integer_overflow", "parquet", _pq_int_overflow, lambda k: k.int_col is not None),
    Case("float_ids", "parquet", _pq_float_ids, lambda k: "contact_external_id" in k.columns),
]

CASES: list[Case] = [*CSV_CASES, *JSONL_CASES, *PARQUET_CASES]
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


@dataclass
class Planned:
    entity: str
    case: str
    file: str
    built: Built
    expected_keys: set[tuple[str, ...]]


def key_for(kit: Kit, case: str, n: int) -> tuple[str, ...]:
    if case == "numbers_for_text_ids" and "contact_external_id" in kit.key:
        return tuple(str(1000 + n) if k == "contact_external_id" else kit.value(k, n) for k in kit.key)
    if case == "float_ids" and "contact_external_id" in kit.key:
        return tuple(str(2000 + n) if k == "contact_external_id" else kit.value(k, n) for k in kit.key)
    if case == "u2028_u2029_inside_strings" and n == 2 and "contact_external_id" in kit.key \
            and kit.text_col in kit.key:
        return ("before\u2028middle\u2029after",)
    return kit.key_of(n)


def build_corpus(folder: Path) -> list[Planned]:
    """Write every (entity, case) file into ``folder``; return what must happen to each."""
    folder.mkdir(parents=True, exist_ok=True)
    plan: list[Planned] = []
    for entity, schema in SCHEMAS.items():
        for case in CASES:
            kit = Kit(schema, tag=f"{case.fmt[0]}{case.name}:")
            if not case.applies(kit):
                continue
            built = case.build(kit)
            name = f"{entity}_{case.name}.{EXTENSIONS[case.fmt]}"
            (folder / name).write_bytes(built.data)
            plan.append(Planned(entity, f"{case.fmt}-{case.name}", name, built,
                                {key_for(kit, case.name, n) for n in built.good}))
    return plan
