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
RESPONSE_MARTS = ("rpt_first_response_events",)
CONTACT_MARTS = (
    "dim_contacts",
    "fct_lifecycle_stage_spells",
    "fct_conversations",
    "fct_customer_value",
    "fct_touchpoints",
)


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
# The page reads rpt_first_response_events (one row per conversation with an inbound message, the flags and
# buckets defined there) so that a date range and the channel, platform and campaign filters apply: medians
# and percentiles do not add up across days. The aggregation below is the one of rpt_first_response_times
# (the all-time report for BI tools and the CLI); over the whole history without filters the two agree, which
# tests/test_dashboards_lifecycle.py checks for every breakdown. Shares count unanswered conversations as
# "not within"; median and p90 are over answered conversations; the agent and responder-type breakdowns hold
# answered conversations only (the responder is who answered first).
RESPONSE_BREAKDOWNS = {
    # dimension: (value expression, sort expression, answered only)
    "overall": ("'all'", "0", False),
    "channel": ("channel", "0", False),
    "team": ("team", "0", False),
    "agent": ("first_responder_name", "0", True),
    "responder_type": ("first_responder_type", "0", True),
    "hour_of_day": ("lpad(cast(hour_of_day as varchar), 2, '0')", "hour_of_day", False),
    "response_bucket": ("response_bucket", "response_bucket_order", False),
}
SQL_RESPONSE_BY = """
select
    cast({value} as varchar) as label,
    cast(min({sort}) as integer) as dimension_sort,
    count(*) as conversations,
    count(first_response_seconds) as answered_conversations,
    sum(case when first_responder_type = 'human' then 1 else 0 end) as answered_by_human,
    sum(case when first_responder_type = 'ai_agent' then 1 else 0 end) as answered_by_ai_agent,
    percentile_cont(0.5) within group (order by first_response_seconds) as median_seconds,
    percentile_cont(0.9) within group (order by first_response_seconds) as p90_seconds,
    avg(case when is_within_5_minutes then 1.0 else 0.0 end) as share_within_5m,
    avg(case when is_within_1_hour then 1.0 else 0.0 end) as share_within_1h,
    avg(case when is_within_24_hours then 1.0 else 0.0 end) as share_within_24h
from marts.rpt_first_response_events
where first_inbound_date >= ? and first_inbound_date <= ? {answered} {filters}
group by 1
order by dimension_sort, conversations desc, label
"""
RESPONSE_DIMENSIONS = tuple(RESPONSE_BREAKDOWNS)
RESPONDER_LABELS = {"human": "Human agent", "ai_agent": "AI agent"}

SQL_RESPONSE_BOUNDS = """
select min(first_inbound_date) as first_day, max(first_inbound_date) as last_day
from marts.rpt_first_response_events
"""


def response_bounds() -> tuple[dt.date | None, dt.date | None]:
    """First and last day with a first inbound message (the date filter's limits)."""
    row = run(SQL_RESPONSE_BOUNDS)
    return _date(_scalar(row, "first_day")), _date(_scalar(row, "last_day"))


@dataclass(frozen=True)
class ResponseScope:
    """The conversations a response-time figure covers: first inbound message in [start, end], filters."""

    start: dt.date
    end: dt.date
    filters: Filters = Filters()


def response_by(dimension: str, scope: ResponseScope) -> pd.DataFrame:
    """First response per channel, team, agent, responder type (human vs AI agent), hour of day, bucket, overall."""
    if dimension not in RESPONSE_BREAKDOWNS:
        raise ValueError(f"unknown response-time breakdown {dimension!r}; known: {RESPONSE_DIMENSIONS}")
    value, sort, answered_only = RESPONSE_BREAKDOWNS[dimension]
    sql = SQL_RESPONSE_BY.format(
        value=value,
        sort=sort,
        answered="and is_answered" if answered_only else "",
        filters=scope.filters.sql(),
    )
    df = run(sql, (scope.start, scope.end, *scope.filters.params()))
    if dimension == "responder_type":
        df["label"] = df["label"].map(lambda v: RESPONDER_LABELS.get(v, v))
    return df


def response_overall(scope: ResponseScope) -> dict[str, Any]:
    row = response_by("overall", scope)
    if row.empty:
        return {"conversations": 0}
    return {c: _scalar(row, c) for c in row.columns}


def response_by_hour(scope: ResponseScope) -> pd.DataFrame:
    df = response_by("hour_of_day", scope)
    df = df[df["label"].str.isdigit()].copy()
    df["hour_of_day"] = df["label"].astype(int)
    return df.sort_values("hour_of_day")


def response_distribution(scope: ResponseScope) -> pd.DataFrame:
    """Conversations per first-response bucket, fastest first ('no response' last)."""
    df = response_by("response_bucket", scope).sort_values("dimension_sort")
    total = df["conversations"].sum()
    df["share"] = df["conversations"] / total if total else None
    return df


# --------------------------------------------------------------------------------------------------
# Contacts (one at a time)
# --------------------------------------------------------------------------------------------------
SQL_CONTACT = """
select contact_id, email, phone, first_name, last_name, country_code, first_seen_at, first_channel, channels,
       identities, current_stage, current_lost_stage, current_lost_reason, current_stage_entered_at,
       funnel_entry_at, funnel_episodes, has_been_won, is_opted_out, opted_out_channels
from marts.dim_contacts
where contact_id = ?
"""


# A contact is found by its id, or by one of its e-mails or phones (any identity merged into it, not only the
# primary one): exact matches only, so the page never lists contacts by a partial string.
SQL_CONTACT_FIND = """
select contact_id
from marts.dim_contacts
where contact_id = ?
    or lower(email) = ?
    or phone = ?
    or position(? in ', ' || lower(identities) || ',') > 0
    or position(? in ', ' || identities || ',') > 0
order by contact_id
limit 50
"""


