{#-
  The Markov model at channel level, per conversion type and name: removal effect RE(c), share
  RE(c) / sum of RE, and the channel credit of the formula, share x the conversions that have touches (and
  x their revenue in var('reporting_currency')). path_credited_conversions sums the per-conversion markov
  credits of fct_attribution_credits for comparison (they split each conversion over its own path's
  channels, so they can differ from the formula; docs/attribution.md explains why both exist).
-#}

with

removal_effects as (

    select * from {{ ref(python_step('int_attribution__markov_removal_effects')) }}

),

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

paths as (

    select * from {{ ref('int_attribution__paths') }}

),

credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

rates as (

    select * from {{ ref('int_attribution__currency_rates') }}

),

touched_conversions as (

    select
        conversions.conversion_type,
        conversions.conversion_name,
        count(*) as conversions,
        sum(case when conversions.revenue = 0 then 0 else conversions.revenue * rates.rate_to_reporting end) as revenue
    from conversions
    left join rates
        on coalesce(conversions.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency
    where exists (
            select 1 from paths
            where paths.conversion_id = conversions.conversion_id
        )
    group by conversions.conversion_type, conversions.conversion_name

),

path_credits as (

    select
        conversion_type,
        conversion_name,
        marketing_channel,
        sum(credit) as path_credited_conversions
    from credits
    where model = 'markov'
    group by conversion_type, conversion_name, marketing_channel

),

final as (

    select
        cast(removal_effects.conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(removal_effects.conversion_name as {{ dbt.type_string() }}) as conversion_name,
        cast(removal_effects.marketing_channel as {{ dbt.type_string() }}) as marketing_channel,
        cast(removal_effects.removal_effect as {{ lifecycle_double() }}) as removal_effect,
        cast(removal_effects.share as {{ lifecycle_double() }}) as share,
        cast(removal_effects.conversion_probability as {{ lifecycle_double() }}) as conversion_probability,
        cast(coalesce(touched_conversions.conversions, 0) as integer) as touched_conversions,
        cast(removal_effects.share * coalesce(touched_conversions.conversions, 0) as {{ lifecycle_double() }})
            as attributed_conversions,
        cast(removal_effects.share * coalesce(touched_conversions.revenue, 0) as {{ lifecycle_double() }})
            as attributed_revenue,
        cast(coalesce(path_credits.path_credited_conversions, 0) as {{ lifecycle_double() }})
            as path_credited_conversions,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency
    from removal_effects
    left join touched_conversions
        on removal_effects.conversion_type = touched_conversions.conversion_type
        and removal_effects.conversion_name = touched_conversions.conversion_name
    left join path_credits
        on removal_effects.conversion_type = path_credits.conversion_type
        and removal_effects.conversion_name = path_credits.conversion_name
        and removal_effects.marketing_channel = path_credits.marketing_channel

)

select * from final
