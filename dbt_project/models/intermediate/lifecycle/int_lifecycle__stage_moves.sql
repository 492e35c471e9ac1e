-- The stage machine: every stage move of every contact, one row per move (no-op evidence dropped).
--
-- 1. candidates: each signal is matched against the configured rules (int_lifecycle__stage_rules);
--    a signal may propose several target stages.
-- 2. order: candidates are applied per contact in a fixed order: signal_at, then lost moves, then rule
--    moves by ascending stage order, then explicit stage sets (an agent's explicit choice at the same
--    instant wins), then signal_id and rule_id. See docs/lifecycle.md ("Ties").
-- 3. machine: forward-only moves keep the running maximum stage order since the last lost or free move;
--    free moves reset the state to their target (backward moves allowed); lost moves end the funnel
--    episode and the next active move re-enters the funnel (new funnel_entry_at).
--    Lost rules with `while_in` only apply when the contact sits in one of those stages just before; the
--    state they are checked against is computed in two refinement passes (docs/lifecycle.md, "Engine").
-- All steps are window functions over the candidate rows: no recursion, linear in the number of signals.
--
-- Incremental by contact (docs/incremental.md): a contact's moves depend on its signals and the
-- configuration only, so a run recomputes the contacts whose signals were recomputed since this model was
-- built, and drops those left with no signal. Rows keep a fingerprint of the configuration (_config_key):
-- a run under another configuration (preset, overrides) recomputes every contact.
{{ config(
    materialized=incremental_materialization(),
    unique_key='move_id',
    incremental_strategy='replace_contacts',
    on_schema_change='append_new_columns'
) }}
{%- set lc = lifecycle_config() %}
{%- set config_key = lifecycle_config_key() %}
{%- set incremental = incremental_target_is_current(extra=['_built_at', '_config_key'], config_key=config_key) %}

with

signals as {{ inline_cte() }} (
    select * from {{ ref('int_lifecycle__signals') }}
),

{% if incremental %}
built as (
    {{ incremental_built() }}
),

changed_contacts as (
    -- contacts whose signals were recomputed since this model was built, and stored contacts left with no
    -- signal at all (e.g. merged into another contact)
    select distinct signals.contact_id
    from signals
    where signals._built_at > (select built_until from built)
    union
    select stored.contact_id
    from (select distinct contact_id from {{ this }}) as stored
    where not exists (
        select 1 from signals where signals.contact_id = stored.contact_id
    )
),

contact_signals as (
    select * from signals
    where contact_id in (select contact_id from changed_contacts)
),
{% endif %}

-- the configuration is inlined (same SQL as int_lifecycle__stage_rules / __stages) so that unit tests
-- can switch it with `overrides: vars:`
rules as (
    {{ lifecycle_rules_sql() }}
),

stages as (
    {{ lifecycle_stages_sql() }}
),

candidates as (
    select
        signals.contact_id,
        signals.signal_id,
        signals.signal_type,
        signals.signal_at,
        signals.source_system,
        signals.conversation_id,
        signals.channel,
        signals.signal_label,
        signals.signal_reason,
        signals.changed_by_type,
        rules.rule_id,
        rules.rule_key,
        rules.rule_kind,
        rules.stage_name as target_stage,
        rules.stage_order as target_order,
        rules.is_lost_stage,
        rules.move_mode,
        rules.while_max_order,
        case
            when rules.rule_kind = 'explicit' then 3
            when rules.is_lost_stage then 1
            else 2
        end as kind_rank
    from {{ 'contact_signals' if incremental else 'signals' }} as signals
    inner join rules
        on signals.signal_type = rules.signal_type
    where (rules.min_value is null or signals.signal_value >= rules.min_value)
        and (rules.max_value is null or signals.signal_value <= rules.max_value)
        and (rules.min_sequence is null or signals.signal_sequence >= rules.min_sequence)
        and (
            rules.label_list is null
            or {{ dbt.position(dbt.concat(["'|'", "signals.signal_label", "'|'"]), "rules.label_list") }} > 0
        )
        and (
            rules.label_contains is null
            or {{ dbt.position("rules.label_contains", "coalesce(signals.signal_label, '')") }} > 0
        )
        and (
            rules.changed_by_list is null
            or {{ dbt.position(dbt.concat(["'|'", "signals.changed_by_type", "'|'"]), "rules.changed_by_list") }} > 0
        )
),

ordered as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.contact_id
            order by
                candidates.signal_at, candidates.kind_rank, coalesce(candidates.target_order, 0),
                candidates.signal_id, candidates.rule_id
        ) as move_seq
    from candidates
),

base as (
    select
        ordered.*,
        -- active moves always take part; an unconditional lost move once the contact has entered the funnel
        (not ordered.is_lost_stage)
        or (
            ordered.while_max_order is null
            and coalesce(sum(case when not ordered.is_lost_stage then 1 else 0 end) over (
                partition by ordered.contact_id order by ordered.move_seq
                rows between unbounded preceding and 1 preceding
            ), 0) > 0
        ) as applies_base
    from ordered
),

