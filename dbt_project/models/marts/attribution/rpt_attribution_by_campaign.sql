{#-
  Attributed conversions and revenue per conversion month, attribution model, conversion type and name,
  platform and campaign (with its name). Touches without a campaign (organic inbound messages, emails...)
  are kept with a null campaign_id so the totals still equal the conversions. Revenue in
  var('reporting_currency').
-#}

with

credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

touchpoints as (

    select * from {{ ref('int_attribution__touchpoints') }}

),

rates as (

    select * from {{ ref('int_attribution__currency_rates') }}

),

converted as (

    select
        cast({{ dbt.date_trunc('month', 'credits.converted_at') }} as date) as conversion_month,
        credits.model,
        credits.conversion_type,
        credits.conversion_name,
        credits.platform,
        credits.campaign_id,
        touchpoints.campaign_name,
        credits.conversion_id,
        credits.credit,
        case
            when credits.revenue_credit = 0 then 0
            else credits.revenue_credit * rates.rate_to_reporting
        end as revenue_credit_reporting
    from credits
    left join touchpoints
        on credits.touchpoint_id = touchpoints.touchpoint_id
    left join rates
        on coalesce(credits.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency

),

final as (

    select
        cast(conversion_month as date) as conversion_month,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_name as {{ dbt.type_string() }}) as conversion_name,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(max(campaign_name) as {{ dbt.type_string() }}) as campaign_name,
        cast(sum(credit) as {{ lifecycle_double() }}) as attributed_conversions,
        cast(sum(revenue_credit_reporting) as {{ lifecycle_double() }}) as attributed_revenue,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast(count(distinct conversion_id) as integer) as touched_conversions
    from converted
    group by conversion_month, model, conversion_type, conversion_name, platform, campaign_id

)

select * from final
