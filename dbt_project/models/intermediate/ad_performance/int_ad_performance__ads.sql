{#-
  Ads of every ad platform with their ad set and campaign, ids and names: one row per platform and ad id.
  Meta (ads -> ad sets -> campaigns), TikTok (ads -> ad groups -> campaigns), and ads known only from
  file-drop ad performance (ids, campaign name). An API platform's row wins over a file's.
-#}

with

meta_ads as (

    select * from {{ ref('stg_meta_ads__ads') }}

),

meta_adsets as (

    select * from {{ ref('stg_meta_ads__adsets') }}

),

tiktok_ads as (

    select * from {{ ref('stg_tiktok_ads__ads') }}

),

tiktok_adgroups as (

    select * from {{ ref('stg_tiktok_ads__adgroups') }}

),

file_performance as (

    select * from {{ ref('stg_files__ad_performance') }}

),

campaigns as (

    select * from {{ ref('int_ad_performance__campaigns') }}

),

unioned as (

    select
        'meta' as platform,
        ads.ad_id,
        ads.ad_name,
        ads.adset_id as ad_set_id,
        adsets.adset_name as ad_set_name,
        ads.campaign_id,
        ads.account_id,
        1 as source_priority,
        ads.updated_at as named_at
    from meta_ads as ads
    left join meta_adsets as adsets
        on ads.adset_id = adsets.adset_id

    union all

    select
        'tiktok' as platform,
        ads.ad_id,
        ads.ad_name,
        ads.adgroup_id as ad_set_id,
        adgroups.adgroup_name as ad_set_name,
        ads.campaign_id,
        ads.advertiser_id as account_id,
        1 as source_priority,
        ads.updated_at as named_at
    from tiktok_ads as ads
    left join tiktok_adgroups as adgroups
        on ads.adgroup_id = adgroups.adgroup_id

    union all

    select
        platform,
        ad_id,
        cast(null as {{ dbt.type_string() }}) as ad_name,
        nullif(ad_group_id, '') as ad_set_id,
        cast(null as {{ dbt.type_string() }}) as ad_set_name,
        campaign_id,
        account_id,
        2 as source_priority,
        cast(date_day as {{ dbt.type_timestamp() }}) as named_at
    from file_performance
    where nullif(ad_id, '') is not null

),

ranked as (

    select
        unioned.*,
        row_number() over (
            partition by unioned.platform, unioned.ad_id
            order by unioned.source_priority asc, unioned.named_at desc
        ) as ad_rank
    from unioned

),

final as (

    select
        ranked.platform,
        ranked.ad_id,
        ranked.ad_name,
        ranked.ad_set_id,
        ranked.ad_set_name,
        ranked.campaign_id,
        campaigns.campaign_name,
        ranked.account_id
    from ranked
    left join campaigns
        on ranked.platform = campaigns.platform
        and ranked.campaign_id = campaigns.campaign_id
    where ranked.ad_rank = 1

)

select * from final
