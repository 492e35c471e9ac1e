with source as (

    select * from {{ source('raw_respondio', 'consent_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as consent_event_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        lower(trim(channel_type)) as channel,
        lower(trim(status)) as status,
        lower(trim(source)) as consent_source,
        cast(event_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
