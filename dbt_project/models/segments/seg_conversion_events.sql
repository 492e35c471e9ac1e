-- Lead and purchase conversion events for the conversion APIs (Meta CAPI, TikTok Events API); one row per
-- event. Lead: a contact entering the preset's hot-lead stage (event_id 'lead:<spell id>'); Purchase: a
-- non-cancelled order with its revenue and currency (event_id 'purchase:<order id>'). Each carries the
-- contact's identifiers (e-mail, phone, names, country; contact_id as the external id) and the click ids
-- known for it: the ctwa_clid of the latest click-to-message ad conversation started in the
-- var conversion_click_window_days (7) days before the event (with its messaging channel), the latest Meta
-- ad click as fbc ('fb.1.<click ms>.<fbclid>') and the latest TikTok ttclid in the same window. Only events
-- of the last var conversion_events_lookback_days (7) days before the "as of" time (Meta takes 7 days).
-- Conversion APIs measure ads; they message nobody, so messaging consent does not filter this segment.
{%- set hot = segment_stages('hot_lead') %}
{%- set lookback = var('conversion_events_lookback_days', 7) %}
{%- set window = var('conversion_click_window_days', 7) %}

with

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

contacts as (
    select * from {{ ref('dim_contacts') }}
),

conversations as (
    select * from {{ ref('fct_conversations') }}
),

touchpoints as (
    select * from {{ ref('int_touchpoints') }}
),

signals as (
    select * from {{ ref('int_lifecycle__signals') }}
),

as_of as (
    select coalesce({{ segment_as_of_literal() }}, max(signal_at)) as as_of_at
    from signals
),

lead_events as (
    select
        {{ dbt.concat(["'lead:'", 'spell_id']) }} as event_id,
        'Lead' as event_name,
        contact_id,
        entered_at as event_time,
        cast(null as decimal(18, 2)) as value,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ dbt.type_string() }}) as order_id
    from spells
    where stage in {{ segment_in_list(hot) }}
        and not is_lost_stage
),

purchase_events as (
    select
        {{ dbt.concat(["'purchase:'", 'order_id']) }} as event_id,
        'Purchase' as event_name,
        contact_id,
        ordered_at as event_time,
        cast(revenue as decimal(18, 2)) as value,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(order_id as {{ dbt.type_string() }}) as order_id
    from orders
    where not is_cancelled
        and ordered_at is not null
),

recent_events as (
    select events.*
    from (
        select * from lead_events
        union all
        select * from purchase_events
    ) as events
    cross join as_of
    where events.event_time > {{ dbt.dateadd('day', -lookback, 'as_of.as_of_at') }}
        and events.event_time <= as_of.as_of_at
        and events.contact_id is not null
),

ctm_clicks as (
    select
        recent_events.event_id,
        conversations.ctwa_clid,
        conversations.channel,
        row_number() over (
            partition by recent_events.event_id
            order by
                coalesce(conversations.first_inbound_at, conversations.opened_at) desc,
                conversations.conversation_id desc
        ) as recency
    from recent_events
    inner join conversations
        on recent_events.contact_id = conversations.contact_id
        and conversations.ctwa_clid is not null
        and coalesce(conversations.first_inbound_at, conversations.opened_at) <= recent_events.event_time
        and coalesce(conversations.first_inbound_at, conversations.opened_at)
        > {{ dbt.dateadd('day', -window, 'recent_events.event_time') }}
),

ad_clicks as (
    select
        recent_events.event_id,
        touchpoints.platform,
        touchpoints.click_id,
        touchpoints.occurred_at,
        row_number() over (
            partition by recent_events.event_id, touchpoints.platform
            order by touchpoints.occurred_at desc, {{ byte_order('touchpoints.touchpoint_id') }} desc
        ) as recency
    from recent_events
    inner join touchpoints
        on recent_events.contact_id = touchpoints.contact_id
        and touchpoints.touchpoint_type = 'ad_click'
        and touchpoints.platform in ('meta', 'tiktok')
        and touchpoints.click_id is not null
        and recent_events.event_time >= touchpoints.occurred_at
        and touchpoints.occurred_at > {{ dbt.dateadd('day', -window, 'recent_events.event_time') }}
),

final as (
    select
        cast(recent_events.event_id as {{ dbt.type_string() }}) as event_id,
        cast(recent_events.event_name as {{ dbt.type_string() }}) as event_name,
        cast(recent_events.event_time as {{ dbt.type_timestamp() }}) as event_time,
        cast(recent_events.value as decimal(18, 2)) as value,
        cast(recent_events.currency as {{ dbt.type_string() }}) as currency,
        cast(recent_events.order_id as {{ dbt.type_string() }}) as order_id,
        cast(recent_events.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(contacts.email as {{ dbt.type_string() }}) as email,
        cast(contacts.phone as {{ dbt.type_string() }}) as phone,
        cast(contacts.first_name as {{ dbt.type_string() }}) as first_name,
        cast(contacts.last_name as {{ dbt.type_string() }}) as last_name,
        cast(contacts.country_code as {{ dbt.type_string() }}) as country_code,
        cast(ctm_clicks.ctwa_clid as {{ dbt.type_string() }}) as ctwa_clid,
        cast(case when ctm_clicks.ctwa_clid is not null then ctm_clicks.channel end as {{ dbt.type_string() }})
            as messaging_channel,
        cast(
            case when meta_clicks.click_id is not null then {{ dbt.concat([
                "'fb.1.'",
                "cast(" ~ dbt.datediff("cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")",
                                       'meta_clicks.occurred_at', 'millisecond') ~ " as " ~ dbt.type_string() ~ ")",
                "'.'", 'meta_clicks.click_id']) }} end as {{ dbt.type_string() }}
        ) as fbc,
        cast(tiktok_clicks.click_id as {{ dbt.type_string() }}) as ttclid,
        cast(as_of.as_of_at as {{ dbt.type_timestamp() }}) as as_of_at
    from recent_events
    cross join as_of
    left join contacts
        on recent_events.contact_id = contacts.contact_id
    left join ctm_clicks
        on recent_events.event_id = ctm_clicks.event_id
        and ctm_clicks.recency = 1
    left join ad_clicks as meta_clicks
        on recent_events.event_id = meta_clicks.event_id
        and meta_clicks.platform = 'meta'
        and meta_clicks.recency = 1
    left join ad_clicks as tiktok_clicks
        on recent_events.event_id = tiktok_clicks.event_id
        and tiktok_clicks.platform = 'tiktok'
        and tiktok_clicks.recency = 1
)

select * from final
