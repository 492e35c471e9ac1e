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
        unioned.last_seen_at
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
        max(last_seen_at) as last_seen_at
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
        deduplicated.last_seen_at
    from deduplicated
    left join event_record_signatures
        on deduplicated.record_source = event_record_signatures.record_source
        and deduplicated.record_id = event_record_signatures.record_id

)

select * from final
