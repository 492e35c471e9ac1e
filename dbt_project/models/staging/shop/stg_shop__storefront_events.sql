with source as (

    select * from {{ source('raw_shop', 'storefront_events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as storefront_event_id,
        lower(trim(event_name)) as event_name,
        client_id as client_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        email as email,
        phone as phone,
        checkout_token as checkout_token,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(value as {{ dbt.type_numeric() }}) as value,
        upper(trim(currency)) as currency,
        utm_source as utm_source,
        utm_medium as utm_medium,
        utm_campaign as utm_campaign,
        utm_content as utm_content,
        fbclid as fbclid,
        ttclid as ttclid,
        gclid as gclid,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
