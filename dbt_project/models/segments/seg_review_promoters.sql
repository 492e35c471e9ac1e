-- Promoters, for review requests: contacts whose latest NPS answer is at least var segment_promoter_min_nps (9)
-- and who are reachable on at least one channel. One row per contact.
{%- set min_nps = var('segment_promoter_min_nps', 9) %}

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
        cast(facts.latest_nps_score as integer) as latest_nps_score,
        cast(facts.latest_nps_at as {{ dbt.type_timestamp() }}) as latest_nps_at
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where facts.latest_nps_score >= {{ min_nps }}
        and facts.reachable_channels is not null
)

select * from final
