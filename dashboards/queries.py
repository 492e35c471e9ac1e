"""All SQL of the dashboards. Parameters are bound (``?``), never formatted into the SQL text.

The warehouse handle is a cached resource (one per warehouse path); every query function is cached with
a TTL so that a page rerun (a widget change) does not read the file again. The functions return
DataFrames with the column names the pages and :mod:`dashboards.charts` use, so a renamed mart column
is fixed here only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.warehouse_access import MARTS_SCHEMA, MartMissing, ReadOnlyWarehouse
from warehouse_io import warehouse_path

CACHE_TTL_SECONDS = 60
STATUS_TTL_SECONDS = 5

OVERVIEW_MARTS = ("dim_contacts", "fct_lifecycle_funnel_entries", "rpt_lifecycle_funnel", "fct_conversations")
FUNNEL_MARTS = (
    "rpt_lifecycle_funnel",
    "fct_lifecycle_funnel_entries",
    "fct_lifecycle_stage_spells",
    "rpt_lifecycle_time_in_stage",
    "rpt_lifecycle_stage_daily",
)
LOST_MARTS = ("rpt_lifecycle_lost", "rpt_lifecycle_dropoff_review")
RESPONSE_MARTS = ("rpt_first_response_times", "fct_conversations")
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
# Current state per contact comes from dim_contacts; "in funnel" means an active stage before the won
# stage (respond.io's convention: reaching the won stage exits the funnel), "customers" the won stage or
# a later active stage. Conversion counts funnel entries (a contact that comes back enters again).
SQL_KPIS = """
with won as (
    select min(stage_order) as won_order
    from marts.rpt_lifecycle_funnel
    where is_won_stage
),
contacts as (
    select
        count(*) as contacts,
        sum(case when not is_lost and current_stage_order < won.won_order then 1 else 0 end) as in_funnel,
        sum(case when not is_lost and current_stage_order >= won.won_order then 1 else 0 end) as customers,
        sum(case when is_lost then 1 else 0 end) as lost
    from marts.dim_contacts
    cross join won
),
entries as (
    select count(*) as entries, sum(case when is_won then 1 else 0 end) as won_entries
    from marts.fct_lifecycle_funnel_entries
),
response as (
    select percentile_cont(0.5) within group (order by first_response_seconds) as median_seconds
    from marts.fct_conversations
    where first_response_seconds is not null
)
select
    contacts.contacts,
    contacts.in_funnel,
    contacts.customers,
    contacts.lost,
    entries.entries,
    entries.won_entries,
    response.median_seconds as median_first_response_seconds
from contacts
cross join entries
cross join response
"""


def kpis() -> dict[str, Any]:
    row = run(SQL_KPIS)
    out = {c: _scalar(row, c) for c in row.columns}
    entries = out.get("entries") or 0
    out["conversion_rate"] = (out.get("won_entries") or 0) / entries if entries else None
    return out


SQL_ENTRY_BOUNDS = """
select cast(min(funnel_entry_at) as date) as first_day, cast(max(funnel_entry_at) as date) as last_day
from marts.fct_lifecycle_funnel_entries
"""


def funnel_entry_bounds() -> tuple[dt.date | None, dt.date | None]:
    row = run(SQL_ENTRY_BOUNDS)
    first, last = _scalar(row, "first_day"), _scalar(row, "last_day")
    return (None if first is None else pd.Timestamp(first).date(), None if last is None else pd.Timestamp(last).date())


# A stage counts as reached when the entry got to it or past it (skips included), as in rpt_lifecycle_funnel.
SQL_STAGE_FUNNEL = """
with stages as (
    select distinct stage, stage_order, is_won_stage
    from marts.rpt_lifecycle_funnel
),
entries as (
    select max_stage_order
    from marts.fct_lifecycle_funnel_entries
    where funnel_entry_at >= ? and funnel_entry_at < ?
)
select
    stages.stage as stage_name,
    stages.stage_order,
    stages.is_won_stage,
    count(entries.max_stage_order) as contacts_reached,
    (select count(*) from entries) as contacts_entered
