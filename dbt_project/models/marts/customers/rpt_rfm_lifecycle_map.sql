{#-
  The RFM lifecycle map per month: for every month-end snapshot and cell, the customers in it, their
  lifetime revenue and AOV, and the movement since the previous month (customers who stayed, came from
  another cell, are new customers, and who left for another cell). All seven cells appear every month.
  rpt_rfm_cell_movements has the from -> to counts.
-#}

with

snapshots as (

    select * from {{ ref('int_customer_value__rfm_snapshots') }}

),

cells as (

    select
        'Recent customers' as rfm_cell,
        1 as cell_order
    union all
    select
        'Loyalists',
        2
    union all
    select
        'Champions',
        3
    union all
    select
        'Need nurturing',
        4
    union all
    select
        'High potential',
        5
    union all
    select
        'At risk',
        6
    union all
    select
        'About to lose',
        7

),

months as (

    select distinct
        snapshot_month,
        snapshot_date
    from snapshots

),

with_previous as (

    select
        current_month.snapshot_month,
        current_month.contact_id,
        current_month.rfm_cell,
        current_month.lifetime_revenue,
        current_month.lifetime_orders,
        previous_month.rfm_cell as previous_cell
    from snapshots as current_month
    left join snapshots as previous_month
        on current_month.contact_id = previous_month.contact_id
        and previous_month.snapshot_month = {{ dbt.dateadd('month', -1, 'current_month.snapshot_month') }}

),

arrivals as (

    select
        snapshot_month,
        rfm_cell,
        count(*) as customers,
        sum(lifetime_revenue) as revenue,
        sum(lifetime_orders) as orders,
        sum(case when previous_cell = rfm_cell then 1 else 0 end) as customers_stayed,
        sum(case when previous_cell is not null and previous_cell <> rfm_cell then 1 else 0 end) as customers_moved_in,
        sum(case when previous_cell is null then 1 else 0 end) as customers_new
    from with_previous
    group by snapshot_month, rfm_cell

),

departures as (

    select
        snapshot_month,
        previous_cell as rfm_cell,
        count(*) as customers_moved_out
    from with_previous
    where previous_cell is not null
        and previous_cell <> rfm_cell
    group by snapshot_month, previous_cell

),

final as (

    select
        cast(months.snapshot_month as date) as snapshot_month,
        cast(months.snapshot_date as date) as snapshot_date,
        cast(cells.rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(cells.cell_order as integer) as cell_order,
        cast(coalesce(arrivals.customers, 0) as integer) as customers,
        cast(coalesce(arrivals.revenue, 0) as {{ lifecycle_double() }}) as lifetime_revenue,
        cast(arrivals.revenue / nullif(arrivals.orders, 0) as {{ lifecycle_double() }}) as aov,
        cast(coalesce(arrivals.customers_stayed, 0) as integer) as customers_stayed,
        cast(coalesce(arrivals.customers_moved_in, 0) as integer) as customers_moved_in,
        cast(coalesce(arrivals.customers_new, 0) as integer) as customers_new,
        cast(coalesce(departures.customers_moved_out, 0) as integer) as customers_moved_out,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency
    from months
    cross join cells
    left join arrivals
        on months.snapshot_month = arrivals.snapshot_month
        and cells.rfm_cell = arrivals.rfm_cell
    left join departures
        on months.snapshot_month = departures.snapshot_month
        and cells.rfm_cell = departures.rfm_cell

)

select * from final
