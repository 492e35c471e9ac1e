"""AppTest runs of the lifecycle pages (Overview, Funnel, Lost stages, Response times) on the demo warehouse.

The expected numbers come from the facts with the tests' own SQL (tests/dashboard_helpers.py and below),
never through dashboards.queries, so a wrong mart or a wrong query fails here.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pandas as pd
import pytest
import yaml
from dashboard_helpers import (  # noqa: F401
    PROJECT_ROOT,
    dashboard_warehouse_fixture,
    expected_kpis,
    expected_overview,
    fmt_int,
    metrics_with_deltas,
    no_trouble,
    open_app,
    sql_rows,
)
from streamlit.testing.v1 import AppTest

from dashboards import queries, ui

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards")]

OVERVIEW = "app_pages/overview.py"
FUNNEL = "app_pages/funnel.py"
LOST = "app_pages/lost_stages.py"
RESPONSE = "app_pages/response_times.py"


def _chart_values(at: AppTest, index: int) -> list[dict]:
    """The rows a chart draws (Streamlit sends them beside the spec, as Arrow)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    proto = at.get("vega_lite_chart")[index].proto
    rows: list[dict] = []
    for dataset in proto.datasets:
        rows.extend(convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records"))
    if not rows:
        rows.extend(json.loads(proto.spec).get("datasets", {}).get("data", []))
    return rows


CARD_FORMATS = {
    "New leads": ("new_leads", ui.fmt_int, "count"),
    "Hot leads": ("hot_leads", ui.fmt_int, "count"),
    "Customers": ("customers", ui.fmt_int, "count"),
    "Lead-to-customer rate": ("lead_to_customer_rate", ui.fmt_pct, "rate"),
    "Revenue": ("revenue", lambda v: ui.fmt_money(v, "USD"), "money"),
    "CAC": ("cac", lambda v: ui.fmt_money(v, "USD"), "money"),
    "ROAS": ("roas", ui.fmt_ratio, "ratio"),
    "Median first response": ("median_first_response_seconds", ui.fmt_duration, "duration"),
    "Cold-lead rate": ("cold_lead_rate", ui.fmt_pct, "rate"),
}


def _check_cards(shown: dict, now: dict, before: dict) -> None:
    assert set(CARD_FORMATS) <= set(shown)
    for label, (key, fmt, kind) in CARD_FORMATS.items():
        value, delta = shown[label]
        assert value == fmt(now[key]), label
        assert (delta or None) == ui.fmt_delta(now[key], before[key], kind), label


# --------------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------------
def test_overview_kpis_and_deltas_match_the_facts(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse)
    no_trouble(at)
    now = expected_overview(dashboard_warehouse)
    days = (now["end"] - now["start"]).days + 1
    before = expected_overview(
        dashboard_warehouse, now["start"] - dt.timedelta(days=days), now["start"] - dt.timedelta(days=1)
    )
    assert at.date_input(key="overview_range").value == (now["start"], now["end"])
    _check_cards(metrics_with_deltas(at), now, before)
    # the demo business has a real funnel in its last 30 days: something in every count, money both ways
    assert min(now["new_leads"], now["hot_leads"], now["customers"], now["cold_leads"]) > 0
    assert now["revenue"] > 0 and now["ad_spend"] > 0


def test_overview_filters_change_the_numbers(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse)
    first, last = at.date_input(key="overview_range").value
    whole = expected_overview(dashboard_warehouse)
    at.selectbox(key="overview_channel").set_value("whatsapp").run()
    no_trouble(at)
    now = expected_overview(dashboard_warehouse, first, last, channel="whatsapp")
    days = (last - first).days + 1
    before = expected_overview(
        dashboard_warehouse, first - dt.timedelta(days=days), first - dt.timedelta(days=1), channel="whatsapp"
    )
    _check_cards(metrics_with_deltas(at), now, before)
    assert 0 < now["new_leads"] < whole["new_leads"]
    assert metrics_with_deltas(at)["Revenue"][0] == "–"  # spend and revenue are not split by messaging channel

    # a wider range: more leads
    at.selectbox(key="overview_channel").set_value(None).run()
    start = first - dt.timedelta(days=60)
    at.date_input(key="overview_range").set_value((start, last)).run()
    no_trouble(at)
    assert metrics_with_deltas(at)["New leads"][0] == fmt_int(
        expected_overview(dashboard_warehouse, start, last)["new_leads"]
    )


def test_overview_filter_that_leaves_nothing_shows_info(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse)
    at.selectbox(key="overview_channel").set_value("email").run()
    at.selectbox(key="overview_platform").set_value("tiktok").run()  # no e-mail lead comes from a TikTok ad
    no_trouble(at)
    assert metrics_with_deltas(at)["New leads"][0] == "0"
    assert any("Nothing happened" in i.value for i in at.info)


# --------------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------------
def test_funnel_stage_table_matches_the_entries(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, FUNNEL)
    no_trouble(at)
    start, end = at.date_input(key="funnel_range").value
    table = at.dataframe[0].value
    assert table["step_conversion"].iloc[0] == "entry stage"  # not "None"
    assert "None" not in table.to_csv() and "nan" not in table.to_csv()
    reached = dict(
        sql_rows(
            dashboard_warehouse,
            "select s.stage_name, count(e.contact_id) from intermediate.int_lifecycle__stages s "
            "left join marts.fct_lifecycle_funnel_entries e on e.max_stage_order >= s.stage_order "
            "and cast(e.funnel_entry_at as date) between ? and ? where not s.is_lost_stage group by 1",
            [start, end],
        )
    )
    assert {r.stage_name: int(r.contacts_reached) for r in table.itertuples()} == reached
    second = table.iloc[1]
    assert second["step_conversion"] == ui.fmt_pct(second["contacts_reached"] / table["contacts_reached"].iloc[0])

    at.date_input(key="funnel_range").set_value((start, start + (end - start) / 2)).run()
    no_trouble(at)
    assert 0 < int(at.dataframe[0].value["contacts_reached"].iloc[0]) < int(table["contacts_reached"].iloc[0])


def test_funnel_time_in_stage_and_cohorts(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, FUNNEL)
    no_trouble(at)
    months = len(at.dataframe[1].value)
    in_stage = at.dataframe[2].value.set_index("stage_name")
    expected = sql_rows(
        dashboard_warehouse,
        "select stage, median(duration_seconds), quantile_cont(duration_seconds, 0.9) "
        "from marts.fct_lifecycle_stage_spells where exited_at is not null group by stage",
    )
    for stage, median, p90 in expected:
        assert in_stage.loc[stage, "median_seconds"] == ui.fmt_duration(median)
        assert in_stage.loc[stage, "p90_seconds"] == ui.fmt_duration(p90)
    assert len(at.get("vega_lite_chart")) >= 6  # funnel, cohorts, time to convert x2, time in stage x2, review...
    at.segmented_control(key="funnel_grain").set_value("week").run()
    no_trouble(at)
    assert 2 <= months < len(at.dataframe[1].value)


def test_funnel_filter_that_leaves_nothing_shows_info(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, FUNNEL)
    at.selectbox(key="funnel_channel").set_value("email").run()
    at.selectbox(key="funnel_platform").set_value("tiktok").run()
    no_trouble(at)
    assert any("No contact entered the funnel" in i.value for i in at.info)


# --------------------------------------------------------------------------------------------------
# Lost stages
# --------------------------------------------------------------------------------------------------
def test_lost_stages_counts_and_readable_labels(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, LOST)
    no_trouble(at)
    expected = dict(
        sql_rows(
            dashboard_warehouse,
            "select lost_stage, count(*) from marts.fct_lifecycle_funnel_entries where is_lost group by 1",
        )
    )
    shown = metrics_with_deltas(at)
    assert shown["Entries lost"][0] == fmt_int(sum(expected.values()))
    for stage, count in expected.items():
        assert shown[stage][0] == fmt_int(count)

    reasons = {row["dimension_label"] for row in _chart_values(at, 1)}
    assert reasons and not any(r.startswith(("stage_set:", "tag_added:", "no inbound")) for r in reasons)
    assert 'Marked "lost to competitor" in the inbox' in reasons

    channels = {row["dimension_label"] for row in _chart_values(at, 2)}
    at.segmented_control(key="lost_dimension").set_value("Entry campaign").run()
    no_trouble(at)
    campaigns = {row["dimension_label"] for row in _chart_values(at, 2)}
    names = {r[0] for r in sql_rows(dashboard_warehouse, "select campaign_name from marts.rpt_campaign_performance")}
    assert campaigns != channels
    assert campaigns - {"No campaign (organic)"} <= names and not any(c.isdigit() for c in campaigns)

    cold = {row["first_response_bucket"]: row for row in _chart_values(at, 3)}
    by_bucket = sql_rows(
        dashboard_warehouse,
        "select first_response_bucket, count(*), count(*) filter (where lost_stage = 'Cold Lead') "
        "from marts.fct_lifecycle_funnel_entries group by 1",
    )
    assert at.selectbox(key="cold_lost_stage").value == "Cold Lead"  # the preset's inactivity stage
    for bucket, leads, cold_leads in by_bucket:
        assert (cold[bucket]["leads"], cold[bucket]["cold_leads"]) == (leads, cold_leads)


# --------------------------------------------------------------------------------------------------
# Response times
# --------------------------------------------------------------------------------------------------
def test_response_times_match_the_conversations(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, RESPONSE)
    no_trouble(at)
    expected = expected_kpis(dashboard_warehouse)
    assert metrics_with_deltas(at)["Answered"][0] == fmt_int(expected["answered_conversations"])
    assert metrics_with_deltas(at)["Median first response"][0] == ui.fmt_duration(
        expected["median_first_response_seconds"]
    )
    distribution = _chart_values(at, 0)
    total = sql_rows(
        dashboard_warehouse, "select count(*) from marts.fct_conversations where first_inbound_at is not null"
    )
    assert sum(row["conversations"] for row in distribution) == total[0][0]
    assert [row["label"] for row in sorted(distribution, key=lambda r: r["dimension_sort"])][0] == "< 5 min"

    by_channel = at.dataframe[0].value
    assert by_channel["answered_conversations"].sum() == expected["answered_conversations"]
    at.segmented_control(key="response_dimension").set_value("Human vs AI agent").run()
    no_trouble(at)
    assert set(at.dataframe[0].value["label"]) == {"Human agent", "AI agent"}
    at.segmented_control(key="response_dimension").set_value("Agent").run()
    no_trouble(at)
    agents = set(at.dataframe[0].value["label"])
    names = {
        f"{first} {last}".strip()
        for first, last in sql_rows(
            dashboard_warehouse, "select first_name, last_name from staging.stg_respondio__users"
        )
    }
    assert agents and agents <= names  # names, not ids


def test_response_breakdowns_over_all_history_equal_the_all_time_mart(monkeypatch, dashboard_warehouse):
    """The page aggregates rpt_first_response_events per filter set; without filters over the whole history
    every breakdown equals rpt_first_response_times, where the aggregation is defined for BI tools."""
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(dashboard_warehouse))
    first_day, last_day = queries.response_bounds()
    scope = queries.ResponseScope(first_day, last_day)
    columns = ["conversations", "answered_conversations", "answered_by_human", "answered_by_ai_agent",
               "median_seconds", "p90_seconds", "share_within_5m", "share_within_1h", "share_within_24h"]
    for dimension in queries.RESPONSE_DIMENSIONS:
        shown = queries.response_by(dimension, scope)
        if dimension == "responder_type":
            shown["label"] = shown["label"].map({v: k for k, v in queries.RESPONDER_LABELS.items()})
        rows = sql_rows(
            dashboard_warehouse,
            "select dimension_value, conversations, answered_conversations, answered_by_human, answered_by_ai_agent, "
            "median_first_response_seconds, p90_first_response_seconds, share_within_5_minutes, "
            "share_within_1_hour, share_within_24_hours from marts.rpt_first_response_times where dimension = ?",
            [dimension],
        )
        mart = pd.DataFrame(rows, columns=["label", *columns]).sort_values("label").reset_index(drop=True)
        shown = shown[["label", *columns]].sort_values("label").reset_index(drop=True)
        assert len(mart) > 0, dimension
        pd.testing.assert_frame_equal(shown, mart, check_dtype=False, rtol=1e-9, obj=dimension)


