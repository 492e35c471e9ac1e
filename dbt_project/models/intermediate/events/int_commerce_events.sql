{#-
  Commerce events, one row per event: shop storefront events (Shopify web pixel names mapped to
  add_to_cart, checkout_started, checkout_completed, page_view, product_view; others kept as written) and
  file-drop conversion events (qualified, quote_sent, add_to_cart, checkout_started, payment, purchase,
  review, referral). UTM parameters and click ids where the source has them.
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

shop as (

    select
        'shop:' || events.storefront_event_id as event_id,
        contact_map.contact_id,
        'shop' as source_system,
        case events.event_name
            when 'product_added_to_cart' then 'add_to_cart'
            when 'checkout_started' then 'checkout_started'
            when 'checkout_completed' then 'checkout_completed'
            when 'page_viewed' then 'page_view'
            when 'product_viewed' then 'product_view'
            else events.event_name
        end as event_name,
        events.value,
        events.currency,
        events.occurred_at,
        case when events.order_id is not null then 'shop:' || events.order_id end as order_id,
        events.utm_source,
        events.utm_medium,
        events.utm_campaign,
        events.utm_content,
        events.fbclid,
        events.ttclid,
        events.gclid
    from {{ ref('stg_shop__storefront_events') }} as events
    left join contact_map
        on contact_map.record_source = 'shop_event'
        and events.storefront_event_id = contact_map.record_id

),

files as (

    select
        conversion_event_key as event_id,
        contact_id,
        source_system,
        event_name,
        value,
        currency,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        cast(null as {{ dbt.type_string() }}) as fbclid,
        cast(null as {{ dbt.type_string() }}) as ttclid,
        cast(null as {{ dbt.type_string() }}) as gclid
    from {{ files_with_contact('stg_files__conversion_events', 'conversion_event_key') }} as file_events

),

final as (

    {%- set parts = [] %}
    {%- if source_enabled('shop') %}{% do parts.append('shop') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}select * from shop where 1 = 0{% endif %}

)

select * from final
