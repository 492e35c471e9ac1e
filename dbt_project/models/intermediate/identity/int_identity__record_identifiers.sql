{#-
  Identity-bearing records and their normalised identifiers (one row per record x identifier), the input of
  the identity graph. A record with no usable identifier still has one row (identifier_value null) so it
  becomes its own node. Emails and phones are normalised here, once, with identity_email / identity_phone
  (placeholders become null). node_key: the graph node of the record; orders and storefront events with the
  same identifier values share one node. See int_identity__components for how nodes are linked.

  Incremental by record (docs/incremental.md): everything here is computed from the record's own raw rows, so
  a run recomputes only the records whose raw rows changed. Each row keeps the sum of a 64-bit hash of the raw
  rows behind it (_source_fingerprint); a record whose raw rows' sum differs from its stored rows' sum is new,
  changed or gone, and its rows are replaced (strategy replace_records; a gone record leaves a marker row with
  a null node_key, which deletes its rows). A sum, not an XOR: two equal raw rows must not cancel out. The
  placeholder lists are part of the rows' _config_key: changing them recomputes every record. _built_at: the
  run that wrote the record's rows (int_identity__contact_map re-maps only the records written since its last
  run).
-#}
{%- set keeps_state = incremental_materialization() == 'incremental' -%}
{%- set config_key = local_md5(tojson({
    'junk_emails': project_var('identity_junk_emails'),
    'junk_email_domains': project_var('identity_junk_email_domains'),
    'junk_phones': project_var('identity_junk_phones'),
}, sort_keys=True)) -%}
{{ config(
    materialized=incremental_materialization(),
    unique_key=['record_source', 'record_id'],
    incremental_strategy='replace_records',
    replace_marker_column='node_key',
    on_schema_change='append_new_columns'
) }}
{%- set incremental = incremental_target_is_current(['_source_fingerprint', '_config_key', '_built_at'],
    config_key=config_key) -%}
{%- set fingerprint_columns = ['identifier_type', 'raw_value', 'calling_code', 'first_seen_at', 'last_seen_at'] -%}
{%- set qualified_columns = [] -%}
{%- for name in fingerprint_columns %}{% do qualified_columns.append('unioned.' ~ name) %}{% endfor -%}

with

raw_identifiers as {{ inline_cte() if incremental }} (

    select * from {{ ref('int_identity__raw_identifiers') }}

),

{% if incremental %}
-- each record's fingerprint: from its raw rows now, and from its stored rows (the sum of their sums)
fresh_records as (

    select
        record_source,
        record_id,
        sum({{ row_fingerprint(fingerprint_columns) }}) as fingerprint
    from raw_identifiers
    group by record_source, record_id

),

stored_records as (

    select
        record_source,
        record_id,
        sum(_source_fingerprint) as fingerprint
    from {{ this }}
    group by record_source, record_id

),

-- new, changed and gone records (a gone one has no fresh fingerprint)
changed_records as (

    select
        coalesce(fresh_records.record_source, stored_records.record_source) as record_source,
        coalesce(fresh_records.record_id, stored_records.record_id) as record_id,
        fresh_records.record_id is null as is_gone
    from fresh_records
    full outer join stored_records
        on fresh_records.record_source = stored_records.record_source
        and fresh_records.record_id = stored_records.record_id
    where fresh_records.record_id is null
        or stored_records.record_id is null
        or fresh_records.fingerprint <> stored_records.fingerprint

),

-- the raw rows of the new and changed records: the rest of the model works on these only
unioned as (

    select raw_identifiers.*
    from raw_identifiers
    inner join changed_records
        on raw_identifiers.record_source = changed_records.record_source
        and raw_identifiers.record_id = changed_records.record_id
    where not changed_records.is_gone

),
{% else %}
unioned as (

    select * from raw_identifiers

),
{% endif %}

-- each distinct email and phone is normalised once (a customer's hundred orders and storefront events carry
-- the same few values; the phone rules are a chain of regular expressions)
distinct_values as (

    select distinct
        identifier_type,
        raw_value,
        case when identifier_type = 'phone' then coalesce(calling_code, '') else '' end as calling_code
    from unioned
    where record_source <> 'files_ref'
        and identifier_type in ('email', 'phone')
        and raw_value is not null

),

-- identity_email / identity_phone in their two steps (see macros/common/identity_values.sql): one
-- expression would make DuckDB key a join on the whole normalising expression
stripped_values as (

    select
        identifier_type,
        raw_value,
        calling_code,
        case
            when identifier_type = 'email' then {{ identity_email_stripped('raw_value') }}
            else {{ identity_phone_stripped('raw_value', "nullif(calling_code, '')") }}
        end as stripped_value
    from distinct_values

),

