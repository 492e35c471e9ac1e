-- Every stage move, one row per transition (from_stage null for the first one), with its direction.

with

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

previous as (
    select
        spells.*,
        lag(spells.stage_order) over (
            partition by spells.contact_id
            order by spells.spell_number
        ) as previous_stage_order,
        lag(spells.is_lost_stage) over (
            partition by spells.contact_id
            order by spells.spell_number
        ) as previous_is_lost,
        lag(spells.entered_at) over (partition by spells.contact_id order by spells.spell_number) as previous_entered_at
    from spells
),

final as (
    select
        cast(spell_id as {{ dbt.type_string() }}) as transition_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(spell_number as integer) as transition_number,
        cast(funnel_episode as integer) as funnel_episode,
        cast(funnel_entry_at as {{ dbt.type_timestamp() }}) as funnel_entry_at,
        cast(previous_stage as {{ dbt.type_string() }}) as from_stage,
        cast(previous_stage_order as integer) as from_stage_order,
        cast(coalesce(previous_is_lost, false) as boolean) as from_lost_stage,
        cast(stage as {{ dbt.type_string() }}) as to_stage,
        cast(stage_order as integer) as to_stage_order,
        cast(is_lost_stage as boolean) as to_lost_stage,
        cast(entered_at as {{ dbt.type_timestamp() }}) as transitioned_at,
        cast(case
            when previous_stage is null then 'entry'
            when previous_is_lost and not is_lost_stage then 're_entry'
            when is_lost_stage then 'lost'
            when stage_order > previous_stage_order then 'forward'
            else 'backward'
        end as {{ dbt.type_string() }}) as transition_type,
        cast(coalesce(
            not is_lost_stage and not previous_is_lost
            and stage_order - previous_stage_order > 1, false
        ) as boolean) as is_skip,
        cast(case
            when not is_lost_stage and not coalesce(previous_is_lost, true)
                and stage_order > previous_stage_order + 1 then stage_order - previous_stage_order - 1
            else 0
        end as integer) as stages_skipped,
        cast({{ dbt.datediff('previous_entered_at', 'entered_at', 'second') }} as bigint) as seconds_in_from_stage,
        cast(entered_by_signal as {{ dbt.type_string() }}) as signal_type,
        cast(entered_by_signal_id as {{ dbt.type_string() }}) as signal_id,
        cast(entered_by_rule as {{ dbt.type_string() }}) as rule_key,
        cast(move_mode as {{ dbt.type_string() }}) as move_mode,
        cast(changed_by_type as {{ dbt.type_string() }}) as changed_by_type,
        cast(lost_reason as {{ dbt.type_string() }}) as lost_reason
    from previous
)

select * from final
