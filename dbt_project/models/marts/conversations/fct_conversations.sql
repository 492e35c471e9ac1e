{#-
  One row per conversation (respond.io and file drops). Grain: conversation_id.

  source: ad_referral when the first inbound message carries an ad referral (ad id / ctwa_clid), or a file
  drop says so; broadcast_reply when a broadcast opened the conversation; else organic.
  first_response_at: the first outbound message sent by a human or an AI agent at or after the first inbound
  message; workflow/automation messages and broadcasts do not count. No such reply -> nulls.
  Conversations derived from messages (see int_messages: sources without conversation records) are included;
  they have no close time or resolution and take the first human or AI responder as assignee.

  Incremental by contact (macros/common/incremental.sql): a run recomputes every conversation of the contacts
  whose messages int_messages rebuilt since this model's last build, whose conversations (or their assignee)
  were loaded since, or whose identity changed; and of the contact a changed conversation had before.
  _loaded_at is the latest load of the conversation, its assignee and its messages.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='conversation_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}

with

messages as {{ inline_cte() }} (

    select * from {{ ref('int_messages') }}

),

contact_map as {{ inline_cte() }} (

    select * from {{ ref('int_identity__contact_map') }}

),

{% if source_enabled('respondio') %}
respondio_users as (

    select * from {{ ref('stg_respondio__users') }}

),

respondio as (

    select
        'respondio:' || conversations.conversation_id as conversation_id,
        contact_map.contact_id,
        'respondio' as source_system,
        conversations.channel,
        case
            when conversations.opened_by = 'broadcast' or conversations.broadcast_id is not null then 'broadcast_reply'
        end as declared_source,
        case
            when conversations.assignee_user_id is null then 'unassigned'
            when users.is_ai_agent then 'ai_agent'
            else 'human'
        end as assignee_type,
        conversations.assignee_user_id as assignee_id,
        coalesce(conversations.assignee_team, users.team) as team,
        conversations.opened_at,
        conversations.closed_at,
        conversations.closing_category as resolution,
        cast(null as {{ dbt.type_string() }}) as declared_ad_id,
        cast(null as {{ dbt.type_string() }}) as declared_ctwa_clid,
        case
            when users._loaded_at > conversations._loaded_at then users._loaded_at
            else conversations._loaded_at
        end as _loaded_at
    from {{ ref('stg_respondio__conversations') }} as conversations
    left join respondio_users as users
        on conversations.assignee_user_id = users.user_id
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and conversations.contact_id = contact_map.record_id

),
{% endif %}

{% if source_enabled('files') %}
files as (

    select
        conversation_key as conversation_id,
        contact_id,
        source_system,
        channel,
        conversation_source as declared_source,
        case
            when assignee_type in ('human', 'ai_agent') then assignee_type
            when assignee_id is not null then 'human'
            else 'unassigned'
        end as assignee_type,
        assignee_id,
        team,
        opened_at,
        closed_at,
        resolution,
        ad_id as declared_ad_id,
        ctwa_clid as declared_ctwa_clid,
        _loaded_at
    from {{ files_with_contact('stg_files__conversations', 'conversation_key') }} as file_conversations

),
{% endif %}

declared_conversations as (

    {%- set parts = [] %}
    {%- if source_enabled('respondio') %}{% do parts.append('respondio') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

{% if incremental_target_is_current() %}
watermarks as (

    {{ incremental_watermarks() }}

),

rebuilt_messages as (

    select contact_id, conversation_id from messages
    where _built_at > (select built_until from watermarks)

),

loaded_conversations as (

    select contact_id, conversation_id from declared_conversations
    where _loaded_at > (select since from watermarks)

),

changed_contacts as (

    -- contacts whose messages were rebuilt or whose conversations were loaded since the last build, and
    -- the contact such a conversation had before; then the contacts whose identity changed
    select contact_id from rebuilt_messages
    union
    select contact_id from loaded_conversations
    union
    select stored.contact_id
    from {{ this }} as stored
    where stored.conversation_id in (
        select conversation_id from rebuilt_messages
        union all
        select conversation_id from loaded_conversations
    )
    union
    {{ identity_changed_contacts() }}

),

scoped_declared as (

    select * from declared_conversations
    where contact_id in (select contact_id from changed_contacts)

),

scoped_messages as (

    -- the changed contacts' messages, and every message of their declared conversations
    select * from messages
    where contact_id in (select contact_id from changed_contacts)
        or conversation_id in (select conversation_id from scoped_declared)

),
{% else %}
scoped_declared as (

    select * from declared_conversations

),

scoped_messages as (

    select * from messages

),
{% endif %}

first_agent_messages as (

    select
        conversation_id,
        sender_type,
        sender_id,
        row_number() over (
            partition by conversation_id
            order by sent_at, {{ byte_order('message_id') }}
        ) as agent_message_order
    from scoped_messages
    where direction = 'outbound' and sender_type in ('human', 'ai_agent')

),

derived_conversations as (

    select
        message_groups.conversation_id,
        message_groups.contact_id,
        message_groups.source_system,
        message_groups.channel,
        cast(null as {{ dbt.type_string() }}) as declared_source,
        coalesce(first_agent.sender_type, 'unassigned') as assignee_type,
        first_agent.sender_id as assignee_id,
        cast(null as {{ dbt.type_string() }}) as team,
        message_groups.opened_at,
        cast(null as {{ dbt.type_timestamp() }}) as closed_at,
        cast(null as {{ dbt.type_string() }}) as resolution,
        cast(null as {{ dbt.type_string() }}) as declared_ad_id,
        cast(null as {{ dbt.type_string() }}) as declared_ctwa_clid,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at
    from (
        select
            conversation_id,
            min(contact_id) as contact_id,
            min(source_system) as source_system,
            min(channel) as channel,
            min(sent_at) as opened_at
        from scoped_messages as messages
        where not exists (
                select 1 from declared_conversations
                where declared_conversations.conversation_id = messages.conversation_id
            )
        group by conversation_id
    ) as message_groups
    left join first_agent_messages as first_agent
        on message_groups.conversation_id = first_agent.conversation_id
        and first_agent.agent_message_order = 1

),

conversations as (

    select * from scoped_declared
    union all
    select * from derived_conversations

),

ranked_inbound as (

    select
        conversation_id,
        sent_at,
        has_ad_referral,
        referral_ad_id,
        ctwa_clid,
        row_number() over (
            partition by conversation_id
            order by sent_at, {{ byte_order('message_id') }}
        ) as inbound_order
    from scoped_messages
    where direction = 'inbound'

),

first_inbound as (

    select * from ranked_inbound
    where inbound_order = 1

),

ranked_responses as (

    select
        messages.conversation_id,
        messages.sent_at,
        messages.sender_type,
        messages.sender_id,
        row_number() over (
            partition by messages.conversation_id
            order by messages.sent_at, {{ byte_order('messages.message_id') }}
        ) as response_order
    from scoped_messages as messages
    inner join first_inbound
        on messages.conversation_id = first_inbound.conversation_id
    where messages.direction = 'outbound'
        and messages.sender_type in ('human', 'ai_agent')
        and messages.sent_at >= first_inbound.sent_at

),

first_response as (

    select * from ranked_responses
    where response_order = 1

),

message_counts as (

    select
        conversation_id,
        sum(case when direction = 'inbound' then 1 else 0 end) as inbound_messages,
        sum(case when direction = 'outbound' then 1 else 0 end) as outbound_messages,
        max(_loaded_at) as messages_loaded_at
    from scoped_messages
    group by conversation_id

),

final as (

    select
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(conversations.source_system as {{ dbt.type_string() }}) as source_system,
        cast(conversations.channel as {{ dbt.type_string() }}) as channel,
        cast(case
            when conversations.declared_source in ('ad_referral', 'organic', 'broadcast_reply')
                then conversations.declared_source
            when first_inbound.has_ad_referral then 'ad_referral'
            else 'organic'
        end as {{ dbt.type_string() }}) as source,
        cast(coalesce(conversations.declared_ad_id, first_inbound.referral_ad_id) as {{ dbt.type_string() }}) as ad_id,
        cast(coalesce(conversations.declared_ctwa_clid, first_inbound.ctwa_clid) as {{ dbt.type_string() }})
            as ctwa_clid,
        cast(conversations.assignee_type as {{ dbt.type_string() }}) as assignee_type,
        cast(conversations.assignee_id as {{ dbt.type_string() }}) as assignee_id,
        cast(conversations.team as {{ dbt.type_string() }}) as team,
        cast(conversations.opened_at as {{ dbt.type_timestamp() }}) as opened_at,
        cast(first_inbound.sent_at as {{ dbt.type_timestamp() }}) as first_inbound_at,
        cast(first_response.sent_at as {{ dbt.type_timestamp() }}) as first_response_at,
        cast({{ dbt.datediff('first_inbound.sent_at', 'first_response.sent_at', 'second') }} as {{ dbt.type_bigint() }})
            as first_response_seconds,
        cast(first_response.sender_type as {{ dbt.type_string() }}) as first_responder_type,
        cast(first_response.sender_id as {{ dbt.type_string() }}) as first_responder_id,
        cast(conversations.closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        cast(conversations.resolution as {{ dbt.type_string() }}) as resolution,
        cast(coalesce(message_counts.inbound_messages, 0) as {{ dbt.type_bigint() }}) as inbound_messages,
        cast(coalesce(message_counts.outbound_messages, 0) as {{ dbt.type_bigint() }}) as outbound_messages,
        cast(case
            when conversations._loaded_at is null then message_counts.messages_loaded_at
            when message_counts.messages_loaded_at > conversations._loaded_at then message_counts.messages_loaded_at
            else conversations._loaded_at
        end as {{ dbt.type_timestamp() }}) as _loaded_at,
        {{ lifecycle_run_time() }} as _built_at
    from conversations
    left join first_inbound
        on conversations.conversation_id = first_inbound.conversation_id
    left join first_response
        on conversations.conversation_id = first_response.conversation_id
    left join message_counts
        on conversations.conversation_id = message_counts.conversation_id

)

{{ contact_batch('final', 'changed_contacts') }}
