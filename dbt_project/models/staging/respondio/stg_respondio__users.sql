with source as (

    select * from {{ source('raw_respondio', 'users') }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        first_name,
        last_name,
        email,
        lower(trim(role)) as role,
        lower(trim(agent_type)) as agent_type,
        team,
        lower(agent_type) = 'ai_agent' as is_ai_agent,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
