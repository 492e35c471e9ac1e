with source as (

    select * from {{ source('raw_files', 'conversations') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || conversation_id as conversation_key,
        lower(trim(source_system)) as source_system,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(channel)) as channel,
        lower(trim(source)) as conversation_source,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        ctwa_clid,
        lower(trim(assignee_type)) as assignee_type,
        cast(assignee_id as {{ dbt.type_string() }}) as assignee_id,
        team,
        resolution,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
