with source as (

    select * from {{ source('raw_shop', 'storefront_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as storefront_event_id,
        lower(trim(event_name)) as event_name,
        client_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        email,
        phone,
        checkout_token,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(value as {{ dbt.type_numeric() }}) as value,
        upper(trim(currency)) as currency,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        fbclid,
        ttclid,
        gclid,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
