{#-
  Customer value, one row per customer (contact with at least one non-cancelled order up to the observation
  end): order history, AOV, purchase frequency, historical CLV, the daily buy-till-you-die summary, BG/NBD +
  Gamma-Gamma predictions (purchases in the next var clv_prediction_days, P(alive), predicted CLV), churn
  risk = 1 - p_alive with its band, and the RFM lifecycle cell at the observation end. Money in
  var('reporting_currency'). docs/customer_value.md works an example.
-#}
{%- set bands = var('churn_risk_band_thresholds', [0.3, 0.7]) %}

with

summary as (

    select * from {{ ref('int_customer_value__summary') }}

),

predictions as (

    select * from {{ ref(python_step('int_customer_value__predictions')) }}

),

rfm as (

    select * from {{ ref('int_customer_value__rfm_snapshots') }}

),

latest_month as (

    select max(snapshot_month) as snapshot_month
    from rfm

),

latest_rfm as (

    select rfm.*
    from rfm
    inner join latest_month
        on rfm.snapshot_month = latest_month.snapshot_month

),

final as (

    select
        cast(summary.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(summary.first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
        cast(summary.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
        cast(summary.orders as integer) as orders,
        cast(summary.order_days as integer) as order_days,
        cast(summary.revenue as {{ lifecycle_double() }}) as revenue,
        cast(summary.refunded_amount as {{ lifecycle_double() }}) as refunded_amount,
        cast(summary.revenue - summary.refunded_amount as {{ lifecycle_double() }}) as historical_clv,
        cast(summary.revenue / summary.orders as {{ lifecycle_double() }}) as aov,
        cast(365.0 * summary.orders / (summary.btyd_age_days + 1) as {{ lifecycle_double() }})
            as orders_per_year,
        cast(case
            when summary.order_days > 1 then 1.0 * summary.btyd_recency_days / (summary.order_days - 1)
        end as {{ lifecycle_double() }}) as mean_days_between_orders,
        cast(summary.observation_end as date) as observation_end,
        cast(summary.btyd_frequency as integer) as btyd_frequency,
        cast(summary.btyd_recency_days as integer) as btyd_recency_days,
        cast(summary.btyd_age_days as integer) as btyd_age_days,
        cast(summary.btyd_monetary_value as {{ lifecycle_double() }}) as btyd_monetary_value,
        cast({{ var('clv_prediction_days', 90) }} as integer) as prediction_days,
        cast(predictions.predicted_purchases as {{ lifecycle_double() }}) as predicted_purchases,
        cast(predictions.expected_order_value as {{ lifecycle_double() }}) as expected_order_value,
        cast(predictions.predicted_clv as {{ lifecycle_double() }}) as predicted_clv,
        cast(predictions.p_alive as {{ lifecycle_double() }}) as p_alive,
        cast(1 - predictions.p_alive as {{ lifecycle_double() }}) as churn_risk,
        cast(case
            when predictions.p_alive is null then null
            when 1 - predictions.p_alive < {{ bands[0] }} then 'low'
            when 1 - predictions.p_alive < {{ bands[1] }} then 'medium'
            else 'high'
        end as {{ dbt.type_string() }}) as churn_risk_band,
        cast(coalesce(predictions.btyd_fit_status, 'not_run') as {{ dbt.type_string() }}) as btyd_fit_status,
        cast(latest_rfm.rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(latest_rfm.recency_days as integer) as rfm_recency_days,
        cast(latest_rfm.frequency_orders as integer) as rfm_frequency_orders,
        cast(latest_rfm.is_high_value as boolean) as rfm_is_high_value,
        cast('{{ var("reporting_currency", "USD") | upper }}' as {{ dbt.type_string() }}) as reporting_currency
    from summary
    left join predictions
        on summary.contact_id = predictions.contact_id
    left join latest_rfm
        on summary.contact_id = latest_rfm.contact_id

)

select * from final
