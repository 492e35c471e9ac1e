-- How many contacts sit in each stage at the end of each UTC day, from the first spell to the "as of"
-- day (the latest spell start). One row per day x configured stage (zeros included). Computed from daily
-- entries and exits (a running sum), not by joining every spell to every day, so it scales.

with

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

bounds as (
    select
        cast(min(entered_at) as date) as first_day,
        cast(max(coalesce(exited_at, entered_at)) as date) as last_day
    from spells
),

digits as (
    {%- for d in range(10) %}
    select {{ d }} as digit{% if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

numbers as (
    select d1.digit + 10 * d2.digit + 100 * d3.digit + 1000 * d4.digit + 10000 * d5.digit as day_number
    from digits as d1
    cross join digits as d2
    cross join digits as d3
    cross join digits as d4
    cross join digits as d5
),

days as (
    select cast({{ dbt.dateadd('day', 'numbers.day_number', 'bounds.first_day') }} as date) as date_day
    from numbers
    cross join bounds
    where numbers.day_number <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
),

movements as (
    select
        stage,
        cast(entered_at as date) as date_day,
        1 as entered,
        0 as exited
    from spells
    union all
    select
        stage,
        cast(exited_at as date) as date_day,
        0 as entered,
        1 as exited
    from spells
    where exited_at is not null
),

daily_movements as (
    select
        stage,
        date_day,
        sum(entered) as entered_count,
        sum(exited) as exited_count
    from movements
    group by stage, date_day
),

grid as (
    select
        days.date_day,
        stages.stage_name as stage,
        stages.stage_order,
        stages.is_lost_stage,
        stages.display_order,
        coalesce(daily_movements.entered_count, 0) as entered_count,
        coalesce(daily_movements.exited_count, 0) as exited_count
    from days
    cross join stages
    left join daily_movements
        on days.date_day = daily_movements.date_day
        and stages.stage_name = daily_movements.stage
),

final as (
    select
        cast(date_day as date) as date_day,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_order as integer) as stage_order,
        cast(is_lost_stage as boolean) as is_lost_stage,
        cast(display_order as integer) as display_order,
        cast(sum(entered_count - exited_count) over (
            partition by stage order by date_day rows between unbounded preceding and current row
        ) as bigint) as contacts,
        cast(entered_count as bigint) as entered_count,
        cast(exited_count as bigint) as exited_count
    from grid
)

select * from final
