with source as (

    select * from {{ source('raw_respondio', 'survey_responses') }}

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as survey_response_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        lower(trim(survey_type)) as survey_type,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(answered_at as {{ dbt.type_timestamp() }}) as answered_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
