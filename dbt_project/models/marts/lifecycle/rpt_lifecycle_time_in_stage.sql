-- Time spent in each stage (active and lost), by stage and month the spell started: median and p90 hours
-- over completed spells (open spells are counted apart, their duration is not known yet).

with

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

per_month as (
    select
        {{ dbt.date_trunc('month', 'entered_at') }} as entered_month,
        stage,
        count(*) as spell_count,
        sum(case when is_current then 0 else 1 end) as completed_spell_count,
        sum(case when is_current then 1 else 0 end) as open_spell_count,
        percentile_cont(0.5) within group (
            order by {{ lifecycle_divide('duration_seconds', '3600.0') }}
        ) as median_hours,
        percentile_cont(0.9) within group (
            order by {{ lifecycle_divide('duration_seconds', '3600.0') }}
        ) as p90_hours,
        {{ lifecycle_avg(lifecycle_divide('duration_seconds', '3600.0')) }} as mean_hours
    from spells
    group by {{ dbt.date_trunc('month', 'entered_at') }}, stage
),

final as (
    select
        cast(per_month.entered_month as date) as entered_month,
        cast(per_month.stage as {{ dbt.type_string() }}) as stage,
        cast(stages.stage_order as integer) as stage_order,
        cast(stages.is_lost_stage as boolean) as is_lost_stage,
        cast(per_month.spell_count as bigint) as spell_count,
        cast(per_month.completed_spell_count as bigint) as completed_spell_count,
        cast(per_month.open_spell_count as bigint) as open_spell_count,
        cast(per_month.median_hours as {{ lifecycle_double() }}) as median_hours,
        cast(per_month.p90_hours as {{ lifecycle_double() }}) as p90_hours,
        cast(per_month.mean_hours as {{ lifecycle_double() }}) as mean_hours
    from per_month
    inner join stages
        on per_month.stage = stages.stage_name
)

select * from final
