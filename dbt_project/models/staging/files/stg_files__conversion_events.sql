with source as (

    select * from {{ source('raw_files', 'conversion_events') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || event_id as conversion_event_key,
        lower(trim(source_system)) as source_system,
        cast(event_id as {{ dbt.type_string() }}) as conversion_event_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(event_name)) as event_name,
        cast(value as {{ dbt.type_numeric() }}) as value,
        upper(trim(currency)) as currency,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
