{#-
  Transition counts of the first-order Markov chain over marketing channels, per conversion type and name.
  Converting paths: each conversion's touches in its lookback window (int_attribution__paths), ending in
  '(conversion)'. Null paths: per contact, the touches that belong to no converting path of that conversion
  kind, in time order, ending in '(null)'. Every path starts in '(start)'. Back-to-back repeats of a channel
  are collapsed (they do not change the removal effects). Conversions with no touch are not in the chain.
-#}

with

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

paths as (

    select * from {{ ref('int_attribution__paths') }}

),

touchpoints as (

    select * from {{ ref('int_attribution__touchpoints') }}

),

conversion_kinds as (

    select distinct
        conversion_type,
        conversion_name
    from conversions

),

converting_touches as (

    select
        conversion_type,
        conversion_name,
        conversion_id as path_id,
        true as is_converted,
        marketing_channel,
        occurred_at,
        touchpoint_id
    from paths

),

attributed_touches as (

    select distinct
        conversion_type,
        conversion_name,
        touchpoint_id
    from paths

),

null_touches as (

    select
        conversion_kinds.conversion_type,
        conversion_kinds.conversion_name,
        'null:' || touchpoints.contact_id as path_id,
        false as is_converted,
        touchpoints.marketing_channel,
        touchpoints.occurred_at,
        touchpoints.touchpoint_id
    from touchpoints
    cross join conversion_kinds
    left join attributed_touches
        on conversion_kinds.conversion_type = attributed_touches.conversion_type
        and conversion_kinds.conversion_name = attributed_touches.conversion_name
        and touchpoints.touchpoint_id = attributed_touches.touchpoint_id
    where attributed_touches.touchpoint_id is null
        and touchpoints.contact_id is not null

),

path_touches as (

    select * from converting_touches
    union all
    select * from null_touches

),

with_previous as (

    select
        path_touches.*,
        lag(path_touches.marketing_channel) over (
            partition by path_touches.conversion_type, path_touches.conversion_name, path_touches.path_id
            order by path_touches.occurred_at, {{ byte_order('path_touches.touchpoint_id') }}
        ) as previous_channel
    from path_touches

),

collapsed as (

    select
        conversion_type,
        conversion_name,
        path_id,
        is_converted,
        marketing_channel,
        occurred_at,
        touchpoint_id,
        row_number() over (
            partition by conversion_type, conversion_name, path_id
            order by occurred_at, {{ byte_order('touchpoint_id') }}
        ) as step,
        count(*) over (partition by conversion_type, conversion_name, path_id) as steps
    from with_previous
    where previous_channel is null
        or previous_channel <> marketing_channel

),

steps as (

    select
        conversion_type,
        conversion_name,
        coalesce(
            lag(marketing_channel) over (
                partition by conversion_type, conversion_name, path_id order by step
            ),
            '(start)'
        ) as from_state,
        marketing_channel as to_state
    from collapsed

    union all

    select
        conversion_type,
        conversion_name,
        marketing_channel as from_state,
        case when is_converted then '(conversion)' else '(null)' end as to_state
    from collapsed
    where step = steps

),

final as (

    select
        conversion_type,
        conversion_name,
        from_state,
        to_state,
        count(*) as transitions
    from steps
    group by conversion_type, conversion_name, from_state, to_state

)

select * from final
