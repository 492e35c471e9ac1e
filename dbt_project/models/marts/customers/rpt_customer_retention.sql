{#-
  Retention by month. A customer is active at a month's end when their last order is fewer than
  var('retention_active_days') days before it. customers_start = active at the previous month's end,
  new_customers = first order in the month, customers_end = active at the month's end, retained = active at
  both ends. customer_retention_rate = retained / customers_start (= (E - N) / S), churn_rate = 1 - that;
  repeat_purchase_rate = customers with two or more orders / all customers, up to the month's end.
-#}

with

snapshots as (

    select * from {{ ref('int_customer_value__rfm_snapshots') }}

),

flagged as (

    select
        current_month.snapshot_month,
        current_month.contact_id,
        current_month.recency_days < {{ var('retention_active_days', 365) }} as is_active_end,
        coalesce(previous_month.recency_days < {{ var('retention_active_days', 365) }}, false) as is_active_start,
        previous_month.contact_id is null as is_new,
        current_month.lifetime_orders >= 2 as is_repeat_customer,
        current_month.recency_days
        <= {{ dbt.datediff('current_month.snapshot_month', 'current_month.snapshot_date', 'day') }}
            as ordered_in_month
    from snapshots as current_month
    left join snapshots as previous_month
        on current_month.contact_id = previous_month.contact_id
        and previous_month.snapshot_month = {{ dbt.dateadd('month', -1, 'current_month.snapshot_month') }}

),

final as (

    select
        cast(snapshot_month as date) as month_start,
        cast(sum(case when is_active_start then 1 else 0 end) as integer) as customers_start,
        cast(sum(case when is_new then 1 else 0 end) as integer) as new_customers,
        cast(sum(case when is_active_end then 1 else 0 end) as integer) as customers_end,
        cast(sum(case when is_active_start and is_active_end then 1 else 0 end) as integer) as retained_customers,
        cast(sum(case when ordered_in_month then 1 else 0 end) as integer) as ordering_customers,
        cast(
            1.0 * sum(case when is_active_start and is_active_end then 1 else 0 end)
            / nullif(sum(case when is_active_start then 1 else 0 end), 0) as {{ lifecycle_double() }})
            as customer_retention_rate,
        cast(
            1 - 1.0 * sum(case when is_active_start and is_active_end then 1 else 0 end)
            / nullif(sum(case when is_active_start then 1 else 0 end), 0) as {{ lifecycle_double() }})
            as churn_rate,
        cast(1.0 * sum(case when is_repeat_customer then 1 else 0 end) / count(*) as {{ lifecycle_double() }})
            as repeat_purchase_rate
    from flagged
    group by snapshot_month

)

select * from final
