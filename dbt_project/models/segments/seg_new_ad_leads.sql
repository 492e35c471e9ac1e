-- New leads from ads: contacts in an active stage whose funnel entry falls in the last
-- var segment_new_ad_leads_days (7) days before the "as of" time and whose first touchpoint was an ad
-- (a click-to-message referral or an ad click), with the platform, campaign and ad they came from.
-- For the CRM and ad audiences. One row per contact.

{%- set days = var('segment_new_ad_leads_days', 7) %}

with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

facts as (
    select * from {{ ref('int_segments__contact_facts') }}
),

final as (
    select
        {{ segment_contact_columns() }},
        cast(facts.entry_touchpoint_type as {{ dbt.type_string() }}) as entry_touchpoint_type,
        cast(facts.entry_platform as {{ dbt.type_string() }}) as entry_platform,
        cast(facts.entry_campaign as {{ dbt.type_string() }}) as entry_campaign,
        cast(facts.entry_ad_id as {{ dbt.type_string() }}) as entry_ad_id,
        cast(facts.entry_touch_at as {{ dbt.type_timestamp() }}) as entry_touch_at
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where contacts.is_in_funnel
        and facts.entry_touchpoint_type in ('ctm_referral', 'ad_click')
        and contacts.funnel_entry_at > {{ dbt.dateadd('day', -days, 'facts.as_of_at') }}
        and contacts.funnel_entry_at <= facts.as_of_at
)

select * from final
