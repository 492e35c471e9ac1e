{#-
  The identities of each contact: one row per contact x identifier, with the first record it was seen on and
  whether the identity graph used it (is_used_for_matching: the value is held by at most
  identity_max_records_per_identifier nodes).

  Incremental by contact (macros/common/incremental.sql, strategy replace_contacts): a contact's rows come
  from the identity rows of its records and, for the flag, from how many nodes hold each value. A run
  recomputes every row of the contacts that can have changed since this table's last write (_built_at):
  - a record of the contact was written by int_identity__record_identifiers (new or changed identity rows);
  - a record's map row was written by int_identity__contact_map (a record that joined the contact), and the
    contact the record had before (previous_contact_id);
  - the contact's number of records differs from the stored one (_contact_record_count: a record that is
    gone, or that left), or the contact no longer exists;
  - a value of the contact crossed the junk guard: only a value held by a record above, before or after,
    can have a new node count, so only those values are counted again, and their holders whose flag
    flips are recomputed too.
  Changing identity_max_records_per_identifier (_config_key) recomputes everyone. Spark: a plain table.
-#}
{%- set max_nodes = project_var('identity_max_records_per_identifier') -%}
{%- set config_key = local_md5(tojson({'identity_max_records_per_identifier': max_nodes}, sort_keys=True)) -%}
{%- set bookkeeping = ['_built_at', '_contact_record_count', '_config_key'] -%}
{{ config(
    materialized=incremental_materialization(),
    unique_key='contact_identifier_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}
{%- set incremental = incremental_target_is_current(bookkeeping, config_key=config_key) -%}

with

record_identifiers as {{ inline_cte() if incremental }} (

    select * from {{ ref('int_identity__record_identifiers') }}

),

contact_map as {{ inline_cte() if incremental }} (

    select * from {{ ref('int_identity__contact_map') }}

),

-- how many records each contact has now
contact_records as (

    select
        contact_id,
        count(*) as record_count
    from contact_map
    group by contact_id

),

{% if incremental %}
last_write as (

    {{ incremental_built() }}

),

stored as {{ inline_cte() }} (

    select * from {{ this }}

),

-- the contacts whose records changed since the last write (see above)
record_changed_contacts as (

    {{ identity_rewritten_contacts('contact_map', '(select built_until from last_write)') }}
    union
    select stored_contacts.contact_id
    from (select distinct contact_id, _contact_record_count from stored) as stored_contacts
    left join contact_records
        on stored_contacts.contact_id = contact_records.contact_id
    where contact_records.contact_id is null
        or contact_records.record_count <> stored_contacts._contact_record_count

),

-- the values whose node count can have changed: those of the contacts above, as stored, and those of the
-- identity rows written since
touched_values as (

    select
        identifier_type,
        identifier_value
    from stored
    where contact_id in (select contact_id from record_changed_contacts)
    union
    select
        identifier_type,
        identifier_value
    from record_identifiers
    where _built_at > (select built_until from last_write)
        and identifier_value is not null

),

{% endif %}

-- how many nodes hold each value (incremental: the values whose count can have changed)
identifier_usage as (

    select
        record_identifiers.identifier_type,
        record_identifiers.identifier_value,
        count(distinct record_identifiers.node_key) as node_count
    from record_identifiers
    {%- if incremental %}
    inner join touched_values
        on record_identifiers.identifier_type = touched_values.identifier_type
        and record_identifiers.identifier_value = touched_values.identifier_value
    {%- endif %}
    where record_identifiers.identifier_value is not null
    group by record_identifiers.identifier_type, record_identifiers.identifier_value

),

{% if incremental %}
changed_contacts as (

    select contact_id from record_changed_contacts
    union
    -- other holders of a value that crossed the junk guard
    select stored.contact_id
    from stored
    inner join identifier_usage
        on stored.identifier_type = identifier_usage.identifier_type
        and stored.identifier_value = identifier_usage.identifier_value
    where stored.is_used_for_matching <> (identifier_usage.node_count <= {{ max_nodes }})

),

{% endif %}

contact_records_to_build as (

    select
        record_source,
        record_id,
        contact_id
    from contact_map
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),

resolved as (

    select
        contact_records_to_build.contact_id,
        record_identifiers.identifier_type,
        record_identifiers.identifier_value,
        record_identifiers.record_source,
        record_identifiers.record_id,
        record_identifiers.first_seen_at,
        record_identifiers.last_seen_at,
        row_number() over (
            partition by
                contact_records_to_build.contact_id,
                record_identifiers.identifier_type,
                record_identifiers.identifier_value
            order by
                record_identifiers.first_seen_at,
                record_identifiers.record_source,
                {{ byte_order('record_identifiers.record_id') }}
        ) as seen_order
    from record_identifiers
    inner join contact_records_to_build
        on record_identifiers.record_source = contact_records_to_build.record_source
        and record_identifiers.record_id = contact_records_to_build.record_id
    where record_identifiers.identifier_value is not null

),

per_contact as (

    select
        contact_id,
        identifier_type,
        identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        count(*) as record_count
    from resolved
    group by contact_id, identifier_type, identifier_value

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'per_contact.contact_id', "'|'", 'per_contact.identifier_type', "'|'", 'per_contact.identifier_value'
        ])) }}
            as contact_identifier_id,
        per_contact.contact_id,
        per_contact.identifier_type,
        per_contact.identifier_value,
        first_record.record_source,
        first_record.record_id,
        per_contact.first_seen_at,
        per_contact.last_seen_at,
        per_contact.record_count,
        {%- if incremental %}
        -- a value not counted again kept its node count: its flag is the contact's stored one
        coalesce(identifier_usage.node_count <= {{ max_nodes }}, stored.is_used_for_matching)
        {%- else %}
        identifier_usage.node_count <= {{ max_nodes }}
        {%- endif %}
            as is_used_for_matching,
        {{ lifecycle_run_time() }} as _built_at,
        contact_records.record_count as _contact_record_count,
        '{{ config_key }}' as _config_key
    from per_contact
    inner join resolved as first_record
        on per_contact.contact_id = first_record.contact_id
        and per_contact.identifier_type = first_record.identifier_type
        and per_contact.identifier_value = first_record.identifier_value
        and first_record.seen_order = 1
    inner join contact_records
        on per_contact.contact_id = contact_records.contact_id
    {{ 'left' if incremental else 'inner' }} join identifier_usage
        on per_contact.identifier_type = identifier_usage.identifier_type
        and per_contact.identifier_value = identifier_usage.identifier_value
    {%- if incremental %}
    left join stored
        on per_contact.contact_id = stored.contact_id
        and per_contact.identifier_type = stored.identifier_type
        and per_contact.identifier_value = stored.identifier_value
    {%- endif %}

)

{{ contact_batch('final', 'changed_contacts', bookkeeping=bookkeeping, current=incremental) }}
