-- Report totals equal the conversions: per model, conversion month and kind, the attributed conversions of
-- rpt_attribution_by_channel and of rpt_attribution_by_campaign add up to the count of conversions, and the
-- attributed revenue to their revenue (reporting currency). Returns the rows that disagree.
with

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

rates as (

    select * from {{ ref('int_attribution__currency_rates') }}

),

by_channel as (

    select * from {{ ref('rpt_attribution_by_channel') }}

),

by_campaign as (

    select * from {{ ref('rpt_attribution_by_campaign') }}

),

models as (

    select distinct model from by_channel

),

expected as (

    select
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date) as conversion_month,
        conversions.conversion_type,
        conversions.conversion_name,
        count(*) as conversions,
        sum(case when conversions.revenue = 0 then 0 else conversions.revenue * rates.rate_to_reporting end) as revenue
    from conversions
    left join rates
        on coalesce(conversions.currency, '{{ var("reporting_currency", "USD") | upper }}') = rates.currency
    group by
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date),
        conversions.conversion_type,
        conversions.conversion_name

),

reported as (

    select
        'by_channel' as report,
        conversion_month,
        model,
        conversion_type,
        conversion_name,
        sum(attributed_conversions) as conversions,
        sum(attributed_revenue) as revenue
    from by_channel
    group by conversion_month, model, conversion_type, conversion_name

    union all

    select
        'by_campaign' as report,
        conversion_month,
        model,
        conversion_type,
        conversion_name,
        sum(attributed_conversions) as conversions,
        sum(attributed_revenue) as revenue
    from by_campaign
    group by conversion_month, model, conversion_type, conversion_name

),

reports as (

    select 'by_channel' as report
    union all
    select 'by_campaign' as report

),

final as (

    select
        expected.conversion_month,
        expected.conversion_type,
        expected.conversion_name,
        models.model,
        reports.report,
        expected.conversions as expected_conversions,
        reported.conversions as reported_conversions,
        expected.revenue as expected_revenue,
        reported.revenue as reported_revenue
    from expected
    cross join models
    cross join reports
    left join reported
        on expected.conversion_month = reported.conversion_month
        and expected.conversion_type = reported.conversion_type
        and expected.conversion_name = reported.conversion_name
        and models.model = reported.model
        and reports.report = reported.report
    where reported.conversions is null
        or abs(reported.conversions - expected.conversions) > 1e-6
        or abs(coalesce(reported.revenue, 0) - coalesce(expected.revenue, 0))
        > 1e-4 * (1 + abs(coalesce(expected.revenue, 0)))

)

select * from final
