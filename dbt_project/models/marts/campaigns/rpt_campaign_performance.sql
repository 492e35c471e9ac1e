{#-
  Campaign performance by day, platform, campaign, ad set and ad: the platforms' figures (spend,
  impressions, clicks, conversations started), the funnel entries their ads brought (leads, and how many of
  them reached var('campaign_hot_lead_stage') or were won, keyed on the funnel-entry day as the lifecycle
  reports are), the first reply those leads waited for, and purchase revenue credited to the ad's touches by
  every attribution model (keyed on the purchase day). Money: spend in the account currency (currency) and
  everything in var('reporting_currency') (*_reporting, revenue, CPL, CAC, ROAS) through the currency_rates seed;
  no two currencies are ever summed unconverted. A row exists for every day with spend, leads or revenue.
-#}
{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] %}

with

performance as (

    select * from {{ ref('int_ad_performance__daily') }}

),

ads as (

    select * from {{ ref('int_ad_performance__ads') }}

),

campaigns as (

    select * from {{ ref('int_ad_performance__campaigns') }}

),

funnel_entries as (

    select * from {{ ref('fct_lifecycle_funnel_entries') }}

),

stages as (

    select * from {{ ref('int_lifecycle__stages') }}

),

credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

rates as (

    select * from {{ ref('int_attribution__currency_rates') }}

),

hot_lead_stage as (

    select min(stage_order) as stage_order
    from stages
    where stage_name = '{{ var("campaign_hot_lead_stage", "Hot Lead") }}'
        and not is_lost_stage

),

-- one row per ad id (ad ids are unique per platform; a funnel entry knows only the ad id)
ads_by_id as (

    select
        ad_id,
        min(platform) as platform,
        min(ad_set_id) as ad_set_id,
        min(campaign_id) as campaign_id
    from ads
    group by ad_id

),

