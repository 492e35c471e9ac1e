{#-
  Ad performance of every enabled platform (var ad_platforms) on one daily grain: platform, source system,
  account, campaign, ad set, ad, day. Field mapping per platform: macros/attribution/ad_reporting.sql.
  Figures are the platform's own (spend in the account currency, platform-reported conversions).
-#}

with

unioned as (

    {{ union_ad_platforms() }}

),

final as (

    select
        {{ dbt.concat([
            "platform", "'|'", "source_system", "'|'", "coalesce(account_id, '')", "'|'",
            "coalesce(campaign_id, '')", "'|'", "coalesce(ad_set_id, '')", "'|'", "coalesce(ad_id, '')", "'|'",
            "cast(date_day as " ~ dbt.type_string() ~ ")",
        ]) }} as ad_performance_id,
        platform,
        source_system,
        account_id,
        campaign_id,
        ad_set_id,
        ad_id,
        date_day,
        currency,
        spend,
        impressions,
        clicks,
        link_clicks,
        conversations_started,
        platform_conversions
    from unioned

)

select * from final
