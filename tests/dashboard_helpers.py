"""Shared by the dashboard tests: a built warehouse of their own, and the values the KPIs must show.

The warehouse is a copy of the session's ``demo_warehouse`` (conftest: demo data run through
``dbt build`` once per session, shared by all xdist workers), so the dashboard tests add no second dbt
build. The copy keeps the dashboards' read-only opens and the Streamlit server process independent of
any other test that might open the shared file.

The expected values are computed here with their own SQL straight from the marts, not with
``dashboards.queries``, so a wrong query in the dashboards makes the tests fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP = PROJECT_ROOT / "dashboards" / "app.py"


@pytest.fixture(scope="session", name="dashboard_warehouse")
def dashboard_warehouse_fixture(demo_warehouse, tmp_path_factory) -> Path:
    """Import this into a test module; tests then ask for ``dashboard_warehouse``."""
    copy = tmp_path_factory.mktemp("dashboards") / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy


def fmt_int(n: int) -> str:
    return f"{int(n):,}"


def expected_kpis(path: Path) -> dict[str, int | float | str | None]:
    """Headline numbers computed from the stage spells and the stage configuration, independently of the
    dashboards' SQL (which reads dim_contacts, fct_lifecycle_funnel_entries and rpt_lifecycle_funnel)."""
    con = duckdb.connect(str(path), read_only=True)
    try:

        def one(sql: str, params: list | None = None):
            return con.execute(sql, params or []).fetchone()[0]

        won_stage, won_order = con.execute(
            "select stage_name, stage_order from intermediate.int_lifecycle__stages where is_won_stage"
        ).fetchone()
        spells = "marts.fct_lifecycle_stage_spells"
        current = f"select * from {spells} where is_current"
        entries = one(f"select count(*) from (select distinct contact_id, funnel_episode from {spells})")
        reached_won = one(
            f"select count(*) from (select distinct contact_id, funnel_episode from {spells} "
            "where not is_lost_stage and stage_order >= ?)",
            [won_order],
        )
        won_entries = one(
            f"select count(*) from (select distinct contact_id, funnel_episode from {spells} where is_won_stage)"
        )
        return {
            "contacts": one("select count(*) from marts.dim_contacts"),
            "in_funnel": one(
                f"select count(*) from ({current}) where not is_lost_stage and stage_order < ?", [won_order]
            ),
            "customers": one(
                f"select count(*) from ({current}) where not is_lost_stage and stage_order >= ?", [won_order]
            ),
            "lost": one(f"select count(*) from ({current}) where is_lost_stage"),
            "entries": entries,
            "reached_won": reached_won,
            "conversion_rate": won_entries / entries if entries else None,
            "median_first_response_seconds": one(
                "select median(first_response_seconds) from marts.fct_conversations "
                "where first_response_seconds is not null"
            ),
            "answered_conversations": one(
                "select count(*) from marts.fct_conversations "
                "where first_inbound_at is not null and first_response_seconds is not null"
            ),
            "won_stage": won_stage,
        }
    finally:
        con.close()


def sample_contact(path: Path) -> tuple[str, int, str | None]:
    """A contact with the longest stage history: (contact_id, number of spells, its email)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        contact_id, spells = con.execute(
            "select contact_id, count(*) as n from marts.fct_lifecycle_stage_spells "
            "group by contact_id order by n desc, contact_id limit 1"
        ).fetchone()
        email = con.execute("select email from marts.dim_contacts where contact_id = ?", [contact_id]).fetchone()
        return contact_id, spells, email[0] if email else None
    finally:
        con.close()
