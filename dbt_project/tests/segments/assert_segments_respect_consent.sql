-- Nobody who opted out of a channel is offered on it: in every segment that feeds a messaging destination,
-- no reachable or preferred channel of a row is a channel whose latest consent (read here straight from
-- int_consents, not through the segments' own logic) is an opt-out.
{%- set messaging_segments = ['seg_hot_leads_awaiting_reply', 'seg_winback_dormant', 'seg_review_promoters',
                              'seg_cold_leads'] %}

with

latest_consents as (
    select
        contact_id,
        channel,
        status
    from (
        select
            contact_id,
            lower(channel) as channel,
            status,
            row_number() over (partition by contact_id, lower(channel) order by changed_at desc, event_id desc)
                as recency
        from {{ ref('int_consents') }}
        where channel is not null
    ) as ranked
    where recency = 1
),

segment_rows as (
    {% for seg in messaging_segments %}
    select
        '{{ seg }}' as segment,
        contact_id,
        reachable_channels,
        preferred_channel
    from {{ ref(seg) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    segment_rows.segment,
    segment_rows.contact_id,
    latest_consents.channel
from segment_rows
inner join latest_consents
    on segment_rows.contact_id = latest_consents.contact_id
    and latest_consents.status = 'opted_out'
where segment_rows.reachable_channels is null
    or {{ segment_list_has('segment_rows.reachable_channels', 'latest_consents.channel') }}
    or segment_rows.preferred_channel = latest_consents.channel
