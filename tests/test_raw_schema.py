"""The raw-table registry: consistent, and its published doc is current."""

from pathlib import Path

import pytest

import warehouse_io
from ingestion import raw_tables

ROOT = Path(__file__).resolve().parent.parent


def test_published_raw_table_doc_is_current():
    doc = (ROOT / "docs" / "raw_tables.md").read_text()
    assert doc == raw_tables.render_markdown(), "run `make docs` to regenerate docs/raw_tables.md"


def test_every_table_has_a_primary_key_and_unique_columns():
    for t in raw_tables.RAW_TABLES:
        assert t.primary_key, t.qualified_name
        assert len(set(t.column_names)) == len(t.column_names), t.qualified_name


def test_registry_typos_fail_at_import():
    with pytest.raises(ValueError, match="unknown columns"):
        raw_tables._t("raw_x", "y", "d", ("id",), [("other", "varchar", "")])


def test_bootstrap_creates_every_table_and_adds_new_columns(tmp_path):
    wh = tmp_path / "w.duckdb"
    with warehouse_io.connect(wh) as con:
        con.execute("create schema raw_shop")
        con.execute("create table raw_shop.refunds (refund_id bigint)")  # an older shape of the table
        raw_tables.ensure_raw_tables(con)
        tables = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                             "where table_schema like 'raw_%'").fetchall()
        refund_cols = [r[0] for r in con.execute("describe raw_shop.refunds").fetchall()]
    assert {t for (t,) in tables} == set(raw_tables.BY_NAME)
    assert refund_cols[:1] == ["refund_id"] and set(raw_tables.table("raw_shop.refunds").column_names) <= set(refund_cols)


def test_merge_is_idempotent_and_keeps_the_last_row_per_key(tmp_path):
    import pandas as pd

    wh = tmp_path / "w.duckdb"
    rows = pd.DataFrame({"contact_id": [1, 2, 2], "email": ["a@x.io", "b@x.io", "b2@x.io"]})
    with warehouse_io.connect(wh) as con:
        warehouse_io.merge_rows(con, raw_tables.table("raw_respondio.contacts"), rows)
        warehouse_io.merge_rows(con, raw_tables.table("raw_respondio.contacts"), rows)
        got = con.execute("select contact_id, email from raw_respondio.contacts order by 1").fetchall()
    assert got == [(1, "a@x.io"), (2, "b2@x.io")]
