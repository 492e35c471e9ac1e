{#-
  Conversions, one row per conversion, configurable by vars:
    - stage: the first time a contact reaches each stage of var('attribution_conversion_stages') in a funnel
      episode (reaching = entering that stage or a later active stage, so a skip past it counts, as in the
      funnel); revenue 0;
    - purchase: every non-cancelled order (var attribution_include_purchases) with its revenue (net of
      discounts, before tax and shipping; refunds do not undo the conversion);
    - event: every int_commerce_events event named in var('attribution_conversion_events') with its value.
  conversion_id is built from source ids only ('stage:<contact>:<episode>:<stage>', 'purchase:<order id>',
  'event:<event id>'), so it is the same on every run. Rows without a resolved contact are left out.
-#}
{%- set stages = var('attribution_conversion_stages', ['Hot Lead', 'Customer']) %}
{%- set events = var('attribution_conversion_events', ['lead']) %}

with

spells as (

    select * from {{ ref('fct_lifecycle_stage_spells') }}

),

stages as (

    select * from {{ ref('int_lifecycle__stages') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

commerce_events as (

    select * from {{ ref('int_commerce_events') }}

),

conversion_stages as (

    select
        stage_name,
        stage_order
    from stages
    where not is_lost_stage
        and stage_name in (
            {%- for s in stages %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %}
            {%- if stages | length == 0 %}''{% endif -%}
        )

),

stage_reached as (

    select
        spells.contact_id,
        spells.funnel_episode,
        conversion_stages.stage_name,
        min(spells.entered_at) as converted_at
    from spells
    inner join conversion_stages
        on spells.stage_order >= conversion_stages.stage_order
    where not spells.is_lost_stage
    group by spells.contact_id, spells.funnel_episode, conversion_stages.stage_name

),

stage_conversions as (

    select
        {{ dbt.concat(["'stage:'", "contact_id", "':'", "cast(funnel_episode as " ~ dbt.type_string() ~ ")",
                       "':'", "stage_name"]) }} as conversion_id,
        'stage' as conversion_type,
        stage_name as conversion_name,
        contact_id,
        converted_at,
        cast(0 as {{ dbt.type_numeric() }}) as revenue,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ dbt.type_string() }}) as event_id
    from stage_reached

),

purchase_conversions as (

    select
        'purchase:' || order_id as conversion_id,
        'purchase' as conversion_type,
        'purchase' as conversion_name,
        contact_id,
        ordered_at as converted_at,
        cast(coalesce(revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        currency,
        order_id,
        cast(null as {{ dbt.type_string() }}) as event_id
    from orders
    where not is_cancelled
        and contact_id is not null
    {% if not var('attribution_include_purchases', true) %}and 1 = 0{% endif %}

),

event_conversions as (

    select
        'event:' || event_id as conversion_id,
        'event' as conversion_type,
        event_name as conversion_name,
        contact_id,
        occurred_at as converted_at,
        cast(coalesce(value, 0) as {{ dbt.type_numeric() }}) as revenue,
        currency,
        order_id,
        event_id
    from commerce_events
    where contact_id is not null
        and event_name in (
            {%- for e in events %}'{{ e | lower }}'{{ ', ' if not loop.last }}{% endfor %}
            {%- if events | length == 0 %}''{% endif -%}
        )

),

final as (

    select * from stage_conversions
    union all
    select * from purchase_conversions
    union all
    select * from event_conversions

)

select * from final
