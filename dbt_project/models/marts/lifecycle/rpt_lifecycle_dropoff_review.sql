-- Monthly drop-off review: for every pair of consecutive funnel stages and every month (the month entries
-- reached the first stage of the pair), how many went on to the next stage, how fast, and whether that is
-- worse than the trailing average of the previous months: rate below trailing * (1 - tolerance) flags
-- is_low_rate, median delay above trailing * (1 + tolerance) flags is_slow. Vars:
-- lifecycle_dropoff_trailing_months (default 3), lifecycle_dropoff_tolerance (default 0.2).
-- Recent months are not final: entries may still move on.
{%- set trailing = project_var('lifecycle_dropoff_trailing_months') %}
{%- set tolerance = project_var('lifecycle_dropoff_tolerance') %}

with

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
    where not is_lost_stage
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
    where not is_lost_stage
),

stage_pairs as (
    select
        from_stage,
        from_stage_order,
        to_stage,
        to_stage_order
    from (
        select
            stage_name as from_stage,
            stage_order as from_stage_order,
            lead(stage_name) over (order by stage_order) as to_stage,
            lead(stage_order) over (order by stage_order) as to_stage_order
        from stages
    ) as paired
    where to_stage is not null
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

pair_entries as (
    select
        stage_pairs.from_stage,
        stage_pairs.from_stage_order,
        stage_pairs.to_stage,
        {{ dbt.date_trunc('month', 'reached_from.reached_at') }} as review_month,
        reached_from.reached_at as from_reached_at,
        reached_to.reached_at as to_reached_at
    from stage_pairs
    inner join reached as reached_from
        on stage_pairs.from_stage_order = reached_from.stage_order
    left join reached as reached_to
        on reached_from.contact_id = reached_to.contact_id
        and reached_from.funnel_episode = reached_to.funnel_episode
        and stage_pairs.to_stage_order = reached_to.stage_order
),

monthly as (
    select
        review_month,
        from_stage,
        from_stage_order,
        to_stage,
        count(*) as reached_from_count,
        count(to_reached_at) as reached_to_count,
        percentile_cont(0.5) within group (
            order by {{ lifecycle_divide(dbt.datediff('from_reached_at', 'to_reached_at', 'second'), '86400.0') }}
        ) as median_days_to_next
    from pair_entries
    group by review_month, from_stage, from_stage_order, to_stage
),

rated as (
    select
        monthly.*,
        monthly.reached_to_count * 1.0 / nullif(monthly.reached_from_count, 0) as conversion_rate
    from monthly
),

with_trailing as (
    select
        rated.*,
        avg(rated.conversion_rate) over (
            partition by rated.from_stage order by rated.review_month
            rows between {{ trailing }} preceding and 1 preceding
        ) as trailing_conversion_rate,
        avg(rated.median_days_to_next) over (
            partition by rated.from_stage order by rated.review_month
            rows between {{ trailing }} preceding and 1 preceding
        ) as trailing_median_days_to_next
    from rated
),

final as (
    select
        cast(review_month as date) as review_month,
        cast(from_stage as {{ dbt.type_string() }}) as from_stage,
        cast(from_stage_order as integer) as from_stage_order,
        cast(to_stage as {{ dbt.type_string() }}) as to_stage,
        cast(reached_from_count as bigint) as reached_from_count,
        cast(reached_to_count as bigint) as reached_to_count,
        cast(conversion_rate as {{ lifecycle_double() }}) as conversion_rate,
        cast(median_days_to_next as {{ lifecycle_double() }}) as median_days_to_next,
        cast(trailing_conversion_rate as {{ lifecycle_double() }}) as trailing_conversion_rate,
        cast(trailing_median_days_to_next as {{ lifecycle_double() }}) as trailing_median_days_to_next,
        cast(coalesce(conversion_rate < trailing_conversion_rate * (1 - {{ tolerance }}), false) as boolean)
            as is_low_rate,
        cast(
            coalesce(median_days_to_next > trailing_median_days_to_next * (1 + {{ tolerance }}), false)
            as boolean
        ) as is_slow,
        cast(
            coalesce(conversion_rate < trailing_conversion_rate * (1 - {{ tolerance }}), false)
            or coalesce(median_days_to_next > trailing_median_days_to_next * (1 + {{ tolerance }}), false)
            as boolean
        ) as is_flagged
    from with_trailing
)

select * from final
