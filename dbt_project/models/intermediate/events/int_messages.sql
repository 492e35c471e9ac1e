{#-
  Every message of every conversation, one row per message, from respond.io and file drops, with the resolved
  contact. Ids are prefixed with the source system ('respondio:123', '<source_system>:<id>') so they never
  collide across sources. sender_type vocabulary: contact, human, ai_agent, automation, broadcast.

  Messages that arrive without a conversation (respond.io's API has no conversation read endpoint; exports
  may omit it) are grouped into derived conversations per source, contact and channel: a new conversation
  starts when more than var `conversation_session_gap_hours` (default 24) passed since the previous message.
  Derived ids ('<source>:derived:<contact>:<channel>:<n>') only grow as messages are appended; a backfill of
  older messages can renumber that contact's derived conversations.
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

{% if source_enabled('respondio') %}
respondio_messages as (

    select * from {{ ref('stg_respondio__messages') }}

),

respondio_users as (

    select * from {{ ref('stg_respondio__users') }}

),

respondio as (

    select
        'respondio:' || messages.message_id as message_id,
        'respondio:' || messages.conversation_id as conversation_id,
        contact_map.contact_id,
        'respondio' as source_system,
        messages.channel,
        case when messages.traffic = 'incoming' then 'inbound' else 'outbound' end as direction,
        case
            when messages.traffic = 'incoming' or messages.sender_type = 'contact' then 'contact'
            when messages.sender_type = 'ai_agent' then 'ai_agent'
            when messages.sender_type = 'user' and users.is_ai_agent then 'ai_agent'
            when messages.sender_type = 'user' then 'human'
            when messages.sender_type = 'broadcast' then 'broadcast'
            -- workflow, api and echo (sent outside the inbox, e.g. by an integration) are automation
            else 'automation'
        end as sender_type,
        messages.sender_user_id as sender_id,
        messages.sent_at,
        messages.referral_ad_id,
        messages.ctwa_clid,
        messages.referral_source_type = 'ad'
        or messages.referral_ad_id is not null
        or messages.ctwa_clid is not null as has_ad_referral
    from respondio_messages as messages
    left join respondio_users as users
        on messages.sender_user_id = users.user_id
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and messages.contact_id = contact_map.record_id

),
{% endif %}

{% if source_enabled('files') %}
files as (

    select
        message_key as message_id,
        source_system || ':' || conversation_id as conversation_id,
        contact_id,
        source_system,
        channel,
        direction,
        case when direction = 'inbound' then 'contact' else coalesce(sender_type, 'automation') end as sender_type,
        sender_id,
        sent_at,
        cast(null as {{ dbt.type_string() }}) as referral_ad_id,
        cast(null as {{ dbt.type_string() }}) as ctwa_clid,
        false as has_ad_referral
    from {{ files_with_contact('stg_files__messages', 'message_key') }} as file_messages

),
{% endif %}

unioned as (

    {% if source_enabled('respondio') %}select * from respondio{% endif %}
    {% if source_enabled('respondio') and source_enabled('files') %}union all{% endif %}
    {% if source_enabled('files') %}select * from files{% endif %}

),

without_conversation as (

    select
        message_id,
        source_system,
        contact_id,
        coalesce(channel, 'unknown') as channel,
        sent_at,
        lag(sent_at) over (
            partition by source_system, contact_id, coalesce(channel, 'unknown') order by sent_at, message_id
        ) as previous_sent_at
    from unioned
    where conversation_id is null

),

sessions as (

    select
        message_id,
        source_system || ':derived:' || coalesce(contact_id, 'unknown') || ':' || channel || ':'
        || cast(sum(
            case
                when previous_sent_at is null
                    or {{ dbt.datediff('previous_sent_at', 'sent_at', 'second') }}
                    > {{ project_var('conversation_session_gap_hours') }} * 3600
                    then 1
                else 0
            end
        ) over (
            partition by source_system, contact_id, channel order by sent_at, message_id
            rows between unbounded preceding and current row
        ) as {{ dbt.type_string() }}) as derived_conversation_id
    from without_conversation

),

final as (

    select
        unioned.message_id,
        coalesce(unioned.conversation_id, sessions.derived_conversation_id) as conversation_id,
        unioned.contact_id,
        unioned.source_system,
        unioned.channel,
        unioned.direction,
        unioned.sender_type,
        unioned.sender_id,
        unioned.sent_at,
        unioned.referral_ad_id,
        unioned.ctwa_clid,
        unioned.has_ad_referral
    from unioned
    left join sessions
        on unioned.message_id = sessions.message_id

)

select * from final
