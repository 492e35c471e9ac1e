{#-
  First responses as events: one row per conversation with an inbound message, dated by its first inbound
  message, with the dimensions every dashboard filter uses (channel, ad platform and campaign of the
  conversation's ad, team, first responder with its name, human or AI agent, hour of day, response bucket).
  Medians and percentiles over a chosen date range are taken over these rows (they do not add up across
  days); rpt_first_response_times is the all-time report built from the same rows.
-#}
{%- set seconds = 'conversations.first_response_seconds' %}

with

conversations as (

    select * from {{ ref('fct_conversations') }}
    where first_inbound_at is not null

),

-- one row per ad id (a conversation knows only the ad id)
ads as (

    select
        ad_id,
        min(platform) as platform,
        min(campaign_id) as campaign_id,
        min(campaign_name) as campaign_name
    from {{ ref('int_ad_performance__ads') }}
    group by ad_id

),

{% if source_enabled('respondio') %}
users as (

    select
        user_id as agent_id,
        trim({{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}) as agent_name
    from {{ ref('stg_respondio__users') }}

),

-- the agent breakdown groups by name: two agents of one name (two "Sam Lee"s in a large inbox) would be
-- one row, so a name that several agents share carries each one's id
agents as (

    select
        agent_id,
        case
            when agent_name <> '' and count(*) over (partition by agent_name) > 1
                then {{ dbt.concat(["agent_name", "' ('", "agent_id", "')'"]) }}
            else agent_name
        end as agent_name
    from users

),
{% else %}
agents as (

    select
        cast(null as {{ dbt.type_string() }}) as agent_id,
        cast(null as {{ dbt.type_string() }}) as agent_name
    where 1 = 0

),
{% endif %}

final as (

    select
        cast(conversations.conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(conversations.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(conversations.first_inbound_at as {{ dbt.type_timestamp() }}) as first_inbound_at,
        cast(conversations.first_inbound_at as date) as first_inbound_date,
        cast(extract(hour from conversations.first_inbound_at) as integer) as hour_of_day,
        cast(coalesce(conversations.channel, '(none)') as {{ dbt.type_string() }}) as channel,
        cast(conversations.source as {{ dbt.type_string() }}) as source,
        cast(coalesce(ads.platform, 'organic') as {{ dbt.type_string() }}) as platform,
        cast(ads.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ads.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(coalesce(conversations.team, '(none)') as {{ dbt.type_string() }}) as team,
        cast(conversations.first_responder_id as {{ dbt.type_string() }}) as first_responder_id,
        cast(
            case
                when conversations.first_responder_id is null then null
                when agents.agent_name is null or agents.agent_name = ''
                    then {{ dbt.concat(["'Agent '", "conversations.first_responder_id"]) }}
                else agents.agent_name
            end as {{ dbt.type_string() }}
        ) as first_responder_name,
        cast(conversations.first_responder_type as {{ dbt.type_string() }}) as first_responder_type,
        cast(conversations.first_response_seconds as {{ dbt.type_bigint() }}) as first_response_seconds,
        cast(conversations.first_response_seconds is not null as boolean) as is_answered,
        cast(coalesce(conversations.first_response_seconds <= 300, false) as boolean) as is_within_5_minutes,
        cast(coalesce(conversations.first_response_seconds <= 3600, false) as boolean) as is_within_1_hour,
        cast(coalesce(conversations.first_response_seconds <= 86400, false) as boolean) as is_within_24_hours,
        cast(
            {{ lifecycle_response_bucket(seconds, 'conversations.conversation_id') }}
            as {{ dbt.type_string() }}
        ) as response_bucket,
        cast(
            {{ lifecycle_response_bucket_order(seconds, 'conversations.conversation_id') }}
            as integer
        ) as response_bucket_order
    from conversations
    left join ads
        on conversations.ad_id = ads.ad_id
    left join agents
        on conversations.first_responder_id = agents.agent_id

)

select * from final
