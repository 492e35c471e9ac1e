with source as (

    select * from {{ source('raw_files', 'contacts') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || contact_external_id as contact_key,
        lower(trim(source_system)) as source_system,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        first_name,
        last_name,
        lower(trim(channel)) as channel,
        channel_user_id,
        upper(trim(country_code)) as country_code,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
