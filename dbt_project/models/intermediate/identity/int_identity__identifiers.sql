{%- set max_nodes = project_var('identity_max_records_per_identifier') -%}

with

record_identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

identifier_usage as (

    select
        identifier_type,
        identifier_value,
        count(distinct node_key) as node_count
    from record_identifiers
    where identifier_value is not null
    group by identifier_type, identifier_value

),

resolved as (

    select
        contact_map.contact_id,
        record_identifiers.identifier_type,
        record_identifiers.identifier_value,
        record_identifiers.record_source,
        record_identifiers.record_id,
        record_identifiers.first_seen_at,
        record_identifiers.last_seen_at,
        row_number() over (
            partition by contact_map.contact_id, record_identifiers.identifier_type, record_identifiers.identifier_value
            order by
                record_identifiers.first_seen_at,
                record_identifiers.record_source,
                {{ byte_order('record_identifiers.record_id') }}
        ) as seen_order
    from record_identifiers
    inner join contact_map
        on record_identifiers.record_source = contact_map.record_source
        and record_identifiers.record_id = contact_map.record_id
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
        identifier_usage.node_count <= {{ max_nodes }} as is_used_for_matching
    from per_contact
    inner join resolved as first_record
        on per_contact.contact_id = first_record.contact_id
        and per_contact.identifier_type = first_record.identifier_type
        and per_contact.identifier_value = first_record.identifier_value
        and first_record.seen_order = 1
    inner join identifier_usage
        on per_contact.identifier_type = identifier_usage.identifier_type
        and per_contact.identifier_value = identifier_usage.identifier_value

)

select * from final
