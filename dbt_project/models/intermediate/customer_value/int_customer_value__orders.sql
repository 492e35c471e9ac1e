{#-
  The orders customer value counts: non-cancelled orders with a resolved contact, placed on or before the
  observation end (var customer_value_observation_end, default the day of the latest order), revenue
  converted to var('reporting_currency'). One row per order.
-#}

with

orders as (

    select * from {{ ref('int_orders') }}

),

rates as (

    select * from {{ ref('int_attribution__currency_rates') }}

),

valid_orders as (

    select *
    from orders
    where not is_cancelled
        and contact_id is not null

),

observation as (

    select
            {%- if var('customer_value_observation_end', none) %}
        cast('{{ var("customer_value_observation_end") }}' as date) as observation_end
        {%- else %}
        cast(max(ordered_at) as date) as observation_end
        {%- endif %}
    from valid_orders

),

final as (

    select
        valid_orders.order_id,
        valid_orders.contact_id,
        valid_orders.ordered_at,
        cast(valid_orders.ordered_at as date) as order_date,
        valid_orders.currency,
        cast(coalesce(valid_orders.revenue, 0) * rates.rate_to_reporting as {{ lifecycle_double() }}) as revenue,
        cast(coalesce(valid_orders.refunded_amount, 0) * rates.rate_to_reporting as {{ lifecycle_double() }})
            as refunded_amount,
        observation.observation_end
    from valid_orders
    cross join observation
    left join rates
        on coalesce(valid_orders.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency
    where cast(valid_orders.ordered_at as date) <= observation.observation_end

)

select * from final
