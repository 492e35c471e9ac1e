{#-
  Marketing touchpoints, one row per touch, for attribution: click-to-message ad referrals (inbound messages
  carrying an ad referral), the first inbound message of every other conversation (broadcast_reply when a
  broadcast came before it in the conversation, else organic_inbound), storefront visits with UTM parameters
  or click ids (the first event per contact, click id / campaign and day; ad_click with a click id or a paid
  medium, email_click, broadcast_click, else utm_visit), and file-drop touchpoints (with their optional
  marketing_channel).
  platform: meta for fbclid/ctwa_clid and respond.io ad referrals, tiktok for ttclid, google for gclid,
  else the utm_source as written.

  Incremental by contact (macros/common/incremental.sql, docs/incremental.md). The message touchpoints are the
  big part: a run recomputes the contacts whose messages int_messages recomputed since this model was built
  (its `_built_at`; that covers identity changes and late messages), and the contact a recomputed message's
  touchpoint is stored under. The storefront and file-drop touchpoints carry no load time here and are small
  next to the messages: they are derived in full and compared with the stored ones, and a contact with any
  difference is recomputed whole.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='touchpoint_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}
{%- set incremental = incremental_target_is_current(extra=['_built_at']) %}
{#- a stored touchpoint that came from a message (the others are storefront 'web:' and file-drop ids) -#}
{%- set stored_message_touchpoint = "(stored.touchpoint_id like 'ctm:%' or stored.touchpoint_id like 'inbound:%')" %}
{%- set columns = ['touchpoint_id', 'contact_id', 'source_system', 'touchpoint_type', 'platform', 'campaign_id',
                   'ad_id', 'click_id', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_content',
                   'marketing_channel', 'occurred_at'] %}


with

messages as {{ inline_cte() }} (

    select * from {{ ref('int_messages') }}

),

storefront as (

    select
        'web:' || event_id as touchpoint_id,
        contact_id,
        source_system,
        case
            when coalesce(fbclid, ttclid, gclid) is not null then 'ad_click'
            when lower(utm_medium) like '%email%' or lower(utm_medium) = 'newsletter' then 'email_click'
            when lower(utm_medium) like '%broadcast%' then 'broadcast_click'
            when lower(utm_medium) in ('cpc', 'ppc', 'paid_social', 'paidsocial', 'paid', 'display', 'cpm')
                then 'ad_click'
            else 'utm_visit'
        end as touchpoint_type,
        case
            when fbclid is not null then 'meta'
            when ttclid is not null then 'tiktok'
            when gclid is not null then 'google'
            else lower(utm_source)
        end as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        coalesce(fbclid, ttclid, gclid) as click_id,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        occurred_at,
        row_number() over (
            partition by
                contact_id, coalesce(fbclid, ttclid, gclid, utm_campaign, utm_source), cast(occurred_at as date)
            order by occurred_at, {{ byte_order('event_id') }}
        ) as touch_order
    from {{ ref('int_commerce_events') }}
    where source_system = 'shop'
        and coalesce(fbclid, ttclid, gclid, utm_source) is not null

),

files as (

    select
        touchpoint_key as touchpoint_id,
        contact_id,
        source_system,
        touchpoint_type,
        platform,
        campaign_id,
        ad_id,
        click_id,
        utm_source,
        utm_medium,
        utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        marketing_channel,
        occurred_at
    from {{ files_with_contact('stg_files__touchpoints', 'touchpoint_key') }} as file_touchpoints

),

-- the storefront and file-drop touchpoints (no load time here: derived in full, compared when incremental)
other_touchpoints as (

    select {{ columns | join(', ') }}
    from storefront
    where touch_order = 1

    {% if source_enabled('files') %}
    union all

    select * from files
    {% endif %}

),

{% if incremental %}
built as (

    {{ incremental_built() }}

),

stored as {{ inline_cte() }} (

    select * from {{ this }}

),

rebuilt_messages as (

    -- the messages int_messages recomputed since this model was last built
    select
        message_id,
        contact_id
    from messages
    where _built_at > (select built_until from built)

),

other_differences as (

    -- storefront and file-drop touchpoints added, removed or changed (including moved to another contact)
    select
        derived.contact_id as derived_contact_id,
        previous.contact_id as previous_contact_id
    from other_touchpoints as derived
    full outer join (
        select * from stored
        where not {{ stored_message_touchpoint }}
    ) as previous
        on derived.touchpoint_id = previous.touchpoint_id
    where derived.touchpoint_id is null
        or previous.touchpoint_id is null
        {%- for col in columns[1:] %}
        or derived.{{ col }} is distinct from previous.{{ col }}
        {%- endfor %}

),

changed_contacts as (

    -- contacts whose messages were recomputed (late messages, identity changes: int_messages recomputes every
    -- message whose contact changed)
    select contact_id from rebuilt_messages
    where contact_id is not null

    union

    -- the contact a recomputed message's touchpoint is stored under (the message moved to another contact)
    select stored.contact_id
    from stored
    where {{ stored_message_touchpoint }}
        and substr(stored.touchpoint_id, {{ dbt.position("':'", 'stored.touchpoint_id') }} + 1)
            in (select message_id from rebuilt_messages)

    union

    -- both contacts of a storefront or file-drop touchpoint that differs
    select derived_contact_id from other_differences
    where derived_contact_id is not null

    union

    select previous_contact_id from other_differences
    where previous_contact_id is not null

),
{% endif %}

scoped_messages as (

    select * from messages
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),

ad_referrals as (

    select
        'ctm:' || message_id as touchpoint_id,
        contact_id,
        source_system,
        'ctm_referral' as touchpoint_type,
        case when channel = 'tiktok' then 'tiktok' else 'meta' end as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        referral_ad_id as ad_id,
        ctwa_clid as click_id,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        sent_at as occurred_at
    from scoped_messages
    where direction = 'inbound'
        and has_ad_referral

),

conversation_messages as (

    select
        message_id,
        contact_id,
        source_system,
        channel,
        sent_at,
        direction,
        has_ad_referral,
        row_number() over (
            partition by conversation_id, direction order by sent_at, {{ byte_order('message_id') }}
        ) as direction_order,
        max(case when has_ad_referral then 1 else 0 end) over (
            partition by conversation_id
        ) as conversation_has_referral,
        min(case when sender_type = 'broadcast' then sent_at end) over (
            partition by conversation_id
        ) as first_broadcast_at
    from scoped_messages

),

inbound_starts as (

    select
        'inbound:' || message_id as touchpoint_id,
        contact_id,
        source_system,
        case
            when first_broadcast_at <= sent_at then 'broadcast_reply'
            else 'organic_inbound'
        end as touchpoint_type,
        coalesce(channel, 'unknown') as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        cast(null as {{ dbt.type_string() }}) as click_id,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_string() }}) as utm_content,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        sent_at as occurred_at
    from conversation_messages
    where direction = 'inbound'
        and direction_order = 1
        and conversation_has_referral = 0

),

final as (

    select * from ad_referrals

    union all

    select * from inbound_starts

    union all

    select * from other_touchpoints
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),

with_bookkeeping as (

    select
        final.*,
        {{ lifecycle_run_time() }} as _built_at
    from final

)

{{ contact_batch('with_bookkeeping', 'changed_contacts', bookkeeping=['_built_at'], current=incremental) }}
