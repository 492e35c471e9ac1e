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
  Whether identity resolution's label propagation carries each node's own label over from its previous round
  (int_identity__components). Spark inlines every CTE, so a round that reads the previous labels twice
  doubles the plan every round (13 rounds ran out of heap); there a round reads them once, through the
  self edges.
-#}
{% macro identity_carries_own_label() -%}
    {{ return(adapter.dispatch('identity_carries_own_label', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__identity_carries_own_label() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__identity_carries_own_label() -%}
    {{ return(false) }}
{%- endmacro %}

{#-
  dbt's cast (namespace dbt; dbt_project.yml puts this project first in its search order). Column types in
  the yml files are written the DuckDB / PostgreSQL way (varchar, double precision), and model contracts
  cast null to them; Spark spells those string and double (its varchar needs a length).
-#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}

{#- A column type as the yml files write it (DuckDB / PostgreSQL), spelled Spark's way. -#}
{% macro spark_type_name(type) -%}
    {%- set spark_types = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
    {{ return(spark_types.get(type | trim | lower, type)) }}
{%- endmacro %}

{#-
  Seeds on Spark. Their column_types say varchar (DuckDB, PostgreSQL), which dbt-spark writes into its DDL as
  is, so the types are translated before dbt-spark's create_csv_table runs. The rows are written as literals:
  dbt-spark's session method binds an empty CSV cell as the text 'None', not null.
-#}
{% macro spark_column_types(column_types) -%}
    {%- set translated = {} -%}
    {%- for name, type in (column_types or {}).items() -%}
        {%- do translated.update({name: spark_type_name(type)}) -%}
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
  are left out and no value gives null, as with string_agg; the order is ascending on plain columns (`order by a, b`), which is every
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
    {#- string_agg over no value (or only nulls) is null, array_join of an empty array '' -#}
    case when size({{ collected }}) > 0 then array_join({{ collected }}, {{ delimiter_text }}) end
{%- endmacro %}

{#-
  `messages as {{ inline_cte() }} (select * from ...)`: an import CTE that a model reads more than once, to be
  read from its table at every use (with only the columns and rows that use needs) instead of being copied
  whole first. DuckDB and PostgreSQL materialize a CTE that is referenced more than once: for
  `select * from int_messages` that is every column of 17M messages at 1M contacts, when one use needs
  three columns and another the rows loaded today. Engines without the PostgreSQL syntax get nothing.
-#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__inline_cte() -%}{%- endmacro %}

{% macro duckdb__inline_cte() -%}not materialized{%- endmacro %}

{% macro postgres__inline_cte() -%}not materialized{%- endmacro %}

{#-
  dbt.listagg on DuckDB (namespace dbt, found here first), when the list is ordered by its own values
  (`order by <measure>`): DuckDB sorts an ordered string_agg group by group, several times slower than
  sorting the collected list (list_sort: the same byte order as ORDER BY; nulls left out, no value gives
  null, as with string_agg). 4.7M identifiers at 1M contacts: 5.7 s against 2.6 s. Any other order, or a
  limit, goes to dbt-duckdb's own.
-#}
{% macro duckdb__listagg(measure, delimiter_text, order_by_clause=none, limit_num=none) -%}
    {%- set key = modules.re.sub('(?i)^\\s*order\\s+by\\s+', '', order_by_clause or '') | trim -%}
    {%- if order_by_clause and not limit_num and key == (measure | trim) -%}
    array_to_string(list_sort(list({{ measure }}) filter (where ({{ measure }}) is not null)), {{ delimiter_text }})
    {%- else -%}
    {{ dbt.duckdb__listagg(measure, delimiter_text, order_by_clause, limit_num) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_types = spark_column_types(model['config'].get('column_types')) -%}
    {%- set types = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- do types.append(column_types.get(name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            (
                {%- for value in row -%}
                    cast({{ lifecycle_literal(value) }} as {{ types[loop.index0] }}){{ ', ' if not loop.last }}
                {%- endfor -%}
            ){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}

{#- The body of a SQL string literal holding `value`: quotes doubled, or on Spark backslash-escaped (Spark
    reads \ and \' in literals; a doubled quote ends the literal there). -#}
{% macro sql_string_escape(value) -%}
    {{ return(adapter.dispatch('sql_string_escape', 'lifecycle')(value)) }}
{%- endmacro %}

{% macro default__sql_string_escape(value) -%}
    {{ return(value | replace("'", "''")) }}
{%- endmacro %}

{% macro spark__sql_string_escape(value) -%}
    {{ return(value | replace('\\', '\\\\') | replace("'", "\\'")) }}
{%- endmacro %}

{#- avg() as a double: Spark averages a decimal (1.0 is one) to only four more decimal places than its input
    (avg(1.0) has 5), where DuckDB returns a double and PostgreSQL an exact numeric. -#}
{% macro lifecycle_avg(expression) -%}
    {{ return(adapter.dispatch('lifecycle_avg', 'lifecycle')(expression)) }}
{%- endmacro %}

{% macro default__lifecycle_avg(expression) -%}
    avg({{ expression }})
{%- endmacro %}

{% macro spark__lifecycle_avg(expression) -%}
    avg(cast({{ expression }} as double))
{%- endmacro %}

{#-
  dbt.dateadd and dbt.datediff on Spark (namespace dbt, found here first). dbt-spark's go through
  to_unix_timestamp and lose the fraction of a second, and its month and quarter differences differ from
  DuckDB's. These keep microseconds (timestampadd) and count boundaries crossed, as DuckDB's date_diff does:
  whole days between the dates, months between the months, seconds between the whole seconds.
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'year' -%}
        (year({{ second_date }}) - year({{ first_date }}))
    {%- elif part == 'quarter' -%}
        ((year({{ second_date }}) * 4 + quarter({{ second_date }})) - (year({{ first_date }}) * 4 + quarter({{ first_date }})))
    {%- elif part == 'month' -%}
        ((year({{ second_date }}) * 12 + month({{ second_date }})) - (year({{ first_date }}) * 12 + month({{ first_date }})))
    {%- elif part == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif part in ('hour', 'minute', 'second') -%}
        {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[part] -%}
        (floor(unix_seconds(cast({{ second_date }} as timestamp)) / {{ seconds }})
            - floor(unix_seconds(cast({{ first_date }} as timestamp)) / {{ seconds }}))
    {%- elif part == 'millisecond' -%}
        (unix_millis(cast({{ second_date }} as timestamp)) - unix_millis(cast({{ first_date }} as timestamp)))
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff by " ~ datepart ~ " is not implemented for Spark here") }}
    {%- endif -%}
{%- endmacro %}

{#- numerator / denominator where the denominator is a decimal literal such as 3600.0: DuckDB divides in
    double precision; Spark in decimal, keeping as few as seven decimal places (hours and days of a few
    seconds lose digits). -#}
{% macro lifecycle_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('lifecycle_divide', 'lifecycle')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__lifecycle_divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__lifecycle_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}

{#-
  A 64-bit fingerprint of a row (the columns' values, nulls told apart from empty text). bit_xor folds a set
  of them into one: the order of the rows does not matter, and a row added, removed or changed changes the
  result. The incremental models compare a contact's evidence derived now
  with what they stored through these, one narrow row per contact instead of a join of every column of every
  row. DuckDB's hash() is native; elsewhere the first 64 bits of the MD5 of the row's text (PostgreSQL 14+ has
  bit_xor; a composite's text writes null as nothing and '' as "").
-#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'lifecycle')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    cast(cast('x' || substr(md5(cast(row({{ columns | join(', ') }}) as text)), 1, 16) as bit(64)) as bigint)
{%- endmacro %}

{#- The type of row_fingerprint (for a typed null in a union). -#}
{% macro row_fingerprint_type() -%}
    {{ return(adapter.dispatch('row_fingerprint_type', 'lifecycle')()) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint_type() -%}ubigint{%- endmacro %}

{% macro default__row_fingerprint_type() -%}{{ dbt.type_bigint() }}{%- endmacro %}
