-- One row per contact of dim_contacts with the facts segments filter on: where the contact can be reached
-- (channels it wrote to us on, plus email when known, minus channels whose latest consent is an opt-out;
-- preferred: the reachable channel it wrote on most recently, else email),
-- its last inbound message and whether a human or AI agent answered it since, its orders, its latest NPS
-- answer and the touchpoint it entered through. Windows are measured to the "as of" time: var
-- segments_as_of, else lifecycle_as_of, else the latest lifecycle evidence in the data.

with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

messages as (
    select * from {{ ref('int_messages') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

surveys as (
    select * from {{ ref('int_surveys') }}
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

inbound as (
    select
        contact_id,
        lower(channel) as channel,
        sent_at,
        row_number() over (
            partition by contact_id
            order by sent_at desc, {{ byte_order('message_id') }} desc
        ) as recency
    from messages
    where direction = 'inbound'
),

inbound_summary as (
    select
        contact_id,
        max(sent_at) as last_inbound_at,
        max(case when recency = 1 then channel end) as last_inbound_channel
    from inbound
    group by contact_id
),

replies as (
    select
        contact_id,
        max(sent_at) as last_reply_at
    from messages
    where direction = 'outbound'
        and sender_type in ('human', 'ai_agent')
    group by contact_id
),

channel_activity as (
    select
        contact_id,
        channel,
        max(sent_at) as last_inbound_at
    from inbound
    where channel is not null
    group by contact_id, channel
),

used_channels as (
    select
        contact_id,
        channel
    from channel_activity
    union
    select
        contact_id,
        'email' as channel
    from contacts
    where email is not null
),

latest_consents as (
    select * from {{ ref('int_consents__current') }}
),

reachable as (
    select
        used_channels.contact_id,
        used_channels.channel,
        case when latest_consents.status = 'opted_in' then 1 else 0 end as is_opted_in,
        row_number() over (
            partition by used_channels.contact_id
            order by
                case when channel_activity.last_inbound_at is null then 1 else 0 end,
                channel_activity.last_inbound_at desc, used_channels.channel asc
        ) as preference
    from used_channels
    left join latest_consents
        on used_channels.contact_id = latest_consents.contact_id
        and used_channels.channel = latest_consents.channel
    left join channel_activity
        on used_channels.contact_id = channel_activity.contact_id
        and used_channels.channel = channel_activity.channel
    where latest_consents.status is null
        or latest_consents.status <> 'opted_out'
),

reachable_summary as (
    select
        contact_id,
        {{ dbt.listagg('channel', "','", 'order by channel') }} as reachable_channels,
        {{ dbt.listagg("case when is_opted_in = 1 then channel end", "','", 'order by channel') }}
            as opted_in_reachable_channels,
        max(case when preference = 1 then channel end) as preferred_channel
    from reachable
    group by contact_id
),

inbound_channel_lists as (
    select
        contact_id,
        {{ dbt.listagg('channel', "','", 'order by channel') }} as inbound_channels
    from (
        select distinct
            contact_id,
            channel
        from inbound
        where channel is not null
    ) as distinct_channels
    group by contact_id
),

order_summary as (
    select
        contact_id,
        count(*) as orders,
        sum(revenue) as revenue,
        max(ordered_at) as last_order_at,
        min(ordered_at) as first_order_at
    from orders
    where not is_cancelled
    group by contact_id
),

latest_nps as (
    select
        contact_id,
        score,
        answered_at
    from (
        select
            contact_id,
            score,
            answered_at,
            row_number() over (
                partition by contact_id
                order by answered_at desc, {{ byte_order('response_id') }} desc
            ) as recency
        from surveys
        where survey_type = 'nps'
    ) as ranked
    where recency = 1
),

entry_touch as (
    select
        contact_id,
        touchpoint_type,
        platform,
        campaign,
        ad_id,
        occurred_at
    from (
        select
            contact_id,
            touchpoint_type,
            platform,
            coalesce(campaign_id, utm_campaign) as campaign,
            ad_id,
            occurred_at,
            row_number() over (
                partition by contact_id
                order by occurred_at, {{ byte_order('touchpoint_id') }}
            ) as touch_number
        from touchpoints
    ) as ranked
    where touch_number = 1
),

final as (
    select
        cast(contacts.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(as_of.as_of_at as {{ dbt.type_timestamp() }}) as as_of_at,
        cast(reachable_summary.reachable_channels as {{ dbt.type_string() }}) as reachable_channels,
        cast(reachable_summary.opted_in_reachable_channels as {{ dbt.type_string() }}) as opted_in_channels,
        cast(reachable_summary.preferred_channel as {{ dbt.type_string() }}) as preferred_channel,
        cast(inbound_channel_lists.inbound_channels as {{ dbt.type_string() }}) as inbound_channels,
        cast(inbound_summary.last_inbound_at as {{ dbt.type_timestamp() }}) as last_inbound_at,
        cast(inbound_summary.last_inbound_channel as {{ dbt.type_string() }}) as last_inbound_channel,
        cast(replies.last_reply_at as {{ dbt.type_timestamp() }}) as last_reply_at,
        cast(
            case
                when inbound_summary.last_inbound_at is not null
                    and (replies.last_reply_at is null or replies.last_reply_at < inbound_summary.last_inbound_at)
                    then inbound_summary.last_inbound_at
            end as {{ dbt.type_timestamp() }}
        ) as awaiting_reply_since,
        cast({{ dbt.datediff('inbound_summary.last_inbound_at', 'as_of.as_of_at', 'day') }} as integer)
            as days_since_last_inbound,
        cast(coalesce(order_summary.orders, 0) as integer) as orders,
        cast(coalesce(order_summary.revenue, 0) as decimal(18, 2)) as revenue,
        cast(order_summary.first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
        cast(order_summary.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
        cast({{ dbt.datediff('order_summary.last_order_at', 'as_of.as_of_at', 'day') }} as integer)
            as days_since_last_order,
        cast(latest_nps.score as integer) as latest_nps_score,
        cast(latest_nps.answered_at as {{ dbt.type_timestamp() }}) as latest_nps_at,
        cast(entry_touch.touchpoint_type as {{ dbt.type_string() }}) as entry_touchpoint_type,
        cast(entry_touch.platform as {{ dbt.type_string() }}) as entry_platform,
        cast(entry_touch.campaign as {{ dbt.type_string() }}) as entry_campaign,
        cast(entry_touch.ad_id as {{ dbt.type_string() }}) as entry_ad_id,
        cast(entry_touch.occurred_at as {{ dbt.type_timestamp() }}) as entry_touch_at
    from contacts
    cross join as_of
    left join reachable_summary
        on contacts.contact_id = reachable_summary.contact_id
    left join inbound_channel_lists
        on contacts.contact_id = inbound_channel_lists.contact_id
    left join inbound_summary
        on contacts.contact_id = inbound_summary.contact_id
    left join replies
        on contacts.contact_id = replies.contact_id
    left join order_summary
        on contacts.contact_id = order_summary.contact_id
    left join latest_nps
        on contacts.contact_id = latest_nps.contact_id
    left join entry_touch
        on contacts.contact_id = entry_touch.contact_id
)

select * from final
