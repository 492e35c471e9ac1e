with source as (

    select * from {{ source('raw_respondio', 'contact_channels') }}

),

renamed as (

    select
        cast(contact_id as {{ dbt.type_string() }})
        || ':'
        || cast(channel_id as {{ dbt.type_string() }}) as contact_channel_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        lower(trim(channel_type)) as channel,
        channel_user_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
