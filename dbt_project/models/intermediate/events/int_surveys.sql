{#- NPS (0-10) and CSAT (1-5) answers, one row per response: respond.io and file drops. -#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

respondio as (

    select
        'respondio:' || responses.survey_response_id as response_id,
        contact_map.contact_id,
        'respondio' as source_system,
        responses.survey_type,
        responses.score,
        'respondio:' || responses.conversation_id as conversation_id,
        responses.answered_at
    from {{ ref('stg_respondio__survey_responses') }} as responses
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and responses.contact_id = contact_map.record_id

),

files as (

    select
        survey_response_key as response_id,
        contact_id,
        source_system,
        survey_type,
        score,
        cast(null as {{ dbt.type_string() }}) as conversation_id,
        answered_at
    from {{ files_with_contact('stg_files__surveys', 'survey_response_key') }} as file_surveys

),

final as (

    {%- set parts = [] %}
    {%- if source_enabled('respondio') %}{% do parts.append('respondio') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}select * from respondio where 1 = 0{% endif %}

)

select * from final
