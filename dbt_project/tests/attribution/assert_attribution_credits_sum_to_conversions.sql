-- Per model and conversion, credits sum to 1 and revenue credits to the conversion's revenue; every
-- conversion has credits in every model. Returns the offending conversion x model rows.
with

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

models as (

    select distinct model from credits

),

sums as (

    select
        conversion_id,
        model,
        sum(credit) as credit_total,
        sum(revenue_credit) as revenue_credit_total
    from credits
    group by conversion_id, model

),

final as (

    select
        conversions.conversion_id,
        models.model,
        sums.credit_total,
        sums.revenue_credit_total,
        conversions.revenue
    from conversions
    cross join models
    left join sums
        on conversions.conversion_id = sums.conversion_id
        and models.model = sums.model
    where sums.conversion_id is null
        or abs(sums.credit_total - 1) > 1e-9
        or abs(sums.revenue_credit_total - conversions.revenue) > 1e-6 * (1 + abs(conversions.revenue))

)

select * from final
