{#-
  Attribution credits: one row per conversion x touchpoint x model. For each model and conversion the
  credits sum to 1 and the revenue credits to the conversion's revenue. Models (docs/attribution.md):
    first_touch, last_touch: 1 to the first / last touch of the path;
    linear: 1/n to each of the n touches (a channel touched twice gets 2/n);
    position_based: one touch 1; two touches 0.5 each; else 0.4 first, 0.4 last, 0.2 shared by the middle;
    time_decay: 0.5^(hours before the conversion / (24 x half-life days)), normalised per conversion;
    markov: the conversion is split over the distinct channels of its path in proportion to their removal
      effects (int_attribution__markov_removal_effects), each channel's part shared equally by its touches.
  A conversion with no touch in the lookback window gets one row per model with credit 1, touchpoint_id
  null and marketing_channel 'Unattributed', so report totals always equal the conversions.
-#}
{%- set half_life_hours = 24.0 * var('attribution_time_decay_half_life_days', 7) %}

with

conversions as (

    select * from {{ ref('int_attribution__conversions') }}

),

paths as (

    select * from {{ ref('int_attribution__paths') }}

),

removal_effects as (

    select * from {{ ref(python_step('int_attribution__markov_removal_effects')) }}

),

touches as (

    select
        paths.*,
        power(0.5, paths.hours_before_conversion / {{ half_life_hours }}) as decay_weight,
        count(*) over (partition by paths.conversion_id, paths.marketing_channel) as channel_touches
    from paths

),

weighted as (

    select
        touches.*,
        sum(touches.decay_weight) over (partition by touches.conversion_id) as decay_weight_total,
        removal_effects.removal_effect
    from touches
    left join removal_effects
        on touches.conversion_type = removal_effects.conversion_type
        and touches.conversion_name = removal_effects.conversion_name
        and touches.marketing_channel = removal_effects.marketing_channel

),

with_markov_total as (

    select
        weighted.*,
        -- each distinct channel of the path counted once: its effect spread over its touches
        sum(coalesce(weighted.removal_effect, 0) / weighted.channel_touches) over (
            partition by weighted.conversion_id
        ) as path_removal_effect
    from weighted

),

rule_credits as (

    {%- set models = {
        'first_touch': 'case when touch_position = 1 then 1.0 else 0.0 end',
        'last_touch': 'case when touch_position = touch_count then 1.0 else 0.0 end',
        'linear': '1.0 / touch_count',
        'position_based': 'case when touch_count = 1 then 1.0 when touch_count = 2 then 0.5
                when touch_position = 1 or touch_position = touch_count then 0.4
                else 0.2 / (touch_count - 2) end',
        'time_decay': 'decay_weight / decay_weight_total',
        'markov': 'case when path_removal_effect > 0
                then coalesce(removal_effect, 0) / path_removal_effect / channel_touches
                else 1.0 / touch_count end',
    } %}
    {%- for name, expression in models.items() %}
    select
        conversion_id,
        touchpoint_id,
        '{{ name }}' as model,
        cast({{ expression }} as {{ lifecycle_double() }}) as credit
    from with_markov_total
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

unattributed as (

    {%- for name in ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] %}
    select
        conversions.conversion_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        '{{ name }}' as model,
        cast(1.0 as {{ lifecycle_double() }}) as credit
    from conversions
    where not exists (
            select 1 from paths
            where paths.conversion_id = conversions.conversion_id
        )
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

credits as (

    select * from rule_credits
    union all
    select * from unattributed

),

final as (

    select
        cast({{ dbt.concat(["credits.conversion_id", "'|'", "coalesce(credits.touchpoint_id, '')", "'|'",
                            "credits.model"]) }} as {{ dbt.type_string() }}) as credit_id,
        cast(credits.conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(conversions.conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(conversions.conversion_name as {{ dbt.type_string() }}) as conversion_name,
        cast(conversions.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(conversions.converted_at as {{ dbt.type_timestamp() }}) as converted_at,
        cast(credits.touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(paths.touchpoint_type as {{ dbt.type_string() }}) as touchpoint_type,
        cast(paths.occurred_at as {{ dbt.type_timestamp() }}) as touched_at,
        cast(coalesce(paths.marketing_channel, 'Unattributed') as {{ dbt.type_string() }}) as marketing_channel,
        cast(paths.platform as {{ dbt.type_string() }}) as platform,
        cast(paths.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(paths.ad_set_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(paths.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(coalesce(paths.touch_position, 0) as integer) as touch_position,
        cast(coalesce(paths.touch_count, 0) as integer) as touch_count,
        cast(credits.model as {{ dbt.type_string() }}) as model,
        cast(credits.credit as {{ lifecycle_double() }}) as credit,
        cast(credits.credit * conversions.revenue as {{ lifecycle_double() }}) as revenue_credit,
        cast(conversions.currency as {{ dbt.type_string() }}) as currency
    from credits
    inner join conversions
        on credits.conversion_id = conversions.conversion_id
    left join paths
        on credits.conversion_id = paths.conversion_id
        and credits.touchpoint_id = paths.touchpoint_id

)

select * from final
