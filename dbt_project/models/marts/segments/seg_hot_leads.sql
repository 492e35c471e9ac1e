-- Contacts currently in the hot-lead stage of the configured preset (`hot_lead_stage`: Hot Lead in
-- respond.io's preset, Acquisition in the five-stage one), with the fields the CRM syncs need.
-- One row per contact.
{%- set hot_lead_stage = lifecycle_config().hot_lead_stage %}
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
    where current_stage = {{ lifecycle_literal(hot_lead_stage) }}
        and current_lost_stage is null
)

select * from final