def normalised_phone(text: str) -> str:
    """``+44 (0)7700 900-123`` style input as the marts store phones: ``+`` and digits only."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" + digits) if text.strip().startswith("+") and digits else digits


def find_contacts(lookup: str) -> list[str]:
    """The contact ids whose id, e-mail or phone is exactly ``lookup`` (e-mails case-insensitive)."""
    lookup = lookup.strip()
    if not lookup:
        return []
    email = lookup.lower()
    phone = normalised_phone(lookup) or lookup
    df = run(SQL_CONTACT_FIND, (lookup, email, phone, f", email:{email},", f", phone:{phone},"))
    return df["contact_id"].tolist()


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


SQL_CONTACT_CONVERSATIONS = """
select
    conversation_id,
    channel,
    source,
    opened_at,
    first_response_seconds,
    first_responder_type,
    assignee_type,
    team,
    inbound_messages,
    outbound_messages,
    closed_at,
    resolution
from marts.fct_conversations
where contact_id = ?
order by opened_at desc, conversation_id
"""


def contact_conversations(contact_id: str) -> pd.DataFrame:
    return run(SQL_CONTACT_CONVERSATIONS, (contact_id,))


SQL_CONTACT_VALUE = """
select orders, revenue, refunded_amount, aov, first_order_at, last_order_at, historical_clv, predicted_clv,
       p_alive, churn_risk_band, rfm_cell, reporting_currency
from marts.fct_customer_value
where contact_id = ?
"""


def contact_value(contact_id: str) -> dict[str, Any] | None:
    """The contact's orders and customer value (fct_customer_value), or None when it never ordered."""
    df = run(SQL_CONTACT_VALUE, (contact_id,))
    if df.empty:
        return None
    return {c: (None if pd.isna(v) else v) for c, v in df.iloc[0].items()}


SQL_CONTACT_TOUCHES = """
select occurred_at, touchpoint_type, marketing_channel, platform, campaign_name, ad_set_name, ad_name
from marts.fct_touchpoints
where contact_id = ?
order by occurred_at desc, touchpoint_id
"""


def contact_touches(contact_id: str) -> pd.DataFrame:
    """Every marketing touch of the contact, newest first (credited or not)."""
    return run(SQL_CONTACT_TOUCHES, (contact_id,))


SEGMENTS_SCHEMA = "segments"
SQL_SEGMENT_MODELS = """
select table_name
from information_schema.columns
where table_schema = ? and column_name = 'contact_id'
order by table_name
"""


@st.cache_data(ttl=STATUS_TTL_SECONDS, show_spinner=False)
def _segment_models(path: str) -> tuple[str, ...]:
    rows = warehouse(path).query(SQL_SEGMENT_MODELS, (SEGMENTS_SCHEMA,))
    return tuple(str(n) for n in rows["table_name"] if str(n).replace("_", "").isalnum())


def contact_segments(contact_id: str) -> pd.DataFrame:
    """The segment models (schema ``segments``) with a row for this contact: one row per segment.

    The segment names come from the catalog (identifiers cannot be bound; only plain names are used), the
    contact id is bound."""
    names = _segment_models(warehouse_location())
    if not names:
        return pd.DataFrame({"segment": pd.Series(dtype="object"), "rows": pd.Series(dtype="int64")})
    sql = "\nunion all\n".join(
        f"select '{name}' as segment, count(*) as rows from {SEGMENTS_SCHEMA}.{name} where contact_id = ?"
        for name in names
    )
    df = run(
        f"select segment, rows from ({sql}) as memberships where rows > 0 order by segment", (contact_id,) * len(names)
    )
    return df.reset_index(drop=True)


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
# rpt_campaign_performance, rpt_attribution_by_channel / _by_campaign, rpt_campaign_funnel. Spend, leads,
# customers and revenue are summed over the filtered rows; CPL, CAC and ROAS are the marts' ratios
# (spend_reporting / leads, spend_reporting / customers, revenue_<model> / spend_reporting) over those sums.
CAMPAIGN_MARTS = (
    "rpt_campaign_performance",
    "rpt_attribution_by_channel",
    "rpt_attribution_by_campaign",
    "rpt_campaign_funnel",
)
ATTRIBUTION_MODELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "position_based": "Position-based (40/20/40)",
    "time_decay": "Time decay",
    "markov": "Data-driven (Markov)",
}
NO_CAMPAIGN = "No campaign"
PLATFORM_NAMES = {"meta": "Meta", "tiktok": "TikTok", "google": "Google Ads", "bing": "Microsoft Ads", "none": "–"}


def platform_name(platform: str | None) -> str:
    """Display name of an ad platform ('meta' -> 'Meta'); unknown platforms as they are."""
    if platform is None or (isinstance(platform, float) and pd.isna(platform)):
        return "–"
    return PLATFORM_NAMES.get(str(platform), str(platform))


SQL_CAMPAIGN_MONTHS = """
select distinct cast(date_trunc('month', date_day) as date) as month_start from marts.rpt_campaign_performance
union
select distinct conversion_month from marts.rpt_attribution_by_channel
union
select distinct entry_month from marts.rpt_campaign_funnel
order by month_start
"""


def campaign_months() -> list[dt.date]:
    """First days of the months any campaign or attribution mart has data for, oldest first."""
    return [pd.Timestamp(m).date() for m in run(SQL_CAMPAIGN_MONTHS)["month_start"].dropna()]


