{#-
  One row per customer (contact with at least one counted order): order history and the buy-till-you-die
  summary in the literature's convention on a daily grain, same-day orders summed into one purchase day:
    btyd_frequency       = purchase days - 1 (repeat purchase days)
    btyd_recency_days    = days from the first to the last purchase day
    btyd_age_days        = days from the first purchase day to the observation end
    btyd_monetary_value  = mean value of the repeat purchase days (0 when there are none)
  Zero-value orders are purchases (they count as purchase days with value 0). Money in reporting currency.
-#}

with

orders as (

    select * from {{ ref('int_customer_value__orders') }}

),

purchase_days as (

    select
        contact_id,
        order_date,
        max(observation_end) as observation_end,
        sum(revenue) as day_revenue,
        row_number() over (partition by contact_id order by order_date) as purchase_day_number
    from orders
    group by contact_id, order_date

),

day_summary as (

    select
        contact_id,
        max(observation_end) as observation_end,
        count(*) as order_days,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(case when purchase_day_number > 1 then day_revenue else 0 end) as repeat_day_revenue
    from purchase_days
    group by contact_id

),

order_summary as (

    select
        contact_id,
        count(*) as orders,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(revenue) as revenue,
        sum(refunded_amount) as refunded_amount
    from orders
    group by contact_id

),

final as (

    select
        order_summary.contact_id,
        order_summary.first_order_at,
        order_summary.last_order_at,
        order_summary.orders,
        day_summary.order_days,
        order_summary.revenue,
        order_summary.refunded_amount,
        day_summary.observation_end,
        day_summary.first_order_date,
        day_summary.last_order_date,
        cast(day_summary.order_days - 1 as integer) as btyd_frequency,
        cast({{ dbt.datediff('day_summary.first_order_date', 'day_summary.last_order_date', 'day') }} as integer)
            as btyd_recency_days,
        cast({{ dbt.datediff('day_summary.first_order_date', 'day_summary.observation_end', 'day') }} as integer)
            as btyd_age_days,
        cast(case
            when day_summary.order_days > 1 then day_summary.repeat_day_revenue / (day_summary.order_days - 1)
            else 0
        end as {{ lifecycle_double() }}) as btyd_monetary_value
    from order_summary
    inner join day_summary
        on order_summary.contact_id = day_summary.contact_id

)

select * from final
