with source as (

    select * from {{ source('raw_files', 'ad_performance') }}

),

renamed as (

    select
        lower(trim(source_system))
        || ':'
        || cast(date_day as {{ dbt.type_string() }})
        || ':'
        || platform
        || ':'
        || ad_id as ad_performance_key,
        lower(trim(source_system)) as source_system,
        cast(date_day as date) as date_day,
        lower(trim(platform)) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        upper(trim(currency)) as currency,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(conversations_started as {{ dbt.type_bigint() }}) as conversations_started,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