pass_1 as (
    {{ lifecycle_machine_pass('base', 'applies_base', '_1') }}
),

{#- Each round re-decides the lost rules that depend on the stage a contact is in (`while_in`) from the
    previous pass, then runs the machine again. var lifecycle_refinement_rounds (default 2) sets how many
    rounds run; the last pass is pass_final. -#}
{%- set rounds = project_var('lifecycle_refinement_rounds') %}
{%- for i in range(2, rounds + 2) %}
{%- set prev = '1' if i == 2 else (i - 1) | string %}
{%- set cur = 'final' if loop.last else i | string %}
pass_{{ prev }}_checked as (
    select
        pass_{{ prev }}.contact_id,
        pass_{{ prev }}.move_seq,
        {{ lifecycle_condition_holds('pass_' ~ prev, '_' ~ prev) }}
            as condition_holds_{{ prev }}
    from pass_{{ prev }}
),

round_{{ cur }} as (
    select
        base.*,
        base.applies_base or (
            base.is_lost_stage and base.while_max_order is not null
            and coalesce(pass_{{ prev }}_checked.condition_holds_{{ prev }}, false)
        ) as applies_{{ cur }}
    from base
    inner join pass_{{ prev }}_checked
        on base.contact_id = pass_{{ prev }}_checked.contact_id
        and base.move_seq = pass_{{ prev }}_checked.move_seq
),

pass_{{ cur }} as (
    {{ lifecycle_machine_pass('round_' ~ cur, 'applies_' ~ cur, '_' ~ cur) }}
),

{% endfor %}
applied as (
    select
        pass_final.*,
        case when pass_final.is_lost_stage then pass_final.target_stage else active_stages.stage_name end
            as stage_after
    from pass_final
    left join stages as active_stages
        on pass_final.order_after_final = active_stages.stage_order
        and not active_stages.is_lost_stage
    where pass_final.applies_final
),

-- several moves at the same instant collapse into one: the stage after the last of them counts, caused by
-- the last signal of that instant that proposed this stage (no zero-length spells)
instants as (
    select
        applied.*,
        last_value(applied.stage_after) over (
            partition by applied.contact_id, applied.signal_at order by applied.move_seq
            rows between unbounded preceding and unbounded following
        ) as instant_stage
    from applied
),

instant_causes as (
    select
        instants.*,
        row_number() over (
            partition by instants.contact_id, instants.signal_at
            order by case when instants.target_stage = instants.instant_stage then 0 else 1 end, instants.move_seq desc
        ) as cause_rank
    from instants
),

with_previous as (
    select
        instant_causes.*,
        lag(instant_causes.instant_stage) over (
            partition by instant_causes.contact_id
            order by instant_causes.signal_at
        ) as stage_before
    from instant_causes
    where instant_causes.cause_rank = 1
),

moves as (
    select *
    from with_previous
    where stage_before is null
        or stage_before <> instant_stage
),

final as (
    select
        cast(
            {{ dbt.concat([
                "moves.contact_id", "':'",
                "cast(row_number() over (partition by moves.contact_id order by moves.move_seq) as "
                ~ dbt.type_string() ~ ")"
            ]) }}
            as {{ dbt.type_string() }}
        ) as move_id,
        moves.contact_id,
        cast(row_number() over (partition by moves.contact_id order by moves.move_seq) as integer) as move_number,
        moves.signal_at as moved_at,
        moves.stage_before as from_stage,
        moves.instant_stage as to_stage,
        stages.stage_order as to_stage_order,
        stages.is_lost_stage,
        stages.is_won_stage,
        moves.signal_id,
        moves.signal_type,
        moves.source_system as signal_source_system,
        moves.conversation_id,
        moves.channel,
        moves.rule_key,
        moves.rule_kind,
        moves.move_mode,
        moves.changed_by_type,
        case
            when not stages.is_lost_stage then cast(null as {{ dbt.type_string() }})
            when moves.signal_reason is not null and trim(moves.signal_reason) <> '' then moves.signal_reason
            when moves.signal_type = 'inactivity'
                then 'no inbound message for {{ lc.inactivity_days }} days'
            when moves.signal_label is not null
                then {{ dbt.concat(["moves.signal_type", "': '", "moves.signal_label"]) }}
            else moves.signal_type
        end as lost_reason,
        {{ lifecycle_run_time() }} as _built_at,
        cast('{{ config_key }}' as {{ dbt.type_string() }}) as _config_key
    from moves
    inner join stages
        on moves.instant_stage = stages.stage_name
)

{{ contact_batch('final', 'changed_contacts', bookkeeping=['_built_at', '_config_key'], current=incremental) }}
