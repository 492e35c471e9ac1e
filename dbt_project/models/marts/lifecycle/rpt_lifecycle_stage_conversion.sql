{#-
  Stage funnel by funnel-entry day, as additive counts: for every entry day x entry channel x ad platform x
  campaign and every active stage, how many entries there were and how many reached the stage (got to it or
  past it, skips included, as in rpt_lifecycle_funnel). A dashboard sums the counts over any date range and
  filter; conversion between consecutive stages is reached_count / the previous stage's reached_count of
  the same sums. Lost stages are not funnel stages (rpt_lifecycle_lost). Zero rows are kept for every stage
  of a slice, so the first stage always shows.
-#}

with

entries as (
    select * from {{ ref('fct_lifecycle_funnel_entries') }}
),

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
    where not is_lost_stage
),

ads as (
    select
        ad_id,
        min(platform) as platform
    from {{ ref('int_ad_performance__ads') }}
    group by ad_id
),

slices as (
    select
        cast(entries.funnel_entry_at as date) as date_day,
        entries.entry_channel as channel,
        coalesce(ads.platform, 'organic') as platform,
        case when entries.entry_campaign_id <> 'none' then entries.entry_campaign_id end as campaign_id,
        entries.entry_campaign_name as campaign_name,
        entries.max_stage_order
    from entries
    left join ads
        on entries.entry_ad_id = ads.ad_id
),

per_stage as (
    select
        slices.date_day,
        slices.channel,
        slices.platform,
        slices.campaign_id,
        min(slices.campaign_name) as campaign_name,
        stages.stage_name as stage,
        stages.stage_order,
        stages.is_won_stage,
        count(*) as funnel_entries,
        sum(case when slices.max_stage_order >= stages.stage_order then 1 else 0 end) as reached_count
    from slices
    cross join stages
    group by
        slices.date_day, slices.channel, slices.platform, slices.campaign_id,
        stages.stage_name, stages.stage_order, stages.is_won_stage
),

final as (
    select
        {{ lifecycle_slice_columns('stage_conversion_id', id_extra=["'|'", "stage"]) }},
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_order as integer) as stage_order,
        cast(is_won_stage as boolean) as is_won_stage,
        cast(funnel_entries as bigint) as funnel_entries,
        cast(reached_count as bigint) as reached_count
    from per_stage
)

select * from final
