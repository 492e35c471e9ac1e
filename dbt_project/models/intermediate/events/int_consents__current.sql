{#-
  The current consent of each contact on each channel: the latest row of int_consents per contact and
  (lower-cased) channel, ties broken by event id. dim_contacts and the segments read consent from here, so
  "opted out" means one thing in the marts, the segments and the syncs.
-#}
with

consents as (
    select * from {{ ref('int_consents') }}
),

ranked as (
    select
        contact_id,
        lower(channel) as channel,
        status,
        changed_at,
        row_number() over (
            partition by contact_id, lower(channel)
            order by changed_at desc, {{ byte_order('event_id') }} desc
        ) as recency
    from consents
    where channel is not null
),

final as (
    select
        contact_id,
        channel,
        status,
        changed_at
    from ranked
    where recency = 1
)

select * from final
