"""AppTest runs of the Campaigns and attribution and the Customers pages against the built test warehouse.

The expected numbers come from the marts (or the facts below them) with SQL written here, not through
``dashboards.queries``, so a wrong query or a wrong sum in the dashboards fails a test. Formatting goes
through ``dashboards.ui`` (what a card shows), never its queries.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from dashboard_helpers import (  # noqa: F401
    PROJECT_ROOT,
    dashboard_warehouse_fixture,
    frame,
    metrics,
    no_trouble,
    open_app,
    sql_value,
)

from dashboards import queries, ui

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards")]

CAMPAIGNS = "app_pages/campaigns.py"
CUSTOMERS = "app_pages/customers.py"
EXPOSURES = PROJECT_ROOT / "dbt_project" / "models" / "exposures" / "_dashboards__marketing.yml"


def _sql(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _emptied_copy(source: Path, folder: Path, tables: list[str]) -> Path:
    """A copy of the warehouse with the given marts emptied (built, but nothing in them)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "warehouse.duckdb"
    shutil.copy(source, copy)
    con = duckdb.connect(str(copy))
    try:
        for table in tables:
            con.execute(f"delete from marts.{table}")
    finally:
        con.close()
    return copy


# --------------------------------------------------------------------------------------------------
# Campaigns and attribution
# --------------------------------------------------------------------------------------------------
def _expected_totals(path: Path, model: str, platforms: list[str], start: dt.date, end: dt.date) -> dict[str, str]:
    row = _sql(
        path,
        f"""
        select sum(spend_reporting) as spend, sum(leads) as leads, sum(customers) as customers,
               sum(revenue_{model}) as revenue, max(reporting_currency) as currency
        from marts.rpt_campaign_performance
        where platform in (select unnest(?)) and date_trunc('month', date_day) between ? and ?
        """,
        [platforms, start, end],
    ).iloc[0]
    spend, leads, customers, revenue = (float(row[c]) for c in ("spend", "leads", "customers", "revenue"))
    currency = row["currency"]
    return {
        f"Spend ({currency})": ui.fmt_money(spend),
        "Leads": ui.fmt_int(leads),
        "Customers": ui.fmt_int(customers),
        f"Revenue ({currency})": ui.fmt_money(revenue),
        f"CPL ({currency})": ui.fmt_money(spend / leads if leads else None, digits=2),
        f"CAC ({currency})": ui.fmt_money(spend / customers if customers else None, digits=2),
        "ROAS": ui.fmt_ratio(revenue / spend if spend else None),
    }


def _campaign_bounds(path: Path) -> tuple[list[str], dt.date, dt.date]:
    platforms = _sql(path, "select distinct platform from marts.rpt_campaign_performance order by 1")["platform"]
    first, last = _sql(
        path,
        """
        select min(m), max(m) from (
            select date_trunc('month', date_day) as m from marts.rpt_campaign_performance
            union all select conversion_month from marts.rpt_attribution_by_channel
            union all select entry_month from marts.rpt_campaign_funnel
        )
        """,
    ).iloc[0]
    return platforms.tolist(), pd.Timestamp(first).date(), pd.Timestamp(last).date()


def test_campaign_cards_and_tables_match_the_marts(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, CAMPAIGNS)
    no_trouble(at)
    platforms, first, last = _campaign_bounds(dashboard_warehouse)
    assert at.selectbox(key="campaigns_model").value == "last_touch"
    assert metrics(at) == _expected_totals(dashboard_warehouse, "last_touch", platforms, first, last)
    assert len(at.get("vega_lite_chart")) >= 4

    # per campaign, by name (never an id): leads and spend
    shown = frame(at, "campaign_name").set_index("campaign_name")
    expected = _sql(
        dashboard_warehouse,
        "select max(campaign_name) as campaign_name, sum(leads) as leads, sum(spend_reporting) as spend "
        "from marts.rpt_campaign_performance group by campaign_id",
    ).set_index("campaign_name")
    assert set(shown.index) == set(expected.index)
    assert (shown["leads"].astype(int) == expected.loc[shown.index, "leads"].astype(int)).all()
    assert shown["spend"].round(2).tolist() == expected.loc[shown.index, "spend"].round(2).tolist()
    assert not shown.index.str.fullmatch(r"\d{6,}").any()  # names, not ids

    # the six models side by side: purchase revenue per channel and model
    by_channel = frame(at, "Channel")
    assert list(by_channel.columns) == list(queries.ATTRIBUTION_MODELS.values())
    credited = _sql(
        dashboard_warehouse,
        "select marketing_channel, model, sum(revenue_credit) as revenue from marts.fct_attribution_credits "
        "where conversion_type = 'purchase' group by all",
    )
    for _, row in credited.iterrows():  # the demo orders are all in the reporting currency
        model_name = queries.ATTRIBUTION_MODELS[row["model"]]
        assert by_channel.loc[row["marketing_channel"], model_name] == pytest.approx(row["revenue"], rel=1e-9)

    # how far the conversations each campaign started progressed: straight from the funnel entries
    progress = frame(at, "funnel_entries").set_index("campaign_name")
    entries = _sql(
        dashboard_warehouse,
        "select coalesce(entry_campaign_name, 'No campaign') as campaign_name, count(*) as entries, "
        "sum(case when is_won then 1 else 0 end) as won from marts.fct_lifecycle_funnel_entries group by 1",
    ).set_index("campaign_name")
    assert progress["funnel_entries"].astype(int).to_dict() == entries["entries"].to_dict()
    assert progress["won_count"].astype(int).to_dict() == entries["won"].to_dict()


