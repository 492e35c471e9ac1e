{#-
  The lifecycle stage configuration, loaded and validated at compile time.

  lifecycle_config() returns the normalised configuration of the preset named by var `lifecycle_preset`
  (default respond_io; a preset is a YAML file in dbt_project/lifecycle_stages/), with the top-level keys
  of var `lifecycle_config` (a mapping, in dbt_project.yml or --vars) replacing the preset's keys.
  Every error names the key and the bad value and stops the compile (exceptions.raise_compiler_error).
  See docs/lifecycle.md for the format.
-#}

{% macro lifecycle_known_signals() -%}
    {{ return([
        'first_inbound_message', 'inbound_message', 'qualified', 'tag_added', 'tag_removed',
        'stage_set', 'crm_stage_changed', 'stage_cleared',
        'quote_sent', 'add_to_cart', 'checkout_started', 'checkout_completed', 'payment_pending', 'payment',
        'purchase', 'repeat_purchase', 'deal_created', 'deal_won', 'deal_lost',
        'nps_answered', 'csat_answered', 'review', 'referral', 'consent_opted_in', 'consent_opted_out',
        'inactivity',
    ]) }}
{%- endmacro %}

{% macro lifecycle_presets() -%}
    {{ return({
        'respond_io': lifecycle_preset__respond_io,
        'five_stage': lifecycle_preset__five_stage,
    }) }}
{%- endmacro %}

{% macro _lifecycle_fail(key, message) -%}
    {{ exceptions.raise_compiler_error("lifecycle stage config: key '" ~ key ~ "': " ~ message) }}
{%- endmacro %}

{% macro _lifecycle_check_keys(obj, allowed, key) -%}
    {% if obj is not mapping %}
        {{ _lifecycle_fail(key, "expected a mapping, got " ~ (obj | string)) }}
    {% endif %}
    {% for k in obj.keys() %}
        {% if k not in allowed %}
            {{ _lifecycle_fail(key ~ '.' ~ k, "unknown key '" ~ k ~ "' (allowed: " ~ (allowed | join(', ')) ~ ")") }}
        {% endif %}
    {% endfor %}
{%- endmacro %}

{% macro _lifecycle_string_list(value, key) -%}
    {% if value is none %}{{ return([]) }}{% endif %}
    {% if value is string or value is not sequence %}
        {{ _lifecycle_fail(key, "expected a list of strings, got '" ~ (value | string) ~ "'") }}
    {% endif %}
    {% set out = [] %}
    {% for v in value %}
        {% if v is not string or (v | trim) == '' %}
            {{ _lifecycle_fail(key ~ '[' ~ loop.index0 ~ ']', "expected a non-empty string, got '" ~ (v | string) ~ "'") }}
        {% endif %}
        {% do out.append(v | trim | lower) %}
    {% endfor %}
    {{ return(out) }}
{%- endmacro %}

{% macro lifecycle_raw_config() -%}
    {% set preset_name = var('lifecycle_preset', 'respond_io') %}
    {% set presets = lifecycle_presets() %}
    {% if preset_name not in presets %}
        {{ _lifecycle_fail('lifecycle_preset', "unknown preset '" ~ preset_name ~ "' (known: " ~ (presets.keys() | list | sort | join(', ')) ~ ")") }}
    {% endif %}
    {% set config = presets[preset_name]() %}
    {% set override = var('lifecycle_config', none) %}
    {% if override is not none and override != '' %}
        {% if override is string %}{% set override = fromyaml(override) %}{% endif %}
        {% if override is not mapping %}
            {{ _lifecycle_fail('lifecycle_config', "expected a mapping of config keys, got '" ~ (override | string) ~ "'") }}
        {% endif %}
        {% set merged = {} %}
        {% do merged.update(config) %}
        {% if 'stages' in override and override.stages is sequence and override.stages is not string %}
            {# new stages: a stage choice of the preset that names a stage no longer there falls back to its default #}
            {% set names = [] %}
            {% for st in override.stages %}{% if st is mapping %}{% do names.append(st.get('name')) %}{% endif %}{% endfor %}
            {% for key in ['won_stage', 'hot_lead_stage'] %}
                {% if key not in override and merged.get(key) not in names %}{% do merged.pop(key, none) %}{% endif %}
            {% endfor %}
        {% endif %}
        {% do merged.update(override) %}
        {% set config = merged %}
    {% endif %}
    {{ return(config) }}
{%- endmacro %}

{% macro lifecycle_config() -%}
    {% set raw = lifecycle_raw_config() %}
    {% set known_signals = lifecycle_known_signals() %}
    {% set top_keys = ['name', 'default_mode', 'explicit_mode', 'crm_mode', 'explicit_signals', 'inactivity_days',
                       'qualified_tags', 'won_stage', 'hot_lead_stage', 'stages', 'lost_stages'] %}
    {% set stage_keys = ['name', 'order', 'aliases', 'rules'] %}
    {% set rule_keys = ['signal', 'mode', 'min_value', 'max_value', 'min_sequence', 'label_in',
                        'label_contains', 'changed_by_in', 'while_in'] %}
    {% set modes = ['forward_only', 'free'] %}
    {{ _lifecycle_check_keys(raw, top_keys, 'config') }}

    {% set default_mode = raw.get('default_mode', 'forward_only') %}
    {% if default_mode not in modes %}
        {{ _lifecycle_fail('default_mode', "unknown mode '" ~ default_mode ~ "' (forward_only or free)") }}
    {% endif %}
    {% set explicit_mode = raw.get('explicit_mode', 'free') %}
    {% if explicit_mode not in modes %}
        {{ _lifecycle_fail('explicit_mode', "unknown mode '" ~ explicit_mode ~ "' (forward_only or free)") }}
    {% endif %}
    {% set crm_mode = raw.get('crm_mode', 'forward_only') %}
    {% if crm_mode not in modes %}
        {{ _lifecycle_fail('crm_mode', "unknown mode '" ~ crm_mode ~ "' (forward_only or free)") }}
    {% endif %}
    {% set explicit_signals = _lifecycle_string_list(raw.get('explicit_signals', ['stage_set', 'crm_stage_changed']), 'explicit_signals') %}
    {% for s in explicit_signals %}
        {% if s not in known_signals %}
            {{ _lifecycle_fail('explicit_signals[' ~ loop.index0 ~ ']', "unknown signal '" ~ s ~ "'") }}
        {% endif %}
    {% endfor %}
    {% set inactivity_days = raw.get('inactivity_days', 14) %}
    {% if inactivity_days is not integer or inactivity_days is boolean or inactivity_days < 1 or inactivity_days > 3650 %}
        {{ _lifecycle_fail('inactivity_days', "expected a whole number of days from 1 to 3650, got '" ~ (inactivity_days | string) ~ "'") }}
    {% endif %}
    {% set qualified_tags = _lifecycle_string_list(raw.get('qualified_tags', ['qualified']), 'qualified_tags') %}

    {# ---- stages ---- #}
    {% set raw_stages = raw.get('stages') %}
    {% if raw_stages is none or raw_stages is string or raw_stages is mapping or raw_stages is not sequence or raw_stages | length == 0 %}
        {{ _lifecycle_fail('stages', "expected a non-empty list of stages") }}
    {% endif %}
    {% set raw_lost = raw.get('lost_stages', []) or [] %}
    {% if raw_lost is string or raw_lost is mapping or raw_lost is not sequence %}
        {{ _lifecycle_fail('lost_stages', "expected a list of stages") }}
    {% endif %}

    {% set seen_names = {} %}
    {% set seen_aliases = {} %}
    {% set seen_orders = {} %}
    {% set stages = [] %}
    {% for group_key, group, is_lost in [('stages', raw_stages, false), ('lost_stages', raw_lost, true)] %}
        {% for s in group %}
            {% set key = group_key ~ '[' ~ loop.index0 ~ ']' %}
            {{ _lifecycle_check_keys(s, stage_keys, key) }}
            {% set name = s.get('name') %}
            {% if name is not string or (name | trim) == '' %}
                {{ _lifecycle_fail(key ~ '.name', "expected a non-empty stage name, got '" ~ (name | string) ~ "'") }}
            {% endif %}
            {% set name = name | trim %}
            {% if (name | lower) in seen_names %}
                {{ _lifecycle_fail(key ~ '.name', "duplicate stage '" ~ name ~ "' (also " ~ seen_names[name | lower] ~ ")") }}
            {% endif %}
            {% do seen_names.update({(name | lower): key}) %}
            {% set order = s.get('order') %}
            {% if not is_lost %}
                {% if order is not integer or order is boolean or order < 1 %}
                    {{ _lifecycle_fail(key ~ '.order', "stage '" ~ name ~ "': order must be a positive whole number, got '" ~ (order | string) ~ "'") }}
                {% endif %}
                {% if order in seen_orders %}
                    {{ _lifecycle_fail(key ~ '.order', "stage '" ~ name ~ "': order " ~ order ~ " is already used by stage '" ~ seen_orders[order] ~ "'") }}
                {% endif %}
                {% do seen_orders.update({order: name}) %}
            {% elif order is not none %}
                {{ _lifecycle_fail(key ~ '.order', "lost stage '" ~ name ~ "' has no order (lost stages sit outside the funnel)") }}
            {% endif %}
            {% set aliases = _lifecycle_string_list(s.get('aliases', []), key ~ '.aliases') %}
            {% set all_labels = [name | lower] %}
            {% for a in aliases %}{% if a not in all_labels %}{% do all_labels.append(a) %}{% endif %}{% endfor %}
            {% for a in all_labels %}
                {% if a in seen_aliases and seen_aliases[a] != name %}
                    {{ _lifecycle_fail(key ~ '.aliases', "alias '" ~ a ~ "' of stage '" ~ name ~ "' already names stage '" ~ seen_aliases[a] ~ "'") }}
                {% endif %}
                {% do seen_aliases.update({a: name}) %}
            {% endfor %}
            {% set rules = s.get('rules', []) or [] %}
            {% if rules is string or rules is mapping or rules is not sequence %}
                {{ _lifecycle_fail(key ~ '.rules', "expected a list of rules") }}
            {% endif %}
            {% do stages.append({'key': key, 'name': name, 'order': (order if not is_lost else none),
                                 'is_lost': is_lost, 'labels': all_labels, 'raw_rules': rules}) %}
        {% endfor %}
    {% endfor %}

    {% set active = stages | rejectattr('is_lost') | sort(attribute='order') | list %}
    {% set order_by_name = {} %}
    {% for s in active %}{% do order_by_name.update({s.name: s.order}) %}{% endfor %}

    {# ---- rules ---- #}
    {% set rules = [] %}
    {% for s in stages %}
        {% for r in s.raw_rules %}
            {% set key = s.key ~ '.rules[' ~ loop.index0 ~ ']' %}
            {{ _lifecycle_check_keys(r, rule_keys, key) }}
            {% set signal = r.get('signal') %}
            {% if signal not in known_signals %}
                {{ _lifecycle_fail(key ~ '.signal', "unknown signal '" ~ (signal | string) ~ "' (known: " ~ (known_signals | join(', ')) ~ ")") }}
            {% endif %}
            {% set mode = r.get('mode', default_mode) %}
            {% if mode not in modes %}
                {{ _lifecycle_fail(key ~ '.mode', "unknown mode '" ~ (mode | string) ~ "' (forward_only or free)") }}
            {% endif %}
            {% for nk in ['min_value', 'max_value'] %}
                {% if r.get(nk) is not none and (r.get(nk) is not number or r.get(nk) is boolean) %}
                    {{ _lifecycle_fail(key ~ '.' ~ nk, "expected a number, got '" ~ (r.get(nk) | string) ~ "'") }}
                {% endif %}
            {% endfor %}
            {% set min_sequence = r.get('min_sequence') %}
            {% if min_sequence is not none and (min_sequence is not integer or min_sequence < 1) %}
                {{ _lifecycle_fail(key ~ '.min_sequence', "expected a positive whole number, got '" ~ (min_sequence | string) ~ "'") }}
            {% endif %}
            {% set label_contains = r.get('label_contains') %}
            {% if label_contains is not none and label_contains is not string %}
                {{ _lifecycle_fail(key ~ '.label_contains', "expected a string, got '" ~ (label_contains | string) ~ "'") }}
            {% endif %}
            {% set while_max_order = none %}
            {% if r.get('while_in') is not none %}
                {% if not s.is_lost %}
                    {{ _lifecycle_fail(key ~ '.while_in', "only rules of lost stages take while_in") }}
                {% endif %}
                {% set while_in = r.get('while_in') %}
                {% if while_in is string or while_in is not sequence or while_in | length == 0 %}
                    {{ _lifecycle_fail(key ~ '.while_in', "expected a non-empty list of stage names") }}
                {% endif %}
                {% for w in while_in %}
                    {% if w not in order_by_name %}
                        {{ _lifecycle_fail(key ~ '.while_in', "'" ~ (w | string) ~ "' is not one of the stages (" ~ (active | map(attribute='name') | join(', ')) ~ ")") }}
                    {% endif %}
                {% endfor %}
                {% set expected = active[:(while_in | length)] | map(attribute='name') | list %}
                {% if (while_in | sort) != (expected | sort) %}
                    {{ _lifecycle_fail(key ~ '.while_in', "must list the first stages of the funnel in order (" ~ (expected | join(', ')) ~ "), got " ~ (while_in | join(', '))) }}
                {% endif %}
                {% set while_max_order = order_by_name[active[(while_in | length) - 1].name] %}
            {% endif %}
            {% do rules.append({
                'rule_key': key, 'stage_name': s.name, 'stage_order': s.order, 'is_lost': s.is_lost,
                'rule_kind': 'rule', 'signal': signal, 'mode': mode,
                'min_value': r.get('min_value'), 'max_value': r.get('max_value'), 'min_sequence': min_sequence,
                'labels': _lifecycle_string_list(r.get('label_in'), key ~ '.label_in'),
                'label_contains': (label_contains | lower if label_contains is not none else none),
                'changed_by': _lifecycle_string_list(r.get('changed_by_in'), key ~ '.changed_by_in'),
                'while_max_order': while_max_order}) %}
        {% endfor %}
        {# explicit stage sets (inbox agents, AI agents, CRM) move to the stage whose name or alias they carry #}
        {% for signal in explicit_signals %}
            {% do rules.append({
                'rule_key': s.key ~ '.' ~ signal, 'stage_name': s.name, 'stage_order': s.order, 'is_lost': s.is_lost,
                'rule_kind': 'explicit', 'signal': signal,
                'mode': (crm_mode if signal == 'crm_stage_changed' else explicit_mode),
                'min_value': none, 'max_value': none, 'min_sequence': none, 'labels': s.labels,
                'label_contains': none, 'changed_by': [], 'while_max_order': none}) %}
        {% endfor %}
    {% endfor %}

    {% set won_stage = raw.get('won_stage', active[-1].name) %}
    {% if won_stage not in order_by_name %}
        {{ _lifecycle_fail('won_stage', "'" ~ won_stage ~ "' is not one of the stages (" ~ (active | map(attribute='name') | join(', ')) ~ ")") }}
    {% endif %}

    {# the stage of qualified, engaged leads (the hot-lead segments): configured, else the stage the
       `qualified` signal moves to, else the second stage #}
    {% set qualified_stages = rules | selectattr('signal', 'equalto', 'qualified') | rejectattr('is_lost')
                              | map(attribute='stage_name') | list %}
    {% set hot_default = qualified_stages[0] if qualified_stages else (active[1].name if active | length > 1 else active[0].name) %}
    {% set hot_lead_stage = raw.get('hot_lead_stage', hot_default) %}
    {% if hot_lead_stage not in order_by_name %}
        {{ _lifecycle_fail('hot_lead_stage', "'" ~ hot_lead_stage ~ "' is not one of the stages (" ~ (active | map(attribute='name') | join(', ')) ~ ")") }}
    {% endif %}

    {% set out = {
        'name': raw.get('name', var('lifecycle_preset', 'respond_io')),
        'hot_lead_stage': hot_lead_stage,
        'default_mode': default_mode, 'explicit_mode': explicit_mode, 'crm_mode': crm_mode,
        'inactivity_days': inactivity_days,
        'qualified_tags': qualified_tags, 'won_stage': won_stage, 'won_order': order_by_name[won_stage],
        'stages': active, 'lost_stages': stages | selectattr('is_lost') | list, 'rules': rules,
    } %}
    {{ return(out) }}
{%- endmacro %}

{#- A Python value as a SQL literal (strings quoted and escaped, none as null). -#}
{% macro lifecycle_literal(value, type=none) -%}
    {%- if value is none -%}
        {%- if type -%}cast(null as {{ type }}){%- else -%}null{%- endif -%}
    {%- elif value is boolean -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {%- if type -%}cast({{ value }} as {{ type }}){%- else -%}{{ value }}{%- endif -%}
    {%- else -%}'{{ sql_string_escape(value | string) }}'
    {%- endif -%}
{%- endmacro %}

{#- A list of labels as one delimited string '|a|b|' that dbt.position() can search ('' when empty). -#}
{% macro lifecycle_label_list(values) -%}
    {%- if values | length == 0 -%}cast(null as {{ dbt.type_string() }})
    {%- else -%}{{ lifecycle_literal('|' ~ (values | join('|')) ~ '|') }}
    {%- endif -%}
{%- endmacro %}

{#- The "as of" time the inactivity signal is measured against: var lifecycle_as_of, else the latest signal. -#}
{% macro lifecycle_as_of_literal() -%}
    {%- set as_of = project_var('lifecycle_as_of') -%}
    {%- if as_of -%}cast({{ lifecycle_literal(as_of | string) }} as {{ dbt.type_timestamp() }})
    {%- else -%}null
    {%- endif -%}
{%- endmacro %}
