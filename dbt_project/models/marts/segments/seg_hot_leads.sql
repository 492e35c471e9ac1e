-- Contacts currently in the Hot Lead stage (or the stage configured as the hot-lead stage), with the
-- fields the CRM syncs need. One row per contact.
with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

final as (
    select
        contact_id,
        email,
        phone,
        first_name,
        last_name,
        current_stage,
        current_stage_entered_at,
        funnel_entry_at
    from contacts
    where current_stage = '{{ var("segment_hot_lead_stage", "Hot Lead") }}'
      and current_lost_stage is null
)

select * from final
