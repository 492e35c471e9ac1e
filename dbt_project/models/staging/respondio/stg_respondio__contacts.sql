with source as (

    select * from {{ source('raw_respondio', 'contacts') }}

),

renamed as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        first_name,
        last_name,
        phone,
        email,
        lower(trim(language)) as language_code,
        upper(trim(country_code)) as country_code,
        lifecycle as lifecycle_stage,
        tags as tags_json,
        cast(assignee_user_id as {{ dbt.type_string() }}) as assignee_user_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
