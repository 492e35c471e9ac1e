with source as (

    select * from {{ source('raw_shop', 'customers') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        email,
        phone,
        first_name,
        last_name,
        lower(trim(email_marketing_state)) as email_marketing_state,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
