{#-
  Deal stage history as spells (Fivetran's hubspot__deal_stages shape): one row per deal and period spent in
  one stage, from HubSpot deal stage history and Salesforce opportunity history (deleted rows left out).
  exited_at is the next change of the deal (null while current). Consecutive changes to the same stage are
  one spell.
-#}

with

hubspot_history as (

    select * from {{ ref('stg_hubspot__deal_stage_history') }}

),

salesforce_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}

),

deals as (

    select * from {{ ref('int_deals') }}

),

changes as (

    select
        'hubspot:' || deal_id as deal_id,
        'hubspot' as source_system,
        deal_stage as stage,
        changed_at,
        deal_stage_change_id as change_id
    from hubspot_history

    union all

    select
        'salesforce:' || opportunity_id as deal_id,
        'salesforce' as source_system,
        stage_name as stage,
        changed_at,
        opportunity_history_id as change_id
    from salesforce_history
    where not is_deleted

),

with_previous as (

    select
        changes.*,
        lag(changes.stage) over (
            partition by changes.deal_id
            order by changes.changed_at, {{ byte_order('changes.change_id') }}
        ) as previous_stage
    from changes

),

spell_starts as (

    select
        deal_id,
        source_system,
        stage,
        previous_stage,
        changed_at as entered_at,
        change_id
    from with_previous
    where previous_stage is null
        or previous_stage <> stage

),

sequenced as (

    select
        spell_starts.*,
        row_number() over (
            partition by spell_starts.deal_id
            order by spell_starts.entered_at, {{ byte_order('spell_starts.change_id') }}
        ) as spell_number,
        lead(spell_starts.entered_at) over (
            partition by spell_starts.deal_id
            order by spell_starts.entered_at, {{ byte_order('spell_starts.change_id') }}
        ) as exited_at
    from spell_starts

),

final as (

    select
        cast(
            sequenced.deal_id || ':' || cast(sequenced.spell_number as {{ dbt.type_string() }})
            as {{ dbt.type_string() }}
        ) as deal_stage_spell_id,
        cast(sequenced.deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(sequenced.source_system as {{ dbt.type_string() }}) as source_system,
        cast(deals.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(deals.deal_name as {{ dbt.type_string() }}) as deal_name,
        cast(sequenced.spell_number as integer) as spell_number,
        cast(sequenced.stage as {{ dbt.type_string() }}) as deal_stage,
        cast(sequenced.previous_stage as {{ dbt.type_string() }}) as previous_stage,
        cast(sequenced.entered_at as {{ dbt.type_timestamp() }}) as entered_at,
        cast(sequenced.exited_at as {{ dbt.type_timestamp() }}) as exited_at,
        cast(sequenced.exited_at is null as boolean) as is_current,
        cast(
            {{ lifecycle_divide(dbt.datediff('sequenced.entered_at', 'sequenced.exited_at', 'second'), '86400.0') }}
            as {{ lifecycle_double() }}
        ) as days_in_stage
    from sequenced
    left join deals
        on sequenced.deal_id = deals.deal_id

)

select * from final
