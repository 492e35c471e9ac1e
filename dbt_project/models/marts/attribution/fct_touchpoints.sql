{#- Every marketing touch of every contact, credited or not (fct_attribution_credits holds only the touches
    inside a conversion's lookback window). Click ids stay in the intermediate model: they are personal. -#}
with touchpoints as (
    select * from {{ ref('int_attribution__touchpoints') }}
),

final as (
    select
        touchpoint_id,
        contact_id,
        source_system,
        touchpoint_type,
        platform,
        marketing_channel,
        campaign_id,
        campaign_name,
        ad_set_id,
        ad_set_name,
        ad_id,
        ad_name,
        utm_source,
        utm_medium,
        utm_campaign,
        occurred_at
    from touchpoints
)

select * from final