from stages
left join entries on entries.max_stage_order >= stages.stage_order
group by stages.stage, stages.stage_order, stages.is_won_stage
order by stages.stage_order
"""


def _funnel_rates(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    entered = df["contacts_entered"].astype("float").replace(0, float("nan"))
    df["share_of_entered"] = df["contacts_reached"] / entered
    previous = df["contacts_reached"].shift(1).astype("float").replace(0, float("nan"))
    df["step_conversion_rate"] = df["contacts_reached"] / previous
    return df


def stage_funnel(start: dt.date, end: dt.date) -> pd.DataFrame:
    """Funnel entries between ``start`` and ``end`` (inclusive) that reached each active stage."""
    df = run(SQL_STAGE_FUNNEL, (start, end + dt.timedelta(days=1)))
    if df.empty or int(df["contacts_entered"].max()) == 0:
        return df.iloc[0:0]
    return _funnel_rates(df)


# --------------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------------
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


# Over every entry: reached (or passed) each stage, step conversion, median / p90 time from entry.
SQL_STAGE_CONVERSION = """
with stages as (
    select distinct stage, stage_order, is_won_stage
    from marts.rpt_lifecycle_funnel
),
entries as (
    select contact_id, funnel_episode, funnel_entry_at, max_stage_order
    from marts.fct_lifecycle_funnel_entries
),
reached as (
    select
        spells.contact_id,
        spells.funnel_episode,
        stages.stage,
        min(spells.entered_at) as reached_at
    from marts.fct_lifecycle_stage_spells as spells
    inner join stages on spells.stage_order >= stages.stage_order
    where not spells.is_lost_stage
    group by spells.contact_id, spells.funnel_episode, stages.stage
),
timing as (
    select
        reached.stage,
        percentile_cont(0.5) within group (order by date_diff('second', entries.funnel_entry_at, reached.reached_at))
            as median_seconds_to_stage,
        percentile_cont(0.9) within group (order by date_diff('second', entries.funnel_entry_at, reached.reached_at))
            as p90_seconds_to_stage
    from reached
    inner join entries
        on entries.contact_id = reached.contact_id and entries.funnel_episode = reached.funnel_episode
    group by reached.stage
)
select
    stages.stage as stage_name,
    stages.stage_order,
    stages.is_won_stage,
    (select count(*) from entries where entries.max_stage_order >= stages.stage_order) as contacts_reached,
    (select count(*) from entries) as contacts_entered,
    timing.median_seconds_to_stage,
    timing.p90_seconds_to_stage
from stages
left join timing on timing.stage = stages.stage
order by stages.stage_order
"""


def stage_conversion() -> pd.DataFrame:
    """Per active stage over all entries: reached, step conversion, median/p90 time from funnel entry."""
    return _funnel_rates(run(SQL_STAGE_CONVERSION))


SQL_TIME_IN_STAGE = """
select
    stage as stage_name,
    min(stage_order) as stage_order,
    bool_or(is_lost_stage) as is_lost_stage,
    count(*) as spells,
    percentile_cont(0.5) within group (order by duration_seconds) as median_seconds,
    percentile_cont(0.9) within group (order by duration_seconds) as p90_seconds
from marts.fct_lifecycle_stage_spells
where exited_at is not null
group by stage
order by bool_or(is_lost_stage), min(stage_order), stage
"""


def time_in_stage() -> pd.DataFrame:
    """Median and p90 time in each stage over completed spells."""
    return run(SQL_TIME_IN_STAGE)


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


# --------------------------------------------------------------------------------------------------
# Lost stages (rpt_lifecycle_lost: one row per dimension x value x lost stage)
# --------------------------------------------------------------------------------------------------
SQL_LOST = """
select dimension_value, dimension_sort, lost_stage, funnel_entries, lost_count, lost_rate
from marts.rpt_lifecycle_lost
where dimension = ?
order by dimension_sort, dimension_value, lost_stage
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
    """Lost entries by one breakdown of rpt_lifecycle_lost (see LOST_DIMENSIONS)."""
    if dimension not in LOST_DIMENSIONS:
        raise ValueError(f"unknown lost-stage breakdown {dimension!r}; known: {LOST_DIMENSIONS}")
    return run(SQL_LOST, (dimension,))


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
# Response times
# --------------------------------------------------------------------------------------------------
# rpt_first_response_times: one row per (dimension, dimension_value); dimension is overall, channel, team,
# agent, responder_type or hour_of_day. Shares count unanswered conversations as "not within"; median and
# p90 are over answered conversations.
RESPONSE_COLUMNS = """
    dimension_value as label,
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
order by conversations desc, dimension_value
"""
RESPONSE_DIMENSIONS = ("overall", "channel", "team", "agent", "responder_type", "hour_of_day")


def response_by(dimension: str) -> pd.DataFrame:
    """First response per channel, team, agent, responder type (human vs AI agent), hour of day or overall."""
    if dimension not in RESPONSE_DIMENSIONS:
        raise ValueError(f"unknown response-time breakdown {dimension!r}; known: {RESPONSE_DIMENSIONS}")
    return run(SQL_RESPONSE_BY, (dimension,))


def response_overall() -> dict[str, Any]:
    row = response_by("overall")
    return {c: _scalar(row, c) for c in row.columns}


def response_by_hour() -> pd.DataFrame:
    df = response_by("hour_of_day")
    df = df[df["label"].str.isdigit()].copy()
    df["hour_of_day"] = df["label"].astype(int)
    return df.sort_values("hour_of_day")


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
