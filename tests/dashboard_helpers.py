"""Shared by the dashboard tests: a built warehouse of their own, and the values the KPIs must show.

The warehouse is a copy of the session's ``demo_warehouse`` (conftest: demo data run through
``dbt build`` once per session, shared by all xdist workers), so the dashboard tests add no second dbt
build. The copy keeps the dashboards' read-only opens and the Streamlit server process independent of
any other test that might open the shared file.

The expected values are computed here with their own SQL straight from the marts, not with
``dashboards.queries``, so a wrong query in the dashboards makes the tests fail.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

if TYPE_CHECKING:
    import pandas as pd
    from streamlit.testing.v1 import AppTest

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


def sql_rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on the warehouse at ``path``, opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sql_value(path: Path, sql: str, params: list | None = None):
    """The first column of the first row of ``sql``."""
    return sql_rows(path, sql, params)[0][0]


# --------------------------------------------------------------------------------------------------
# AppTest runs of dashboards/app.py
# --------------------------------------------------------------------------------------------------
def open_app(monkeypatch, warehouse: Path, page: str | None = None, timeout: int = 90) -> AppTest:
    """dashboards/app.py run on ``warehouse`` as a user opens it, then switched to ``page`` (a file such as
    "app_pages/funnel.py") unless that is the default page, which the first run shows already."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.run()
    if page is not None and page != _default_page():
        at.switch_page(page).run()
    return at


@functools.cache
def _default_page() -> str:
    return next(p.file for p in app_pages() if p.default)


def no_trouble(at: AppTest) -> None:
    """The page raised nothing and shows no error and no warning."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]


def metrics(at: AppTest) -> dict[str, str]:
    """The cards on the page: {label: value}."""
    return {m.label: m.value for m in at.metric}


def metrics_with_deltas(at: AppTest) -> dict[str, tuple[str, str]]:
    """The cards on the page with their deltas: {label: (value, delta)}."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column`` (as a column or as the name of its index)."""
    for df in at.dataframe:
        value = df.value
        if column in value.columns or value.index.name == column:
            return value
    raise AssertionError(f"no table with a {column!r} column; tables: {[list(d.value.columns) for d in at.dataframe]}")


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


@dataclass(frozen=True)
class AppPage:
    """One entry of ``PAGES`` in dashboards/app.py, read from its source (no Streamlit run needed)."""

    file: str  # relative to dashboards/, as AppTest.switch_page wants it: "app_pages/overview.py"
    title: str
    url_path: str  # "" for the default page
    default: bool


