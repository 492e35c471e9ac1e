{#-
  One pass of the stage machine over the ordered candidate moves of int_lifecycle__stage_moves.

  Input rows carry: contact_id, move_seq (the deterministic order), target_order, is_lost_stage, move_mode,
  and a boolean column named by `applies_expr` telling whether the row takes part in this pass. For every row (applying or
  not) the pass adds (column names end with `suffix`):
    lost_group      - number of applying lost moves up to and including the row (a lost move ends the episode)
    free_group      - number of applying free moves up to and including the row (a free move resets the
                      forward-only running maximum)
    order_after     - stage_order of the active stage the contact holds after the row (null when the contact
                      is lost or not in the funnel yet): the running maximum of target_order since the last
                      lost or free move, which is forward-only semantics with free moves as resets
  A row that does not apply leaves the state unchanged, so `lag(order_after)` is the state just before any row.
-#}
{% macro lifecycle_machine_pass(relation, applies_expr, suffix) -%}
    select
        grouped.*,
        max(case when ({{ applies_expr }}) and not grouped.is_lost_stage then grouped.target_order end) over (
            partition by grouped.contact_id, grouped.lost_group{{ suffix }}, grouped.free_group{{ suffix }}
            order by grouped.move_seq
            rows between unbounded preceding and current row
        ) as order_after{{ suffix }}
    from (
        select
            {{ relation }}.*,
            sum(case when ({{ applies_expr }}) and {{ relation }}.is_lost_stage then 1 else 0 end) over (
                partition by {{ relation }}.contact_id order by {{ relation }}.move_seq
                rows between unbounded preceding and current row
            ) as lost_group{{ suffix }},
            sum(case when ({{ applies_expr }}) and not {{ relation }}.is_lost_stage
                          and {{ relation }}.move_mode = 'free' then 1 else 0 end) over (
                partition by {{ relation }}.contact_id order by {{ relation }}.move_seq
                rows between unbounded preceding and current row
            ) as free_group{{ suffix }}
        from {{ relation }}
    ) as grouped
{%- endmacro %}

{#- Whether a conditional lost move (while_in) holds, given the state before it from a pass. -#}
{% macro lifecycle_condition_holds(pass_relation, suffix) -%}
    (lag({{ pass_relation }}.order_after{{ suffix }}) over (
        partition by {{ pass_relation }}.contact_id order by {{ pass_relation }}.move_seq
    ) <= {{ pass_relation }}.while_max_order)
{%- endmacro %}
