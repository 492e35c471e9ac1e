with source as (

    select * from {{ source('raw_respondio', 'conversations') }}

),

renamed as (

    select
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        lower(trim(channel_type)) as channel,
        lower(trim(opened_by)) as opened_by,
        cast(broadcast_id as {{ dbt.type_string() }}) as broadcast_id,
        cast(assignee_user_id as {{ dbt.type_string() }}) as assignee_user_id,
        assignee_team,
        closing_category,
        closed_at is not null as is_closed,
        cast(opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
