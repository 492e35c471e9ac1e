with

record_identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

components as (

    select * from {{ ref('int_identity__components') }}

),

records as (

    select
        record_source,
        record_id,
        min(node_key) as node_key,
        min(first_seen_at) as first_seen_at
    from record_identifiers
    group by record_source, record_id

),

final as (

    select
        records.record_source,
        records.record_id,
        {{ dbt.hash('components.component_key') }} as contact_id,
        records.node_key,
        records.first_seen_at
    from records
    inner join components
        on records.node_key = components.node_key

)

select * from final
