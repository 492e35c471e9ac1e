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

-- the six models' names, crossed with every touch (and every unattributed conversion) below: one pass over
-- the paths gives all six credits, with no join back to the paths for their columns
model_names as (

    {%- for name in models %}
    select '{{ name }}' as model
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

attributed as (

    select
        with_markov_total.conversion_id,
        with_markov_total.touchpoint_id,
        with_markov_total.touchpoint_type,
        with_markov_total.occurred_at,
        with_markov_total.marketing_channel,
        with_markov_total.platform,
        with_markov_total.campaign_id,
        with_markov_total.ad_set_id,
        with_markov_total.ad_id,
        with_markov_total.touch_position,
        with_markov_total.touch_count,
        model_names.model,
        cast(case model_names.model
            {%- for name, expression in models.items() %}
            when '{{ name }}' then {{ expression }}
            {%- endfor %}
        end as {{ lifecycle_double() }}) as credit
    from with_markov_total
    cross join model_names

),

-- a conversion with no touch in the window: credit 1 to 'Unattributed' in every model
unattributed as (

    select
        conversions.conversion_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_type,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(null as {{ dbt.type_string() }}) as marketing_channel,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_set_id,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        cast(null as integer) as touch_position,
        cast(null as integer) as touch_count,
        model_names.model,
        cast(1.0 as {{ lifecycle_double() }}) as credit
    from conversions
    cross join model_names
    where not exists (
            select 1 from paths
            where paths.conversion_id = conversions.conversion_id
        )

),

credits as (

    select * from attributed
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
        cast(credits.touchpoint_type as {{ dbt.type_string() }}) as touchpoint_type,
        cast(credits.occurred_at as {{ dbt.type_timestamp() }}) as touched_at,
        cast(coalesce(credits.marketing_channel, 'Unattributed') as {{ dbt.type_string() }}) as marketing_channel,
        cast(credits.platform as {{ dbt.type_string() }}) as platform,
        cast(credits.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(credits.ad_set_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(credits.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(coalesce(credits.touch_position, 0) as integer) as touch_position,
        cast(coalesce(credits.touch_count, 0) as integer) as touch_count,
        cast(credits.model as {{ dbt.type_string() }}) as model,
        cast(credits.credit as {{ lifecycle_double() }}) as credit,
        cast(credits.credit * conversions.revenue as {{ lifecycle_double() }}) as revenue_credit,
        cast(conversions.currency as {{ dbt.type_string() }}) as currency
    from credits
    inner join conversions
        on credits.conversion_id = conversions.conversion_id

)

select * from final
