{#-
  yaml_segment(spec): the SQL of a segment defined in YAML (activation/segments/<name>.yml), called by the
  models `lifecycle segments generate` writes to models/segments/from_yaml/. spec = {name, file, filters};
  the filters' format is documented in activation/segments.py and docs/activation.md. Structure and types were
  checked when the model was generated; stage names are checked here, against the preset in use, and an error
  names the file, the key and the value.
-#}

{% macro _yaml_segment_fail(spec, key, value, message) -%}
    {{ exceptions.raise_compiler_error("segment " ~ spec.file ~ ": key 'filters." ~ key ~ "': '" ~ value ~ "': " ~ message) }}
{%- endmacro %}

{% macro _yaml_segment_stage(spec, key, name, allowed, config) -%}
    {%- if name == 'hot_lead_stage' -%}{{ return(config.hot_lead_stage) }}
    {%- elif name == 'won_stage' -%}{{ return(config.won_stage) }}
    {%- elif name == 'first_stage' -%}{{ return(config.stages[0].name) }}
    {%- endif -%}
    {%- for s in allowed -%}
        {%- if (s | lower) == (name | lower) -%}{{ return(s) }}{%- endif -%}
    {%- endfor -%}
    {{ _yaml_segment_fail(spec, key, name, "not a stage of preset " ~ config.name ~ " (" ~ (allowed | join(', ')) ~ ")") }}
{%- endmacro %}

{% macro _yaml_segment_range(expr, r) -%}
    {%- set parts = [] -%}
    {%- if r.get('min') is not none -%}{%- do parts.append(expr ~ ' >= ' ~ r.min) -%}{%- endif -%}
    {%- if r.get('max') is not none -%}{%- do parts.append(expr ~ ' <= ' ~ r.max) -%}{%- endif -%}
    {{ return('(' ~ (parts | join(' and ')) ~ ')') }}
{%- endmacro %}

{% macro yaml_segment(spec) -%}
{%- set config = lifecycle_config() -%}
{%- set f = spec.filters -%}
{%- set active = config.stages | map(attribute='name') | list -%}
{%- set lost = config.lost_stages | map(attribute='name') | list -%}
{%- set order_by_name = {} -%}
{%- for s in config.stages %}{% do order_by_name.update({s.name: s.order}) %}{% endfor -%}
{%- set uses_value = f.get('rfm_cell') is not none or f.get('clv') is not none or f.get('churn_risk') is not none -%}
{%- set conditions = [] -%}

{#- stage / lost stage: either one matches -#}
{%- set stage_terms = [] -%}
{%- if f.get('stage') is not none -%}
    {%- set names = [] -%}
    {%- for n in f.stage -%}
        {%- do names.append(_yaml_segment_stage(spec, 'stage[' ~ loop.index0 ~ ']', n, active, config)) -%}
    {%- endfor -%}
    {%- do stage_terms.append('(contacts.current_stage in ' ~ segment_in_list(names) ~ ' and contacts.current_lost_stage is null)') -%}
{%- endif -%}
{%- if f.get('lost_stage') is not none -%}
    {%- if f.lost_stage | map('lower') | list == ['any'] -%}
        {%- do stage_terms.append('contacts.is_lost') -%}
    {%- else -%}
        {%- set names = [] -%}
        {%- for n in f.lost_stage -%}
            {%- do names.append(_yaml_segment_stage(spec, 'lost_stage[' ~ loop.index0 ~ ']', n, lost, config)) -%}
        {%- endfor -%}
        {%- do stage_terms.append('contacts.current_lost_stage in ' ~ segment_in_list(names)) -%}
    {%- endif -%}
{%- endif -%}
{%- if stage_terms -%}{%- do conditions.append('(' ~ (stage_terms | join(' or ')) ~ ')') -%}{%- endif -%}
{%- if f.get('stage_at_least') is not none -%}
    {%- set at_least = _yaml_segment_stage(spec, 'stage_at_least', f.stage_at_least, active, config) -%}
    {%- do conditions.append('(contacts.current_stage_order >= ' ~ order_by_name[at_least] ~ ' and contacts.current_lost_stage is null)') -%}
{%- endif -%}

{#- channels and consent -#}
{%- if f.get('channel') is not none -%}
    {%- set terms = [] -%}
    {%- for c in f.channel %}{% do terms.append(segment_list_has('facts.inbound_channels', lifecycle_literal(c | lower))) %}{% endfor -%}
    {%- do conditions.append('(' ~ (terms | join(' or ')) ~ ')') -%}
{%- endif -%}
{%- if f.get('consent') is not none -%}
    {%- set list_col = 'facts.opted_in_channels' if f.consent.get('require_opt_in') else 'facts.reachable_channels' -%}
    {%- do conditions.append(segment_list_has(list_col, lifecycle_literal(f.consent.channel | lower))) -%}
{%- endif -%}
{%- if f.get('reachable') is true -%}{%- do conditions.append('facts.reachable_channels is not null') -%}{%- endif -%}
{%- if f.get('reachable') is false -%}{%- do conditions.append('facts.reachable_channels is null') -%}{%- endif -%}

{#- activity, orders, answers, entry -#}
{%- for key, expr in [('days_since_last_inbound', 'facts.days_since_last_inbound'),
                      ('days_since_last_order', 'facts.days_since_last_order'),
                      ('orders', 'facts.orders'), ('nps', 'facts.latest_nps_score'),
                      ('clv', 'customer_value.predicted_clv'), ('churn_risk', 'customer_value.churn_risk')] -%}
    {%- if f.get(key) is not none -%}{%- do conditions.append(_yaml_segment_range(expr, f[key])) -%}{%- endif -%}
{%- endfor -%}
{%- if f.get('entered_funnel_within_days') is not none -%}
    {%- do conditions.append('(contacts.funnel_entry_at > ' ~ dbt.dateadd('day', -f.entered_funnel_within_days, 'facts.as_of_at')
                             ~ ' and contacts.funnel_entry_at <= facts.as_of_at)') -%}
{%- endif -%}
{%- if f.get('campaign') is not none -%}
    {%- do conditions.append('facts.entry_campaign in ' ~ segment_in_list(f.campaign)) -%}
{%- endif -%}
{%- if f.get('entry_platform') is not none -%}
    {%- do conditions.append('lower(facts.entry_platform) in ' ~ segment_in_list(f.entry_platform | map('lower') | list)) -%}
{%- endif -%}
{%- if f.get('rfm_cell') is not none -%}
    {%- do conditions.append('customer_value.rfm_cell in ' ~ segment_in_list(f.rfm_cell)) -%}
{%- endif -%}

with

contacts as (
    select * from {{ ref('dim_contacts') }}
),

facts as (
    select * from {{ ref('dim_contact_segment_facts') }}
),
{% if uses_value %}
customer_value as (
    select * from {{ ref('fct_customer_value') }}
),
{% endif %}
final as (
    select
        {{ segment_contact_columns() }},
        cast(facts.orders as integer) as orders,
        cast(facts.revenue as decimal(18, 2)) as revenue,
        cast(facts.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
        cast(facts.days_since_last_order as integer) as days_since_last_order,
        cast(facts.last_inbound_at as {{ dbt.type_timestamp() }}) as last_inbound_at,
        cast(facts.days_since_last_inbound as integer) as days_since_last_inbound,
        cast(facts.latest_nps_score as integer) as latest_nps_score,
        cast(facts.entry_platform as {{ dbt.type_string() }}) as entry_platform,
        cast(facts.entry_campaign as {{ dbt.type_string() }}) as entry_campaign
        {%- if uses_value %},
        cast(customer_value.rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(customer_value.predicted_clv as {{ lifecycle_double() }}) as predicted_clv,
        cast(customer_value.churn_risk as {{ lifecycle_double() }}) as churn_risk
        {%- endif %}
    from contacts
    inner join facts
        on facts.contact_id = contacts.contact_id
    {%- if uses_value %}
    {{ 'inner' if f.get('rfm_cell') is not none else 'left' }} join customer_value
        on customer_value.contact_id = contacts.contact_id
    {%- endif %}
    where {{ conditions | join('\n      and ') }}
)

select * from final
{%- endmacro %}
