with source as (

    select * from {{ source('raw_shop', 'orders') }}

),

renamed as (

    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(order_number as {{ dbt.type_string() }}) as order_number,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        email,
        phone,
        lower(trim(financial_status)) as financial_status,
        upper(trim(currency)) as currency,
        cast(subtotal_price as {{ dbt.type_numeric() }}) as subtotal_amount,
        cast(total_discounts as {{ dbt.type_numeric() }}) as discount_amount,
        cast(total_tax as {{ dbt.type_numeric() }}) as tax_amount,
        cast(total_price as {{ dbt.type_numeric() }}) as total_amount,
        source_name,
        landing_site,
        cancelled_at is not null as is_cancelled,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(processed_at as {{ dbt.type_timestamp() }}) as processed_at,
        cast(cancelled_at as {{ dbt.type_timestamp() }}) as cancelled_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
