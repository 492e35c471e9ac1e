-- Hot leads: contacts whose current stage is the preset's hot-lead stage (`hot_lead_stage`: Hot Lead in
-- respond.io's preset, Acquisition in the five-stage one) and who are not in a lost stage. For the CRM
-- syncs (hubspot_hot_leads): no messaging consent applies, the consent columns travel with the row.
-- One row per contact.
{%- set hot = segment_stages('hot_lead') %}

with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

facts as (
    select * from {{ ref('int_segments__contact_facts') }}
),

final as (
    select
        {{ segment_contact_columns() }}
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where contacts.current_stage in {{ segment_in_list(hot) }}
        and contacts.current_lost_stage is null
)

select * from final
