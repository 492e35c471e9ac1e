-- One typed stream of lifecycle evidence per contact: every fact that can move a contact between stages,
-- from every source, on the resolved contact_id. Signal types and their columns: docs/lifecycle.md.
-- The derived `inactivity` signal fires `inactivity_days` (N) after an inbound message when no other inbound
-- message came by that instant: a reply at exactly N days is in time; with no reply, the contact is inactive
-- from the instant N days have passed (as of exactly N days counts). Measured up to the "as of" time: var
-- lifecycle_as_of, else the latest evidence in the data (so runs on the same data are deterministic).
--
-- Incremental by contact (macros/common/incremental.sql, docs/incremental.md). The message signals are the
-- big part: a run recomputes the contacts whose messages int_messages recomputed since this model was built
-- (its `_built_at`; that covers identity changes), or whose open inactivity signal the moved "as of" time
-- now fires or withdraws. The other evidence (tags, stages, orders, deals, surveys, consents, commerce events)
-- is small next to the messages and carries no load time, so it is derived in full and compared with the
-- stored signals: a contact with any difference is recomputed whole.
-- Rows keep a fingerprint of the lifecycle configuration (_config_key): a run under another configuration
-- (another preset, inactivity_days, qualified_tags) recomputes every contact.
{{ config(
    materialized=incremental_materialization(),
    unique_key='signal_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}
{%- set lc = lifecycle_config() %}
{%- set n_days = lc.inactivity_days %}
{%- set config_key = lifecycle_config_key() %}
{%- set incremental = incremental_target_is_current(extra=['_built_at', '_config_key'], config_key=config_key) %}
{%- set message_types = "('first_inbound_message', 'inbound_message', 'inactivity')" %}

with

-- read at each use in an incremental run, which needs a sliver of it (inline_cte); a full build reads it whole
messages as {{ inline_cte() if incremental }} (
    select * from {{ ref('int_messages') }}
),

stage_events as (
    select * from {{ ref('int_stage_events') }}
),

tag_events as (
    select * from {{ ref('int_tag_events') }}
),

commerce_events as (
    select * from {{ ref('int_commerce_events') }}
),

orders as (
    select * from {{ ref('int_orders') }}
),

deals as (
    select * from {{ ref('int_deals') }}
),

surveys as (
    select * from {{ ref('int_surveys') }}
),

consents as (
    select * from {{ ref('int_consents') }}
),

{#- the windows over a contact's inbound messages, and the message signals they give -#}
{%- set inbound_columns %}
        message_id,
        conversation_id,
        contact_id,
        source_system,
        channel,
        sender_type,
        sent_at,
        row_number() over (
            partition by contact_id
            order by sent_at, {{ byte_order('message_id') }}
        ) as contact_inbound_number,
        row_number() over (
            partition by contact_id, conversation_id order by sent_at, {{ byte_order('message_id') }}
        ) as conversation_inbound_number,
        lag(sent_at) over (
            partition by contact_id
            order by sent_at, {{ byte_order('message_id') }}
        ) as previous_inbound_at,
        lead(sent_at) over (partition by contact_id order by sent_at, {{ byte_order('message_id') }}) as next_inbound_at
    from messages
    where direction = 'inbound'
        and contact_id is not null
        and sent_at is not null
{%- endset %}
{%- set message_signal_columns %}
        {{ lifecycle_signal(
            signal_type="case when contact_inbound_number = 1 then 'first_inbound_message' else 'inbound_message' end",
            record_id='message_id', at='sent_at', conversation_id='conversation_id', channel='channel',
            changed_by='sender_type') }}
{%- endset %}
{%- set message_signal_filter %}
    where contact_inbound_number = 1
        or conversation_inbound_number = 1
        or {{ dbt.dateadd('day', n_days, 'previous_inbound_at') }} < sent_at
{%- endset %}
{%- set sequence_window -%}
    row_number() over (
            partition by contact_id, signal_type
            order by signal_at, {{ byte_order('source_system') }}, {{ byte_order('source_record_id') }}
        )
{%- endset %}
{#- the columns the comparison with the stored other evidence fingerprints (all but the sequence number) -#}
{%- set compared_columns = ['signal_id', 'contact_id', 'signal_type', 'signal_at', 'source_system', 'source_record_id',
                            'conversation_id', 'channel', 'signal_label', 'signal_reason', 'signal_value',
                            'changed_by_type'] %}
{#- a signal row as stored: the id, the typed columns, the sequence within the contact's signals of its type -#}
{%- set final_columns %}
        cast(
            {{ dbt.concat(["signal_type", "':'", "source_system", "':'", "source_record_id"]) }}
            as {{ dbt.type_string() }}
        ) as signal_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(signal_type as {{ dbt.type_string() }}) as signal_type,
        cast(signal_at as {{ dbt.type_timestamp() }}) as signal_at,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(signal_label as {{ dbt.type_string() }}) as signal_label,
        cast(signal_reason as {{ dbt.type_string() }}) as signal_reason,
        cast(signal_value as {{ lifecycle_double() }}) as signal_value,
        cast({{ sequence_window }} as integer) as signal_sequence,
        cast(changed_by_type as {{ dbt.type_string() }}) as changed_by_type
{%- endset %}

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

message_contacts as (
    -- contacts whose messages were recomputed, and the contact a recomputed message's signals are stored
    -- under (it moved, e.g. when identity merged two contacts: int_messages recomputes every message whose
    -- contact changed, so a contact merged away is found here or among the other evidence's differences)
    select contact_id from rebuilt_messages
    where contact_id is not null
    union
    select stored.contact_id
    from stored
    where stored.signal_type in {{ message_types }}
        and stored.source_record_id in (select message_id from rebuilt_messages)
),

recomputed_inbound as (
    select {{ inbound_columns }}
        and contact_id in (select contact_id from message_contacts)
),

recomputed_message_signals as (
    select {{ message_signal_columns }}
    from recomputed_inbound
    {{ message_signal_filter }}
),
{% endif %}

tag_signals as (
    select
        {{ lifecycle_signal(
            signal_type="case when action = 'removed' then 'tag_removed' else 'tag_added' end",
            record_id='event_id', at='event_at', label='lower(trim(tag))', changed_by='changed_by_type') }}
    from tag_events
    where tag is not null

    union all

    -- qualification through a tag (by an agent or an AI agent): the tags listed in `qualified_tags`
    select
        {{ lifecycle_signal(signal_type="'qualified'", record_id='event_id', at='event_at',
                            label='lower(trim(tag))', changed_by='changed_by_type') }}
    from tag_events
    where action = 'added'
        and {{ dbt.position("'|' || lower(trim(tag)) || '|'", lifecycle_label_list(lc.qualified_tags)) }} > 0
),

stage_signals as (
    select
        {{ lifecycle_signal(
            signal_type="case
                when stage_label is null or trim(stage_label) = '' then 'stage_cleared'
                when changed_by_type = 'crm' then 'crm_stage_changed'
                else 'stage_set'
            end",
            record_id='event_id', at='changed_at', label='lower(trim(stage_label))', reason='reason',
            changed_by='changed_by_type') }}
    from stage_events
),

commerce_signals as (
    select
        {{ lifecycle_signal(
            signal_type="case when event_name = 'purchase' then 'checkout_completed' else event_name end",
            record_id='event_id', at='occurred_at', label='event_name', value='value') }}
    from commerce_events
    where event_name in (
            'qualified', 'quote_sent', 'add_to_cart', 'checkout_started', 'checkout_completed',
            'payment', 'purchase', 'review', 'referral'
        )
),

purchases as (
    select
        orders.*,
        row_number() over (
            partition by orders.contact_id
            order by orders.ordered_at, {{ byte_order('orders.order_id') }}
        ) as purchase_number
    from orders
    where not coalesce(orders.is_cancelled, false)
        and coalesce(orders.status, '') <> 'pending'
),

order_signals as (
    select
        {{ lifecycle_signal(signal_type="'purchase'", record_id='order_id', at='ordered_at', label='status',
                            value='revenue') }}
    from purchases

    union all

    select
        {{ lifecycle_signal(signal_type="'repeat_purchase'", record_id='order_id', at='ordered_at', label='status',
                            value='revenue') }}
    from purchases
    where purchase_number >= 2

    union all

    select
        {{ lifecycle_signal(signal_type="'payment_pending'", record_id='order_id', at='ordered_at', label='status',
                            value='revenue') }}
    from orders
    where not coalesce(is_cancelled, false)
        and status = 'pending'
),

deal_signals as (
    select
        {{ lifecycle_signal(signal_type="'deal_created'", record_id='deal_id', at='created_at', label='lower(stage)',
                            value='amount', changed_by="'crm'") }}
    from deals
    where created_at is not null

    union all

    select
        {{ lifecycle_signal(
            signal_type="case when is_won then 'deal_won' else 'deal_lost' end",
            record_id='deal_id', at='closed_at',
            label='case when is_won then lower(stage) else lower(trim(lost_reason)) end',
            reason='case when is_won then null else lost_reason end',
            value='amount', changed_by="'crm'") }}
    from deals
    where is_closed
        and closed_at is not null
),

survey_signals as (
    select
        {{ lifecycle_signal(
            signal_type="case when survey_type = 'csat' then 'csat_answered' else 'nps_answered' end",
            record_id='response_id', at='answered_at', label='survey_type', value='score') }}
    from surveys
    where survey_type in ('nps', 'csat')
),

consent_signals as (
    select
        {{ lifecycle_signal(
            signal_type="case when status = 'opted_out' then 'consent_opted_out' else 'consent_opted_in' end",
            record_id='event_id', at='changed_at', channel='channel', label='lower(channel)',
            changed_by='source') }}
    from consents
    where status in ('opted_in', 'opted_out')
),

other_evidence as (
    select * from tag_signals
    union all
    select * from stage_signals
    union all
    select * from commerce_signals
    union all
    select * from order_signals
    union all
    select * from deal_signals
    union all
    select * from survey_signals
    union all
    select * from consent_signals
),

{% if incremental %}
other_by_contact as (
    -- the other evidence as it would be stored, one fingerprint per contact (see row_fingerprint), and its
    -- latest time for the "as of" (rows without a time are not stored; rows without a contact are not stored
    -- either, but their times count for the "as of")
    select
        contact_id,
        bit_xor(case when signal_at is not null then {{ row_fingerprint(compared_columns) }} end) as fingerprint,
        max(evidence_at) as last_evidence_at
    from (
        -- without the sequence window (the costliest step): a sequence number changes only when a signal of
        -- the same contact and type is added, removed, moved or re-timed, which the other columns show (the
        -- other evidence never shares a contact and type with the message signals)
        select
            {{ final_columns | replace(sequence_window, '0') }},
            other_evidence.signal_at as evidence_at
        from other_evidence
    ) as now_signals
    group by contact_id
),

stored_by_contact as (
    -- the same fingerprint of the stored other evidence, and the latest stored message signal
    select
        contact_id,
        bit_xor(
            case when signal_type not in {{ message_types }} then {{ row_fingerprint(compared_columns) }} end
        ) as fingerprint,
        max(
            case when signal_type in ('first_inbound_message', 'inbound_message') then signal_at end
        ) as last_message_signal_at
    from stored
    group by contact_id
),

as_of as (
    -- the latest evidence: the other evidence, the recomputed message signals, and the stored message
    -- signals of everyone else (their messages did not change)
    select coalesce({{ lifecycle_as_of_literal() }}, max(latest_at)) as as_of_at
    from (
        select max(last_evidence_at) as latest_at from other_by_contact
        union all
        select max(signal_at) from recomputed_message_signals
        union all
        select max(stored_by_contact.last_message_signal_at)
        from stored_by_contact
        where not exists (
            select 1 from message_contacts where message_contacts.contact_id = stored_by_contact.contact_id
        )
    ) as latest
),

last_inbound as (
    select
        contact_id,
        max(sent_at) as last_inbound_at
    from messages
    where direction = 'inbound'
        and contact_id is not null
        and sent_at is not null
    group by contact_id
),

inactivity_due as (
    -- contacts whose open inactivity signal (N days after the last inbound message, with no reply since)
    -- the "as of" time now fires, or no longer fires
    select last_inbound.contact_id
    from last_inbound
    cross join as_of
    left join (
        select distinct
            contact_id,
            signal_at
        from stored
        where signal_type = 'inactivity'
    ) as stored_inactivity
        on last_inbound.contact_id = stored_inactivity.contact_id
        and {{ dbt.dateadd('day', n_days, 'last_inbound.last_inbound_at') }} = stored_inactivity.signal_at
    where case
        when {{ dbt.dateadd('day', n_days, 'last_inbound.last_inbound_at') }} <= as_of.as_of_at then 1 else 0
    end <> case when stored_inactivity.contact_id is null then 0 else 1 end
),

other_differences as (
    -- contacts whose other evidence, as derived now, differs from the stored one in any signal: one added,
    -- removed or changed (a signal that moved changes both contacts' fingerprints)
    select coalesce(now_contacts.contact_id, stored_by_contact.contact_id) as contact_id
    from (
        select * from other_by_contact
        where contact_id is not null
    ) as now_contacts
    full outer join stored_by_contact
        on now_contacts.contact_id = stored_by_contact.contact_id
    where now_contacts.fingerprint is distinct from stored_by_contact.fingerprint
),

changed_contacts as (
    select contact_id from message_contacts
    union
    select contact_id from inactivity_due
    union
    select contact_id from other_differences
),

changed_other_evidence as (
    select * from other_evidence
    where contact_id in (select contact_id from changed_contacts)
),
{% endif %}

inbound as (
    select {{ inbound_columns }}
    {%- if incremental %}
        and contact_id in (select contact_id from changed_contacts)
    {%- endif %}
),

message_signals as (
    select {{ message_signal_columns }}
    from inbound
    {{ message_signal_filter }}
),

{% if not incremental %}
as_of as (
    select coalesce({{ lifecycle_as_of_literal() }}, max(signal_at)) as as_of_at
    from (
        select signal_at from message_signals
        union all
        select signal_at from other_evidence
    ) as evidence
),
{% endif %}

inactivity_signals as (
    select
        {{ lifecycle_signal(
            signal_type="'inactivity'", record_id='inbound.message_id',
            at=dbt.dateadd('day', n_days, 'inbound.sent_at'), conversation_id='inbound.conversation_id',
            channel='inbound.channel', value=n_days ~ '', source_system='inbound.source_system',
            contact_id='inbound.contact_id') }}
    from inbound
    cross join as_of
    where {{ dbt.dateadd('day', n_days, 'inbound.sent_at') }} < inbound.next_inbound_at
        or (
            inbound.next_inbound_at is null
            and {{ dbt.dateadd('day', n_days, 'inbound.sent_at') }} <= as_of.as_of_at
        )
),

all_signals as (
    select * from message_signals
    union all
    select * from {{ 'changed_other_evidence' if incremental else 'other_evidence' }}
    where contact_id is not null
        and signal_at is not null
    union all
    select * from inactivity_signals
),

final as (
    select
        {{ final_columns }},
        {{ lifecycle_run_time() }} as _built_at,
        cast('{{ config_key }}' as {{ dbt.type_string() }}) as _config_key
    from all_signals
)

{{ contact_batch('final', 'changed_contacts', bookkeeping=['_built_at', '_config_key'], current=incremental) }}
