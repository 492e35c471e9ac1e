{#-
  Marketing touchpoints, one row per touch, for attribution: click-to-message ad referrals (first inbound
  message of a respond.io conversation carrying an ad referral), storefront visits with UTM parameters or
  click ids (the first event of each client per day with them), and file-drop touchpoints.
  platform: meta for fbclid/ctwa_clid and respond.io ad referrals, tiktok for ttclid, google for gclid,
  else the utm_source as written.
-#}

with

messages as (

    select * from {{ ref('int_messages') }}

),

ad_referrals as (

    select
        'ctm:' || message_id as touchpoint_id,
        contact_id,
        source_system,
        'ctm_referral' as touchpoint_type,
        case when channel = 'tiktok' then 'tiktok' else 'meta' end as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        referral_ad_id as ad_id,
        ctwa_clid as click_id,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        sent_at as occurred_at
    from messages
    where direction = 'inbound'
        and has_ad_referral

),

storefront as (

    select
        'web:' || event_id as touchpoint_id,
        contact_id,
        source_system,
        'ad_click' as touchpoint_type,
        case
            when fbclid is not null then 'meta'
            when ttclid is not null then 'tiktok'
            when gclid is not null then 'google'
            else lower(utm_source)
        end as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        coalesce(fbclid, ttclid, gclid) as click_id,
        utm_source,
        utm_medium,
        utm_campaign,
        occurred_at,
        row_number() over (
            partition by contact_id, coalesce(fbclid, ttclid, gclid, utm_campaign, utm_source), cast(occurred_at as date)
            order by occurred_at, event_id
        ) as touch_order
    from {{ ref('int_commerce_events') }}
    where source_system = 'shop'
        and coalesce(fbclid, ttclid, gclid, utm_source) is not null

),

files as (

    select
        touchpoint_key as touchpoint_id,
        contact_id,
        source_system,
        touchpoint_type,
        platform,
        campaign_id,
        ad_id,
        click_id,
        utm_source,
        utm_medium,
        utm_campaign,
        occurred_at
    from {{ files_with_contact('stg_files__touchpoints', 'touchpoint_key') }} as file_touchpoints

),

final as (

    select * from ad_referrals

    union all

    select
        touchpoint_id,
        contact_id,
        source_system,
        touchpoint_type,
        platform,
        campaign_id,
        ad_id,
        click_id,
        utm_source,
        utm_medium,
        utm_campaign,
        occurred_at
    from storefront
    where touch_order = 1

    {% if source_enabled('files') %}
    union all

    select * from files
    {% endif %}

)

select * from final
