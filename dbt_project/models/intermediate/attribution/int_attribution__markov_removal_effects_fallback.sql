{#-
  int_attribution__markov_removal_effects on adapters without dbt Python models: the removal effects that
  the Dagster asset python_model_fallbacks computed with analytics.markov (the same function as the Python
  model) from int_attribution__markov_transitions. Empty until that asset has run once.
-#}
{{ config(enabled=not python_models_enabled()) }}

with

final as (

    {{ python_fallback_select('int_attribution__markov_removal_effects', [
        ('conversion_type', dbt.type_string()),
        ('conversion_name', dbt.type_string()),
        ('marketing_channel', dbt.type_string()),
        ('removal_effect', lifecycle_double()),
        ('share', lifecycle_double()),
        ('conversion_probability', lifecycle_double()),
    ]) }}

)

select * from final
