{#-
  Per-channel consent changes, one row per change: respond.io consent events, file-drop consents and the shop's
  email marketing state (subscribed -> opted_in, unsubscribed -> opted_out, at the customer's updated_at;
  not_subscribed is no consent event). The latest row per contact and channel is the current state.
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

respondio as (

    select
        'respondio:' || events.consent_event_id as event_id,
        contact_map.contact_id,
        'respondio' as source_system,
        events.channel,
        events.status,
        events.consent_source as source,
        events.changed_at
    from {{ ref('stg_respondio__consent_events') }} as events
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and events.contact_id = contact_map.record_id

),

shop as (

    select
        'shop:customer:' || customers.customer_id as event_id,
        contact_map.contact_id,
        'shop' as source_system,
        'email' as channel,
        case customers.email_marketing_state when 'subscribed' then 'opted_in' else 'opted_out' end as status,
        'shop_marketing_state' as source,
        coalesce(customers.updated_at, customers.created_at) as changed_at
    from {{ ref('stg_shop__customers') }} as customers
    left join contact_map
        on contact_map.record_source = 'shop_customer'
        and customers.customer_id = contact_map.record_id
    where customers.email_marketing_state in ('subscribed', 'unsubscribed')

),

files as (

    select
        consent_key as event_id,
        contact_id,
        source_system,
        channel,
        status,
        'file_drop' as source,
        changed_at
    from {{ files_with_contact('stg_files__consents', 'consent_key') }} as file_consents

),

final as (

    {%- set parts = [] %}
    {%- if source_enabled('respondio') %}{% do parts.append('respondio') %}{% endif %}
    {%- if source_enabled('shop') %}{% do parts.append('shop') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}select * from respondio where 1 = 0{% endif %}

)

select * from final
