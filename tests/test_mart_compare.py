"""The row-for-row comparison the portability tests rely on finds what differs, and only that."""

from __future__ import annotations

import datetime as dt

import duckdb
from mart_compare import compare_schemas, duckdb_columns


def _engine(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.t (id varchar, n bigint, x double, seen_at timestamp, _built_at timestamp)")
    con.executemany("insert into marts.t values (?, ?, ?, ?, ?)", rows)
    return con


def _compare(a, b, **kw) -> dict[str, list[str]]:
    return compare_schemas(["marts"], lambda s: duckdb_columns(a, s), lambda q: a.execute(q).fetchall(),
                           lambda q: b.execute(q).fetchall(), **kw)


T = dt.datetime(2026, 1, 1, 12)
ROWS = [("a", 1, 0.1, T, T), ("b", 2, None, None, T), ("c", 2, 1 / 3, T, T)]


def test_equal_tables_in_another_order_with_last_bit_differences_and_other_build_times_agree():
    other = [(i, n, x + 1e-12 if x else x, at, T + dt.timedelta(days=1)) for i, n, x, at, _ in reversed(ROWS)]
    assert _compare(_engine(ROWS), _engine(other)) == {}


def test_a_changed_value_a_missing_row_and_a_missing_table_are_reported():
    changed = [ROWS[0], ("b", 3, None, None, T), ROWS[2]]
    assert _compare(_engine(ROWS), _engine(changed)) == {"marts.t": ["marts.t: n=3 (expected 2)"]}
    assert _compare(_engine(ROWS), _engine(ROWS[:2])) == {"marts.t": ["marts.t: 2 rows, expected 3"]}
    empty = duckdb.connect()
    assert "CatalogException" in _compare(_engine(ROWS), empty)["marts.t"][0]


def test_a_tolerance_per_column():
    looser = [("a", 1, 0.1001, T, T), *ROWS[1:]]
    assert _compare(_engine(ROWS), _engine(looser))
    assert _compare(_engine(ROWS), _engine(looser), tolerances={"x": 1e-2}) == {}