normalised_values as (

    select
        identifier_type,
        raw_value,
        calling_code,
        case
            when identifier_type = 'email' then {{ identity_email_checked('stripped_value') }}
            else {{ identity_phone_checked('stripped_value') }}
        end as identifier_value
    from stripped_values

),

-- file-drop identity values are already normalised (their record ids are built from them)
normalised as (

    select
        unioned.record_source,
        unioned.record_id,
        unioned.identifier_type,
        case
            when unioned.record_source = 'files_ref' then unioned.raw_value
            when unioned.identifier_type in ('email', 'phone') then normalised_values.identifier_value
            else nullif(trim(unioned.raw_value), '')
        end as identifier_value,
        unioned.first_seen_at,
        unioned.last_seen_at{{ ',' if keeps_state }}
        {%- if keeps_state %}
        {{ row_fingerprint(qualified_columns) }} as raw_fingerprint
        {%- endif %}
    from unioned
    left join normalised_values
        on unioned.identifier_type = normalised_values.identifier_type
        and unioned.raw_value = normalised_values.raw_value
        and normalised_values.calling_code
        = case when unioned.identifier_type = 'phone' then coalesce(unioned.calling_code, '') else '' end
        and unioned.record_source <> 'files_ref'

),

deduplicated as (

    select
        record_source,
        record_id,
        identifier_type,
        identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at{{ ',' if keeps_state }}
        {%- if keeps_state %}
        sum(raw_fingerprint) as source_fingerprint
        {%- endif %}
    from normalised
    group by record_source, record_id, identifier_type, identifier_value

),

-- the identifier values of orders and storefront events, in a fixed order: records with the same values
-- become one graph node (a customer's hundred orders count once against the junk guard). Ordered by the
-- "type=value" text itself (the same order as by type, then value: no type is the start of another), which
-- DuckDB sorts as a list, several times faster (duckdb__listagg, macros/common/adapter_dispatch.sql).
event_record_signatures as (

    select
        record_source,
        record_id,
        {{ dbt.listagg("signature_entry", "'|'", "order by " ~ byte_order("signature_entry")) }} as signature
    from (
        select
            record_source,
            record_id,
            {{ dbt.concat(['identifier_type', "'='", 'identifier_value']) }} as signature_entry
        from deduplicated
        where record_source in ('shop_order', 'shop_event')
            and identifier_value is not null
    ) as event_identifiers
    group by record_source, record_id

),

final as (

    select
        deduplicated.record_source,
        deduplicated.record_id,
        case
            when event_record_signatures.signature is not null
                then deduplicated.record_source || ':' || {{ dbt.hash('event_record_signatures.signature') }}
            else deduplicated.record_source || ':' || deduplicated.record_id
        end as node_key,
        deduplicated.identifier_type,
        deduplicated.identifier_value,
        deduplicated.first_seen_at,
        deduplicated.last_seen_at{{ ',' if keeps_state }}
        {%- if keeps_state %}
        deduplicated.source_fingerprint as _source_fingerprint,
        cast('{{ config_key }}' as {{ dbt.type_string() }}) as _config_key,
        {{ lifecycle_run_time() }} as _built_at
        {%- endif %}
    from deduplicated
    left join event_record_signatures
        on deduplicated.record_source = event_record_signatures.record_source
        and deduplicated.record_id = event_record_signatures.record_id

)

select * from final
{%- if keeps_state and this is not none and is_incremental() %}
union all
-- a gone record: one marker row (node_key null), so that replace_records deletes its stored rows; a table from
-- an earlier version or another configuration: a marker for every stored record (all are recomputed)
select
    record_source,
    record_id,
    cast(null as {{ dbt.type_string() }}) as node_key,
    cast(null as {{ dbt.type_string() }}) as identifier_type,
    cast(null as {{ dbt.type_string() }}) as identifier_value,
    cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(null as {{ dbt.type_timestamp() }}) as last_seen_at,
    null as _source_fingerprint,
    cast(null as {{ dbt.type_string() }}) as _config_key,
    cast(null as {{ dbt.type_timestamp() }}) as _built_at
{%- if incremental %}
from changed_records
where is_gone
{%- else %}
from (select distinct record_source, record_id from {{ this }}) as stored_records
{%- endif %}
{%- endif %}
