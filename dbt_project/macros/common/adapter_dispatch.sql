{#-
  What differs per adapter, dispatched (adapter.dispatch) instead of branched inside models: the default__
  bodies are what DuckDB and PostgreSQL run; the spark__ bodies serve Apache Spark and Databricks
  (docs/warehouses.md).
-#}

{#-
  Materialization of the incremental-by-contact models (docs/incremental.md). Their `replace_contacts`
  strategy deletes rows, which Spark's parquet tables cannot (DELETE and MERGE need Delta Lake or Iceberg):
  on Spark they are plain tables, rebuilt in full on every run.
-#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#-
  dbt's cast (namespace dbt; dbt_project.yml puts this project first in its search order). Column types in
  the yml files are written the DuckDB / PostgreSQL way (varchar, double precision), and model contracts
  cast null to them; Spark spells those string and double (its varchar needs a length).
-#}
{% macro spark__cast(field, type) -%}
    {%- set spark_types = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
    cast({{ field }} as {{ spark_types.get(type | trim | lower, type) }})
{%- endmacro %}

{#-
  Seeds: their column_types say varchar (DuckDB, PostgreSQL); dbt-spark writes the type into its DDL and
  casts as is, so the types are translated before dbt-spark's own seed macros run.
-#}
{% macro spark_column_types(column_types) -%}
    {%- set spark_types = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
    {%- set translated = {} -%}
    {%- for name, type in (column_types or {}).items() -%}
        {%- do translated.update({name: spark_types.get(type | trim | lower, type)}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do model['config'].update({'column_types': spark_column_types(model['config'].get('column_types'))}) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{#-
  regexp_replace(expression, pattern, replacement): `pattern` and `replacement` are Python strings (the regex
  as the engine reads it, e.g. '^\\+' in Jinja for ^\+), `all_matches` replaces every match (PostgreSQL's
  'g' flag; DuckDB's too), else the first. Spark takes no flags and always replaces every match: callers
  with all_matches=false use patterns that can match once only (anchored, or running to the end). Spark
  also unescapes backslashes in string literals and writes back-references as $1, not \1.
-#}
{% macro regexp_replace_sql(expression, pattern, replacement, all_matches=true) -%}
    {{ return(adapter.dispatch('regexp_replace_sql', 'lifecycle')(expression, pattern, replacement, all_matches)) }}
{%- endmacro %}

{% macro default__regexp_replace_sql(expression, pattern, replacement, all_matches=true) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}'{{ ", 'g'" if all_matches }})
{%- endmacro %}

{% macro spark__regexp_replace_sql(expression, pattern, replacement, all_matches=true) -%}
    {%- set replacement = modules.re.sub('\\\\([0-9])', '$\\1', replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern | replace('\\', '\\\\') }}', '{{ replacement | replace('\\', '\\\\') }}')
{%- endmacro %}

{#-
  dbt.listagg on Spark (namespace dbt, found here first): dbt-spark's ignores the order (collect_list keeps
  none), and a list such as reachable_channels must read the same on every engine. Rows whose measure is null
  are left out, as string_agg does; the order is ascending on plain columns (`order by a, b`), which is every
  use in this project.
-#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause=none, limit_num=none) -%}
    {%- if order_by_clause -%}
        {%- set keys = modules.re.sub('(?i)^\\s*order\\s+by\\s+', '', order_by_clause).split(',') | map('trim') | list -%}
        {%- for key in keys if ' ' in key -%}
            {{ exceptions.raise_compiler_error("spark__listagg orders by plain columns ascending, not: " ~ key) }}
        {%- endfor -%}
        {%- set fields -%}
            {%- for key in keys %}'k{{ loop.index }}', {{ key }}, {% endfor -%}
            'v', {{ measure }}
        {%- endset -%}
        {%- set collected -%}
            transform(array_sort(collect_list(case when ({{ measure }}) is not null then named_struct({{ fields }}) end)),
                      e -> e.v)
        {%- endset -%}
    {%- else -%}
        {%- set collected = 'collect_list(' ~ measure ~ ')' -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set collected = 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' -%}
    {%- endif -%}
    array_join({{ collected }}, {{ delimiter_text }})
{%- endmacro %}
