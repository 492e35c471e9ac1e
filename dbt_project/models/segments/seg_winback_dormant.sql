-- Dormant customers, for win-back: contacts who reached the won stage, are not lost, and whose last order
-- is at least var segment_dormant_days (60) days before the "as of" time; reachable on at least one channel
-- (opted-out channels removed). One row per contact.
{%- set days = var('segment_dormant_days', 60) %}

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
        cast(facts.orders as integer) as orders,
        cast(facts.revenue as decimal(18, 2)) as revenue,
        cast(facts.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
        cast(facts.days_since_last_order as integer) as days_since_last_order
    from contacts
    inner join facts
        on contacts.contact_id = facts.contact_id
    where contacts.has_been_won
        and not contacts.is_lost
        and facts.days_since_last_order >= {{ days }}
        and facts.reachable_channels is not null
)

select * from final
