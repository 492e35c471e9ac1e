{#-
  First response time report, long format. Grain: one row per (dimension, dimension_value):
    dimension = overall | channel | team | agent | responder_type | hour_of_day
    dimension_value = the channel, the team, the first responder's agent id, human/ai_agent, or the UTC hour
    (00-23) of the first inbound message ('all' for overall; '(none)' when unknown).
  Population: conversations with at least one inbound message. Unanswered conversations count in
  `conversations` and as "not within" in the shares; median and p90 are over answered ones. The agent and
  responder_type dimensions only hold answered conversations (the responder is who answered first).
-#}

with

conversations as (

    select * from {{ ref('fct_conversations') }}
    where first_inbound_at is not null

),

dimensioned as (

    {%- set dims = [
        ('overall', "'all'"),
        ('channel', "coalesce(channel, '(none)')"),
        ('team', "coalesce(team, '(none)')"),
        ('agent', "first_responder_id"),
        ('responder_type', "first_responder_type"),
        ('hour_of_day', "right('0' || cast(extract(hour from first_inbound_at) as " ~ dbt.type_string() ~ "), 2)"),
    ] %}
    {%- for name, expr in dims %}
    select
        '{{ name }}' as dimension,
        cast({{ expr }} as {{ dbt.type_string() }}) as dimension_value,
        conversation_id,
        first_response_seconds,
        first_responder_type
    from conversations
    {%- if name in ('agent', 'responder_type') %}
    where first_response_seconds is not null
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        dimension,
        dimension_value,
        count(*) as conversations,
        count(first_response_seconds) as answered_conversations,
        sum(case when first_responder_type = 'human' then 1 else 0 end) as answered_by_human,
        sum(case when first_responder_type = 'ai_agent' then 1 else 0 end) as answered_by_ai_agent,
        avg(case when first_response_seconds <= 300 then 1.0 else 0.0 end) as share_within_5_minutes,
        avg(case when first_response_seconds <= 3600 then 1.0 else 0.0 end) as share_within_1_hour,
        avg(case when first_response_seconds <= 86400 then 1.0 else 0.0 end) as share_within_24_hours,
        percentile_cont(0.5) within group (order by first_response_seconds) as median_first_response_seconds,
        percentile_cont(0.9) within group (order by first_response_seconds) as p90_first_response_seconds,
        avg(first_response_seconds) as mean_first_response_seconds
    from dimensioned
    group by dimension, dimension_value

)

select * from final
