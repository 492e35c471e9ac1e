-- One row per funnel entry (contact x funnel episode): when and how the contact entered, how far it got,
-- whether it was won or lost (to which lost stage, from which stage, why), and the entry conversation's
-- channel, source, ad, campaign and first response time. The base of every lifecycle report.
{%- set config = lifecycle_config() %}

with

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

conversations as (
    select * from {{ ref('fct_conversations') }}
),

-- one row per ad id (a conversation knows only the ad id), with its ad set and campaign names
ads as (
    select
        ad_id,
        min(ad_name) as ad_name,
        min(ad_set_id) as ad_set_id,
        min(ad_set_name) as ad_set_name,
        min(campaign_id) as campaign_id,
        min(campaign_name) as campaign_name
    from {{ ref('int_ad_performance__ads') }}
    group by ad_id
),

entries as (
    select
        contact_id,
        funnel_episode,
        funnel_entry_at,
        stage as entry_stage,
        entered_by_signal as entry_signal,
        conversation_id as entry_signal_conversation_id
    from spells
    where is_funnel_entry
),

episode_progress as (
    select
        contact_id,
        funnel_episode,
        max(case when not is_lost_stage then stage_order end) as max_stage_order,
        -- won: reached the won stage or a later one (a skip past it counts, like every funnel stage)
        min(case when not is_lost_stage and stage_order >= {{ config.won_order }} then entered_at end) as won_at,
        min(case when is_lost_stage then spell_number end) as first_lost_spell_number,
        max(case when is_current then 1 else 0 end) as has_current_spell
    from spells
    group by contact_id, funnel_episode
),

lost_spells as (
    select
        spells.contact_id,
        spells.funnel_episode,
        spells.stage as lost_stage,
        spells.previous_stage as lost_from_stage,
        spells.lost_reason,
        spells.entered_at as lost_at
    from spells
    inner join episode_progress
        on spells.contact_id = episode_progress.contact_id
        and spells.funnel_episode = episode_progress.funnel_episode
        and spells.spell_number = episode_progress.first_lost_spell_number
),

max_stage as (
    select
        stage_order,
        stage_name as stage
    from {{ ref('int_lifecycle__stages') }}
    where not is_lost_stage
),

-- the conversation the entry happened in: the entry signal's own conversation when it is a message,
-- else the contact's latest conversation opened at or before the entry
conversation_candidates as (
    select
        entries.contact_id,
        entries.funnel_episode,
        conversations.conversation_id,
        row_number() over (
            partition by entries.contact_id, entries.funnel_episode
            order by
                case when conversations.conversation_id = entries.entry_signal_conversation_id then 0 else 1 end,
                conversations.opened_at desc,
                conversations.conversation_id asc
        ) as conversation_rank
    from entries
    inner join conversations
        on entries.contact_id = conversations.contact_id
        and (
            entries.entry_signal_conversation_id = conversations.conversation_id
            or entries.funnel_entry_at >= conversations.opened_at
        )
),

entry_conversations as (
    select
        conversation_candidates.contact_id,
        conversation_candidates.funnel_episode,
        conversations.conversation_id,
        conversations.channel,
        conversations.source,
        conversations.ad_id,
        conversations.first_response_seconds
    from conversation_candidates
    inner join conversations
        on conversation_candidates.conversation_id = conversations.conversation_id
    where conversation_candidates.conversation_rank = 1
),