def test_campaign_filters_change_the_numbers(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, CAMPAIGNS)
    platforms, first, last = _campaign_bounds(dashboard_warehouse)
    all_platforms = metrics(at)

    at.selectbox(key="campaigns_model").set_value("linear").run()
    no_trouble(at)
    linear = metrics(at)
    assert linear == _expected_totals(dashboard_warehouse, "linear", platforms, first, last)
    assert linear["Revenue (USD)"] != all_platforms["Revenue (USD)"]

    at.multiselect(key="campaigns_platforms").set_value(["tiktok"]).run()
    no_trouble(at)
    tiktok = metrics(at)
    assert tiktok == _expected_totals(dashboard_warehouse, "linear", ["tiktok"], first, last)
    assert tiktok["Spend (USD)"] != linear["Spend (USD)"]
    assert set(frame(at, "campaign_name")["platform_name"]) == {"TikTok"}

    at.select_slider(key="campaigns_months").set_value((last, last)).run()
    no_trouble(at)
    assert metrics(at) == _expected_totals(dashboard_warehouse, "linear", ["tiktok"], last, last)
    progress = frame(at, "funnel_entries").set_index("campaign_name")
    last_month = sql_value(
        dashboard_warehouse,
        "select count(*) from marts.fct_lifecycle_funnel_entries where entry_campaign_id = 'none' and entry_month = ?",
        [last],
    )
    assert int(progress.loc["No campaign", "funnel_entries"]) == last_month

    at.toggle(key="campaigns_no_campaign").set_value(False).run()  # tiktok ads brought no conversations
    no_trouble(at)
    assert any("No conversation entered the funnel" in i.value for i in at.info)


def test_campaigns_with_no_platform_picked_say_so(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, CAMPAIGNS)
    at.multiselect(key="campaigns_platforms").set_value([]).run()
    no_trouble(at)
    assert any("No campaign spend, leads or revenue" in i.value for i in at.info)
    assert not at.metric


def test_campaigns_page_on_empty_marts(monkeypatch, dashboard_warehouse, tmp_path):
    empty = _emptied_copy(dashboard_warehouse, tmp_path / "empty", list(queries.CAMPAIGN_MARTS))
    at = open_app(monkeypatch, empty, CAMPAIGNS)
    no_trouble(at)
    assert [i.value for i in at.info] == [
        "No campaign, attribution or funnel data yet: connect an ad platform or run the demo pipeline."
    ]


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------
def test_customer_cards_map_and_bands_match_the_marts(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, CUSTOMERS)
    no_trouble(at)
    facts = _sql(dashboard_warehouse, "select * from marts.fct_customer_value")
    currency = facts["reporting_currency"].iloc[0]
    shown = metrics(at)
    assert shown["Customers"] == ui.fmt_int(len(facts))
    assert shown["Median historical CLV"] == ui.fmt_money(facts["historical_clv"].median(), currency)
    assert shown["Median predicted CLV"] == ui.fmt_money(facts["predicted_clv"].median(), currency)
    assert shown["High churn risk"] == ui.fmt_int((facts["churn_risk_band"] == "high").sum())
    assert len(at.get("vega_lite_chart")) >= 5

    # the map at the latest month end: every cell, counts equal to the customers' current cells
    cells = frame(at, "rfm_cell").set_index("rfm_cell")
    assert len(cells) == 7
    current = facts.groupby("rfm_cell").size()
    assert cells["customers"].sum() == len(facts)
    for cell, n in cells["customers"].items():
        assert n == current.get(cell, 0), cell

    bands = frame(at, "churn_risk_band").set_index("churn_risk_band")
    assert (
        bands["customers"].to_dict() == facts.groupby(facts["churn_risk_band"].fillna("not predicted")).size().to_dict()
    )

    retention = frame(at, "customer_retention_rate")
    assert len(retention) == sql_value(dashboard_warehouse, "select count(*) from marts.rpt_customer_retention")


