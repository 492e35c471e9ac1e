{#- The rows of an ops table (written by the activation engine and the loaders, not by dbt), or no rows
    with the same columns when the table does not exist yet: a warehouse that no loader or sync has
    touched (a PostgreSQL copy of the raw tables, a dbt build by hand) still builds. `columns` is a list of
    (name, type) pairs, types from dbt's cross-database type macros. At parse time the source is always
    named, so the lineage (and the Dagster asset graph) shows the dependency. -#}
{% macro ops_source_select(table_name, columns) -%}
    {%- set relation = source('ops', table_name) -%}
    {%- set exists = (not execute) or adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) is not none -%}
    {%- if exists -%}
        select
        {%- for name, kind in columns %}
            {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ relation }}
    {%- else -%}
        select
        {%- for name, kind in columns %}
            cast(null as {{ kind }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
