{#-
  Text compared in byte order (UTF-8 code points) on every engine, for orderings that decide a result:
  the smallest record key that names a contact, tie-breaks between records. DuckDB, Spark, Snowflake and
  BigQuery compare strings by bytes by default; PostgreSQL compares by the database's collation (en_US,
  ICU), where '00Qa' < '00QB' and '_' < ':', so there the expression gets the "C" collation.
-#}
{% macro byte_order(expression) %}
    {{- return(adapter.dispatch('byte_order')(expression)) -}}
{% endmacro %}

{% macro default__byte_order(expression) %}{{ expression }}{% endmacro %}

{% macro postgres__byte_order(expression) %}({{ expression }} collate "C"){% endmacro %}
