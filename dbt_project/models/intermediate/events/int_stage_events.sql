{#-
  Explicit lifecycle stage changes, one row per change: respond.io inbox changes, HubSpot lifecyclestage
  history and file-drop lifecycle events. stage_label is the source's own value (E maps it to configured
  stages); null means the stage was cleared. changed_by_type: human, ai_agent, automation, crm.
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

respondio as (

    select
        'respondio:' || events.lifecycle_event_id as event_id,
        contact_map.contact_id,
        'respondio' as source_system,
        events.to_stage as stage_label,
        events.from_stage as from_stage_label,
        cast(null as {{ dbt.type_string() }}) as reason,
        case events.changed_by_type
            when 'user' then 'human'
            when 'ai_agent' then 'ai_agent'
            else 'automation'
        end as changed_by_type,
        events.changed_by_user_id as changed_by_id,
        events.changed_at
    from {{ ref('stg_respondio__lifecycle_events') }} as events
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and events.contact_id = contact_map.record_id

),

hubspot as (

    select
        'hubspot:' || history.lifecycle_change_id as event_id,
        contact_map.contact_id,
        'hubspot' as source_system,
        nullif(history.lifecycle_stage, '') as stage_label,
        cast(null as {{ dbt.type_string() }}) as from_stage_label,
        cast(null as {{ dbt.type_string() }}) as reason,
        'crm' as changed_by_type,
        history.change_source_type as changed_by_id,
        history.changed_at
    from {{ ref('stg_hubspot__contact_lifecycle_history') }} as history
    left join contact_map
        on contact_map.record_source = 'hubspot_contact'
        and history.contact_id = contact_map.record_id

),

files as (

    select
        lifecycle_event_key as event_id,
        contact_id,
        source_system,
        stage as stage_label,
        cast(null as {{ dbt.type_string() }}) as from_stage_label,
        reason,
        case
            when changed_by_type in ('human', 'ai_agent', 'automation', 'crm') then changed_by_type
            else 'automation'
        end as changed_by_type,
        cast(null as {{ dbt.type_string() }}) as changed_by_id,
        changed_at
    from {{ files_with_contact('stg_files__lifecycle_events', 'lifecycle_event_key') }} as file_events

),

final as (

    {%- set parts = [] %}
    {%- if source_enabled('respondio') %}{% do parts.append('respondio') %}{% endif %}
    {%- if source_enabled('hubspot') %}{% do parts.append('hubspot') %}{% endif %}
    {%- if source_enabled('files') %}{% do parts.append('files') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select * from final
