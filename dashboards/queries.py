"""All SQL of the dashboards. Parameters are bound (``?``), never formatted into the SQL text.

The warehouse handle is a cached resource (one per warehouse path); every query function is cached with
a TTL so that a page rerun (a widget change) does not read the file again. The functions return
DataFrames with the column names the pages and :mod:`dashboards.charts` use, so a renamed mart column
is fixed here only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.warehouse_access import MARTS_SCHEMA, MartMissing, ReadOnlyWarehouse
from warehouse_io import warehouse_path

CACHE_TTL_SECONDS = 60
STATUS_TTL_SECONDS = 5

OVERVIEW_MARTS = ("rpt_lifecycle_kpis_daily", "rpt_first_response_events", "rpt_lifecycle_stage_durations")
FUNNEL_MARTS = (
    "rpt_lifecycle_stage_conversion",
    "rpt_lifecycle_funnel",
    "rpt_lifecycle_stage_durations",
    "rpt_lifecycle_time_in_stage",
    "rpt_lifecycle_dropoff_review",
    "rpt_lifecycle_stage_daily",
)
LOST_MARTS = ("rpt_lifecycle_lost", "rpt_lifecycle_stage_durations")
RESPONSE_MARTS = ("rpt_first_response_times",)
CONTACT_MARTS = ("dim_contacts", "fct_lifecycle_stage_spells")


# --------------------------------------------------------------------------------------------------
# Connection and plumbing
# --------------------------------------------------------------------------------------------------
def warehouse_location() -> str:
    return str(warehouse_path())


@st.cache_resource(show_spinner=False)
def warehouse(path: str) -> ReadOnlyWarehouse:
    """The one cached handle per warehouse file (opens a short read-only connection per query)."""
    return ReadOnlyWarehouse(Path(path))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _query(path: str, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    return warehouse(path).query(sql, params)


def run(sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """Run a statement of this module on the current warehouse (cached for CACHE_TTL_SECONDS)."""
    return _query(warehouse_location(), sql, tuple(params))


def clear_caches() -> None:
    _query.clear()
    _existing_marts.clear()


@st.cache_data(ttl=STATUS_TTL_SECONDS, show_spinner=False)
def _existing_marts(path: str) -> frozenset[str]:
    rows = warehouse(path).query(
        "select table_name from information_schema.tables where table_schema = ?", (MARTS_SCHEMA,)
    )
    return frozenset(rows["table_name"].str.lower())


def require(*names: str) -> None:
    """Raise :class:`MartMissing` naming every mart of ``names`` the warehouse does not have yet."""
    existing = _existing_marts(warehouse_location())
    missing = [n for n in names if n.lower() not in existing]
    if missing:
        raise MartMissing([f"{MARTS_SCHEMA}.{n}" for n in missing])


def _scalar(df: pd.DataFrame, column: str) -> Any:
    if df.empty:
        return None
    value = df[column].iloc[0]
    return None if pd.isna(value) else value


# --------------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------------
# Every KPI is defined in rpt_lifecycle_kpis_daily (additive counts and sums by day, channel, platform and
# campaign) and rpt_first_response_events (one row per conversation, for the median). A date range sums the
# days; the rates are the mart's documented ratios of those sums, so any range (and the previous range of the
# same length) reads the same definitions.
@dataclass(frozen=True)
class Filters:
    """Channel, ad platform and campaign filters of the lifecycle pages (None: all)."""

    channel: str | None = None
    platform: str | None = None
    campaign_id: str | None = None

    def sql(self) -> str:
        return (
            " and (cast(? as varchar) is null or channel = ?)"
            " and (cast(? as varchar) is null or platform = ?)"
            " and (cast(? as varchar) is null or campaign_id = ?)"
        )

    def params(self) -> tuple[Any, ...]:
        return (self.channel, self.channel, self.platform, self.platform, self.campaign_id, self.campaign_id)


SQL_KPI_BOUNDS = """
select min(date_day) as first_day, max(date_day) as last_day
from marts.rpt_lifecycle_kpis_daily
where new_leads > 0
"""


def _date(value: Any) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def kpi_bounds() -> tuple[dt.date | None, dt.date | None]:
    """First and last funnel-entry day of the KPI mart (the date filter's limits)."""
    row = run(SQL_KPI_BOUNDS)
    return _date(_scalar(row, "first_day")), _date(_scalar(row, "last_day"))


SQL_FILTER_OPTIONS = """
select distinct 'channel' as kind, channel as value, channel as label
from marts.rpt_lifecycle_kpis_daily
where channel is not null
union all
select distinct 'platform', platform, platform
from marts.rpt_lifecycle_kpis_daily
union all
select 'campaign', campaign_id, min(coalesce(campaign_name, campaign_id))
from marts.rpt_lifecycle_kpis_daily
where campaign_id is not null
group by campaign_id
order by 1, 3
"""


def filter_options() -> dict[str, list[tuple[str, str]]]:
    """(value, label) per filter kind: channel, platform, campaign (names, not ids)."""
    df = run(SQL_FILTER_OPTIONS)
    return {
        kind: list(zip(df.loc[df["kind"] == kind, "value"], df.loc[df["kind"] == kind, "label"], strict=True))
        for kind in ("channel", "platform", "campaign")
    }


SQL_KPI_SUMS = """
with days as (
    select *
    from marts.rpt_lifecycle_kpis_daily
    where date_day >= ? and date_day <= ? {filters}
),

responses as (
    select median(first_response_seconds) as median_first_response_seconds
    from marts.rpt_first_response_events
    where first_inbound_date >= ? and first_inbound_date <= ? {filters}
)

select
    coalesce(sum(days.new_leads), 0) as new_leads,
    coalesce(sum(days.hot_leads), 0) as hot_leads,
    coalesce(sum(days.customers), 0) as customers,
    coalesce(sum(days.cold_leads), 0) as cold_leads,
    coalesce(sum(days.ad_spend), 0) as ad_spend,
    coalesce(sum(days.revenue), 0) as revenue,
    sum(days.customers) * 1.0 / nullif(sum(days.new_leads), 0) as lead_to_customer_rate,
    sum(days.cold_leads) * 1.0 / nullif(sum(days.new_leads), 0) as cold_lead_rate,
    sum(days.ad_spend) / nullif(sum(days.customers), 0) as cac,
    sum(days.revenue) / nullif(sum(days.ad_spend), 0) as roas,
    min(days.reporting_currency) as reporting_currency,
    min(responses.median_first_response_seconds) as median_first_response_seconds
from responses
left join days on true
"""


def kpis(start: dt.date, end: dt.date, filters: Filters = Filters()) -> dict[str, Any]:
    """The Overview KPIs over [start, end] (inclusive days) and the filters."""
    sql = SQL_KPI_SUMS.format(filters=filters.sql())
    row = run(sql, (start, end, *filters.params(), start, end, *filters.params()))
    out = {c: _scalar(row, c) for c in row.columns}
    # spend and revenue are not split by messaging channel: under a channel filter they are unknown, not 0
    if filters.channel is not None:
        for key in ("ad_spend", "revenue", "cac", "roas"):
            out[key] = None
    return out


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The range of the same length that ends the day before ``start``."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


SQL_STAGE_ROLES = """
select stage, stage_order, is_lost_stage, is_won_stage, is_hot_lead_stage, is_cold_stage
from marts.rpt_lifecycle_stage_durations
order by display_order
"""


def stage_roles() -> dict[str, list[str]]:
    """Configured stage names by role (hot_lead, won, cold, lost, active), for labels."""
    df = run(SQL_STAGE_ROLES)
    return {
        "hot_lead": df.loc[df["is_hot_lead_stage"], "stage"].tolist(),
        "won": df.loc[df["is_won_stage"], "stage"].tolist(),
        "cold": df.loc[df["is_cold_stage"], "stage"].tolist(),
        "lost": df.loc[df["is_lost_stage"], "stage"].tolist(),
        "active": df.loc[~df["is_lost_stage"], "stage"].tolist(),
    }


# --------------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------------
# rpt_lifecycle_stage_conversion: per entry day x slice x stage, entries and how many reached the stage.
SQL_STAGE_FUNNEL = """
with summed as (
    select
        stage as stage_name,
        stage_order,
        bool_or(is_won_stage) as is_won_stage,
        sum(reached_count) as contacts_reached,
        sum(funnel_entries) as contacts_entered
    from marts.rpt_lifecycle_stage_conversion
    where date_day >= ? and date_day <= ? {filters}
    group by stage, stage_order
)
select
    stage_name,
    stage_order,
    is_won_stage,
    contacts_reached,
    contacts_entered,
    contacts_reached * 1.0 / nullif(contacts_entered, 0) as share_of_entered,
    contacts_reached * 1.0 / nullif(lag(contacts_reached) over (order by stage_order), 0) as step_conversion_rate
from summed
order by stage_order
"""


def stage_funnel(start: dt.date, end: dt.date, filters: Filters = Filters()) -> pd.DataFrame:
    """Funnel entries between ``start`` and ``end`` (inclusive) that reached each active stage; empty when none."""
    df = run(SQL_STAGE_FUNNEL.format(filters=filters.sql()), (start, end, *filters.params()))
    if df.empty or int(df["contacts_entered"].fillna(0).max()) == 0:
        return df.iloc[0:0]
    return df


SQL_CONVERSION_BOUNDS = """
select min(date_day) as first_day, max(date_day) as last_day
from marts.rpt_lifecycle_stage_conversion
"""


def funnel_entry_bounds() -> tuple[dt.date | None, dt.date | None]:
    row = run(SQL_CONVERSION_BOUNDS)
    return _date(_scalar(row, "first_day")), _date(_scalar(row, "last_day"))


SQL_COHORT_FUNNEL = """
select
    cohort_start,
    stage as stage_name,
    stage_order,
    entered_count as contacts_entered,
    reached_count as contacts_reached,
    reached_rate as share_of_cohort,
    conversion_from_previous_rate as step_conversion_rate,
    entry_to_won_rate,
    median_hours_to_reach * 3600 as median_seconds_to_stage,
    p90_hours_to_reach * 3600 as p90_seconds_to_stage
from marts.rpt_lifecycle_funnel
where cohort_grain = ?
order by cohort_start, stage_order
"""


def cohort_funnel(grain: str) -> pd.DataFrame:
    """rpt_lifecycle_funnel for one cohort grain ('week' or 'month')."""
    df = run(SQL_COHORT_FUNNEL, (grain,))
    df["cohort_start"] = pd.to_datetime(df["cohort_start"])
    return df


SQL_STAGE_DURATIONS = """
select
    stage as stage_name,
    stage_order,
    display_order,
    is_lost_stage,
    is_won_stage,
    reached_count as contacts_reached,
    median_seconds_to_reach as median_seconds_to_stage,
    p90_seconds_to_reach as p90_seconds_to_stage,
    completed_spell_count,
    open_spell_count,
    median_seconds_in_stage as median_seconds,
    p90_seconds_in_stage as p90_seconds
from marts.rpt_lifecycle_stage_durations
order by display_order
"""


def stage_durations() -> pd.DataFrame:
    """Per configured stage: median / p90 time from entry to the stage, and time spent in it (all history)."""
    return run(SQL_STAGE_DURATIONS)


SQL_TIME_IN_STAGE_MONTHLY = """
select entered_month, stage as stage_name, stage_order, is_lost_stage, completed_spell_count,
       median_hours, p90_hours
from marts.rpt_lifecycle_time_in_stage
where not is_lost_stage
order by entered_month, stage_order
"""


def time_in_stage_monthly() -> pd.DataFrame:
    df = run(SQL_TIME_IN_STAGE_MONTHLY)
    df["entered_month"] = pd.to_datetime(df["entered_month"])
    return df


SQL_STAGE_SNAPSHOT = """
select date_day as snapshot_date, stage as stage_name, display_order as stage_order, is_lost_stage, contacts
from marts.rpt_lifecycle_stage_daily
order by date_day, display_order
"""


def stage_snapshot() -> pd.DataFrame:
    df = run(SQL_STAGE_SNAPSHOT)
    df["snapshot_date"] = pd.to_datetime(df["snapshot_date"])
    return df


SQL_DROPOFF_REVIEW = """
select
    review_month,
    from_stage,
    from_stage_order,
    to_stage,
    reached_from_count,
    reached_to_count,
    conversion_rate,
    trailing_conversion_rate,
    median_days_to_next,
    trailing_median_days_to_next,
    is_low_rate,
    is_slow,
    is_flagged
from marts.rpt_lifecycle_dropoff_review
order by review_month, from_stage_order
"""


def dropoff_review() -> pd.DataFrame:
    df = run(SQL_DROPOFF_REVIEW)
    df["review_month"] = pd.to_datetime(df["review_month"])
    df["step"] = df["from_stage"] + " → " + df["to_stage"]
    return df


# --------------------------------------------------------------------------------------------------
# Lost stages (rpt_lifecycle_lost: one row per dimension x value x lost stage)
# --------------------------------------------------------------------------------------------------
SQL_LOST = """
select dimension_value, dimension_label, dimension_sort, lost_stage, funnel_entries, lost_count, lost_rate
from marts.rpt_lifecycle_lost
where dimension = ?
order by dimension_sort, dimension_label, lost_stage
"""
LOST_DIMENSIONS = (
    "overall",
    "lost_from_stage",
    "lost_reason",
    "entry_channel",
    "entry_campaign",
    "first_response_bucket",
)


def lost(dimension: str) -> pd.DataFrame:
    """Lost entries by one breakdown of rpt_lifecycle_lost (see LOST_DIMENSIONS), with readable labels."""
    if dimension not in LOST_DIMENSIONS:
        raise ValueError(f"unknown lost-stage breakdown {dimension!r}; known: {LOST_DIMENSIONS}")
    return run(SQL_LOST, (dimension,))


# --------------------------------------------------------------------------------------------------
# Response times
# --------------------------------------------------------------------------------------------------
# rpt_first_response_times: one row per (dimension, dimension_value); dimension is overall, channel, team,
# agent (names), responder_type, hour_of_day or response_bucket. Shares count unanswered conversations as
# "not within"; median and p90 are over answered conversations.
RESPONSE_COLUMNS = """
    dimension_value as label,
    dimension_sort,
    conversations,
    answered_conversations,
    answered_by_human,
    answered_by_ai_agent,
    median_first_response_seconds as median_seconds,
    p90_first_response_seconds as p90_seconds,
    share_within_5_minutes as share_within_5m,
    share_within_1_hour as share_within_1h,
    share_within_24_hours as share_within_24h
"""
SQL_RESPONSE_BY = f"""
select {RESPONSE_COLUMNS}
from marts.rpt_first_response_times
where dimension = ?
order by dimension_sort, conversations desc, dimension_value
"""
RESPONSE_DIMENSIONS = ("overall", "channel", "team", "agent", "responder_type", "hour_of_day", "response_bucket")
RESPONDER_LABELS = {"human": "Human agent", "ai_agent": "AI agent"}


def response_by(dimension: str) -> pd.DataFrame:
    """First response per channel, team, agent, responder type (human vs AI agent), hour of day, bucket, overall."""
    if dimension not in RESPONSE_DIMENSIONS:
        raise ValueError(f"unknown response-time breakdown {dimension!r}; known: {RESPONSE_DIMENSIONS}")
    df = run(SQL_RESPONSE_BY, (dimension,))
    if dimension == "responder_type":
        df["label"] = df["label"].map(lambda v: RESPONDER_LABELS.get(v, v))
    return df


def response_overall() -> dict[str, Any]:
    row = response_by("overall")
    return {c: _scalar(row, c) for c in row.columns}


def response_by_hour() -> pd.DataFrame:
    df = response_by("hour_of_day")
    df = df[df["label"].str.isdigit()].copy()
    df["hour_of_day"] = df["label"].astype(int)
    return df.sort_values("hour_of_day")


def response_distribution() -> pd.DataFrame:
    """Conversations per first-response bucket, fastest first ('no response' last)."""
    df = response_by("response_bucket").sort_values("dimension_sort")
    total = df["conversations"].sum()
    df["share"] = df["conversations"] / total if total else None
    return df

# --------------------------------------------------------------------------------------------------
# Contacts (one at a time)
# --------------------------------------------------------------------------------------------------
SQL_CONTACT = """
select contact_id, email, phone, country_code, first_channel, channels, identities, current_stage,
       current_lost_stage, current_lost_reason, current_stage_entered_at, funnel_entry_at, funnel_episodes,
       is_opted_out
from marts.dim_contacts
where contact_id = ?
"""


def contact_profile(contact_id: str) -> dict[str, Any] | None:
    df = run(SQL_CONTACT, (contact_id,))
    if df.empty:
        return None
    return {c: (None if pd.isna(v) else v) for c, v in df.iloc[0].items()}


def contact_identities(profile: dict[str, Any]) -> pd.DataFrame:
    """dim_contacts.identities ('type:value, type:value') as rows (values still unmasked)."""
    pairs = [item.split(":", 1) for item in (profile.get("identities") or "").split(", ") if ":" in item]
    return pd.DataFrame(pairs, columns=["identifier_type", "identifier_value"])


SQL_CONTACT_SPELLS = """
select
    stage as stage_name,
    is_lost_stage,
    entered_at,
    exited_at,
    duration_seconds,
    entered_by_signal,
    lost_reason,
    is_current
from marts.fct_lifecycle_stage_spells
where contact_id = ?
order by spell_number
"""


def contact_spells(contact_id: str) -> pd.DataFrame:
    return run(SQL_CONTACT_SPELLS, (contact_id,))


def lost_rate_by_first_response(lost_stage: str) -> pd.DataFrame:
    """Share of entries that ended in ``lost_stage`` per first-response bucket of the entry conversation."""
    df = lost("first_response_bucket")
    df = df[df["lost_stage"] == lost_stage]
    return pd.DataFrame(
        {
            "first_response_bucket": df["dimension_value"],
            "bucket_order": df["dimension_sort"],
            "leads": df["funnel_entries"],
            "cold_leads": df["lost_count"],
            "cold_rate": df["lost_rate"],
        }
    ).sort_values("bucket_order")


# --------------------------------------------------------------------------------------------------
# Campaigns and attribution
# --------------------------------------------------------------------------------------------------
# rpt_campaign_performance, rpt_attribution_by_channel / _by_campaign, fct_attribution_credits.


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------
# fct_customer_value, rpt_rfm_lifecycle_map, rpt_customer_cohorts / _retention / _satisfaction.


# --------------------------------------------------------------------------------------------------
# Segments and the segment builder
# --------------------------------------------------------------------------------------------------
# the segment models (schema `segments`) and int_segments__contact_facts' mart twin.


# --------------------------------------------------------------------------------------------------
# Activation health
# --------------------------------------------------------------------------------------------------
# ops.sync_runs / ops.sync_failures through the serving views.
