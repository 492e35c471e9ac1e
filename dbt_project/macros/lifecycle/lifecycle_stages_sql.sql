{#- The configured stages as a select statement, generated from lifecycle_config(). -#}
{% macro lifecycle_stages_sql() -%}
    {%- set config = lifecycle_config() %}
    {%- set all_stages = config.stages + config.lost_stages %}
with

configured_stages as (
    {%- for s in all_stages %}
    select
        {{ lifecycle_literal(s.name) }} as stage_name,
        {{ lifecycle_literal(s.order, 'integer') }} as stage_order,
        {{ lifecycle_literal(s.is_lost) }} as is_lost_stage,
        {{ lifecycle_literal((not s.is_lost) and s.order == config.won_order) }} as is_won_stage,
        {{ lifecycle_literal((not s.is_lost) and s.order < config.won_order) }} as is_lead_stage,
        {{ lifecycle_literal(loop.index, 'integer') }} as display_order,
        {{ lifecycle_literal(config.name) }} as config_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

typed as (
    select
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_order as integer) as stage_order,
        cast(is_lost_stage as boolean) as is_lost_stage,
        cast(is_won_stage as boolean) as is_won_stage,
        cast(is_lead_stage as boolean) as is_lead_stage,
        cast(display_order as integer) as display_order,
        cast(config_name as {{ dbt.type_string() }}) as config_name
    from configured_stages
)

select * from typed
{%- endmacro %}