def test_response_times_follow_the_date_range_and_filters(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, RESPONSE)
    no_trouble(at)
    first_day, last_day = at.date_input(key="response_range").value
    assert (first_day, last_day) == tuple(
        pd.Timestamp(v).date()
        for v in sql_rows(
            dashboard_warehouse,
            "select min(first_inbound_date), max(first_inbound_date) from marts.rpt_first_response_events",
        )[0]
    )
    start = last_day - dt.timedelta(days=13)
    channel = sql_rows(
        dashboard_warehouse,
        "select channel from marts.rpt_first_response_events where first_inbound_date >= ? "
        "group by channel order by count(*) desc limit 1",
        [start],
    )[0][0]
    at.date_input(key="response_range").set_value((start, last_day)).run()
    at.selectbox(key="response_channel").set_value(channel).run()
    no_trouble(at)
    answered, median = sql_rows(
        dashboard_warehouse,
        "select count(first_response_seconds), median(first_response_seconds) from marts.rpt_first_response_events "
        "where first_inbound_date between ? and ? and channel = ?",
        [start, last_day, channel],
    )[0]
    metrics = metrics_with_deltas(at)
    assert metrics["Answered"][0] == fmt_int(answered)
    assert metrics["Median first response"][0] == ui.fmt_duration(median)
    assert set(at.dataframe[0].value["label"]) == {channel}