def test_rfm_month_and_channel_filters_change_the_numbers(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, CUSTOMERS)
    latest = frame(at, "rfm_cell")["customers"].sum()
    months = _sql(dashboard_warehouse, "select distinct snapshot_month from marts.rpt_rfm_lifecycle_map order by 1")
    earlier = pd.Timestamp(months["snapshot_month"].iloc[len(months) // 2]).date()
    at.selectbox(key="customers_rfm_month").set_value(earlier).run()
    no_trouble(at)
    cells = frame(at, "rfm_cell").set_index("rfm_cell")["customers"]
    expected = _sql(
        dashboard_warehouse,
        "select rfm_cell, customers from marts.rpt_rfm_lifecycle_map where snapshot_month = ?",
        [earlier],
    ).set_index("rfm_cell")["customers"]
    assert cells.to_dict() == expected.to_dict()
    assert 0 < cells.sum() < latest

    answers = _sql(
        dashboard_warehouse,
        "select channel, sum(nps_answers) as nps, sum(csat_answers) as csat, sum(promoters) as promoters, "
        "sum(detractors) as detractors from marts.rpt_customer_satisfaction group by channel order by nps desc",
    )
    scores = frame(at, "nps_answers")
    assert scores["nps_answers"].sum() == answers["nps"].sum()
    channel = answers["channel"].iloc[0]
    at.multiselect(key="customers_channels").set_value([channel]).run()
    no_trouble(at)
    one_channel = frame(at, "nps_answers")
    assert one_channel["nps_answers"].sum() == answers["nps"].iloc[0] < scores["nps_answers"].sum()
    monthly = _sql(
        dashboard_warehouse,
        "select answer_month, 100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_answers), 0) as nps "
        "from marts.rpt_customer_satisfaction where channel = ? group by 1 order by 1",
        [channel],
    )
    assert one_channel["nps"].tolist() == [ui.fmt_number(v) for v in monthly["nps"]]

    at.multiselect(key="customers_channels").set_value([]).run()
    no_trouble(at)
    assert any("No NPS or CSAT answer" in i.value for i in at.info)


def test_a_cell_opens_its_customers_masked(monkeypatch, dashboard_warehouse):
    members = _sql(
        dashboard_warehouse,
        "select value.contact_id, contacts.email, contacts.phone from marts.fct_customer_value as value "
        "left join marts.dim_contacts as contacts using (contact_id) where value.rfm_cell = 'Loyalists'",
    )
    assert len(members) > 0
    at = open_app(monkeypatch, dashboard_warehouse, CUSTOMERS)
    assert not any("contact_id" in d.value.columns for d in at.dataframe)
    at.selectbox(key="customers_rfm_cell").set_value("Loyalists").run()
    no_trouble(at)
    shown = frame(at, "contact_id")
    assert sorted(shown["contact_id"]) == sorted(members["contact_id"])
    rendered = shown.to_csv()
    for email, phone in zip(members["email"], members["phone"], strict=True):
        if isinstance(email, str) and email:
            assert email not in rendered
            assert ui.mask_email(email) in rendered
        if isinstance(phone, str) and len(phone) > 4:
            assert phone not in rendered


def test_customers_page_without_customers(monkeypatch, dashboard_warehouse, tmp_path):
    empty = _emptied_copy(dashboard_warehouse, tmp_path / "empty", ["fct_customer_value"])
    at = open_app(monkeypatch, empty, CUSTOMERS)
    no_trouble(at)
    assert len(at.info) == 1 and "No customers yet" in at.info[0].value


# --------------------------------------------------------------------------------------------------
# Exposures: each page's exposure depends on exactly the marts the page requires
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exposure", "marts"),
    [("dashboard_campaigns", queries.CAMPAIGN_MARTS), ("dashboard_customers", queries.CUSTOMER_MARTS)],
)
def test_exposures_list_the_marts_each_page_reads(exposure, marts):
    declared = {e["name"]: e for e in yaml.safe_load(EXPOSURES.read_text())["exposures"]}[exposure]
    refs = {ref.removeprefix("ref('").removesuffix("')") for ref in declared["depends_on"]}
    assert refs == set(marts)
    assert declared["type"] == "dashboard"
    page = "campaigns" if exposure == "dashboard_campaigns" else "customers"
    assert declared["url"].endswith(f"/{page}")
    source = (PROJECT_ROOT / "dashboards" / "app_pages" / f"{page}.py").read_text()
    assert f"queries.require(*queries.{'CAMPAIGN' if page == 'campaigns' else 'CUSTOMER'}_MARTS)" in source
