with source as (

    select * from {{ source('raw_hubspot', 'contact_lifecycle_history') }}

),

renamed as (

    select
        cast(contact_id as {{ dbt.type_string() }})
        || ':'
        || cast(changed_at as {{ dbt.type_string() }})
        || ':'
        || lifecyclestage as lifecycle_change_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        lower(trim(lifecyclestage)) as lifecycle_stage,
        upper(trim(source_type)) as change_source_type,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
