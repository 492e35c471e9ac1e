{#-
  One row per identity-bearing source record with its contact. Incremental: a run writes only the records
  that are new or whose contact, node or first sighting changed, and keeps for each record when its contact
  last changed (_mapped_at, the run's start) and the contact it had before (previous_contact_id). The
  incremental-by-contact models (macros/common/incremental.sql) recompute both contacts of a changed record.
  Records that no longer exist are deleted (post-hook). A first build, a full refresh or a table from an
  earlier version writes every record with _mapped_at = the run's start.

  Which records can have changed: those int_identity__record_identifiers wrote since this table's last write
  (its _built_at: new or changed records), and those on a node whose component changed since then
  (int_identity__components' _changed_at). Only these are derived and compared with their stored rows.
  _built_at is when a row was last written; a table without it (an earlier version) compares every record
  once.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key=['record_source', 'record_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "{% if is_incremental() %}delete from {{ this }} where not exists (select 1 from "
        ~ "{{ ref('int_identity__record_identifiers') }} as ri where ri.record_source = {{ this }}.record_source "
        ~ "and ri.record_id = {{ this }}.record_id){% endif %}"
    ]
) }}

{%- set incremental = incremental_target_is_current(['_mapped_at', 'previous_contact_id']) -%}
{#- the records written, and the components changed, since this table's last write (without _built_at: all) -#}
{%- set since_last_write = incremental and incremental_target_is_current(['_built_at']) -%}

with

record_identifiers as {{ inline_cte() if since_last_write }} (

    select * from {{ ref('int_identity__record_identifiers') }}

),

components as (

    select * from {{ ref('int_identity__components') }}

),

{% if since_last_write %}
last_write as (

    {{ incremental_built() }}

),

-- (union removes the duplicates)
candidate_records as (

    select
        record_source,
        record_id
    from record_identifiers
    where _built_at > (select built_until from last_write)
    union
    select
        stored.record_source,
        stored.record_id
    from {{ this }} as stored
    inner join components
        on stored.node_key = components.node_key
    where components._changed_at > (select built_until from last_write)

),

{% endif %}

records as (

    select
        record_identifiers.record_source,
        record_identifiers.record_id,
        min({{ byte_order('record_identifiers.node_key') }}) as node_key,
        min(record_identifiers.first_seen_at) as first_seen_at
    from record_identifiers
    {%- if since_last_write %}
    inner join candidate_records
        on record_identifiers.record_source = candidate_records.record_source
        and record_identifiers.record_id = candidate_records.record_id
    {%- endif %}
    group by record_identifiers.record_source, record_identifiers.record_id

),

fresh as (

    select
        records.record_source,
        records.record_id,
        {{ dbt.hash('components.component_key') }} as contact_id,
        records.node_key,
        records.first_seen_at
    from records
    inner join components
        on records.node_key = components.node_key

),

{% if incremental %}
final as (

    select
        fresh.record_source,
        fresh.record_id,
        fresh.contact_id,
        fresh.node_key,
        fresh.first_seen_at,
        case
            when stored.contact_id = fresh.contact_id then stored._mapped_at
            else {{ lifecycle_run_time() }}
        end as _mapped_at,
        case
            when stored.contact_id = fresh.contact_id then stored.previous_contact_id
            else stored.contact_id
        end as previous_contact_id,
        {{ lifecycle_run_time() }} as _built_at
    from fresh
    left join {{ this }} as stored
        on fresh.record_source = stored.record_source
        and fresh.record_id = stored.record_id
    where stored.record_id is null
        or stored.contact_id <> fresh.contact_id
        or stored.node_key <> fresh.node_key
        or (stored.first_seen_at is null) <> (fresh.first_seen_at is null)
        or stored.first_seen_at <> fresh.first_seen_at

)
{% else %}
final as (

    select
        record_source,
        record_id,
        contact_id,
        node_key,
        first_seen_at,
        {{ lifecycle_run_time() }} as _mapped_at,
        cast(null as {{ dbt.type_string() }}) as previous_contact_id,
        {{ lifecycle_run_time() }} as _built_at
    from fresh

)
{% endif %}

select * from final
