{#-
  Acquisition cohorts (month, and quarter, of the customer's first order) x periods since: customers of the
  cohort active in the period (at least one order), that count as a rate of the cohort's size, orders and
  revenue (reporting currency). Period 0 is the acquisition period (retention 1 by definition).
-#}

with

orders as (

    select * from {{ ref('int_customer_value__orders') }}

),

first_orders as (

    select
        contact_id,
        min(order_date) as first_order_date
    from orders
    group by contact_id

),

{%- for grain in ['month', 'quarter'] %}

{{ grain }}_activity as (

    select
        '{{ grain }}' as cohort_grain,
        cast({{ dbt.date_trunc(grain, 'first_orders.first_order_date') }} as date) as cohort_start,
        cast(
            {{ dbt.datediff(dbt.date_trunc(grain, 'first_orders.first_order_date'),
                            dbt.date_trunc(grain, 'orders.order_date'), 'month') }}
            {% if grain == 'quarter' %}/ 3{% endif %} as integer
        ) as period_number,
        orders.contact_id,
        orders.revenue
    from orders
    inner join first_orders
        on orders.contact_id = first_orders.contact_id

),
{%- endfor %}

activity as (

    select * from month_activity
    union all
    select * from quarter_activity

),

cohort_sizes as (

    select
        cohort_grain,
        cohort_start,
        count(distinct contact_id) as cohort_customers
    from activity
    where period_number = 0
    group by cohort_grain, cohort_start

),

periods as (

    select
        cohort_grain,
        cohort_start,
        period_number,
        count(distinct contact_id) as active_customers,
        count(*) as orders,
        sum(revenue) as revenue
    from activity
    group by cohort_grain, cohort_start, period_number

),

final as (

    select
        cast(periods.cohort_grain as {{ dbt.type_string() }}) as cohort_grain,
        cast(periods.cohort_start as date) as cohort_start,
        cast(periods.period_number as integer) as period_number,
        cast(cohort_sizes.cohort_customers as integer) as cohort_customers,
        cast(periods.active_customers as integer) as active_customers,
        cast(1.0 * periods.active_customers / cohort_sizes.cohort_customers as {{ lifecycle_double() }})
            as retention_rate,
        cast(periods.orders as integer) as orders,
        cast(periods.revenue as {{ lifecycle_double() }}) as revenue,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency
    from periods
    inner join cohort_sizes
        on periods.cohort_grain = cohort_sizes.cohort_grain
        and periods.cohort_start = cohort_sizes.cohort_start

)

select * from final
