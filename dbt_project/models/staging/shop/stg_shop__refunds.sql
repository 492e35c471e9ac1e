with source as (

    select * from {{ source('raw_shop', 'refunds') }}

),

renamed as (

    select
        cast(refund_id as {{ dbt.type_string() }}) as refund_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(amount as {{ dbt.type_numeric() }}) as refund_amount,
        upper(trim(currency)) as currency,
        cast(created_at as {{ dbt.type_timestamp() }}) as refunded_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