def app_pages() -> list[AppPage]:
    """Every ``st.Page(...)`` of the ``PAGES`` list in dashboards/app.py, in order.

    Read with :mod:`ast`, so pages other branches append are covered without editing the tests. The file is
    the last string of the page's path expression (``HERE / "app_pages" / "x.py"``); the url path is the
    ``url_path`` keyword, else the file stem (Streamlit's default), and "" for the default page."""
    tree = ast.parse(APP.read_text())
    pages: list[AppPage] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets)):
            continue
        for call in getattr(node.value, "elts", []):
            if not (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "Page"):
                continue
            strings = [c for c in ast.walk(call.args[0]) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            parts = [c.value for c in sorted(strings, key=lambda c: (c.lineno, c.col_offset))]
            kwargs = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            path = "/".join(p for p in parts if p)
            if not path.startswith("app_pages/"):
                path = "app_pages/" + parts[-1]
            default = bool(kwargs.get("default", False))
            url = "" if default else str(kwargs.get("url_path") or Path(parts[-1]).stem)
            pages.append(AppPage(file=path, title=str(kwargs.get("title") or Path(parts[-1]).stem), url_path=url,
                                 default=default))
    if not pages:
        raise AssertionError(f"no st.Page(...) in the PAGES list of {APP}")
    return pages


def expected_overview(
    path: Path, start: dt.date | None = None, end: dt.date | None = None, channel: str | None = None
) -> dict[str, Any]:
    """The Overview's KPIs over [start, end] (default: the last 30 days with funnel entries, as the page
    opens) computed from the facts (funnel entries, attribution credits, campaign spend, conversations), not
    from rpt_lifecycle_kpis_daily: the mart and the page's queries are both checked."""
    con = duckdb.connect(str(path), read_only=True)
    try:

        def one(sql: str, params: list | None = None):
            return con.execute(sql, params or []).fetchone()[0]

        if end is None:
            end = one("select max(cast(funnel_entry_at as date)) from marts.fct_lifecycle_funnel_entries")
        if start is None:
            first = one("select min(cast(funnel_entry_at as date)) from marts.fct_lifecycle_funnel_entries")
            start = max(first, end - dt.timedelta(days=29))
        hot_order = one("select stage_order from intermediate.int_lifecycle__stages where stage_name = 'Hot Lead'")
        where = "cast(funnel_entry_at as date) between ? and ?" + (" and entry_channel = ?" if channel else "")
        params = [start, end] + ([channel] if channel else [])
        leads = con.execute(
            "select count(*), count(*) filter (where max_stage_order >= ?), count(*) filter (where is_won), "
            f"count(*) filter (where lost_stage = 'Cold Lead') from marts.fct_lifecycle_funnel_entries where {where}",
            [hot_order, *params],
        ).fetchone()
        revenue = one(
            "select coalesce(sum(c.revenue_credit * r.rate_to_reporting), 0) from marts.fct_attribution_credits c "
            "join intermediate.int_attribution__currency_rates r on coalesce(c.currency, 'USD') = r.currency "
            "where c.model = 'last_touch' and c.conversion_type = 'purchase' "
            "and cast(c.converted_at as date) between ? and ?",
            [start, end],
        )
        spend = one(
            "select coalesce(sum(spend_reporting), 0) from marts.rpt_campaign_performance where date_day between ? and ?",
            [start, end],
        )
        median = one(
            "select median(first_response_seconds) from marts.fct_conversations "
            "where cast(first_inbound_at as date) between ? and ?" + (" and channel = ?" if channel else ""),
            params,
        )
        new, hot, customers, cold = leads
        return {
            "start": start,
            "end": end,
            "new_leads": new,
            "hot_leads": hot,
            "customers": customers,
            "cold_leads": cold,
            "lead_to_customer_rate": customers / new if new else None,
            "cold_lead_rate": cold / new if new else None,
            "revenue": None if channel else revenue,
            "ad_spend": None if channel else spend,
            "cac": None if channel or not customers else spend / customers,
            "roas": None if channel or not spend else revenue / spend,
            "median_first_response_seconds": median,
        }
    finally:
        con.close()


def page_problems(warehouse: Path) -> dict[str, list[str]]:
    """Every page of dashboards/app.py run on ``warehouse`` as a user opens it: what it raised or showed as an
    error or a warning, per page (empty: every page rendered cleanly; info lines such as "no sync has run
    yet" are how a page says that a mart is empty, and are fine)."""
    import os

    from streamlit.testing.v1 import AppTest

    previous = os.environ.get("LIFECYCLE_WAREHOUSE")
    os.environ["LIFECYCLE_WAREHOUSE"] = str(warehouse)
    problems: dict[str, list[str]] = {}
    try:
        for page in app_pages():
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()
            if not page.default:
                at.switch_page(page.file).run()
            found = [f"exception: {e.value}" for e in at.exception] + [f"error: {e.value}" for e in at.error]
            found += [f"warning: {w.value}" for w in at.warning]
            if found:
                problems[page.file] = found
    finally:
        if previous is None:
            os.environ.pop("LIFECYCLE_WAREHOUSE", None)
        else:
            os.environ["LIFECYCLE_WAREHOUSE"] = previous
    return problems