SQL_CAMPAIGN_PLATFORMS = "select distinct platform from marts.rpt_campaign_performance order by platform"


def campaign_platforms() -> list[str]:
    return run(SQL_CAMPAIGN_PLATFORMS)["platform"].dropna().tolist()


SQL_CONVERSION_KINDS = """
select distinct conversion_type, conversion_name
from marts.rpt_attribution_by_channel
order by case conversion_type when 'stage' then 0 when 'event' then 1 else 2 end, conversion_name
"""


def conversion_kinds() -> list[str]:
    """conversion_name of every attributed conversion kind (stages first, purchases last)."""
    return run(SQL_CONVERSION_KINDS)["conversion_name"].tolist()


def _month_end(month_start: dt.date) -> dt.date:
    """First day of the month after ``month_start``'s (exclusive end of a month range)."""
    return (pd.Timestamp(month_start) + pd.offsets.MonthBegin(1)).date()


SQL_CAMPAIGN_PERFORMANCE = """
select
    platform,
    coalesce(max(campaign_name), campaign_id, ?) as campaign_name,
    sum(spend_reporting) as spend,
    sum(leads) as leads,
    sum(hot_leads) as hot_leads,
    sum(customers) as customers,
    sum(case ?
        when 'first_touch' then revenue_first_touch
        when 'last_touch' then revenue_last_touch
        when 'linear' then revenue_linear
        when 'position_based' then revenue_position_based
        when 'time_decay' then revenue_time_decay
        when 'markov' then revenue_markov
    end) as revenue,
    max(reporting_currency) as reporting_currency
from marts.rpt_campaign_performance
where date_day >= ? and date_day < ? and list_contains(cast(? as varchar[]), platform)
group by platform, campaign_id
order by spend desc nulls last, campaign_name
"""


