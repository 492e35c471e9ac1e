with source as (

    select * from {{ source('raw_respondio', 'lifecycle_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as lifecycle_event_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        from_stage,
        to_stage,
        lower(trim(changed_by_type)) as changed_by_type,
        cast(changed_by_user_id as {{ dbt.type_string() }}) as changed_by_user_id,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
