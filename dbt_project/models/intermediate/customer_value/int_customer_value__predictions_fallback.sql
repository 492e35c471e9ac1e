{#-
  int_customer_value__predictions on adapters without dbt Python models: what the Dagster asset
  python_model_fallbacks computed with analytics.btyd.predict_customers (empty before its first run).
-#}
{{ config(enabled=not python_models_enabled()) }}

with

final as (

    {{ python_fallback_select('int_customer_value__predictions', [
        ('contact_id', dbt.type_string()),
        ('predicted_purchases', lifecycle_double()),
        ('p_alive', lifecycle_double()),
        ('expected_order_value', lifecycle_double()),
        ('predicted_clv', lifecycle_double()),
        ('btyd_fit_status', dbt.type_string()),
    ]) }}

)

select * from final
