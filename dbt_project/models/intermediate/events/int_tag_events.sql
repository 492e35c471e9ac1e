{#- Tags added to or removed from contacts (respond.io), one row per change; tag lower-cased and trimmed. -#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

final as (

    select
        'respondio:' || events.tag_event_id as event_id,
        contact_map.contact_id,
        'respondio' as source_system,
        lower(trim(events.tag)) as tag,
        events.action,
        case events.changed_by_type
            when 'user' then 'human'
            when 'ai_agent' then 'ai_agent'
            else 'automation'
        end as changed_by_type,
        events.changed_by_user_id as changed_by_id,
        events.event_at
    from {{ ref('stg_respondio__tag_events') }} as events
    left join contact_map
        on contact_map.record_source = 'respondio_contact'
        and events.contact_id = contact_map.record_id
    {% if not source_enabled('respondio') %}where 1 = 0{% endif %}

)

select * from final
