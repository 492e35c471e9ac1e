{#-
  The Overview's KPIs by day, as additive counts and sums, so a dashboard sums them over any date range and
  compares with the previous range of the same length. Grain: date_day x channel x platform x campaign_id.
  Lead counts are keyed on the funnel-entry day (respond.io's convention; an entry's later progress counts
  on its entry day): new_leads = funnel entries, hot_leads = of them, reached the preset's hot_lead_stage or
  a later stage, customers = of them, won (reached the won stage or later), cold_leads = of them, ended in a
  cold lost stage (a lost stage an `inactivity` rule moves to). Money is keyed on its own day: ad_spend on the
  spend day (rpt_campaign_performance), revenue on the purchase day (every purchase's revenue, credited to
  the last touch in fct_attribution_credits, so a campaign filter keeps that campaign's revenue), both in the
  reporting currency. Money rows have no channel (spend is bought per platform, not per messaging channel).
  Rates (lead-to-customer, cold-lead, CAC = ad_spend / customers, ROAS = revenue / ad_spend) are ratios of
  these sums over the chosen range; medians come from rpt_first_response_events.
-#}
{%- set config = lifecycle_config() %}
{%- set cold = segment_stages('cold') %}
{%- set currency = lifecycle_literal(var('reporting_currency', 'USD') | upper) %}

with

entries as (
    select * from {{ ref('fct_lifecycle_funnel_entries') }}
),

stages as (
    select * from {{ ref('int_lifecycle__stages') }}
),

campaign_days as (
    select * from {{ ref('rpt_campaign_performance') }}
),

credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

rates as (
    select * from {{ ref('int_attribution__currency_rates') }}
),

ads as (
    select
        ad_id,
        min(platform) as platform
    from {{ ref('int_ad_performance__ads') }}
    group by ad_id
),

campaign_names as (
    select
        campaign_id,
        min(campaign_name) as campaign_name
    from {{ ref('int_ad_performance__campaigns') }}
    group by campaign_id
),

hot_lead_stage as (
    select min(stage_order) as stage_order
    from stages
    where stage_name = {{ lifecycle_literal(config.hot_lead_stage) }}
        and not is_lost_stage
),

lead_rows as (
    select
        cast(entries.funnel_entry_at as date) as date_day,
        entries.entry_channel as channel,
        coalesce(ads.platform, 'organic') as platform,
        case when entries.entry_campaign_id <> 'none' then entries.entry_campaign_id end as campaign_id,
        entries.entry_campaign_name as campaign_name,
        1 as new_leads,
        case when entries.max_stage_order >= hot_lead_stage.stage_order then 1 else 0 end as hot_leads,
        case when entries.is_won then 1 else 0 end as customers,
        case when entries.lost_stage in {{ segment_in_list(cold) }} then 1 else 0 end as cold_leads,
        case when entries.is_lost then 1 else 0 end as lost_leads,
        cast(0 as {{ lifecycle_double() }}) as ad_spend,
        cast(0 as {{ lifecycle_double() }}) as revenue,
        0 as purchases
    from entries
    cross join hot_lead_stage
    left join ads
        on entries.entry_ad_id = ads.ad_id
),

spend_rows as (
    select
        date_day,
        cast(null as {{ dbt.type_string() }}) as channel,
        platform,
        campaign_id,
        campaign_name,
        0 as new_leads,
        0 as hot_leads,
        0 as customers,
        0 as cold_leads,
        0 as lost_leads,
        cast(coalesce(spend_reporting, 0) as {{ lifecycle_double() }}) as ad_spend,
        cast(0 as {{ lifecycle_double() }}) as revenue,
        0 as purchases
    from campaign_days
    where spend_reporting <> 0
),

revenue_rows as (
    select
        cast(credits.converted_at as date) as date_day,
        cast(null as {{ dbt.type_string() }}) as channel,
        case when credits.campaign_id is not null then coalesce(credits.platform, 'organic') else 'organic' end
            as platform,
        credits.campaign_id,
        campaign_names.campaign_name,
        0 as new_leads,
        0 as hot_leads,
        0 as customers,
        0 as cold_leads,
        0 as lost_leads,
        cast(0 as {{ lifecycle_double() }}) as ad_spend,
        cast(coalesce(credits.revenue_credit, 0) * rates.rate_to_reporting as {{ lifecycle_double() }}) as revenue,
        case when credits.credit > 0 then 1 else 0 end as purchases
    from credits
    left join rates
        on coalesce(credits.currency, {{ currency }}) = rates.currency
    left join campaign_names
        on credits.campaign_id = campaign_names.campaign_id
    where credits.conversion_type = 'purchase'
        and credits.model = 'last_touch'
),

unioned as (
    select * from lead_rows
    union all
    select * from spend_rows
    union all
    select * from revenue_rows
),

daily as (
    select
        date_day,
        channel,
        platform,
        campaign_id,
        min(campaign_name) as campaign_name,
        sum(new_leads) as new_leads,
        sum(hot_leads) as hot_leads,
        sum(customers) as customers,
        sum(cold_leads) as cold_leads,
        sum(lost_leads) as lost_leads,
        sum(ad_spend) as ad_spend,
        sum(revenue) as revenue,
        sum(purchases) as purchases
    from unioned
    group by date_day, channel, platform, campaign_id
),

final as (
    select
        {{ lifecycle_slice_columns('kpi_daily_id') }},
        cast(new_leads as bigint) as new_leads,
        cast(hot_leads as bigint) as hot_leads,
        cast(customers as bigint) as customers,
        cast(cold_leads as bigint) as cold_leads,
        cast(lost_leads as bigint) as lost_leads,
        cast(ad_spend as {{ lifecycle_double() }}) as ad_spend,
        cast(revenue as {{ lifecycle_double() }}) as revenue,
        cast(purchases as bigint) as purchases,
        cast({{ currency }} as {{ dbt.type_string() }}) as reporting_currency
    from daily
)

select * from final
