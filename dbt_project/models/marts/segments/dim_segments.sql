-- One row per segment model (schema `segments`): its description, where it is defined (a marketer's YAML
-- file, with its filters as JSON, or a hand-written SQL model) and its personal columns, read from the dbt
-- graph when the model runs. Metadata only: the dashboards count each segment's rows in the segment itself.

{%- set segments = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.schema == 'segments' and node.name.startswith('seg_') -%}
            {%- set meta = node.config.get('meta') or {} -%}
            {%- set sensitive = [] -%}
            {%- for column in node.columns.values() -%}
                {%- set column_meta = (column.get('config') or {}).get('meta') or column.get('meta') or {} -%}
                {%- if column_meta.get('sensitive') -%}{%- do sensitive.append(column.name) -%}{%- endif -%}
            {%- endfor -%}
            {%- do segments.append({
                'model': node.name,
                'name': node.name[4:],
                'description': node.description | trim,
                'kind': 'yaml' if meta.get('source_yaml') else 'sql',
                'file': meta.get('source_yaml') or ('dbt_project/' ~ node.original_file_path),
                'filters': tojson(meta.get('filters')) if meta.get('filters') is not none else none,
                'sensitive': sensitive | join(','),
                'owner': meta.get('owner'),
            }) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

catalog as (
    {%- for s in segments %}
    select
        {{ lifecycle_literal(s.model) }} as segment_model,
        {{ lifecycle_literal(s.name) }} as segment_name,
        {{ lifecycle_literal(s.description) }} as description,
        {{ lifecycle_literal(s.kind) }} as definition_kind,
        {{ lifecycle_literal(s.file) }} as definition_file,
        {{ lifecycle_literal(s.filters, dbt.type_string()) }} as definition_filters,
        {{ lifecycle_literal(s.sensitive or none, dbt.type_string()) }} as sensitive_columns,
        {{ lifecycle_literal(s.owner, dbt.type_string()) }} as owner
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as segment_model,
        cast(null as {{ dbt.type_string() }}) as segment_name,
        cast(null as {{ dbt.type_string() }}) as description,
        cast(null as {{ dbt.type_string() }}) as definition_kind,
        cast(null as {{ dbt.type_string() }}) as definition_file,
        cast(null as {{ dbt.type_string() }}) as definition_filters,
        cast(null as {{ dbt.type_string() }}) as sensitive_columns,
        cast(null as {{ dbt.type_string() }}) as owner
    where 1 = 0
    {%- endfor %}
),

final as (
    select
        cast(segment_model as {{ dbt.type_string() }}) as segment_model,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(description as {{ dbt.type_string() }}) as description,
        cast(definition_kind as {{ dbt.type_string() }}) as definition_kind,
        cast(definition_file as {{ dbt.type_string() }}) as definition_file,
        cast(definition_filters as {{ dbt.type_string() }}) as definition_filters,
        cast(sensitive_columns as {{ dbt.type_string() }}) as sensitive_columns,
        cast(owner as {{ dbt.type_string() }}) as owner
    from catalog
)

select * from final
