-- Funnel by funnel-entry cohort (week and month): how many entries, how many reached each stage (a stage
-- counts as reached when the entry got to it or past it, skips included), conversion between consecutive
-- stages, entry-to-won, and median / p90 hours from entry to reaching each stage. Lost stages are not
-- funnel stages: they appear only in lost_count. One row per cohort_grain x cohort_start x stage.

with

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
    where not is_lost_stage
),

entries as (
    select * from {{ ref('fct_lifecycle_funnel_entries') }}
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
    where not is_lost_stage
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
    group by spells.contact_id, spells.funnel_episode, stages.stage_order
),

cohort_entries as (
    select
        'week' as cohort_grain,
        entry_week as cohort_start,
        contact_id,
        funnel_episode,
        funnel_entry_at,
        is_won,
        is_lost
    from entries
    union all
    select
        'month' as cohort_grain,
        entry_month as cohort_start,
        contact_id,
        funnel_episode,
        funnel_entry_at,
        is_won,
        is_lost
    from entries
),

cohorts as (
    select
        cohort_grain,
        cohort_start,
        count(*) as entered_count,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count
    from cohort_entries
    group by cohort_grain, cohort_start
),

per_stage as (
    select
        cohort_entries.cohort_grain,
        cohort_entries.cohort_start,
        stages.stage_name,
        stages.stage_order,
        stages.is_won_stage,
        count(reached.reached_at) as reached_count,
        percentile_cont(0.5) within group (
            order by {{ lifecycle_divide(dbt.datediff('cohort_entries.funnel_entry_at', 'reached.reached_at', 'second'),
                                         '3600.0') }}
        ) as median_hours_to_reach,
        percentile_cont(0.9) within group (
            order by {{ lifecycle_divide(dbt.datediff('cohort_entries.funnel_entry_at', 'reached.reached_at', 'second'),
                                         '3600.0') }}
        ) as p90_hours_to_reach
    from cohort_entries
    cross join stages
    left join reached
        on cohort_entries.contact_id = reached.contact_id
        and cohort_entries.funnel_episode = reached.funnel_episode
        and stages.stage_order = reached.stage_order
    group by
        cohort_entries.cohort_grain, cohort_entries.cohort_start, stages.stage_name, stages.stage_order,
        stages.is_won_stage
),

with_previous as (
    select
        per_stage.*,
        lag(per_stage.reached_count) over (
            partition by per_stage.cohort_grain, per_stage.cohort_start order by per_stage.stage_order
        ) as previous_stage_reached_count
    from per_stage
),

final as (
    select
        cast(with_previous.cohort_grain as {{ dbt.type_string() }}) as cohort_grain,
        cast(with_previous.cohort_start as date) as cohort_start,
        cast(with_previous.stage_name as {{ dbt.type_string() }}) as stage,
        cast(with_previous.stage_order as integer) as stage_order,
        cast(with_previous.is_won_stage as boolean) as is_won_stage,
        cast(cohorts.entered_count as bigint) as entered_count,
        cast(with_previous.reached_count as bigint) as reached_count,
        cast(with_previous.reached_count * 1.0 / nullif(cohorts.entered_count, 0) as {{ lifecycle_double() }})
            as reached_rate,
        cast(with_previous.previous_stage_reached_count as bigint) as previous_stage_reached_count,
        cast(
            with_previous.reached_count * 1.0 / nullif(with_previous.previous_stage_reached_count, 0)
            as {{ lifecycle_double() }}
        ) as conversion_from_previous_rate,
        cast(cohorts.won_count as bigint) as won_count,
        cast(cohorts.won_count * 1.0 / nullif(cohorts.entered_count, 0) as {{ lifecycle_double() }})
            as entry_to_won_rate,
        cast(cohorts.lost_count as bigint) as lost_count,
        cast(with_previous.median_hours_to_reach as {{ lifecycle_double() }}) as median_hours_to_reach,
        cast(with_previous.p90_hours_to_reach as {{ lifecycle_double() }}) as p90_hours_to_reach
    from with_previous
    inner join cohorts
        on with_previous.cohort_grain = cohorts.cohort_grain
        and with_previous.cohort_start = cohorts.cohort_start
)

select * from final
