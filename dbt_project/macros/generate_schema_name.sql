{#- Models land in the schema named in dbt_project.yml (staging, intermediate, marts) rather than
    <target_schema>_<custom>, so the dashboards and activation read stable names on every adapter. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
