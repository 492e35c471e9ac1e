-- Cold leads, for re-engagement: contacts in a lost stage that inactivity moves leads to (Cold Lead in both
-- presets: the lost stages with an `inactivity` rule), reachable on at least one channel. One row per contact.
{%- set cold = segment_stages('cold') %}

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
        cast(contacts.lost_at as {{ dbt.type_timestamp() }}) as lost_at,
        cast(facts.last_inbound_at as {{ dbt.type_timestamp() }}) as last_inbound_at,
        cast(facts.days_since_last_inbound as integer) as days_since_last_inbound
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where contacts.current_lost_stage in {{ segment_in_list(cold) }}
        and facts.reachable_channels is not null
)

select * from final
