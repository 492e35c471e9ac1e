{#-
  Identity-bearing records and their normalised identifiers (one row per record x identifier), the input of
  the identity graph. A record with no usable identifier still has one row (identifier_value null) so it
  becomes its own node. Emails and phones are normalised here, once, with identity_email / identity_phone
  (placeholders become null). node_key: the graph node of the record; orders and storefront events with the
  same identifier values share one node. See int_identity__components for how nodes are linked.
-#}

with

unioned as (

    select * from {{ ref('int_identity__raw_identifiers') }}

),

-- file-drop identity values are already normalised (their record ids are built from them)
normalised as (

    select
        record_source,
        record_id,
        identifier_type,
        case
            when record_source = 'files_ref' then raw_value
            when identifier_type = 'email' then {{ identity_email('raw_value') }}
            when identifier_type = 'phone' then {{ identity_phone('raw_value', 'calling_code') }}
            else nullif(trim(raw_value), '')
        end as identifier_value,
        seen_at
    from unioned

),

deduplicated as (

    select
        record_source,
        record_id,
        identifier_type,
        identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from normalised
    group by record_source, record_id, identifier_type, identifier_value

),

-- the identifier values of orders and storefront events, in a fixed order: records with the same values
-- become one graph node (a customer's hundred orders count once against the junk guard)
event_record_signatures as (

    select
        record_source,
        record_id,
        {{ dbt.listagg(
            measure=dbt.concat(['identifier_type', "'='", 'identifier_value']),
            delimiter_text="'|'",
            order_by_clause='order by identifier_type, identifier_value'
        ) }} as signature
    from deduplicated
    where record_source in ('shop_order', 'shop_event')
        and identifier_value is not null
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
        deduplicated.last_seen_at
    from deduplicated
    left join event_record_signatures
        on deduplicated.record_source = event_record_signatures.record_source
        and deduplicated.record_id = event_record_signatures.record_id

)

select * from final
