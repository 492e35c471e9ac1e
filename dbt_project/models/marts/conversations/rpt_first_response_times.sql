{#-
  First response time report, long format. Grain: one row per (dimension, dimension_value):
    dimension = overall | channel | team | agent | responder_type | hour_of_day | response_bucket
    dimension_value = the channel, the team, the first responder's name, human/ai_agent, the UTC hour
    (00-23) of the first inbound message, or the response-time bucket ('< 5 min' ... '> 24 h', 'no response')
    ('all' for overall; '(none)' when unknown). dimension_sort orders the values of a dimension (hour,
    bucket order; 0 elsewhere).
  Population: conversations with at least one inbound message (rpt_first_response_events). Unanswered
  conversations count in `conversations` and as "not within" in the shares; median and p90 are over answered
  ones. The agent and responder_type dimensions only hold answered conversations (the responder is who
  answered first).
-#}

with

events as (

    select * from {{ ref('rpt_first_response_events') }}

),

dimensioned as (

    {%- set dims = [
        ('overall', "'all'", "0"),
        ('channel', "channel", "0"),
        ('team', "team", "0"),
        ('agent', "first_responder_name", "0"),
        ('responder_type', "first_responder_type", "0"),
        ('hour_of_day', "right('0' || cast(hour_of_day as " ~ dbt.type_string() ~ "), 2)", "hour_of_day"),
        ('response_bucket', "response_bucket", "response_bucket_order"),
    ] %}
    {%- for name, expr, sort in dims %}
    select
        '{{ name }}' as dimension,
        cast({{ expr }} as {{ dbt.type_string() }}) as dimension_value,
        {{ sort }} as dimension_sort,
        conversation_id,
        first_response_seconds,
        first_responder_type,
        is_within_5_minutes,
        is_within_1_hour,
        is_within_24_hours
    from events
    {%- if name in ('agent', 'responder_type') %}
    where is_answered
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        dimension,
        dimension_value,
        cast(min(dimension_sort) as integer) as dimension_sort,
        count(*) as conversations,
        count(first_response_seconds) as answered_conversations,
        sum(case when first_responder_type = 'human' then 1 else 0 end) as answered_by_human,
        sum(case when first_responder_type = 'ai_agent' then 1 else 0 end) as answered_by_ai_agent,
        {{ lifecycle_avg('case when is_within_5_minutes then 1.0 else 0.0 end') }} as share_within_5_minutes,
        {{ lifecycle_avg('case when is_within_1_hour then 1.0 else 0.0 end') }} as share_within_1_hour,
        {{ lifecycle_avg('case when is_within_24_hours then 1.0 else 0.0 end') }} as share_within_24_hours,
        percentile_cont(0.5) within group (order by first_response_seconds) as median_first_response_seconds,
        percentile_cont(0.9) within group (order by first_response_seconds) as p90_first_response_seconds,
        avg(first_response_seconds) as mean_first_response_seconds
    from dimensioned
    group by dimension, dimension_value

)

select * from final
