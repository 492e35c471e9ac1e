with source as (

    select * from {{ source('raw_files', 'messages') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || message_id as message_key,
        lower(trim(source_system)) as source_system,
        cast(message_id as {{ dbt.type_string() }}) as message_id,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(channel)) as channel,
        lower(trim(direction)) as direction,
        lower(trim(sender_type)) as sender_type,
        cast(sender_id as {{ dbt.type_string() }}) as sender_id,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
