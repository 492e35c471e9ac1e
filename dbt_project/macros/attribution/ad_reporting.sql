{#-
  Ad platforms on one daily grain, as Fivetran's dbt_ad_reporting does: each platform maps its staging
  columns onto the same fields, and int_ad_performance__daily unions the platforms named in var('ad_platforms').

  ad_reporting_fields(): the canonical fields, in order, with their types.
  ad_reporting_platforms(): per platform, the staging model and the SQL expression of every field (a field
  the platform does not report is null).
-#}
{% macro ad_reporting_fields() -%}
    {{ return([
        ('platform', dbt.type_string()),
        ('source_system', dbt.type_string()),
        ('account_id', dbt.type_string()),
        ('campaign_id', dbt.type_string()),
        ('ad_set_id', dbt.type_string()),
        ('ad_id', dbt.type_string()),
        ('date_day', 'date'),
        ('currency', dbt.type_string()),
        ('spend', dbt.type_numeric()),
        ('impressions', dbt.type_bigint()),
        ('clicks', dbt.type_bigint()),
        ('link_clicks', dbt.type_bigint()),
        ('conversations_started', dbt.type_bigint()),
        ('platform_conversions', dbt.type_bigint()),
    ]) }}
{%- endmacro %}

{% macro ad_reporting_platforms() -%}
    {{ return({
        'meta_ads': {
            'model': 'stg_meta_ads__insights_daily',
            'fields': {
                'platform': "'meta'",
                'source_system': "'meta_ads'",
                'account_id': 'account_id',
                'campaign_id': 'campaign_id',
                'ad_set_id': 'adset_id',
                'ad_id': 'ad_id',
                'date_day': 'date_day',
                'currency': 'currency',
                'spend': 'spend',
                'impressions': 'impressions',
                'clicks': 'clicks',
                'link_clicks': 'link_clicks',
                'conversations_started': 'conversations_started',
                'platform_conversions': 'leads',
            },
        },
        'tiktok_ads': {
            'model': 'stg_tiktok_ads__report_daily',
            'fields': {
                'platform': "'tiktok'",
                'source_system': "'tiktok_ads'",
                'account_id': 'advertiser_id',
                'campaign_id': 'campaign_id',
                'ad_set_id': 'adgroup_id',
                'ad_id': 'ad_id',
                'date_day': 'date_day',
                'currency': 'currency',
                'spend': 'spend',
                'impressions': 'impressions',
                'clicks': 'clicks',
                'link_clicks': 'clicks',
                'conversations_started': 'null',
                'platform_conversions': 'conversions',
            },
        },
        'files': {
            'model': 'stg_files__ad_performance',
            'fields': {
                'platform': 'platform',
                'source_system': 'source_system',
                'account_id': 'account_id',
                'campaign_id': 'campaign_id',
                'ad_set_id': "nullif(ad_group_id, '')",
                'ad_id': "nullif(ad_id, '')",
                'date_day': 'date_day',
                'currency': 'currency',
                'spend': 'spend',
                'impressions': 'impressions',
                'clicks': 'clicks',
                'link_clicks': 'null',
                'conversations_started': 'conversations_started',
                'platform_conversions': 'null',
            },
        },
    }) }}
{%- endmacro %}

{#- One select per enabled platform, every field cast to its canonical type, unioned. -#}
{% macro union_ad_platforms() -%}
    {%- set platforms = ad_reporting_platforms() -%}
    {%- set enabled = var('ad_platforms', ['meta_ads', 'tiktok_ads', 'files']) -%}
    {%- for name in enabled -%}
        {%- if name not in platforms -%}
            {{ exceptions.raise_compiler_error("var ad_platforms: unknown platform '" ~ name ~ "'; known: "
                ~ (platforms.keys() | list | join(', '))) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set chosen = [] -%}
    {%- for name in platforms.keys() if name in enabled -%}{%- do chosen.append(name) -%}{%- endfor -%}
    {%- for name in chosen %}
    select
        {%- for field, type in ad_reporting_fields() %}
        cast({{ platforms[name].fields[field] }} as {{ type }}) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(platforms[name].model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if chosen | length == 0 %}
    select
        {%- for field, type in ad_reporting_fields() %}
        cast(null as {{ type }}) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

{#- amount expressed in var('reporting_currency'), given the joined int_attribution__currency_rates row alias. -#}
{% macro to_reporting_currency(amount, rates_alias) -%}
    cast({{ amount }} * {{ rates_alias }}.rate_to_reporting as {{ dbt.type_numeric() }})
{%- endmacro %}
