with source as (

    select * from {{ source('raw_respondio', 'tag_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as tag_event_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        tag,
        lower(trim(action)) as action,
        lower(trim(changed_by_type)) as changed_by_type,
        cast(changed_by_user_id as {{ dbt.type_string() }}) as changed_by_user_id,
        cast(event_at as {{ dbt.type_timestamp() }}) as event_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
