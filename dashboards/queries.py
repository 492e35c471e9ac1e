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
# ops.sync_runs / ops.sync_failures through the serving views.
