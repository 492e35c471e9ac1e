-- The reports reconcile with the spells: funnel entries per cohort, won and lost counts, the lost report's
-- totals, and the daily snapshot's last day equal what the spells say.
with entries as (
    select count(*) as n from {{ ref('fct_lifecycle_stage_spells') }}
    where is_funnel_entry
),

funnel_month as (
    select sum(entered_count) as n
    from {{ ref('rpt_lifecycle_funnel') }}
    where cohort_grain = 'month'
        and stage_order = (
            select min(stages.stage_order) from {{ ref('int_lifecycle__stages') }} as stages
        )
),

funnel_week as (
    select sum(entered_count) as n
    from {{ ref('rpt_lifecycle_funnel') }}
    where cohort_grain = 'week'
        and stage_order = (
            select min(stages.stage_order) from {{ ref('int_lifecycle__stages') }} as stages
        )
),

funnel_first_stage as (
    -- every entry reaches the first stage (or a later one)
    select sum(reached_count) as n
    from {{ ref('rpt_lifecycle_funnel') }}
    where cohort_grain = 'month'
        and stage_order = (
            select min(stages.stage_order) from {{ ref('int_lifecycle__stages') }} as stages
        )
),

won as (
    select
        count(distinct {{ dbt.concat(["contact_id", "':'", "cast(funnel_episode as " ~ dbt.type_string() ~ ")"]) }})
            as n
    from {{ ref('fct_lifecycle_stage_spells') }}
    where not is_lost_stage
        and stage_order >= (
            select stages.stage_order from {{ ref('int_lifecycle__stages') }} as stages
            where stages.is_won_stage
        )
),

entries_won as (
    select count(*) as n from {{ ref('fct_lifecycle_funnel_entries') }}
    where is_won
),

funnel_won as (
    select sum(reached_count) as n
    from {{ ref('rpt_lifecycle_funnel') }}
    where cohort_grain = 'month' and is_won_stage
),

lost_episodes as (
    select
        count(distinct {{ dbt.concat(["contact_id", "':'", "cast(funnel_episode as " ~ dbt.type_string() ~ ")"]) }})
            as n
    from {{ ref('fct_lifecycle_stage_spells') }}
    where is_lost_stage
),

lost_report as (
    select
        sum(lost_count) as n,
        max(funnel_entries) as entries
    from {{ ref('rpt_lifecycle_lost') }}
    where dimension = 'overall'
),

current_spells as (
    select count(*) as n from {{ ref('fct_lifecycle_stage_spells') }}
    where is_current
),

daily_last as (
    select sum(contacts) as n
    from {{ ref('rpt_lifecycle_stage_daily') }}
    where date_day = (select max(daily.date_day) from {{ ref('rpt_lifecycle_stage_daily') }} as daily)
),

checks as (
    select
        'funnel month entries' as check_name,
        entries.n as expected,
        funnel_month.n as actual
    from entries cross join funnel_month
    union all
    select
        'funnel week entries',
        entries.n as expected,
        funnel_week.n as actual
    from entries cross join funnel_week
    union all
    select
        'first stage reached by every entry',
        entries.n as expected,
        funnel_first_stage.n as actual
    from entries cross join funnel_first_stage
    union all
    select
        'won entries',
        won.n as expected,
        funnel_won.n as actual
    from won cross join funnel_won
    union all
    select
        'won entries (funnel entries)',
        won.n as expected,
        entries_won.n as actual
    from won cross join entries_won
    union all
    select
        'lost entries',
        lost_episodes.n as expected,
        lost_report.n as actual
    from lost_episodes cross join lost_report
    union all
    select
        'lost report denominator',
        entries.n as expected,
        lost_report.entries as actual
    from entries cross join lost_report
    union all
    select
        'daily snapshot last day',
        current_spells.n as expected,
        daily_last.n as actual
    from current_spells cross join daily_last
)

select *
from checks
where coalesce(expected, 0) <> coalesce(actual, 0)
