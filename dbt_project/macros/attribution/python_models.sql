{#-
  Steps that need Python (the Markov removal effects, the BTYD fits) are dbt Python models where the adapter
  runs them (var python_model_adapters, DuckDB by default). On other adapters the Python model is disabled
  and a SQL model named <model>_fallback reads the table that the Dagster asset `python_model_fallbacks`
  wrote with the same Python function (schema var('python_fallback_schema'), table = the model name), or an
  empty, typed result before that asset's first run.
-#}
{% macro python_models_enabled() -%}
    {{ return(target.type in var('python_model_adapters', ['duckdb'])) }}
{%- endmacro %}

{#- The model to ref for a step that may run in Python: the model itself, or its _fallback. -#}
{% macro python_step(name) -%}
    {{ return(name if python_models_enabled() else name ~ '_fallback') }}
{%- endmacro %}

{#- Body of a _fallback model: select the columns from the asset's table, or an empty typed row set. -#}
{% macro python_fallback_select(name, columns) -%}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(database=target.database,
                                                schema=var('python_fallback_schema', 'analytics_fallback'),
                                                identifier=name) -%}
    {%- endif -%}
    {%- if relation is not none %}
    select
        {%- for column, type in columns %}
        cast({{ column }} as {{ type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- else %}
    select
        {%- for column, type in columns %}
        cast(null as {{ type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
