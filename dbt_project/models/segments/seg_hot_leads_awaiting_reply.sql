-- Hot leads waiting for a reply: in the hot-lead stage, their last inbound message unanswered by a human or
-- AI agent for more than var segment_awaiting_reply_hours (24) at the "as of" time, and still reachable on
-- the channel they wrote on (an opt-out there keeps them out). For agents' follow-up queues.
-- One row per contact.
{%- set hot = segment_stages('hot_lead') %}
{%- set hours = var('segment_awaiting_reply_hours', 24) %}

with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

facts as (
    select * from {{ ref('int_segments__contact_facts') }}
),

final as (
    select
        {{ segment_contact_columns() }},
        cast(facts.last_inbound_channel as {{ dbt.type_string() }}) as waiting_channel,
        cast(facts.awaiting_reply_since as {{ dbt.type_timestamp() }}) as awaiting_reply_since,
        cast({{ dbt.datediff('facts.awaiting_reply_since', 'facts.as_of_at', 'hour') }} as integer)
            as hours_awaiting_reply
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where contacts.current_stage in {{ segment_in_list(hot) }}
        and contacts.current_lost_stage is null
        and facts.awaiting_reply_since is not null
        and {{ dbt.dateadd('hour', hours, 'facts.awaiting_reply_since') }} < facts.as_of_at
        and {{ segment_list_has('facts.reachable_channels', 'facts.last_inbound_channel') }}
)

select * from final
