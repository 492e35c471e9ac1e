with source as (

    select * from {{ source('raw_files', 'lifecycle_events') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || event_id as lifecycle_event_key,
        lower(trim(source_system)) as source_system,
        cast(event_id as {{ dbt.type_string() }}) as lifecycle_event_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        nullif(trim(stage), '') as stage,
        reason,
        lower(trim(changed_by_type)) as changed_by_type,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
