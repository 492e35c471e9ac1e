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