joined as (
    select
        entries.contact_id,
        entries.funnel_episode,
        entries.funnel_entry_at,
        entries.entry_stage,
        entries.entry_signal,
        entry_conversations.conversation_id as entry_conversation_id,
        coalesce(entry_conversations.channel, 'unknown') as entry_channel,
        coalesce(entry_conversations.source, 'unknown') as entry_source,
        entry_conversations.ad_id as entry_ad_id,
        ads.campaign_id as entry_campaign_id,
        ads.campaign_name as entry_campaign_name,
        ads.ad_set_id as entry_ad_set_id,
        ads.ad_set_name as entry_ad_set_name,
        ads.ad_name as entry_ad_name,
        entry_conversations.first_response_seconds,
        episode_progress.max_stage_order,
        max_stage.stage as max_stage,
        episode_progress.won_at,
        lost_spells.lost_stage,
        lost_spells.lost_from_stage,
        lost_spells.lost_reason,
        lost_spells.lost_at,
        episode_progress.has_current_spell
    from entries
    inner join episode_progress
        on entries.contact_id = episode_progress.contact_id
        and entries.funnel_episode = episode_progress.funnel_episode
    left join max_stage
        on episode_progress.max_stage_order = max_stage.stage_order
    left join lost_spells
        on entries.contact_id = lost_spells.contact_id
        and entries.funnel_episode = lost_spells.funnel_episode
    left join entry_conversations
        on entries.contact_id = entry_conversations.contact_id
        and entries.funnel_episode = entry_conversations.funnel_episode
    left join ads
        on entry_conversations.ad_id = ads.ad_id
),

final as (
    select
        cast(
            {{ dbt.concat(["contact_id", "':'", "cast(funnel_episode as " ~ dbt.type_string() ~ ")"]) }}
            as {{ dbt.type_string() }}
        ) as funnel_entry_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(funnel_episode as integer) as funnel_episode,
        cast(funnel_entry_at as {{ dbt.type_timestamp() }}) as funnel_entry_at,
        cast({{ dbt.date_trunc('week', 'funnel_entry_at') }} as date) as entry_week,
        cast({{ dbt.date_trunc('month', 'funnel_entry_at') }} as date) as entry_month,
        cast(entry_stage as {{ dbt.type_string() }}) as entry_stage,
        cast(entry_signal as {{ dbt.type_string() }}) as entry_signal,
        cast(entry_conversation_id as {{ dbt.type_string() }}) as entry_conversation_id,
        cast(entry_channel as {{ dbt.type_string() }}) as entry_channel,
        cast(entry_source as {{ dbt.type_string() }}) as entry_source,
        cast(entry_ad_id as {{ dbt.type_string() }}) as entry_ad_id,
        cast(coalesce(entry_campaign_id, 'none') as {{ dbt.type_string() }}) as entry_campaign_id,
        cast(entry_campaign_name as {{ dbt.type_string() }}) as entry_campaign_name,
        cast(entry_ad_set_id as {{ dbt.type_string() }}) as entry_ad_set_id,
        cast(entry_ad_set_name as {{ dbt.type_string() }}) as entry_ad_set_name,
        cast(entry_ad_name as {{ dbt.type_string() }}) as entry_ad_name,
        cast(first_response_seconds as {{ lifecycle_double() }}) as first_response_seconds,
        cast(
            {{ lifecycle_response_bucket('first_response_seconds', 'entry_conversation_id') }}
            as {{ dbt.type_string() }}
        ) as first_response_bucket,
        cast(
            {{ lifecycle_response_bucket_order('first_response_seconds', 'entry_conversation_id') }}
            as integer
        ) as first_response_bucket_order,
        cast(max_stage_order as integer) as max_stage_order,
        cast(max_stage as {{ dbt.type_string() }}) as max_stage,
        cast(won_at is not null as boolean) as is_won,
        cast(won_at as {{ dbt.type_timestamp() }}) as won_at,
        cast(lost_stage is not null as boolean) as is_lost,
        cast(lost_stage as {{ dbt.type_string() }}) as lost_stage,
        cast(lost_from_stage as {{ dbt.type_string() }}) as lost_from_stage,
        cast(lost_reason as {{ dbt.type_string() }}) as lost_reason,
        cast(lost_at as {{ dbt.type_timestamp() }}) as lost_at,
        cast(has_current_spell = 1 as boolean) as is_current_episode
    from joined
)

select * from final
