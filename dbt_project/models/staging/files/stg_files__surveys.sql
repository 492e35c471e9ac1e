with source as (

    select * from {{ source('raw_files', 'surveys') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || response_id as survey_response_key,
        lower(trim(source_system)) as source_system,
        cast(response_id as {{ dbt.type_string() }}) as survey_response_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(survey_type)) as survey_type,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(answered_at as {{ dbt.type_timestamp() }}) as answered_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
