{#-
  Rate from each currency of the currency_rates seed into var('reporting_currency'):
  rate_to_reporting = usd_per_unit(currency) / usd_per_unit(reporting currency). Empty when the reporting
  currency is not in the seed (a data test on this model fails then).
-#}

with

rates as (

    select * from {{ ref('currency_rates') }}

),

reporting as (

    select usd_per_unit
    from rates
    where currency = '{{ var("reporting_currency", "USD") | upper }}'

),

final as (

    select
        rates.currency,
        '{{ var("reporting_currency", "USD") | upper }}' as reporting_currency,
        cast(rates.usd_per_unit as {{ lifecycle_double() }})
        / cast(reporting.usd_per_unit as {{ lifecycle_double() }}) as rate_to_reporting
    from rates
    cross join reporting

)

select * from final
