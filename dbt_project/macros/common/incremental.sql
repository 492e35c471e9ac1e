{#-
  Incremental models that recompute whole contacts (docs/incremental.md).

  A nightly build must not rescan years of history to add one day, but a message that arrives late (sent
  last month, loaded today) or a new identifier that merges two people changes a contact's whole history:
  its derived conversations, its first response, its stage spells. So the large facts are incremental by
  CONTACT: a run finds the contacts with new evidence and recomputes every row of those contacts, nothing
  of the others. The result equals a full refresh row for row (tests/test_incremental.py).

  New evidence is found by LOAD time, not event time: every raw row carries `_loaded_at` (when a loader last
  wrote it), and each incremental model keeps the greatest `_loaded_at` of the evidence behind each row. A
  run takes the rows loaded after the target's newest `_loaded_at`, less var `incremental_lookback_minutes`
  (loads still in flight while the last build ran: none on DuckDB, which has one writer at a time, so the
  default is 0 there and 60 elsewhere). So a late message of any age is picked up, and nothing is missed
  because its event time is old.

  Identity changes come from int_identity__contact_map, which keeps for each record when its contact last
  changed (`_mapped_at`) and the contact before (`previous_contact_id`): both contacts are recomputed.
  Contacts that no longer exist (merged into another) are removed.

  Mechanics: the model's batch holds every row of the changed contacts plus one marker row per changed
  contact (all columns null but contact_id); the `replace_contacts` strategy deletes the target's rows of
  every contact in the batch and inserts the batch's real rows (unique_key not null). A contact left with no
  rows thus loses its stored ones.

  The model's columns come from its yml (name and data_type, so the marker rows are typed). A target built
  by an earlier version (a column missing) is recomputed whole, and its missing columns are added
  (on_schema_change='append_new_columns'). `dbt build --full-refresh` (lifecycle run --full-refresh)
  rebuilds from scratch; do so after changing a var that reshapes history (e.g. conversation_session_gap_hours).
-#}

{#- The run's start (UTC) as a timestamp literal: when an incremental row was computed. -#}
{% macro lifecycle_run_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
  The model's documented columns that are plain names (yml entries such as "a || b" are grain notes), less
  the bookkeeping columns (_loaded_at, _built_at), which every incremental-by-contact model has.
-#}
{% macro incremental_columns() -%}
    {%- set cols = [] -%}
    {%- for name, col in model.columns.items() -%}
        {%- if ' ' not in name and '|' not in name and '(' not in name and not name.startswith('_') -%}
            {%- do cols.append(col) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(cols) }}
{%- endmacro %}

{#-
  True on an incremental run whose target holds every documented column and the bookkeeping ones; false on a
  first build, a full refresh, or a target from an earlier version (then everyone is recomputed).
-#}
{% macro incremental_target_is_current(extra=['_loaded_at', '_built_at'], config_key=none) -%}
    {#- (a unit test renders the model with no relation of its own: `this` is none) -#}
    {%- if this is none or not is_incremental() -%}{{ return(false) }}{%- endif -%}
    {%- set have = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for col in incremental_columns() -%}
        {%- if col.name | lower not in have -%}{{ return(false) }}{%- endif -%}
    {%- endfor -%}
    {%- for name in extra -%}
        {%- if name | lower not in have -%}{{ return(false) }}{%- endif -%}
    {%- endfor -%}
    {#- rows stored under another configuration (column _config_key): everyone is recomputed -#}
    {%- if config_key is not none and execute -%}
        {%- set stale = run_query(
            "select count(*) from (select 1 from " ~ this ~ " where _config_key is null or _config_key <> '"
            ~ config_key ~ "' limit 1) as stale") -%}
        {%- if stale.columns[0].values()[0] > 0 -%}{{ return(false) }}{%- endif -%}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}

{#-
  A fingerprint of the lifecycle configuration (preset, overrides, inactivity_days...), stored with the rows
  of the models that depend on it (_config_key): a run under another configuration recomputes everyone, so
  switching presets needs no --full-refresh.
-#}
{% macro lifecycle_config_key() -%}
    {{ return(local_md5(tojson(lifecycle_config(), sort_keys=True))) }}
{%- endmacro %}

{#- The lookback in minutes: the var, or by warehouse when it is null. -#}
{% macro incremental_lookback_minutes() -%}
    {%- set minutes = project_var('incremental_lookback_minutes') -%}
    {%- if minutes is none -%}
        {#- DuckDB has one writer at a time, so no load can run while a build does -#}
        {%- set minutes = 0 if target.type == 'duckdb' else 60 -%}
    {%- endif -%}
    {{ return(minutes) }}
{%- endmacro %}

{#- When this model's target was last built: the greatest _built_at of its rows (1900 when it has none). -#}
{% macro incremental_built_until() -%}
    coalesce(max(_built_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
{%- endmacro %}

{#- Body of a one-row CTE: since (load time) and built_until (last run) of this model's target. -#}
{% macro incremental_watermarks() -%}
    select
        {{ dbt.dateadd('minute', -1 * incremental_lookback_minutes(),
                       "coalesce(max(_loaded_at), cast('1900-01-01' as " ~ dbt.type_timestamp() ~ "))") }} as since,
        {{ incremental_built_until() }} as built_until
    from {{ this }}
{%- endmacro %}

{#- Body of a one-row CTE (built_until) for a model that keeps no load time, only _built_at. -#}
{% macro incremental_built() -%}
    select {{ incremental_built_until() }} as built_until
    from {{ this }}
{%- endmacro %}

{#-
  Body of a CTE (contact_id) of contacts whose identity changed since this model was last built: the
  record's contact now and before, and the target's contacts that no longer exist. `contact_map` and
  `watermarks` are CTE names of the calling model.
-#}
{% macro identity_changed_contacts(contact_map='contact_map', watermarks='watermarks') -%}
    select {{ contact_map }}.contact_id
    from {{ contact_map }}
    where {{ contact_map }}._mapped_at > (select built_until from {{ watermarks }})
    union
    select {{ contact_map }}.previous_contact_id
    from {{ contact_map }}
    where {{ contact_map }}._mapped_at > (select built_until from {{ watermarks }})
        and {{ contact_map }}.previous_contact_id is not null
    union
    select stored.contact_id
    from (select distinct contact_id from {{ this }}) as stored
    where not exists (
        select 1 from {{ contact_map }} where {{ contact_map }}.contact_id = stored.contact_id
    )
{%- endmacro %}

{#-
  Rows (contact_id) of the contacts that `contact_map` (a CTE or relation shaped as int_identity__contact_map)
  gives the records listed by `records_sql` (a query with record_source and record_id).
-#}
{% macro contacts_of_records(contact_map, records_sql, alias='listed_records') -%}
    select {{ contact_map }}.contact_id
    from {{ contact_map }}
    inner join ({{ records_sql }}) as {{ alias }}
        on {{ contact_map }}.record_source = {{ alias }}.record_source
        and {{ contact_map }}.record_id = {{ alias }}.record_id
{%- endmacro %}

{#-
  Body of a CTE (contact_id) of the contacts with a record rewritten since `built_until` (a SQL expression):
  its identity rows by int_identity__record_identifiers, or its map row by int_identity__contact_map (and the
  contact the record had before). For the per-contact identity models, which keep no load time.
-#}
{% macro identity_rewritten_contacts(contact_map, built_until) -%}
    {{ contacts_of_records(contact_map,
        "select distinct record_source, record_id from " ~ ref('int_identity__record_identifiers')
        ~ " where _built_at > " ~ built_until, 'written_records') }}
    union
    select contact_id
    from {{ contact_map }}
    where _built_at > {{ built_until }}
    union
    select previous_contact_id
    from {{ contact_map }}
    where _built_at > {{ built_until }}
        and previous_contact_id is not null
{%- endmacro %}

{#-
  The batch of an incremental-by-contact model: `rows` (a CTE with every documented column and the
  `bookkeeping` columns, holding all rows of the contacts in `changed`) plus one marker row per changed
  contact. `current`: the model's own incremental_target_is_current() when it passes more than the
  bookkeeping columns (a config_key). On a first build or full refresh:
  all rows. On a target from an earlier version: all rows, plus markers for every stored contact.
-#}
{% macro contact_batch(rows, changed, bookkeeping=['_loaded_at', '_built_at'], current=none) -%}
    {%- set current = incremental_target_is_current(extra=bookkeeping) if current is none else current -%}
    {%- if this is none or not is_incremental() %}
    select * from {{ rows }}
    {%- else %}
    {%- set cols = incremental_columns() -%}
    {%- set names = cols | map(attribute='name') | list + bookkeeping %}
    select
        {%- for name in names %}
        {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ rows }}
    union all
    select
        {%- for col in cols %}
        {% if col.name == 'contact_id' -%} markers.contact_id
        {%- else -%} cast(null as {{ col.data_type }}) {%- endif %} as {{ col.name }},
        {%- endfor %}
        {%- for name in bookkeeping %}
        {#- the bookkeeping columns are times (`..._at`), counts (`..._count`) or text (_config_key) -#}
        cast(null as {{ dbt.type_timestamp() if name.endswith('_at')
                        else dbt.type_bigint() if name.endswith('_count') else dbt.type_string() }})
            as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        {%- if current %}
        select contact_id from {{ changed }}
        {%- else %}
        select distinct contact_id from {{ this }}
        {%- endif %}
    ) as markers
    {%- endif %}
{%- endmacro %}

{#-
  Custom incremental strategy `replace_contacts`: delete the target's rows of every contact in the batch and
  the rows whose unique_key is in the batch (a re-loaded row that moved to another contact), then insert the
  batch's real rows (marker rows have a null unique_key).
-#}
{% macro get_incremental_replace_contacts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- if not key or key is not string -%}
        {{ exceptions.raise_compiler_error("incremental_strategy replace_contacts needs unique_key: the grain column (one name)") }}
    {%- endif -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where contact_id in (select contact_id from {{ source }} where contact_id is not null)
        or {{ key }} in (select {{ key }} from {{ source }} where {{ key }} is not null);

    insert into {{ target }} ({{ cols }})
    select {{ cols }} from {{ source }}
    where {{ key }} is not null
{%- endmacro %}

{#-
  Custom incremental strategy `replace_records`: the batch holds every row of each record it replaces
  (unique_key: the record's key columns); delete the target's rows of every record in the batch, then insert
  the batch's real rows. Rows whose config `replace_marker_column` is null are markers: a record that is
  gone has only a marker, so its rows are deleted and nothing is inserted.
-#}
{% macro get_incremental_replace_records_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set marker = config.get('replace_marker_column') -%}
    {%- if not keys or keys is string or not marker -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy replace_records needs unique_key (a list of the record's key columns) and "
            ~ "replace_marker_column") }}
    {%- endif -%}
    {%- set cols = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where exists (
        select 1 from {{ source }} as batch
        where {% for key in keys %}batch.{{ key }} = {{ target }}.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    );

    insert into {{ target }} ({{ cols }})
    select {{ cols }} from {{ source }}
    where {{ marker }} is not null
{%- endmacro %}
