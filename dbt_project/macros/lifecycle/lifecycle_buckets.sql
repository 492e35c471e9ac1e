{#- First-response-time buckets of the lost-stage report (label and sort order). Edges in seconds. -#}
{% macro lifecycle_response_bucket(seconds, conversation_id) -%}
    case
        when {{ conversation_id }} is null then 'no conversation'
        when {{ seconds }} is null then 'no response'
        when {{ seconds }} < 300 then '< 5 min'
        when {{ seconds }} < 3600 then '5-60 min'
        when {{ seconds }} < 14400 then '1-4 h'
        when {{ seconds }} < 86400 then '4-24 h'
        else '> 24 h'
    end
{%- endmacro %}

{% macro lifecycle_response_bucket_order(seconds, conversation_id) -%}
    case
        when {{ conversation_id }} is null then 7
        when {{ seconds }} is null then 6
        when {{ seconds }} < 300 then 1
        when {{ seconds }} < 3600 then 2
        when {{ seconds }} < 14400 then 3
        when {{ seconds }} < 86400 then 4
        else 5
    end
{%- endmacro %}

{#- A double-precision float on every adapter (dbt.type_float() is 32-bit FLOAT on DuckDB); Spark says double. -#}
{% macro lifecycle_double() -%}{{ adapter.dispatch('lifecycle_double', 'lifecycle')() }}{%- endmacro %}

{% macro default__lifecycle_double() -%}double precision{%- endmacro %}

{% macro spark__lifecycle_double() -%}double{%- endmacro %}

{#- The slice columns of the daily lifecycle reports (date, channel, platform, campaign), typed, and the
    report's id built from them plus ``id_extra`` (more parts of the id, already quoted SQL). -#}
{% macro lifecycle_slice_columns(id_column, id_extra=[]) -%}
        cast(
            {{ dbt.concat([
                "cast(date_day as " ~ dbt.type_string() ~ ")", "'|'", "coalesce(channel, '')", "'|'",
                "platform", "'|'", "coalesce(campaign_id, '')"
            ] + id_extra) }} as {{ dbt.type_string() }}
        ) as {{ id_column }},
        cast(date_day as date) as date_day,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name
{%- endmacro %}
