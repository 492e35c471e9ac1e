"""Row-for-row comparison of the marts built by two engines from the same raw data.

Every table and view of the compared schemas is read whole from both engines; the values are brought to
one form (integers as integers, numbers as floats, timestamps in UTC without a zone), the rows sorted,
and each row compared column by column, numbers within a relative tolerance (two engines may sum the
same doubles in another order and differ in the last bits). Columns that only record when a row was
built or loaded differ by nature and are left out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

# when the row was built or loaded: the two builds ran at different times
BOOKKEEPING = frozenset({"_built_at", "_loaded_at", "_mapped_at"})

Fetch = Callable[[str], list[tuple]]  # runs a query on one engine and returns its rows


def normalise(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        f = float(value)
        if math.isnan(f):
            return None
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, (list, tuple)):
        return tuple(normalise(v) for v in value)
    return value


def _sort_key(row: Sequence[Any]) -> tuple:
    # None first, then by type name, numbers rounded so that last-bit differences sort alike
    key = []
    for v in row:
        if isinstance(v, float):
            v = float(f"{v:.6g}")
        key.append((v is not None, type(v).__name__ if not isinstance(v, (int, float)) else "number",
                    v if v is not None else 0))
    return tuple(key)


def _same(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)
    return a == b


def compare_table(table: str, columns: Sequence[str], expected: Fetch, actual: Fetch,
                  rel: float = 1e-6, tolerances: Mapping[str, float] | None = None) -> list[str]:
    """The differences between the two engines' rows of ``table`` (schema.name), at most a few of them."""
    select = f"select {', '.join(columns)} from {table}"
    want = sorted((tuple(normalise(v) for v in r) for r in expected(select)), key=_sort_key)
    got = sorted((tuple(normalise(v) for v in r) for r in actual(select)), key=_sort_key)
    if len(want) != len(got):
        return [f"{table}: {len(got)} rows, expected {len(want)}"]
    problems = []
    for w, g in zip(want, got, strict=True):
        diff = [f"{c}={g[i]!r} (expected {w[i]!r})" for i, c in enumerate(columns)
                if not _same(w[i], g[i], (tolerances or {}).get(c, rel))]
        if diff:
            problems.append(f"{table}: " + ", ".join(diff[:4]))
            if len(problems) >= 3:
                break
    return problems


def compare_schemas(schemas: Iterable[str], columns_of: Callable[[str], dict[str, list[str]]],
                    expected: Fetch, actual: Fetch, skip: Iterable[str] = (), rel: float = 1e-6,
                    tolerances: Mapping[str, float] | None = None,
                    ignore_columns: Iterable[str] = ()) -> dict[str, list[str]]:
    """Compare every table of ``schemas``; ``columns_of(schema)`` gives {table: [column, ...]} of the
    expected engine. Returns {table: problems} for the tables that differ (empty when all agree)."""
    differing: dict[str, list[str]] = {}
    for schema in schemas:
        for table, cols in sorted(columns_of(schema).items()):
            name = f"{schema}.{table}"
            if name in skip:
                continue
            ignored = BOOKKEEPING | set(ignore_columns)
            kept = [c for c in cols if c not in ignored]
            try:
                problems = compare_table(name, kept, expected, actual, rel, tolerances)
            except Exception as exc:  # noqa: BLE001 - a missing table or column is a difference too
                problems = [f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"]
            if problems:
                differing[name] = problems
    return differing


def duckdb_columns(con, schema: str, tables_only: bool = False) -> dict[str, list[str]]:
    """{table: [column, ...]} of a DuckDB schema, in column order (views too unless ``tables_only``)."""
    rows = con.execute("select c.table_name, c.column_name from information_schema.columns as c "
                       "join information_schema.tables as t using (table_schema, table_name) "
                       "where c.table_schema = ? and (not ? or t.table_type = 'BASE TABLE') "
                       "order by c.table_name, c.ordinal_position", [schema, tables_only]).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out