def test_duration_axis_reads_as_durations():
    from dashboards import charts

    axis = charts.duration_axis("Time", 200).to_dict()
    assert axis["values"] == [0, 1, 5, 15, 60, 240]
    assert "' min'" in axis["labelExpr"] and "' h'" in axis["labelExpr"]


# --------------------------------------------------------------------------------------------------
# Empty marts, exposures
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", [OVERVIEW, FUNNEL, LOST, RESPONSE])
def test_empty_marts_show_info_not_a_traceback(monkeypatch, dashboard_warehouse, tmp_path, page):
    path = tmp_path / "empty.duckdb"
    shutil.copy(dashboard_warehouse, path)
    con = duckdb.connect(str(path))
    try:
        marts = {*queries.OVERVIEW_MARTS, *queries.FUNNEL_MARTS, *queries.LOST_MARTS, *queries.RESPONSE_MARTS}
        for mart in sorted(marts):
            con.execute(f"delete from marts.{mart}")
    finally:
        con.close()
    at = open_app(monkeypatch, path, page)
    no_trouble(at)
    assert at.info, "an empty mart must say so"


def test_exposures_list_the_marts_each_page_reads():
    exposures = yaml.safe_load((PROJECT_ROOT / "dbt_project/models/exposures/_dashboards__lifecycle.yml").read_text())
    by_name = {e["name"]: e for e in exposures["exposures"]}
    for name, marts in {
        "dashboard_overview": queries.OVERVIEW_MARTS,
        "dashboard_funnel": queries.FUNNEL_MARTS,
        "dashboard_lost_stages": queries.LOST_MARTS,
        "dashboard_response_times": queries.RESPONSE_MARTS,
    }.items():
        refs = {d.removeprefix("ref('").removesuffix("')") for d in by_name[name]["depends_on"]}
        assert refs == set(marts), name
        assert by_name[name]["type"] == "dashboard"
