-- rpt_campaign_funnel counts every funnel entry once, and its entries per campaign equal the leads of
-- rpt_campaign_performance. Returns the campaigns (or the '(all entries)' total) that disagree.
with

campaign_funnel as (

    select * from {{ ref('rpt_campaign_funnel') }}

),

performance as (

    select * from {{ ref('rpt_campaign_performance') }}

),

entries as (

    select * from {{ ref('fct_lifecycle_funnel_entries') }}

),

first_stage as (

    select min(stage_order) as stage_order
    from campaign_funnel

),

funnel_by_campaign as (

    select
        campaign_funnel.campaign_id,
        sum(campaign_funnel.funnel_entries) as funnel_entries
    from campaign_funnel
    inner join first_stage
        on campaign_funnel.stage_order = first_stage.stage_order
    group by campaign_funnel.campaign_id

),

leads_by_campaign as (

    select
        campaign_id,
        sum(leads) as leads
    from performance
    where leads > 0
    group by campaign_id

),

campaign_mismatches as (

    select
        coalesce(funnel_by_campaign.campaign_id, leads_by_campaign.campaign_id) as campaign_id,
        funnel_by_campaign.funnel_entries,
        leads_by_campaign.leads
    from funnel_by_campaign
    full outer join leads_by_campaign
        on funnel_by_campaign.campaign_id = leads_by_campaign.campaign_id
    where coalesce(funnel_by_campaign.campaign_id, leads_by_campaign.campaign_id) <> 'none'
        and coalesce(funnel_by_campaign.funnel_entries, 0) <> coalesce(leads_by_campaign.leads, 0)

),

total_mismatch as (

    select
        '(all entries)' as campaign_id,
        (select sum(funnel_entries) from funnel_by_campaign) as funnel_entries,
        (select count(*) from entries) as leads
    where (select sum(funnel_entries) from funnel_by_campaign) <> (select count(*) from entries)

),

final as (

    select * from campaign_mismatches
    union all
    select * from total_mismatch

)

select * from final
