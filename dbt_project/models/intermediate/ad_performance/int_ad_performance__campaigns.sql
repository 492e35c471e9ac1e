{#-
  Campaigns of every ad platform, one row per platform and campaign id, with the name: Meta and TikTok
  campaign tables, and campaigns known only from file-drop ad performance (latest name written). An API
  platform's own name wins over a file's.
-#}

with

meta_campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

tiktok_campaigns as (

    select * from {{ ref('stg_tiktok_ads__campaigns') }}

),

file_performance as (

    select * from {{ ref('stg_files__ad_performance') }}

),

unioned as (

    select
        'meta' as platform,
        campaign_id,
        campaign_name,
        account_id,
        objective,
        status,
        1 as source_priority,
        updated_at as named_at
    from meta_campaigns

    union all

    select
        'tiktok' as platform,
        campaign_id,
        campaign_name,
        advertiser_id as account_id,
        objective,
        status,
        1 as source_priority,
        updated_at as named_at
    from tiktok_campaigns

    union all

    select
        platform,
        campaign_id,
        campaign_name,
        account_id,
        cast(null as {{ dbt.type_string() }}) as objective,
        cast(null as {{ dbt.type_string() }}) as status,
        2 as source_priority,
        cast(date_day as {{ dbt.type_timestamp() }}) as named_at
    from file_performance
    where campaign_id is not null

),

ranked as (

    select
        unioned.*,
        row_number() over (
            partition by unioned.platform, unioned.campaign_id
            order by
                unioned.source_priority asc,
                case when unioned.campaign_name is null then 1 else 0 end,
                unioned.named_at desc
        ) as name_rank
    from unioned

),

final as (

    select
        platform,
        campaign_id,
        campaign_name,
        account_id,
        objective,
        status
    from ranked
    where name_rank = 1

)

select * from final
