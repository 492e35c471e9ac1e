{#-
  Attribution touchpoints: int_touchpoints with the ad, ad set and campaign resolved and a marketing
  channel. The ad is the touch's own ad id, else utm_content when it is an ad id of the platform; the
  campaign is the touch's own campaign id, else the ad's, else utm_campaign when it is a campaign id or a
  campaign name (case-insensitive) of the platform. The channel is the file drop's marketing_channel when
  given, else the first matching rule of the channel_grouping seed.
-#}

with

touchpoints as (

    select * from {{ ref('int_touchpoints') }}

),

ads as (

    select * from {{ ref('int_ad_performance__ads') }}

),

campaigns as (

    select * from {{ ref('int_ad_performance__campaigns') }}

),

channel_rules as (

    select * from {{ ref('channel_grouping') }}

),

campaign_names as (

    select
        platform,
        lower(campaign_name) as campaign_name_key,
        min(campaign_id) as campaign_id
    from campaigns
    where campaign_name is not null
    group by platform, lower(campaign_name)

),

with_ads as (

    select
        touchpoints.touchpoint_id,
        touchpoints.contact_id,
        touchpoints.source_system,
        touchpoints.touchpoint_type,
        touchpoints.platform,
        touchpoints.click_id,
        touchpoints.utm_source,
        touchpoints.utm_medium,
        touchpoints.utm_campaign,
        touchpoints.utm_content,
        touchpoints.marketing_channel as given_channel,
        touchpoints.occurred_at,
        coalesce(own_ads.ad_id, content_ads.ad_id, touchpoints.ad_id) as ad_id,
        coalesce(
            touchpoints.campaign_id,
            own_ads.campaign_id,
            content_ads.campaign_id,
            campaign_ids.campaign_id,
            campaign_names.campaign_id
        ) as campaign_id,
        coalesce(own_ads.ad_set_id, content_ads.ad_set_id) as ad_set_id
    from touchpoints
    left join ads as own_ads
        on touchpoints.platform = own_ads.platform
        and touchpoints.ad_id = own_ads.ad_id
    left join ads as content_ads
        on touchpoints.ad_id is null
        and touchpoints.platform = content_ads.platform
        and touchpoints.utm_content = content_ads.ad_id
    left join campaigns as campaign_ids
        on touchpoints.platform = campaign_ids.platform
        and touchpoints.utm_campaign = campaign_ids.campaign_id
    left join campaign_names
        on touchpoints.platform = campaign_names.platform
        and lower(touchpoints.utm_campaign) = campaign_names.campaign_name_key

),

rule_matches as (

    select
        with_ads.touchpoint_id,
        min(channel_rules.rule_order) as rule_order
    from with_ads
    inner join channel_rules
        on (channel_rules.touchpoint_type is null or with_ads.touchpoint_type = channel_rules.touchpoint_type)
        and (channel_rules.platform is null or with_ads.platform = channel_rules.platform)
        and (channel_rules.source_pattern is null or lower(with_ads.utm_source) like channel_rules.source_pattern)
        and (channel_rules.medium_pattern is null or lower(with_ads.utm_medium) like channel_rules.medium_pattern)
    group by with_ads.touchpoint_id

),

final as (

    select
        with_ads.touchpoint_id,
        with_ads.contact_id,
        with_ads.source_system,
        with_ads.touchpoint_type,
        with_ads.platform,
        coalesce(with_ads.given_channel, channel_rules.marketing_channel, 'Unassigned') as marketing_channel,
        with_ads.campaign_id,
        coalesce(campaigns.campaign_name, with_ads.utm_campaign) as campaign_name,
        with_ads.ad_set_id,
        ads.ad_set_name,
        with_ads.ad_id,
        ads.ad_name,
        with_ads.click_id,
        with_ads.utm_source,
        with_ads.utm_medium,
        with_ads.utm_campaign,
        with_ads.occurred_at
    from with_ads
    left join rule_matches
        on with_ads.touchpoint_id = rule_matches.touchpoint_id
    left join channel_rules
        on rule_matches.rule_order = channel_rules.rule_order
    left join campaigns
        on with_ads.platform = campaigns.platform
        and with_ads.campaign_id = campaigns.campaign_id
    left join ads
        on with_ads.platform = ads.platform
        and with_ads.ad_id = ads.ad_id

)

select * from final
