-- Stage history as spells: one row per contact and period spent in one stage, [entered_at, exited_at).
-- Spells of a contact are contiguous (a spell ends when the next begins) and never overlap; the current
-- spell has exited_at null. funnel_entry_at is the start of the funnel episode the spell belongs to: a lost
-- spell belongs to the episode it ended, a re-entry after a lost stage starts a new episode.
-- "Which stage was contact X in on date D": docs/lifecycle.md.

with

moves as (
    select * from {{ ref('int_lifecycle__stage_moves') }}
),

sequenced as (
    select
        moves.*,
        lead(moves.moved_at) over (partition by moves.contact_id order by moves.move_number) as next_moved_at,
        lead(moves.to_stage) over (partition by moves.contact_id order by moves.move_number) as next_stage,
        case
            when not moves.is_lost_stage and (
                    moves.from_stage is null or lag(moves.is_lost_stage) over (
                        partition by moves.contact_id order by moves.move_number
                    )
                ) then 1
            else 0
        end as is_funnel_entry
    from moves
),

episodes as (
    select
        sequenced.*,
        sum(sequenced.is_funnel_entry) over (
            partition by sequenced.contact_id
            order by sequenced.move_number
            rows between unbounded preceding and current row
        ) as funnel_episode,
        max(case when sequenced.is_funnel_entry = 1 then sequenced.moved_at end) over (
            partition by sequenced.contact_id
            order by sequenced.move_number
            rows between unbounded preceding and current row
        ) as episode_entry_at
    from sequenced
),

final as (
    select
        cast(move_id as {{ dbt.type_string() }}) as spell_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(move_number as integer) as spell_number,
        cast(to_stage as {{ dbt.type_string() }}) as stage,
        cast(to_stage_order as integer) as stage_order,
        cast(is_lost_stage as boolean) as is_lost_stage,
        cast(is_won_stage as boolean) as is_won_stage,
        cast(moved_at as {{ dbt.type_timestamp() }}) as entered_at,
        cast(next_moved_at as {{ dbt.type_timestamp() }}) as exited_at,
        cast(next_moved_at is null as boolean) as is_current,
        cast({{ dbt.datediff('moved_at', 'next_moved_at', 'second') }} as bigint) as duration_seconds,
        cast(from_stage as {{ dbt.type_string() }}) as previous_stage,
        cast(next_stage as {{ dbt.type_string() }}) as next_stage,
        cast(funnel_episode as integer) as funnel_episode,
        cast(episode_entry_at as {{ dbt.type_timestamp() }}) as funnel_entry_at,
        cast(is_funnel_entry = 1 as boolean) as is_funnel_entry,
        cast(signal_id as {{ dbt.type_string() }}) as entered_by_signal_id,
        cast(signal_type as {{ dbt.type_string() }}) as entered_by_signal,
        cast(signal_source_system as {{ dbt.type_string() }}) as entered_by_source_system,
        cast(rule_key as {{ dbt.type_string() }}) as entered_by_rule,
        cast(rule_kind as {{ dbt.type_string() }}) as entered_by_rule_kind,
        cast(move_mode as {{ dbt.type_string() }}) as move_mode,
        cast(changed_by_type as {{ dbt.type_string() }}) as changed_by_type,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(lost_reason as {{ dbt.type_string() }}) as lost_reason
    from episodes
)

select * from final
