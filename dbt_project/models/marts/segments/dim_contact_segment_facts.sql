-- The facts YAML segments filter on, one row per contact, as a mart: the yaml_segment macro reads this
-- relation, and so does the dashboards' segment builder (which reads marts only), so the builder's live
-- count and the generated segment model filter the very same rows.

with

facts as (
    select * from {{ ref('int_segments__contact_facts') }}
),

final as (
    select
        contact_id,
        as_of_at,
        reachable_channels,
        opted_in_channels,
        preferred_channel,
        inbound_channels,
        last_inbound_at,
        last_inbound_channel,
        last_reply_at,
        awaiting_reply_since,
        days_since_last_inbound,
        orders,
        revenue,
        first_order_at,
        last_order_at,
        days_since_last_order,
        latest_nps_score,
        latest_nps_at,
        entry_touchpoint_type,
        entry_platform,
        entry_campaign,
        entry_ad_id,
        entry_touch_at
    from facts
)

select * from final
