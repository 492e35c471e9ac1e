{#- The configured rules as a select statement, generated from lifecycle_config(). -#}
{% macro lifecycle_rules_sql() -%}
    {%- set config = lifecycle_config() %}
with

configured_rules as (
    {%- for r in config.rules %}
    select
        {{ lifecycle_literal(loop.index, 'integer') }} as rule_id,
        {{ lifecycle_literal(r.rule_key) }} as rule_key,
        {{ lifecycle_literal(r.rule_kind) }} as rule_kind,
        {{ lifecycle_literal(r.stage_name) }} as stage_name,
        {{ lifecycle_literal(r.stage_order, 'integer') }} as stage_order,
        {{ lifecycle_literal(r.is_lost) }} as is_lost_stage,
        {{ lifecycle_literal(r.signal) }} as signal_type,
        {{ lifecycle_literal(r.mode) }} as move_mode,
        {{ lifecycle_literal(r.min_value, lifecycle_double()) }} as min_value,
        {{ lifecycle_literal(r.max_value, lifecycle_double()) }} as max_value,
        {{ lifecycle_literal(r.min_sequence, 'integer') }} as min_sequence,
        {{ lifecycle_label_list(r.labels) }} as label_list,
        {{ lifecycle_literal(r.label_contains, dbt.type_string()) }} as label_contains,
        {{ lifecycle_label_list(r.changed_by) }} as changed_by_list,
        {{ lifecycle_literal(r.while_max_order, 'integer') }} as while_max_order
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

typed as (
    select
        cast(rule_id as integer) as rule_id,
        cast(rule_key as {{ dbt.type_string() }}) as rule_key,
        cast(rule_kind as {{ dbt.type_string() }}) as rule_kind,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_order as integer) as stage_order,
        cast(is_lost_stage as boolean) as is_lost_stage,
        cast(signal_type as {{ dbt.type_string() }}) as signal_type,
        cast(move_mode as {{ dbt.type_string() }}) as move_mode,
        cast(min_value as {{ lifecycle_double() }}) as min_value,
        cast(max_value as {{ lifecycle_double() }}) as max_value,
        cast(min_sequence as integer) as min_sequence,
        cast(label_list as {{ dbt.type_string() }}) as label_list,
        cast(label_contains as {{ dbt.type_string() }}) as label_contains,
        cast(changed_by_list as {{ dbt.type_string() }}) as changed_by_list,
        cast(while_max_order as integer) as while_max_order
    from configured_rules
)

select * from typed
{%- endmacro %}
