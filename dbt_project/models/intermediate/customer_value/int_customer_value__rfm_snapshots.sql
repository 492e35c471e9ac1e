{#-
  The RFM lifecycle cell of every customer at the end of every month (the last snapshot is the observation
  end itself), so the map can show month-over-month movement. One row per customer and snapshot month, from
  the month of the customer's first order, counted back from the observation end's month (at most 1,000
  months, so a 1970 order in a store observed to 2099 still leaves every customer a cell at the end).
  Cells (Omnisend's lifecycle map; thresholds are vars):
    recency r = days since the last order; frequency f = orders in the last rfm_frequency_window_days;
    high value = AOV >= rfm_monetary_ratio x the store's AOV up to the snapshot.
    r < R1 (40):       f >= rfm_repeat_orders -> Champions if high value, else Loyalists; else Recent customers
    R1 <= r < R2 (90): f >= rfm_repeat_orders -> Loyalists; else High potential if high value, else Need nurturing
    R2 <= r < R3 (180): At risk
    r >= R3:            About to lose
-#}
{%- set edges = var('rfm_recency_days', [40, 90, 180]) %}
{%- set window_days = var('rfm_frequency_window_days', 365) %}
{%- set repeat_orders = var('rfm_repeat_orders', 2) %}
{%- set ratio = var('rfm_monetary_ratio', 1.0) %}

with

orders as (

    select * from {{ ref('int_customer_value__orders') }}

),

digits as (

    select 0 as n
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

month_offsets as (

    select tens.n * 10 + units.n + hundreds.n * 100 as month_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(order_date)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'max(observation_end)') }} as date) as last_month,
        max(observation_end) as observation_end
    from orders

),

snapshots as (

    select
        cast({{ dbt.dateadd('month', '-1 * month_offsets.month_offset', 'bounds.last_month') }} as date)
            as snapshot_month,
        bounds.observation_end
    from bounds
    cross join month_offsets
    where {{ dbt.dateadd('month', '-1 * month_offsets.month_offset', 'bounds.last_month') }} >= bounds.first_month

),

snapshot_dates as (

    select
        snapshot_month,
        cast(case
            when {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'snapshot_month')) }} < observation_end
                then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'snapshot_month')) }}
            else observation_end
        end as date) as snapshot_date
    from snapshots

),

customer_history as (

    select
        snapshot_dates.snapshot_month,
        snapshot_dates.snapshot_date,
        orders.contact_id,
        max(orders.order_date) as last_order_date,
        count(*) as lifetime_orders,
        sum(orders.revenue) as lifetime_revenue,
        sum(case
            when orders.order_date > {{ dbt.dateadd('day', -1 * window_days, 'snapshot_dates.snapshot_date') }}
                then 1
            else 0
        end) as window_orders
    from snapshot_dates
    inner join orders
        on snapshot_dates.snapshot_date >= orders.order_date
    group by snapshot_dates.snapshot_month, snapshot_dates.snapshot_date, orders.contact_id

),

store_averages as (

    select
        snapshot_month,
        sum(lifetime_revenue) / nullif(sum(lifetime_orders), 0) as store_aov
    from customer_history
    group by snapshot_month

),

measured as (

    select
        customer_history.*,
        cast(
            {{ dbt.datediff('customer_history.last_order_date', 'customer_history.snapshot_date', 'day') }}
            as integer
        ) as recency_days,
        customer_history.lifetime_revenue / customer_history.lifetime_orders as aov,
        store_averages.store_aov,
        customer_history.lifetime_revenue / customer_history.lifetime_orders
        >= {{ ratio }} * store_averages.store_aov as is_high_value
    from customer_history
    inner join store_averages
        on customer_history.snapshot_month = store_averages.snapshot_month

),

final as (

    select
        snapshot_month,
        snapshot_date,
        contact_id,
        last_order_date,
        recency_days,
        cast(window_orders as integer) as frequency_orders,
        cast(lifetime_orders as integer) as lifetime_orders,
        cast(lifetime_revenue as {{ lifecycle_double() }}) as lifetime_revenue,
        cast(aov as {{ lifecycle_double() }}) as aov,
        cast(store_aov as {{ lifecycle_double() }}) as store_aov,
        is_high_value,
        case
            when recency_days < {{ edges[0] }}
                then
                    case
                        when window_orders >= {{ repeat_orders }} and is_high_value then 'Champions'
                        when window_orders >= {{ repeat_orders }} then 'Loyalists'
                        else 'Recent customers'
                    end
            when recency_days < {{ edges[1] }}
                then
                    case
                        when window_orders >= {{ repeat_orders }} then 'Loyalists'
                        when is_high_value then 'High potential'
                        else 'Need nurturing'
                    end
            when recency_days < {{ edges[2] }} then 'At risk'
            else 'About to lose'
        end as rfm_cell
    from measured

)

select * from final
