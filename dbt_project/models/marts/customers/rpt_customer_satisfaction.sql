{#-
  NPS and CSAT by month of the answer and channel (the channel of the surveyed conversation, else the
  contact's first channel, else 'unknown'). NPS = 100 x (promoters 9-10 - detractors 0-6) / answers;
  CSAT average of 1-5 and the satisfied rate (4 or 5).
-#}

with

surveys as (

    select * from {{ ref('int_surveys') }}

),

conversations as (

    select * from {{ ref('fct_conversations') }}

),

contacts as (

    select * from {{ ref('dim_contacts') }}

),

answers as (

    select
        cast({{ dbt.date_trunc('month', 'surveys.answered_at') }} as date) as answer_month,
        coalesce(conversations.channel, contacts.first_channel, 'unknown') as channel,
        surveys.survey_type,
        surveys.score
    from surveys
    left join conversations
        on surveys.conversation_id = conversations.conversation_id
    left join contacts
        on surveys.contact_id = contacts.contact_id
    where surveys.score is not null

),

final as (

    select
        cast(answer_month as date) as answer_month,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(sum(case when survey_type = 'nps' then 1 else 0 end) as integer) as nps_answers,
        cast(sum(case when survey_type = 'nps' and score >= 9 then 1 else 0 end) as integer) as promoters,
        cast(sum(case when survey_type = 'nps' and score between 7 and 8 then 1 else 0 end) as integer) as passives,
        cast(sum(case when survey_type = 'nps' and score <= 6 then 1 else 0 end) as integer) as detractors,
        cast(100.0 * (
            sum(case when survey_type = 'nps' and score >= 9 then 1 else 0 end)
            - sum(case when survey_type = 'nps' and score <= 6 then 1 else 0 end)
        )
        / nullif(sum(case when survey_type = 'nps' then 1 else 0 end), 0) as {{ lifecycle_double() }}) as nps,
        cast(sum(case when survey_type = 'csat' then 1 else 0 end) as integer) as csat_answers,
        cast(
            {{ lifecycle_avg("case when survey_type = 'csat' then 1.0 * score end") }} as {{ lifecycle_double() }}
        ) as csat_average,
        cast(
            1.0 * sum(case when survey_type = 'csat' and score >= 4 then 1 else 0 end)
            / nullif(sum(case when survey_type = 'csat' then 1 else 0 end), 0) as {{ lifecycle_double() }})
            as csat_satisfied_rate
    from answers
    group by answer_month, channel

)

select * from final
