with source as (

    select * from {{ source('raw_meta_ads', 'insights_daily') }}

),

renamed as (

    select
        ad_id || ':' || cast(date_start as {{ dbt.type_string() }}) as insight_id,
        cast(date_start as date) as date_day,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        upper(trim(account_currency)) as currency,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(reach as {{ dbt.type_bigint() }}) as reach,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(inline_link_clicks as {{ dbt.type_bigint() }}) as link_clicks,
        cast(messaging_conversations_started as {{ dbt.type_bigint() }}) as conversations_started,
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
