{#-
  Orders, one row per order: shop orders and file-drop orders. revenue is net of discounts, before tax and
  shipping (shop: subtotal_price); refunded_amount sums the refunds. order_sequence numbers the contact's
  non-cancelled orders by time (1 = first order); null for cancelled orders.
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

shop_refunds as (

    select
        order_id,
        sum(refund_amount) as refunded_amount
    from {{ ref('stg_shop__refunds') }}
    group by order_id

),

shop as (

    select
        'shop:' || orders.order_id as order_id,
        contact_map.contact_id,
        'shop' as source_system,
        coalesce(orders.processed_at, orders.created_at) as ordered_at,
        case when orders.is_cancelled then 'cancelled' else orders.financial_status end as status,
        orders.currency,
        orders.subtotal_amount as revenue,
        coalesce(shop_refunds.refunded_amount, 0) as refunded_amount,
        orders.is_cancelled
    from {{ ref('stg_shop__orders') }} as orders
    left join shop_refunds
        on orders.order_id = shop_refunds.order_id
    left join contact_map
        on contact_map.record_source = 'shop_order'
        and orders.order_id = contact_map.record_id

),

files as (

    select
        order_key as order_id,
        contact_id,
        source_system,
        ordered_at,
        status,
        currency,
        revenue,
        coalesce(refunded_amount, 0) as refunded_amount,
        coalesce(status = 'cancelled', false) as is_cancelled
    from {{ files_with_contact('stg_files__orders', 'order_key') }} as file_orders

),

unioned as (

    {%- set parts = [] %}
    {%- if source_enabled('shop') %}{% do parts.append('shop') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}select * from shop where 1 = 0{% endif %}

),

sequenced as (

    select
        order_id,
        row_number() over (partition by contact_id order by ordered_at, {{ byte_order('order_id') }}) as order_sequence
    from unioned
    where not is_cancelled

),

final as (

    select
        unioned.order_id,
        unioned.contact_id,
        unioned.source_system,
        unioned.ordered_at,
        unioned.status,
        unioned.currency,
        unioned.revenue,
        unioned.refunded_amount,
        unioned.is_cancelled,
        sequenced.order_sequence
    from unioned
    left join sequenced
        on unioned.order_id = sequenced.order_id

)

select * from final
