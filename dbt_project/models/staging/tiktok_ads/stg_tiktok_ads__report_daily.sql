with source as (

    select * from {{ source('raw_tiktok_ads', 'report_daily') }}

),

renamed as (

    select
        ad_id || ':' || cast(stat_time_day as {{ dbt.type_string() }}) as report_id,
        cast(stat_time_day as date) as date_day,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adgroup_id as {{ dbt.type_string() }}) as adgroup_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(advertiser_id as {{ dbt.type_string() }}) as advertiser_id,
        upper(trim(currency)) as currency,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(conversion as {{ dbt.type_bigint() }}) as conversions,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
