{#-
  CRM deals, one row per deal: HubSpot deals (contact = the associated contact with the smallest HubSpot id;
  associated_contacts says how many there are) and Salesforce opportunities (contact = ContactId).
  closed_at is set only for closed deals; lost_reason only for closed-lost deals. Deleted Salesforce rows are
  left out (is_deleted).
-#}

with

contact_map as (

    select * from {{ ref('int_identity__contact_map') }}

),

hubspot_deal_contacts as (

    select
        deal_id,
        contact_id,
        row_number() over (
            partition by deal_id
            order by {{ dbt.safe_cast('contact_id', dbt.type_bigint()) }}, {{ byte_order('contact_id') }}
        ) as association_order,
        count(*) over (partition by deal_id) as associated_contacts
    from {{ ref('stg_hubspot__deal_contacts') }}

),

hubspot as (

    select
        'hubspot:' || deals.deal_id as deal_id,
        contact_map.contact_id,
        'hubspot' as source_system,
        deals.deal_name,
        deals.deal_stage as stage,
        deals.is_closed,
        deals.is_closed_won as is_won,
        case when deals.is_closed and not deals.is_closed_won then deals.closed_lost_reason end as lost_reason,
        deals.amount,
        deals.currency,
        deals.created_at,
        case when deals.is_closed then deals.closed_at end as closed_at,
        coalesce(deal_contacts.associated_contacts, 0) as associated_contacts
    from {{ ref('stg_hubspot__deals') }} as deals
    left join hubspot_deal_contacts as deal_contacts
        on deals.deal_id = deal_contacts.deal_id
        and deal_contacts.association_order = 1
    left join contact_map
        on contact_map.record_source = 'hubspot_contact'
        and deal_contacts.contact_id = contact_map.record_id

),

salesforce as (

    select
        'salesforce:' || opportunities.opportunity_id as deal_id,
        contact_map.contact_id,
        'salesforce' as source_system,
        opportunities.opportunity_name as deal_name,
        opportunities.stage_name as stage,
        opportunities.is_closed,
        opportunities.is_won,
        case
            when opportunities.is_closed and not opportunities.is_won then opportunities.loss_reason
        end as lost_reason,
        opportunities.amount,
        opportunities.currency,
        opportunities.created_at,
        case
            when opportunities.is_closed then cast(opportunities.close_date as {{ dbt.type_timestamp() }})
        end as closed_at,
        case when opportunities.contact_id is null then 0 else 1 end as associated_contacts
    from {{ ref('stg_salesforce__opportunities') }} as opportunities
    left join contact_map
        on contact_map.record_source = 'salesforce_contact'
        and opportunities.contact_id = contact_map.record_id
    where not opportunities.is_deleted

),

final as (

    {%- set parts = [] %}
    {%- if source_enabled('hubspot') %}{% do parts.append('hubspot') %}{% endif %}
    {%- if source_enabled('salesforce') %}{% do parts.append('salesforce') %}{% endif %}
    {%- for p in parts %}
    select * from {{ p }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}select * from hubspot where 1 = 0{% endif %}

)

select * from final
