with source as (

    select * from {{ source('raw_files', 'orders') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || order_id as order_key,
        lower(trim(source_system)) as source_system,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(status)) as status,
        upper(trim(currency)) as currency,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(refunded_amount as {{ dbt.type_numeric() }}) as refunded_amount,
        cast(ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
