-- Lost stages, kept apart from active counts: one row per breakdown (dimension, dimension_value) and lost
-- stage, over every funnel entry. Dimensions:
--   overall                (dimension_value 'all')
--   lost_from_stage        the active stage the entry was lost from
--   lost_reason            reason of the lost move (deal lost reason, explicit reason, inactivity...)
--   entry_channel          channel of the entry conversation
--   entry_campaign         campaign of the entry conversation's ad ('none' when organic)
-- dimension_label is what people read: campaign names, lost reasons in words (lifecycle_lost_reason_label).
--   first_response_bucket  first response time of the entry conversation ('< 5 min' ... '> 24 h')
-- funnel_entries is the denominator of lost_rate: the entries of that slice for the entry dimensions
-- (entry_channel, entry_campaign, first_response_bucket, overall) and all entries for the others.
-- Entry dimensions list every configured lost stage for every value (zero counts included).

with

lost_stages as (
    select * from {{ ref('int_lifecycle__stages') }}
    where is_lost_stage
),

entries as (
    select * from {{ ref('fct_lifecycle_funnel_entries') }}
),

entry_dimensions as (
    select
        'overall' as dimension,
        'all' as dimension_value,
        'All funnel entries' as dimension_label,
        0 as dimension_sort,
        lost_stage
    from entries
    union all
    select
        'entry_channel',
        entry_channel,
        entry_channel as channel_label,
        0,
        lost_stage
    from entries
    union all
    select
        'entry_campaign',
        entry_campaign_id,
        case
            when entry_campaign_id = 'none' then 'No campaign (organic)'
            else coalesce(entry_campaign_name, {{ dbt.concat(["'Campaign '", "entry_campaign_id"]) }})
        end,
        0,
        lost_stage
    from entries
    union all
    select
        'first_response_bucket',
        first_response_bucket,
        first_response_bucket as bucket_label,
        first_response_bucket_order,
        lost_stage
    from entries
),

entry_slices as (
    select
        dimension,
        dimension_value,
        min(dimension_label) as dimension_label,
        dimension_sort,
        count(*) as funnel_entries
    from entry_dimensions
    group by dimension, dimension_value, dimension_sort
),

entry_lost as (
    select
        dimension,
        dimension_value,
        lost_stage,
        count(*) as lost_count
    from entry_dimensions
    where lost_stage is not null
    group by dimension, dimension_value, lost_stage
),

entry_rows as (
    select
        entry_slices.dimension,
        entry_slices.dimension_value,
        entry_slices.dimension_label,
        entry_slices.dimension_sort,
        lost_stages.stage_name as lost_stage,
        entry_slices.funnel_entries,
        coalesce(entry_lost.lost_count, 0) as lost_count
    from entry_slices
    cross join lost_stages
    left join entry_lost
        on entry_slices.dimension = entry_lost.dimension
        and entry_slices.dimension_value = entry_lost.dimension_value
        and lost_stages.stage_name = entry_lost.lost_stage
),

total as (
    select count(*) as funnel_entries from entries
),

lost_dimensions as (
    select
        'lost_from_stage' as dimension,
        coalesce(lost_from_stage, 'unknown') as dimension_value,
        coalesce(lost_from_stage, 'Unknown') as dimension_label,
        lost_stage
    from entries
    where is_lost
    union all
    select
        'lost_reason',
        coalesce(lost_reason, 'unknown'),
        {{ lifecycle_lost_reason_label('lost_reason') }},
        lost_stage
    from entries
    where is_lost
),

lost_rows as (
    select
        lost_dimensions.dimension,
        lost_dimensions.dimension_value,
        min(lost_dimensions.dimension_label) as dimension_label,
        0 as dimension_sort,
        lost_dimensions.lost_stage,
        max(total.funnel_entries) as funnel_entries,
        count(*) as lost_count
    from lost_dimensions
    cross join total
    group by lost_dimensions.dimension, lost_dimensions.dimension_value, lost_dimensions.lost_stage
),

unioned as (
    select * from entry_rows
    union all
    select * from lost_rows
),

final as (
    select
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(dimension_label as {{ dbt.type_string() }}) as dimension_label,
        cast(dimension_sort as integer) as dimension_sort,
        cast(lost_stage as {{ dbt.type_string() }}) as lost_stage,
        cast(funnel_entries as bigint) as funnel_entries,
        cast(lost_count as bigint) as lost_count,
        cast(lost_count * 1.0 / nullif(funnel_entries, 0) as {{ lifecycle_double() }}) as lost_rate
    from unioned
)

select * from final
