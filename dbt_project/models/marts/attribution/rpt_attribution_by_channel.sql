{#-
  Attributed conversions and revenue per conversion month, attribution model, conversion type and name, and
  marketing channel. Revenue in var('reporting_currency') (currency_rates seed). Per model, month and
  conversion kind the attributed conversions add up to the conversions (a data test checks it).
-#}

with

credits as (

    select * from {{ ref('fct_attribution_credits') }}

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
        credits.marketing_channel,
        credits.conversion_id,
        credits.credit,
        case
            when credits.revenue_credit = 0 then 0
            else credits.revenue_credit * rates.rate_to_reporting
        end as revenue_credit_reporting
    from credits
    left join rates
        on coalesce(credits.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency

),

final as (

    select
        cast(conversion_month as date) as conversion_month,
        cast(model as {{ dbt.type_string() }}) as model,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversion_name as {{ dbt.type_string() }}) as conversion_name,
        cast(marketing_channel as {{ dbt.type_string() }}) as marketing_channel,
        cast(sum(credit) as {{ lifecycle_double() }}) as attributed_conversions,
        cast(sum(revenue_credit_reporting) as {{ lifecycle_double() }}) as attributed_revenue,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast(count(distinct conversion_id) as integer) as touched_conversions
    from converted
    group by conversion_month, model, conversion_type, conversion_name, marketing_channel

)

select * from final
