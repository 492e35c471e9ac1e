{#-
  Time to and time in each stage over the whole history, one row per configured stage (active and lost):
  for active stages, how many funnel entries reached the stage (got to it or past it) and the median / p90
  time from funnel entry to reaching it; for every stage, median / p90 time spent in it over completed spells
  (open spells are counted apart: their duration is not known yet). rpt_lifecycle_funnel has the same
  time-to-stage by entry cohort, rpt_lifecycle_time_in_stage the time in stage by month.
  is_hot_lead_stage / is_cold_stage name the preset's roles (hot_lead_stage; the lost stages an `inactivity`
  rule moves to), so a dashboard labels its KPIs with the configured names.
-#}
{%- set config = lifecycle_config() %}
{%- set cold = segment_stages('cold') %}

with

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

entries as (
    select * from {{ ref('fct_lifecycle_funnel_entries') }}
),

reached as (
    select
        spells.contact_id,
        spells.funnel_episode,
        stages.stage_order,
        min(spells.entered_at) as reached_at
    from spells
    inner join stages
        on spells.stage_order >= stages.stage_order
        and not stages.is_lost_stage
    where not spells.is_lost_stage
    group by spells.contact_id, spells.funnel_episode, stages.stage_order
),

time_to_stage as (
    select
        reached.stage_order,
        count(*) as reached_count,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('entries.funnel_entry_at', 'reached.reached_at', 'second') }}
        ) as median_seconds_to_reach,
        percentile_cont(0.9) within group (
            order by {{ dbt.datediff('entries.funnel_entry_at', 'reached.reached_at', 'second') }}
        ) as p90_seconds_to_reach
    from reached
    inner join entries
        on reached.contact_id = entries.contact_id
        and reached.funnel_episode = entries.funnel_episode
    group by reached.stage_order
),

time_in_stage as (
    select
        stage,
        sum(case when is_current then 0 else 1 end) as completed_spell_count,
        sum(case when is_current then 1 else 0 end) as open_spell_count,
        percentile_cont(0.5) within group (order by duration_seconds) as median_seconds_in_stage,
        percentile_cont(0.9) within group (order by duration_seconds) as p90_seconds_in_stage
    from spells
    group by stage
),

total as (
    select count(*) as funnel_entries from entries
),

final as (
    select
        cast(stages.stage_name as {{ dbt.type_string() }}) as stage,
        cast(stages.stage_order as integer) as stage_order,
        cast(stages.display_order as integer) as display_order,
        cast(stages.is_lost_stage as boolean) as is_lost_stage,
        cast(stages.is_won_stage as boolean) as is_won_stage,
        cast(stages.stage_name = {{ lifecycle_literal(config.hot_lead_stage) }} as boolean) as is_hot_lead_stage,
        cast(stages.is_lost_stage and stages.stage_name in {{ segment_in_list(cold) }} as boolean) as is_cold_stage,
        cast(total.funnel_entries as bigint) as funnel_entries,
        cast(
            case when not stages.is_lost_stage then coalesce(time_to_stage.reached_count, 0) end as bigint
        ) as reached_count,
        cast(time_to_stage.median_seconds_to_reach as {{ lifecycle_double() }}) as median_seconds_to_reach,
        cast(time_to_stage.p90_seconds_to_reach as {{ lifecycle_double() }}) as p90_seconds_to_reach,
        cast(coalesce(time_in_stage.completed_spell_count, 0) as bigint) as completed_spell_count,
        cast(coalesce(time_in_stage.open_spell_count, 0) as bigint) as open_spell_count,
        cast(time_in_stage.median_seconds_in_stage as {{ lifecycle_double() }}) as median_seconds_in_stage,
        cast(time_in_stage.p90_seconds_in_stage as {{ lifecycle_double() }}) as p90_seconds_in_stage
    from stages
    cross join total
    left join time_to_stage
        on stages.stage_order = time_to_stage.stage_order
        and not stages.is_lost_stage
    left join time_in_stage
        on stages.stage_name = time_in_stage.stage
)

select * from final
