{#-
  Every message of every conversation, one row per message, from respond.io and file drops, with the resolved
  contact. Ids are prefixed with the source system ('respondio:123', '<source_system>:<id>') so they never
  collide across sources. sender_type vocabulary: contact, human, ai_agent, automation, broadcast.

  Messages that arrive without a conversation (respond.io's API has no conversation read endpoint; exports
  may omit it) are grouped into derived conversations per source, contact and channel: a new conversation
  starts when more than var `conversation_session_gap_hours` (default 24) passed since the previous message.
  Derived ids ('<source>:derived:<contact>:<channel>:<n>') only grow as messages are appended; a backfill of
  older messages can renumber that contact's derived conversations.

  Incremental by contact (macros/common/incremental.sql): a run recomputes every message of the contacts
  with a message (or a sender) loaded since the last build, or whose identity changed; _loaded_at is the
  latest load of the message and its sender.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='message_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}

{%- set incremental = incremental_target_is_current() %}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

{% if incremental %}
watermarks as (

    {{ incremental_watermarks() }}

),
{% endif %}

{% if source_enabled('respondio') %}
respondio_users as (

    select * from {{ ref('stg_respondio__users') }}

),

{% if incremental %}
-- respond.io messages loaded since the last build, or sent by a user loaded since: filtered on the raw
-- scan, before any join
respondio_loaded as (

    select
        'respondio:' || messages.message_id as message_id,
        contact_map.contact_id
    from {{ ref('stg_respondio__messages') }} as messages
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and messages.contact_id = contact_map.record_id
    where messages._loaded_at > (select since from watermarks)
        or messages.sender_user_id in (
            select user_id from respondio_users where _loaded_at > (select since from watermarks)
        )

),
{% endif %}
{% endif %}

{% if source_enabled('files') %}
files_all as (

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
        false as has_ad_referral,
        _loaded_at
    from {{ files_with_contact('stg_files__messages', 'message_key') }} as file_messages

),
{% endif %}

{% if incremental %}
loaded_since as (

    {% if source_enabled('respondio') %}
    select message_id, contact_id from respondio_loaded
    {% endif %}
    {% if source_enabled('respondio') and source_enabled('files') %}union all{% endif %}
    {% if source_enabled('files') %}
    select message_id, contact_id from files_all
    where _loaded_at > (select since from watermarks)
    {% endif %}

),

changed_contacts as (

    -- contacts with a message (or its sender) loaded since the last build, and the contact a re-loaded
    -- message had before; then the contacts whose identity changed
    select contact_id from loaded_since
    union
    select stored.contact_id
    from {{ this }} as stored
    where stored.message_id in (select message_id from loaded_since)
    union
    {{ identity_changed_contacts() }}

),
{% endif %}

{% if source_enabled('respondio') %}
respondio_messages as (

    select * from {{ ref('stg_respondio__messages') }}
    {%- if incremental %}
    -- only the messages of the changed contacts' respond.io records (a semi-join on the raw scan)
    where contact_id in (
        select record_id from contact_map
        where record_source = 'respondio_contact'
            and contact_id in (select contact_id from changed_contacts)
    )
    {%- endif %}

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
        or messages.ctwa_clid is not null as has_ad_referral,
        case
            when users._loaded_at > messages._loaded_at then users._loaded_at
            else messages._loaded_at
        end as _loaded_at
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

    select * from files_all
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),
{% endif %}

batch as (

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
            partition by source_system, contact_id, coalesce(channel, 'unknown')
            order by sent_at, {{ byte_order('message_id') }}
        ) as previous_sent_at
    from batch
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
            partition by source_system, contact_id, channel order by sent_at, {{ byte_order('message_id') }}
            rows between unbounded preceding and current row
        ) as {{ dbt.type_string() }}) as derived_conversation_id
    from without_conversation

),

final as (

    select
        batch.message_id,
        coalesce(batch.conversation_id, sessions.derived_conversation_id) as conversation_id,
        batch.contact_id,
        batch.source_system,
        batch.channel,
        batch.direction,
        batch.sender_type,
        batch.sender_id,
        batch.sent_at,
        batch.referral_ad_id,
        batch.ctwa_clid,
        batch.has_ad_referral,
        batch._loaded_at,
        {{ lifecycle_run_time() }} as _built_at
    from batch
    left join sessions
        on batch.message_id = sessions.message_id

)

{{ contact_batch('final', 'changed_contacts') }}
