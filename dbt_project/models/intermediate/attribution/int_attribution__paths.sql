{#-
  Conversion paths: one row per conversion x touchpoint of the same contact at or before the conversion and
  no more than var('attribution_lookback_days') days before it (a touch exactly at the window's edge counts).
  Touches are ordered by time, then by touchpoint_id (so two touches at the same instant have a fixed order).
  A touch can belong to several conversions of a contact. Conversions with no touch in the window have no row.
  Join cost: each conversion meets only its own contact's touches.
-#}

with

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

touchpoints as (

    select * from {{ ref('int_attribution__touchpoints') }}

),

in_window as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.conversion_name,
        conversions.contact_id,
        conversions.converted_at,
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_type,
        touchpoints.marketing_channel,
        touchpoints.platform,
        touchpoints.campaign_id,
        touchpoints.ad_set_id,
        touchpoints.ad_id,
        touchpoints.occurred_at,
        cast(
            {{ dbt.datediff('touchpoints.occurred_at', 'conversions.converted_at', 'second') }}
            as {{ lifecycle_double() }}
        ) / 3600.0 as hours_before_conversion
    from conversions
    inner join touchpoints
        on conversions.contact_id = touchpoints.contact_id
        and conversions.converted_at >= touchpoints.occurred_at
        and touchpoints.occurred_at >= {{ dbt.dateadd('day', -1 * var('attribution_lookback_days', 30),
                                                      'conversions.converted_at') }}

),

ordered as (

    select
        in_window.*,
        row_number() over (
            partition by in_window.conversion_id
            order by in_window.occurred_at, {{ byte_order('in_window.touchpoint_id') }}
        ) as touch_position,
        count(*) over (partition by in_window.conversion_id) as touch_count
    from in_window

),

final as (

    select
        ordered.*,
        coalesce(
            lag(ordered.marketing_channel) over (
                partition by ordered.conversion_id
                order by ordered.touch_position
            ) = ordered.marketing_channel, false
        ) as is_channel_repeat
    from ordered

)

select * from final
