with source as (

    select * from {{ source('raw_files', 'consents') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || consent_id as consent_key,
        lower(trim(source_system)) as source_system,
        cast(consent_id as {{ dbt.type_string() }}) as consent_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
