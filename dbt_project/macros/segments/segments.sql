{#-
  Shared pieces of the segment models (models/segments/): the "as of" time, the stage names the configured
  preset gives each segment, and the columns every contact segment carries.
-#}

{#- The "as of" time of segment windows: var segments_as_of, else var lifecycle_as_of, else null (the caller
    falls back to the latest evidence in the data). -#}
{% macro segment_as_of_literal() -%}
    {%- set as_of = var('segments_as_of', none) -%}
    {%- if as_of -%}cast({{ lifecycle_literal(as_of | string) }} as {{ dbt.type_timestamp() }})
    {%- else -%}{{ lifecycle_as_of_literal() }}
    {%- endif -%}
{%- endmacro %}

{#- Stage names of the configured preset, by role: 'hot_lead' (hot_lead_stage), 'won' (won_stage),
    'cold' (the lost stages an `inactivity` rule moves contacts to), 'lost' (every lost stage). -#}
{% macro segment_stages(role) -%}
    {%- set config = lifecycle_config() -%}
    {%- if role == 'hot_lead' -%}{{ return([config.hot_lead_stage]) }}
    {%- elif role == 'won' -%}{{ return([config.won_stage]) }}
    {%- elif role == 'lost' -%}{{ return(config.lost_stages | map(attribute='name') | list) }}
    {%- elif role == 'cold' -%}
        {%- set cold = config.rules | selectattr('is_lost') | selectattr('signal', 'equalto', 'inactivity')
                       | map(attribute='stage_name') | unique | list -%}
        {{ return(cold) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("segment_stages: unknown role '" ~ role ~ "' (hot_lead, won, cold, lost)") }}
    {%- endif -%}
{%- endmacro %}

{#- A SQL list of string literals, e.g. ('Hot Lead', 'Payment'); (null) when empty, so `in` matches nothing. -#}
{% macro segment_in_list(values) -%}
    {%- if values | length == 0 -%}(cast(null as {{ dbt.type_string() }}))
    {%- else -%}({% for v in values %}{{ lifecycle_literal(v) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- True when the comma list `list_expr` holds `value_expr` (both SQL expressions). -#}
{% macro segment_list_has(list_expr, value_expr) -%}
    {{ dbt.position(dbt.concat(["','", value_expr, "','"]), dbt.concat(["','", list_expr, "','"])) }} > 0
{%- endmacro %}

{#- The columns every contact segment starts with (contacts = dim_contacts, facts = int_segments__contact_facts
    or its mart twin dim_contact_segment_facts). -#}
{% macro segment_contact_columns(contacts='contacts', facts='facts') -%}
        cast({{ contacts }}.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast({{ contacts }}.email as {{ dbt.type_string() }}) as email,
        cast({{ contacts }}.phone as {{ dbt.type_string() }}) as phone,
        cast({{ contacts }}.first_name as {{ dbt.type_string() }}) as first_name,
        cast({{ contacts }}.last_name as {{ dbt.type_string() }}) as last_name,
        cast({{ contacts }}.country_code as {{ dbt.type_string() }}) as country_code,
        cast({{ contacts }}.current_stage as {{ dbt.type_string() }}) as current_stage,
        cast({{ contacts }}.current_stage_entered_at as {{ dbt.type_timestamp() }}) as current_stage_entered_at,
        cast({{ contacts }}.funnel_entry_at as {{ dbt.type_timestamp() }}) as funnel_entry_at,
        cast({{ facts }}.preferred_channel as {{ dbt.type_string() }}) as preferred_channel,
        cast({{ facts }}.reachable_channels as {{ dbt.type_string() }}) as reachable_channels,
        cast({{ contacts }}.opted_out_channels as {{ dbt.type_string() }}) as opted_out_channels,
        cast({{ facts }}.as_of_at as {{ dbt.type_timestamp() }}) as as_of_at
{%- endmacro %}
