{#-
  How far the conversations each campaign started progressed: funnel entries by entry month and entry
  campaign (the campaign of the ad the entry conversation came from; 'none' for entries without one), and
  for every active stage how many of them reached it (got to it or past it, skips included, as in
  rpt_lifecycle_funnel), plus how many were won and lost. Leads per campaign and day equal
  rpt_campaign_performance.leads (same entries, same ad -> campaign mapping). One row per entry month x
  campaign x stage.
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

    select * from {{ ref('int_ad_performance__ads') }}

),

-- one row per ad id (a funnel entry knows only the ad id), as in rpt_campaign_performance
ad_platforms as (

    select
        ad_id,
        min(platform) as platform
    from ads
    group by ad_id

),

campaign_entries as (

    select
        entries.entry_month,
        coalesce(ad_platforms.platform, 'none') as platform,
        entries.entry_campaign_id as campaign_id,
        coalesce(
            entries.entry_campaign_name,
            case when entries.entry_campaign_id = 'none' then 'No campaign' else entries.entry_campaign_id end
        ) as campaign_name,
        entries.max_stage_order,
        entries.is_won,
        entries.is_lost
    from entries
    left join ad_platforms
        on entries.entry_ad_id = ad_platforms.ad_id

),

cohorts as (

    select
        entry_month,
        platform,
        campaign_id,
        max(campaign_name) as campaign_name,
        count(*) as funnel_entries,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_lost then 1 else 0 end) as lost_count
    from campaign_entries
    group by entry_month, platform, campaign_id

),

reached as (

    select
        campaign_entries.entry_month,
        campaign_entries.platform,
        campaign_entries.campaign_id,
        stages.stage_order,
        count(*) as reached_count
    from campaign_entries
    inner join stages
        on campaign_entries.max_stage_order >= stages.stage_order
    group by campaign_entries.entry_month, campaign_entries.platform, campaign_entries.campaign_id, stages.stage_order

),

final as (

    select
        cast({{ dbt.concat([
            "cast(cohorts.entry_month as " ~ dbt.type_string() ~ ")", "'|'", "cohorts.platform", "'|'",
            "cohorts.campaign_id", "'|'", "stages.stage_name",
        ]) }} as {{ dbt.type_string() }}) as campaign_funnel_id,
        cast(cohorts.entry_month as date) as entry_month,
        cast(cohorts.platform as {{ dbt.type_string() }}) as platform,
        cast(cohorts.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(cohorts.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(stages.stage_name as {{ dbt.type_string() }}) as stage,
        cast(stages.stage_order as integer) as stage_order,
        cast(stages.is_won_stage as boolean) as is_won_stage,
        cast(cohorts.funnel_entries as bigint) as funnel_entries,
        cast(coalesce(reached.reached_count, 0) as bigint) as reached_count,
        cast(1.0 * coalesce(reached.reached_count, 0) / cohorts.funnel_entries as {{ lifecycle_double() }})
            as reached_rate,
        cast(cohorts.won_count as bigint) as won_count,
        cast(cohorts.lost_count as bigint) as lost_count
    from cohorts
    cross join stages
    left join reached
        on cohorts.entry_month = reached.entry_month
        and cohorts.platform = reached.platform
        and cohorts.campaign_id = reached.campaign_id
        and stages.stage_order = reached.stage_order

)

select * from final
