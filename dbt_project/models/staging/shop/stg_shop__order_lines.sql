with source as (

    select * from {{ source('raw_shop', 'order_lines') }}

),

renamed as (

    select
        cast(line_id as {{ dbt.type_string() }}) as order_line_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        title as product_title,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(price as {{ dbt.type_numeric() }}) as unit_price,
        cast(total_discount as {{ dbt.type_numeric() }}) as discount_amount,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