def _with_cost_ratios(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    spend = df["spend"].astype("float")
    df["cpl"] = spend / df["leads"].astype("float").replace(0, float("nan"))
    df["cac"] = spend / df["customers"].astype("float").replace(0, float("nan"))
    df["roas"] = df["revenue"].astype("float") / spend.replace(0, float("nan"))
    return df


def campaign_performance(model: str, start: dt.date, end: dt.date, platforms: list[str]) -> pd.DataFrame:
    """Per campaign over the months ``start``..``end`` (first days, inclusive) on ``platforms``: spend,
    leads, hot leads, customers, revenue credited by ``model``, CPL, CAC, ROAS (reporting currency)."""
    if model not in ATTRIBUTION_MODELS:
        raise ValueError(f"unknown attribution model {model!r}; known: {tuple(ATTRIBUTION_MODELS)}")
    df = run(SQL_CAMPAIGN_PERFORMANCE, (NO_CAMPAIGN, model, start, _month_end(end), list(platforms)))
    return _with_cost_ratios(df)


def performance_rollup(campaigns: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """:func:`campaign_performance` summed per ``by`` (e.g. platform), or in total when ``by`` is None."""
    additive = ["spend", "leads", "hot_leads", "customers", "revenue"]
    if by is None:
        totals = campaigns[additive].sum(min_count=1).to_frame().T
    else:
        totals = campaigns.groupby(by, as_index=False)[additive].sum(min_count=1)
    return _with_cost_ratios(totals)


SQL_ATTRIBUTION_BY_CHANNEL = """
select
    marketing_channel,
    model,
    sum(attributed_conversions) as attributed_conversions,
    sum(attributed_revenue) as attributed_revenue
from marts.rpt_attribution_by_channel
where conversion_month >= ? and conversion_month <= ? and conversion_name = ?
group by marketing_channel, model
order by marketing_channel, model
"""


def _model_labels(df: pd.DataFrame) -> pd.DataFrame:
    order = list(ATTRIBUTION_MODELS)
    df = df.assign(model_order=df["model"].map(order.index), model_name=df["model"].map(ATTRIBUTION_MODELS))
    return df.sort_values("model_order", kind="stable").reset_index(drop=True)


def attribution_by_channel(start: dt.date, end: dt.date, conversion_name: str) -> pd.DataFrame:
    """Conversions (of one kind) and revenue credited to each marketing channel by every model."""
    return _model_labels(run(SQL_ATTRIBUTION_BY_CHANNEL, (start, end, conversion_name)))


SQL_ATTRIBUTION_BY_CAMPAIGN = """
select
    case when campaign_id is null then 'none' else platform end as platform,
    case when campaign_id is null then ? else coalesce(max(campaign_name), campaign_id) end as campaign_name,
    model,
    sum(attributed_conversions) as attributed_conversions,
    sum(attributed_revenue) as attributed_revenue
from marts.rpt_attribution_by_campaign
where conversion_month >= ? and conversion_month <= ? and conversion_name = ?
    and (list_contains(cast(? as varchar[]), platform) or (campaign_id is null and ?))
group by case when campaign_id is null then 'none' else platform end, campaign_id, model
order by campaign_name, model
"""


def attribution_by_campaign(
    start: dt.date, end: dt.date, conversion_name: str, platforms: list[str], include_no_campaign: bool = True
) -> pd.DataFrame:
    """Conversions (of one kind) and revenue credited to each campaign by every model; touches without a
    campaign (organic, email...) as one 'No campaign' row when ``include_no_campaign``."""
    params = (NO_CAMPAIGN, start, end, conversion_name, list(platforms), include_no_campaign)
    return _model_labels(run(SQL_ATTRIBUTION_BY_CAMPAIGN, params))


SQL_CAMPAIGN_FUNNEL = """
select
    platform,
    campaign_name,
    stage as stage_name,
    stage_order,
    is_won_stage,
    sum(funnel_entries) as funnel_entries,
    sum(reached_count) as reached_count,
    sum(won_count) as won_count,
    sum(lost_count) as lost_count
from marts.rpt_campaign_funnel
where entry_month >= ? and entry_month <= ? and (list_contains(cast(? as varchar[]), platform) or (campaign_id = 'none' and ?))
group by platform, campaign_id, campaign_name, stage, stage_order, is_won_stage
order by stage_order, funnel_entries desc, campaign_name
"""


def campaign_funnel(start: dt.date, end: dt.date, platforms: list[str], include_no_campaign: bool) -> pd.DataFrame:
    """Funnel entries per entry campaign over the entry months ``start``..``end`` and how many reached each
    active stage (reached_rate = reached / entries); 'No campaign' entries when ``include_no_campaign``."""
    df = run(SQL_CAMPAIGN_FUNNEL, (start, end, list(platforms), include_no_campaign))
    df["reached_rate"] = df["reached_count"] / df["funnel_entries"].astype("float").replace(0, float("nan"))
    return df


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------
# fct_customer_value, rpt_rfm_lifecycle_map, rpt_customer_cohorts / _retention / _satisfaction.
CUSTOMER_MARTS = (
    "fct_customer_value",
    "dim_contacts",
    "rpt_rfm_lifecycle_map",
    "rpt_customer_cohorts",
    "rpt_customer_retention",
    "rpt_customer_satisfaction",
)
CHURN_RISK_BANDS = ("low", "medium", "high")
CELL_CUSTOMERS_LIMIT = 500

SQL_RFM_MONTHS = "select distinct snapshot_month from marts.rpt_rfm_lifecycle_map order by snapshot_month desc"


def rfm_months() -> list[dt.date]:
    """Snapshot months of the RFM map, newest first."""
    return [pd.Timestamp(m).date() for m in run(SQL_RFM_MONTHS)["snapshot_month"].dropna()]


SQL_RFM_MAP = """
select
    snapshot_month,
    snapshot_date,
    rfm_cell,
    cell_order,
    customers,
    customers * 1.0 / nullif(sum(customers) over (), 0) as share_of_customers,
    lifetime_revenue,
    aov,
    customers_stayed,
    customers_moved_in,
    customers_new,
    customers_moved_out,
    reporting_currency
from marts.rpt_rfm_lifecycle_map
where snapshot_month = ?
order by cell_order
"""


def rfm_map(month: dt.date) -> pd.DataFrame:
    """The seven RFM cells at the end of ``month`` (every cell, empty ones with 0 customers)."""
    return run(SQL_RFM_MAP, (month,))


# fct_customer_value holds the cell at the observation end (the newest month of the map); email and phone
# come along only so that the page can show them masked.
SQL_CELL_CUSTOMERS = """
select
    value.contact_id,
    contacts.email,
    contacts.phone,
    value.orders,
    value.last_order_at,
    value.rfm_recency_days,
    value.historical_clv,
    value.predicted_clv,
    value.churn_risk,
    value.churn_risk_band,
    value.reporting_currency
from marts.fct_customer_value as value
left join marts.dim_contacts as contacts on value.contact_id = contacts.contact_id
where value.rfm_cell = ?
order by value.historical_clv desc nulls last, value.contact_id
limit ?
"""


def rfm_cell_customers(cell: str) -> pd.DataFrame:
    """The customers in one RFM cell now (unmasked: the page masks email and phone), highest value first."""
    return run(SQL_CELL_CUSTOMERS, (cell, CELL_CUSTOMERS_LIMIT))


SQL_COHORT_RETENTION = """
select cohort_start, period_number, cohort_customers, active_customers, retention_rate, orders, revenue
from marts.rpt_customer_cohorts
where cohort_grain = ?
order by cohort_start, period_number
"""


def cohort_retention(grain: str) -> pd.DataFrame:
    """rpt_customer_cohorts for one grain ('month' or 'quarter')."""
    df = run(SQL_COHORT_RETENTION, (grain,))
    df["cohort_start"] = pd.to_datetime(df["cohort_start"])
    return df


SQL_RETENTION = """
select month_start, customers_start, new_customers, customers_end, retained_customers, customer_retention_rate,
       churn_rate, repeat_purchase_rate
from marts.rpt_customer_retention
order by month_start
"""


def customer_retention() -> pd.DataFrame:
    df = run(SQL_RETENTION)
    df["month_start"] = pd.to_datetime(df["month_start"])
    return df


SQL_CUSTOMER_VALUES = """
select contact_id, historical_clv, predicted_clv, churn_risk, churn_risk_band, btyd_fit_status, rfm_cell,
       reporting_currency, prediction_days
from marts.fct_customer_value
"""


def customer_values() -> pd.DataFrame:
    """One row per customer: historical and predicted CLV, churn risk and its band."""
    return run(SQL_CUSTOMER_VALUES)


SQL_CUSTOMER_SUMMARY = """
select
    count(*) as customers,
    sum(historical_clv) as historical_clv_total,
    median(historical_clv) as median_historical_clv,
    median(predicted_clv) as median_predicted_clv,
    sum(predicted_clv) as predicted_clv_total,
    count(predicted_clv) as predicted_customers,
    max(prediction_days) as prediction_days,
    max(reporting_currency) as reporting_currency
from marts.fct_customer_value
"""


def customer_summary() -> dict[str, Any]:
    row = run(SQL_CUSTOMER_SUMMARY)
    return {c: _scalar(row, c) for c in row.columns}


SQL_CHURN_BANDS = """
select
    coalesce(churn_risk_band, 'not predicted') as churn_risk_band,
    count(*) as customers,
    sum(predicted_clv) as predicted_clv,
    avg(churn_risk) as average_churn_risk
from marts.fct_customer_value
group by coalesce(churn_risk_band, 'not predicted')
"""


def churn_bands() -> pd.DataFrame:
    """Customers, predicted CLV and mean churn risk per churn-risk band (low, medium, high, not predicted)."""
    df = run(SQL_CHURN_BANDS)
    order = [*CHURN_RISK_BANDS, "not predicted"]
    df["band_order"] = df["churn_risk_band"].map(lambda b: order.index(b) if b in order else len(order))
    return df.sort_values("band_order").reset_index(drop=True)


SQL_SATISFACTION_CHANNELS = "select distinct channel from marts.rpt_customer_satisfaction order by channel"


def satisfaction_channels() -> list[str]:
    return run(SQL_SATISFACTION_CHANNELS)["channel"].dropna().tolist()


# NPS and CSAT over several channels from the mart's counts: NPS = 100 x (promoters - detractors) / answers,
# CSAT average weighted by answers, satisfied rate = satisfied answers / answers (the mart's definitions).
SQL_SATISFACTION = """
select
    answer_month,
    sum(nps_answers) as nps_answers,
    sum(promoters) as promoters,
    sum(passives) as passives,
    sum(detractors) as detractors,
    100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_answers), 0) as nps,
    sum(csat_answers) as csat_answers,
    sum(csat_average * csat_answers) / nullif(sum(csat_answers), 0) as csat_average,
    sum(csat_satisfied_rate * csat_answers) / nullif(sum(csat_answers), 0) as csat_satisfied_rate
from marts.rpt_customer_satisfaction
where list_contains(cast(? as varchar[]), channel)
group by answer_month
order by answer_month
"""


def satisfaction(channels: list[str]) -> pd.DataFrame:
    """NPS and CSAT per answer month over ``channels``."""
    df = run(SQL_SATISFACTION, (list(channels),))
    df["answer_month"] = pd.to_datetime(df["answer_month"])
    return df


# --------------------------------------------------------------------------------------------------
# Segments and the segment builder
# --------------------------------------------------------------------------------------------------
# The catalog (marts.dim_segments: description, definition, personal columns), each segment's size (the
# row count of the segment model in schema `segments`), its last sync per destination (ops.sync_runs),
# and the no-SQL builder. The builder's filters are the `filters:` of a YAML segment file
# (activation/segments/<name>.yml); builder_where() turns them into SQL with the semantics of the
# yaml_segment macro (dbt_project/macros/segments/yaml_segment.sql), over the same marts the macro reads
# (dim_contacts, dim_contact_segment_facts, fct_customer_value), so the live count equals the row count
# of the model `lifecycle segments generate` makes of the file (tests/test_dashboards_segments.py).
SEGMENT_MARTS = ("dim_segments",)
BUILDER_MARTS = (
    "dim_contacts",
    "dim_contact_segment_facts",
    "fct_customer_value",
    "rpt_lifecycle_stage_daily",
    "rpt_lifecycle_funnel",
    "rpt_campaign_performance",
)
SEGMENTS_SCHEMA = "segments"
SEGMENT_PREVIEW_ROWS = 20
_MODEL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")

SQL_SEGMENT_CATALOG = """
select segment_model, segment_name, description, definition_kind, definition_file, definition_filters,
       sensitive_columns
from marts.dim_segments
order by segment_name
"""
SQL_SEGMENT_RELATIONS = """
select table_name from information_schema.tables where table_schema = ?
"""


def _is_segment_model(name: str) -> bool:
    return name.startswith("seg_") and 4 < len(name) <= 64 and set(name) <= _MODEL_CHARACTERS


def _segment_relations() -> frozenset[str]:
    return frozenset(run(SQL_SEGMENT_RELATIONS, (SEGMENTS_SCHEMA,))["table_name"].str.lower())


def _segment_relation(model: str) -> str:
    """``segments."seg_x"`` for a segment model the warehouse has; anything else is refused (no SQL from input)."""
    if not _is_segment_model(model) or model not in _segment_relations():
        raise LookupError(f"no segment model {model!r} in the warehouse")
    return f'{SEGMENTS_SCHEMA}."{model}"'


def segment_catalog() -> pd.DataFrame:
    """Every segment of dim_segments with its size (rows of its model; null when the model is not built)."""
    catalog = run(SQL_SEGMENT_CATALOG)
    built = [m for m in catalog["segment_model"] if _is_segment_model(m) and m in _segment_relations()]
    sizes = pd.DataFrame({"segment_model": pd.Series(dtype="object"), "contacts": pd.Series(dtype="int64")})
    if built:
        sql = "\nunion all\n".join(
            f"select ? as segment_model, count(*) as contacts from {_segment_relation(m)}" for m in built
        )
        sizes = run(sql, tuple(built))
    return catalog.merge(sizes, on="segment_model", how="left")


def segment_rows(model: str, limit: int | None = None) -> pd.DataFrame:
    """The rows of one segment model (all, or the first ``limit`` by its key), unmasked."""
    relation = _segment_relation(model)
    sql = f"select * from {relation} order by 1" + (" limit ?" if limit else "")
    return run(sql, (int(limit),) if limit else ())


SQL_SYNC_RUN_COLUMNS = """
select column_name from information_schema.columns where table_schema = 'ops' and table_name = 'sync_runs'
"""
# the latest run of each sync that read a segment, and its latest run that delivered (success or partial)
SQL_SEGMENT_SYNCS = """
with runs as (
    select
        source_relation,
        sync_name,
        destination,
        mode,
        status,
        started_at,
        finished_at,
        rows_total,
        rows_sent,
        rows_failed,
        row_number() over (partition by sync_name order by started_at desc, sync_run_id desc) as recency
    from ops.sync_runs
    where source_relation is not null
),
delivered as (
    select sync_name, max(finished_at) as last_success_at
    from ops.sync_runs
    where status in ('success', 'partial')
    group by sync_name
)
select
    split_part(runs.source_relation, '.', 2) as segment_model,
    runs.sync_name,
    runs.destination,
    runs.mode,
    runs.status as last_status,
    runs.started_at as last_run_at,
    delivered.last_success_at,
    runs.rows_total,
    runs.rows_sent,
    runs.rows_failed
from runs
left join delivered on delivered.sync_name = runs.sync_name
where runs.recency = 1
order by segment_model, runs.destination, runs.sync_name
"""
DESTINATION_LABELS = {
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
    "meta_capi": "Meta Conversions API",
    "tiktok_events": "TikTok Events API",
    "respondio": "respond.io",
    "webhook": "Webhook",
    "file": "File",
}


def segment_syncs() -> pd.DataFrame:
    """Last run per sync of each segment (empty when no sync has run, or on a warehouse from before syncs
    recorded the segment they read)."""
    if "source_relation" not in set(run(SQL_SYNC_RUN_COLUMNS)["column_name"]):
        return pd.DataFrame(
            columns=[
                "segment_model",
                "sync_name",
                "destination",
                "mode",
                "last_status",
                "last_run_at",
                "last_success_at",
                "rows_total",
                "rows_sent",
                "rows_failed",
            ]
        )
    df = run(SQL_SEGMENT_SYNCS)
    df["destination"] = df["destination"].map(lambda d: DESTINATION_LABELS.get(d, d))
    df["mode"] = df["mode"].map({"dry_run": "dry run", "live": "live"}).fillna(df["mode"])
    return df


def segment_overview(catalog: pd.DataFrame, syncs: pd.DataFrame) -> pd.DataFrame:
    """The catalog with, per segment, the destinations its syncs send to and its latest sync run."""
    summary = syncs.groupby("segment_model", as_index=False).agg(
        destinations=("destination", lambda d: ", ".join(sorted(set(d)))),
        last_sync_at=("last_run_at", "max"),
    )
    return catalog.merge(summary, on="segment_model", how="left")


# --- the builder ---------------------------------------------------------------------------------
SQL_BUILDER_STAGES = """
select distinct stage as stage_name, display_order, is_lost_stage
from marts.rpt_lifecycle_stage_daily
order by is_lost_stage, display_order
"""
SQL_STAGE_ORDERS = """
select distinct stage as stage_name, stage_order from marts.rpt_lifecycle_funnel
"""
SQL_BUILDER_CHANNELS = """
with lists as (
    select unnest(string_split(inbound_channels, ',')) as channel from marts.dim_contact_segment_facts
    union all
    select unnest(string_split(reachable_channels, ',')) as channel from marts.dim_contact_segment_facts
)
select channel, count(*) as contacts from lists where channel <> '' group by channel order by contacts desc, channel
"""
SQL_BUILDER_RFM_CELLS = """
select rfm_cell, count(*) as contacts from marts.fct_customer_value
where rfm_cell is not null group by rfm_cell order by contacts desc, rfm_cell
"""
SQL_BUILDER_CAMPAIGNS = """
with entries as (
    select entry_campaign, min(entry_platform) as platform, count(*) as contacts
    from marts.dim_contact_segment_facts
    where entry_campaign is not null
    group by entry_campaign
),
names as (
    select campaign_id, min(campaign_name) as campaign_name
    from marts.rpt_campaign_performance
    where campaign_id is not null and campaign_name is not null
    group by campaign_id
)
select entries.entry_campaign, coalesce(names.campaign_name, entries.entry_campaign) as campaign_name,
       entries.platform, entries.contacts
from entries
left join names on names.campaign_id = entries.entry_campaign
order by entries.contacts desc, campaign_name
"""
SQL_BUILDER_RANGES = """
select
    max(facts.days_since_last_inbound) as max_days_since_last_inbound,
    max(facts.days_since_last_order) as max_days_since_last_order,
    min(customer_value.predicted_clv) as min_clv,
    max(customer_value.predicted_clv) as max_clv,
    count(customer_value.churn_risk) as churn_scored
from marts.dim_contact_segment_facts as facts
left join marts.fct_customer_value as customer_value on customer_value.contact_id = facts.contact_id
"""


def builder_stages() -> pd.DataFrame:
    """Every configured stage (active first, in order, then the lost stages) the builder offers."""
    return run(SQL_BUILDER_STAGES)


def builder_channels() -> list[str]:
    return run(SQL_BUILDER_CHANNELS)["channel"].tolist()


def builder_rfm_cells() -> list[str]:
    return run(SQL_BUILDER_RFM_CELLS)["rfm_cell"].tolist()


def builder_campaigns() -> pd.DataFrame:
    """Entry campaigns (the value a YAML segment's `campaign` filter takes) with their names."""
    return run(SQL_BUILDER_CAMPAIGNS)


def builder_ranges() -> dict[str, Any]:
    row = run(SQL_BUILDER_RANGES)
    return {c: _scalar(row, c) for c in row.columns}


def _stage_orders() -> dict[str, int]:
    df = run(SQL_STAGE_ORDERS)
    return {str(s): int(o) for s, o in zip(df["stage_name"], df["stage_order"], strict=True)}


def _in_list(expr: str, values: list[Any], params: list[Any]) -> str:
    params.extend(values)
    return f"{expr} in ({', '.join('?' for _ in values)})"


def _list_has(list_expr: str, value: str, params: list[Any]) -> str:
    params.append(value)
    return f"position(',' || ? || ',' in ',' || {list_expr} || ',') > 0"


def _range(expr: str, bounds: dict[str, Any], params: list[Any]) -> str:
    parts = []
    for key, op in (("min", ">="), ("max", "<=")):
        if bounds.get(key) is not None:
            parts.append(f"{expr} {op} ?")
            params.append(float(bounds[key]))
    return "(" + " and ".join(parts) + ")"


def builder_where(filters: dict[str, Any], stage_orders: dict[str, int] | None = None) -> tuple[str, list[Any]]:
    """The where clause (and its bound parameters) of a YAML segment's ``filters``, term by term as the
    yaml_segment macro writes it, over ``contacts`` (dim_contacts), ``facts`` (dim_contact_segment_facts) and
    ``customer_value`` (fct_customer_value). Stage names are the configured names (the builder offers those;
    the roles first_stage / hot_lead_stage / won_stage are for hand-written files)."""
    f = filters
    conditions: list[str] = []
    params: list[Any] = []
    stage_terms = []
    if f.get("stage"):
        stage_terms.append(
            f"({_in_list('contacts.current_stage', list(f['stage']), params)} and contacts.current_lost_stage is null)"
        )
    if f.get("lost_stage"):
        if [s.lower() for s in f["lost_stage"]] == ["any"]:
            stage_terms.append("contacts.is_lost")
        else:
            stage_terms.append(_in_list("contacts.current_lost_stage", list(f["lost_stage"]), params))
    if stage_terms:
        conditions.append("(" + " or ".join(stage_terms) + ")")
    if f.get("stage_at_least"):
        orders = stage_orders if stage_orders is not None else _stage_orders()
        conditions.append("(contacts.current_stage_order >= ? and contacts.current_lost_stage is null)")
        params.append(orders[f["stage_at_least"]])
    if f.get("channel"):
        terms = [_list_has("facts.inbound_channels", c.lower(), params) for c in f["channel"]]
        conditions.append("(" + " or ".join(terms) + ")")
    if f.get("consent"):
        column = "facts.opted_in_channels" if f["consent"].get("require_opt_in") else "facts.reachable_channels"
        conditions.append(_list_has(column, f["consent"]["channel"].lower(), params))
    if f.get("reachable") is True:
        conditions.append("facts.reachable_channels is not null")
    if f.get("reachable") is False:
        conditions.append("facts.reachable_channels is null")
    for key, expr in (
        ("days_since_last_inbound", "facts.days_since_last_inbound"),
        ("days_since_last_order", "facts.days_since_last_order"),
        ("orders", "facts.orders"),
        ("nps", "facts.latest_nps_score"),
        ("clv", "customer_value.predicted_clv"),
        ("churn_risk", "customer_value.churn_risk"),
    ):
        if f.get(key) is not None:
            conditions.append(_range(expr, f[key], params))
    if f.get("entered_funnel_within_days") is not None:
        conditions.append(
            "(contacts.funnel_entry_at > facts.as_of_at - to_days(cast(? as integer)) "
            "and contacts.funnel_entry_at <= facts.as_of_at)"
        )
        params.append(int(f["entered_funnel_within_days"]))
    if f.get("campaign"):
        conditions.append(_in_list("facts.entry_campaign", list(f["campaign"]), params))
    if f.get("entry_platform"):
        conditions.append(_in_list("lower(facts.entry_platform)", [p.lower() for p in f["entry_platform"]], params))
    if f.get("rfm_cell"):
        conditions.append(_in_list("customer_value.rfm_cell", list(f["rfm_cell"]), params))
    return ("\n  and ".join(conditions) or "true"), params


# the relations and joins of the yaml_segment macro (its inner join on customer_value when rfm_cell is
# given is this left join plus the rfm_cell condition, which no contact without a row passes)
_BUILDER_FROM = """
from marts.dim_contacts as contacts
inner join marts.dim_contact_segment_facts as facts on facts.contact_id = contacts.contact_id
left join marts.fct_customer_value as customer_value on customer_value.contact_id = contacts.contact_id
"""
# the columns of a generated YAML segment model (activation/segments.py BASE_COLUMNS and VALUE_COLUMNS)
_BUILDER_COLUMNS = """
    contacts.contact_id, contacts.email, contacts.phone, contacts.first_name, contacts.last_name,
    contacts.country_code, contacts.current_stage, contacts.current_stage_entered_at, contacts.funnel_entry_at,
    facts.preferred_channel, facts.reachable_channels, contacts.opted_out_channels, facts.as_of_at,
    facts.orders, facts.revenue, facts.last_order_at, facts.days_since_last_order, facts.last_inbound_at,
    facts.days_since_last_inbound, facts.latest_nps_score, facts.entry_platform, facts.entry_campaign,
    customer_value.rfm_cell, customer_value.predicted_clv, customer_value.churn_risk
"""


def builder_count(filters: dict[str, Any]) -> int:
    """How many contacts the YAML segment with these ``filters`` holds right now."""
    where, params = builder_where(filters)
    df = run(f"select count(*) as contacts {_BUILDER_FROM} where {where}", tuple(params))
    return int(_scalar(df, "contacts") or 0)


def builder_rows(filters: dict[str, Any], limit: int | None = None) -> pd.DataFrame:
    """The contacts of the YAML segment with these ``filters`` (unmasked), by contact id."""
    where, params = builder_where(filters)
    sql = f"select {_BUILDER_COLUMNS} {_BUILDER_FROM} where {where} order by contacts.contact_id"
    if limit:
        sql += " limit ?"
        params.append(int(limit))
    return run(sql, tuple(params))


# --------------------------------------------------------------------------------------------------
# Activation health
# --------------------------------------------------------------------------------------------------
# rpt_activation_sync_runs / _status / _failures: views over ops.sync_runs and ops.sync_failures (the
# serving copy is published again after every sync run). Which syncs exist and their schedules come from
# the sync files (dashboards.sync_schedules), since a sync that never ran has no row in any table.
ACTIVATION_MARTS = ("rpt_activation_sync_runs", "rpt_activation_sync_status", "rpt_activation_sync_failures")

SQL_SYNC_RUN_BOUNDS = """
select min(started_date) as first_day, max(started_date) as last_day
from marts.rpt_activation_sync_runs
"""


def sync_run_bounds() -> tuple[dt.date | None, dt.date | None]:
    row = run(SQL_SYNC_RUN_BOUNDS)
    first, last = _scalar(row, "first_day"), _scalar(row, "last_day")
    return (None if first is None else pd.Timestamp(first).date(), None if last is None else pd.Timestamp(last).date())


SQL_SYNC_RUNS = """
select
    sync_run_id,
    sync_name,
    destination,
    run_mode,
    status,
    started_at,
    started_date,
    duration_seconds,
    rows_total,
    rows_sent,
    rows_unchanged,
    rows_skipped,
    rows_failed,
    rows_removed,
    rows_left,
    requests,
    error_message
from marts.rpt_activation_sync_runs
where started_date >= ? and started_date <= ? and (? = 'all' or run_mode = ?)
order by started_at desc, sync_name
"""
SYNC_RUN_MODES = ("all", "live", "dry_run")


def sync_runs(start: dt.date, end: dt.date, run_mode: str = "all", syncs: tuple[str, ...] = ()) -> pd.DataFrame:
    """Runs that started between ``start`` and ``end`` (inclusive), of one mode or all, of ``syncs`` (or all)."""
    if run_mode not in SYNC_RUN_MODES:
        raise ValueError(f"unknown run mode {run_mode!r}; known: {SYNC_RUN_MODES}")
    df = run(SQL_SYNC_RUNS, (start, end, run_mode, run_mode))
    if syncs:
        df = df[df["sync_name"].isin(syncs)]
    df["started_at"] = pd.to_datetime(df["started_at"])
    df["started_date"] = pd.to_datetime(df["started_date"])
    return df.reset_index(drop=True)


SYNC_ROW_OUTCOMES = {
    "rows_sent": "Sent",
    "rows_unchanged": "Unchanged",
    "rows_removed": "Removed",
    "rows_skipped": "Skipped",
    "rows_failed": "Failed",
}


def sync_run_totals(runs: pd.DataFrame) -> dict[str, int]:
    """Runs, failed runs and the rows of each outcome over the given runs (sums of the mart's columns)."""
    out = {"runs": len(runs), "failed_runs": int((runs["status"] == "failed").sum())}
    out.update({c: int(runs[c].sum()) for c in SYNC_ROW_OUTCOMES})
    return out


SQL_SYNC_STATUS = """
select sync_name, destination, last_run_mode, last_run_status, last_run_at, last_success_at, last_finished_at,
       runs, failed_runs, failing_rows
from marts.rpt_activation_sync_status
order by sync_name
"""


def sync_status(now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per sync of the sync files (plus any that ran but has no file any more), with its latest runs,
    its schedule and, for scheduled syncs, the scheduled time it missed (``overdue_since``)."""
    from dashboards import sync_schedules

    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    status = run(SQL_SYNC_STATUS)
    configs = pd.DataFrame(
        [
            {
                "sync_name": s.name,
                "configured_destination": s.destination,
                "segment": s.source_model,
                "schedule": s.schedule,
                "enabled": s.enabled,
                "config_problem": s.problem,
            }
            for s in sync_schedules.load_syncs()
        ],
        columns=["sync_name", "configured_destination", "segment", "schedule", "enabled", "config_problem"],
    )
    df = configs.merge(status, on="sync_name", how="outer")
    df["destination"] = df["destination"].fillna(df["configured_destination"])
    df["has_config"] = df["configured_destination"].notna()
    df["enabled"] = df["enabled"].fillna(False).astype(bool)
    for c in ("runs", "failed_runs", "failing_rows"):
        df[c] = df[c].fillna(0).astype(int)
    for c in ("last_run_at", "last_success_at", "last_finished_at"):
        df[c] = pd.to_datetime(df[c])
    df["overdue_since"] = [
        sync_schedules.overdue_since(schedule, None if pd.isna(finished) else finished.to_pydatetime(), now)
        if enabled and isinstance(schedule, str)
        else None
        for schedule, finished, enabled in zip(df["schedule"], df["last_finished_at"], df["enabled"], strict=True)
    ]
    df["never_ran"] = df["runs"] == 0
    return df.drop(columns=["configured_destination"]).sort_values("sync_name").reset_index(drop=True)


SQL_SYNC_FAILURES = """
select sync_name, failure_reason, failing_rows, max_attempts, first_failed_at, last_failed_at
from marts.rpt_activation_sync_failures
order by failing_rows desc, sync_name, failure_reason
"""


def sync_failures(syncs: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows the destinations reject now, by sync and reason (of ``syncs``, or all)."""
    df = run(SQL_SYNC_FAILURES)
    if syncs:
        df = df[df["sync_name"].isin(syncs)]
    return df.reset_index(drop=True)