spend_rows as (

    select
        performance.platform,
        performance.campaign_id,
        performance.ad_set_id,
        performance.ad_id,
        performance.date_day,
        performance.currency,
        performance.spend,
        performance.spend * rates.rate_to_reporting as spend_reporting,
        performance.impressions,
        performance.clicks,
        performance.conversations_started,
        cast(0 as {{ dbt.type_bigint() }}) as leads,
        cast(0 as {{ dbt.type_bigint() }}) as hot_leads,
        cast(0 as {{ dbt.type_bigint() }}) as customers,
        cast(0 as {{ dbt.type_bigint() }}) as leads_with_first_response,
        cast(0 as {{ lifecycle_double() }}) as first_response_seconds_total,
        {%- for m in models %}
        cast(0 as {{ lifecycle_double() }}) as revenue_{{ m }},
        {%- endfor %}
        cast(0 as {{ dbt.type_bigint() }}) as purchases
    from performance
    left join rates
        on coalesce(performance.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency

),

lead_rows as (

    select
        ads_by_id.platform,
        ads_by_id.campaign_id,
        ads_by_id.ad_set_id,
        funnel_entries.entry_ad_id as ad_id,
        cast(funnel_entries.funnel_entry_at as date) as date_day,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(0 as {{ dbt.type_numeric() }}) as spend,
        cast(0 as {{ lifecycle_double() }}) as spend_reporting,
        cast(0 as {{ dbt.type_bigint() }}) as impressions,
        cast(0 as {{ dbt.type_bigint() }}) as clicks,
        cast(0 as {{ dbt.type_bigint() }}) as conversations_started,
        cast(1 as {{ dbt.type_bigint() }}) as leads,
        cast(
            case when funnel_entries.max_stage_order >= hot_lead_stage.stage_order then 1 else 0 end
            as {{ dbt.type_bigint() }}
        ) as hot_leads,
        cast(case when funnel_entries.is_won then 1 else 0 end as {{ dbt.type_bigint() }}) as customers,
        cast(
            case when funnel_entries.first_response_seconds is not null then 1 else 0 end
            as {{ dbt.type_bigint() }}
        ) as leads_with_first_response,
        cast(coalesce(funnel_entries.first_response_seconds, 0) as {{ lifecycle_double() }})
            as first_response_seconds_total,
        {%- for m in models %}
        cast(0 as {{ lifecycle_double() }}) as revenue_{{ m }},
        {%- endfor %}
        cast(0 as {{ dbt.type_bigint() }}) as purchases
    from funnel_entries
    inner join ads_by_id
        on funnel_entries.entry_ad_id = ads_by_id.ad_id
    cross join hot_lead_stage

),

revenue_rows as (

    select
        credits.platform,
        credits.campaign_id,
        credits.ad_set_id,
        credits.ad_id,
        cast(credits.converted_at as date) as date_day,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(0 as {{ dbt.type_numeric() }}) as spend,
        cast(0 as {{ lifecycle_double() }}) as spend_reporting,
        cast(0 as {{ dbt.type_bigint() }}) as impressions,
        cast(0 as {{ dbt.type_bigint() }}) as clicks,
        cast(0 as {{ dbt.type_bigint() }}) as conversations_started,
        cast(0 as {{ dbt.type_bigint() }}) as leads,
        cast(0 as {{ dbt.type_bigint() }}) as hot_leads,
        cast(0 as {{ dbt.type_bigint() }}) as customers,
        cast(0 as {{ dbt.type_bigint() }}) as leads_with_first_response,
        cast(0 as {{ lifecycle_double() }}) as first_response_seconds_total,
        {%- for m in models %}
        cast(
            case when credits.model = '{{ m }}' then credits.revenue_credit * rates.rate_to_reporting else 0 end
            as {{ lifecycle_double() }}
        ) as revenue_{{ m }},
        {%- endfor %}
        cast(
            case when credits.model = 'last_touch' and credits.credit > 0 then 1 else 0 end
            as {{ dbt.type_bigint() }}
        ) as purchases
    from credits
    left join rates
        on coalesce(credits.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency
    where credits.conversion_type = 'purchase'
        and (credits.campaign_id is not null or credits.ad_id is not null)

),

unioned as (

    select * from spend_rows
    union all
    select * from lead_rows
    union all
    select * from revenue_rows

),

daily as (

    select
        platform,
        campaign_id,
        ad_set_id,
        ad_id,
        date_day,
        max(currency) as currency,
        sum(spend) as spend,
        sum(spend_reporting) as spend_reporting,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversations_started) as conversations_started,
        sum(leads) as leads,
        sum(hot_leads) as hot_leads,
        sum(customers) as customers,
        sum(leads_with_first_response) as leads_with_first_response,
        sum(first_response_seconds_total) as first_response_seconds_total,
        {%- for m in models %}
        sum(revenue_{{ m }}) as revenue_{{ m }},
        {%- endfor %}
        sum(purchases) as purchases
    from unioned
    group by platform, campaign_id, ad_set_id, ad_id, date_day

),

final as (

    select
        cast({{ dbt.concat([
            "daily.platform", "'|'", "coalesce(daily.campaign_id, '')", "'|'", "coalesce(daily.ad_set_id, '')", "'|'",
            "coalesce(daily.ad_id, '')", "'|'", "cast(daily.date_day as " ~ dbt.type_string() ~ ")",
        ]) }} as {{ dbt.type_string() }}) as campaign_performance_id,
        cast(daily.date_day as date) as date_day,
        cast(daily.platform as {{ dbt.type_string() }}) as platform,
        cast(coalesce(ads.account_id, campaigns.account_id) as {{ dbt.type_string() }}) as account_id,
        cast(daily.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(daily.ad_set_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(ads.ad_set_name as {{ dbt.type_string() }}) as ad_set_name,
        cast(daily.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(ads.ad_name as {{ dbt.type_string() }}) as ad_name,
        cast(daily.currency as {{ dbt.type_string() }}) as currency,
        cast(daily.spend as {{ lifecycle_double() }}) as spend,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast(daily.spend_reporting as {{ lifecycle_double() }}) as spend_reporting,
        cast(daily.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(daily.clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(1.0 * daily.clicks / nullif(daily.impressions, 0) as {{ lifecycle_double() }}) as ctr,
        cast(daily.spend_reporting / nullif(daily.clicks, 0) as {{ lifecycle_double() }}) as cpc,
        cast(daily.conversations_started as {{ dbt.type_bigint() }}) as conversations_started,
        cast(daily.leads as {{ dbt.type_bigint() }}) as leads,
        cast(daily.hot_leads as {{ dbt.type_bigint() }}) as hot_leads,
        cast(daily.customers as {{ dbt.type_bigint() }}) as customers,
        cast(1.0 * daily.hot_leads / nullif(daily.leads, 0) as {{ lifecycle_double() }}) as lead_to_hot_lead_rate,
        cast(1.0 * daily.customers / nullif(daily.hot_leads, 0) as {{ lifecycle_double() }})
            as hot_lead_to_customer_rate,
        cast(1.0 * daily.customers / nullif(daily.leads, 0) as {{ lifecycle_double() }}) as lead_to_customer_rate,
        cast(daily.leads_with_first_response as {{ dbt.type_bigint() }}) as leads_with_first_response,
        cast(daily.first_response_seconds_total as {{ lifecycle_double() }}) as first_response_seconds_total,
        cast(
            daily.first_response_seconds_total / nullif(daily.leads_with_first_response, 0) / 60.0
            as {{ lifecycle_double() }}
        ) as avg_first_response_minutes,
        cast(daily.spend_reporting / nullif(daily.leads, 0) as {{ lifecycle_double() }}) as cpl,
        cast(daily.spend_reporting / nullif(daily.customers, 0) as {{ lifecycle_double() }}) as cac,
        cast(daily.purchases as {{ dbt.type_bigint() }}) as purchases_last_touch,
        {%- for m in models %}
        cast(daily.revenue_{{ m }} as {{ lifecycle_double() }}) as revenue_{{ m }},
        {%- endfor %}
        -- sqlfluff cannot lay out a select list whose last item ends in a Jinja comma
        -- noqa: disable=LT02
        {%- for m in models %}
        cast(daily.revenue_{{ m }} / nullif(daily.spend_reporting, 0) as {{ lifecycle_double() }})
            as roas_{{ m }}{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from daily
    left join ads
        on daily.platform = ads.platform
        and daily.ad_id = ads.ad_id
    left join campaigns
        on daily.platform = campaigns.platform
        and daily.campaign_id = campaigns.campaign_id

)

select * from final
