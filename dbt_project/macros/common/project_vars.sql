{#-
  The project's vars, validated: one rules table, one line per var.

  Every var declared in dbt_project.yml (and the few read with a default only) has ONE line in
  project_var_rules(): its kind and its bounds. Adding a var means adding its line there; a pytest test
  (tests/test_dbt_vars.py) fails when a var of dbt_project.yml has no line.

  - project_var(name) is how models and macros read a var: the value, validated (types, ranges, allowed
    values), or a compile error naming the var and the bad value. Reading through it makes a bad value
    fail at parse time with that message instead of deep inside the SQL.
  - validate_project_vars() checks every var at once; dbt_project.yml calls it in `on-run-start`, so a
    build fails before its first model even when the selected models read none of the bad vars.
  - project_var_problem(name, value) is the check itself, returning the message (or none); the tests
    call it through check_project_vars(cases) to try many bad values in one dbt invocation.

  Kinds: integer, number, string, digits (a string of digits), choice (one of `allowed`), string_list,
  bool (true or false), number_list (numbers from `min` to `max`; `length` items; `ascending`),
  bool_map (a mapping of the listed `keys` to true/false), mapping, timestamp ('YYYY-MM-DD[ HH:MM[:SS]]',
  1970 to 2099). `min` / `max` bound numbers; `nullable` allows null; `min_length` / `max_length`
  bound digits strings; `item_pattern` is a regular expression every list item must match in full, and
  `allowed_items` the values list items may take; `pattern` is the regular expression a string matches.
-#}

{% macro project_var_rules() -%}
    {{ return({
        'warehouse_path':                      {'kind': 'string', 'nullable': true},
        'default_country_calling_code':        {'kind': 'digits', 'min_length': 1, 'max_length': 3},
        'identity_max_records_per_identifier': {'kind': 'integer', 'min': 2, 'max': 100000},
        'identity_max_iterations':             {'kind': 'integer', 'min': 1, 'max': 64},
        'identity_junk_emails':                {'kind': 'string_list'},
        'identity_junk_email_domains':         {'kind': 'string_list', 'item_pattern': '[A-Za-z0-9.-]+'},
        'identity_junk_phones':                {'kind': 'string_list', 'item_pattern': '[+]?[0-9]+'},
        'sources_enabled':                     {'kind': 'bool_map', 'keys': ['respondio', 'hubspot', 'salesforce', 'shop', 'files']},
        'conversation_session_gap_hours':      {'kind': 'number', 'min': 0.25, 'max': 8760},
        'incremental_lookback_minutes':        {'kind': 'number', 'min': 0, 'max': 525600, 'nullable': true},
        'lifecycle_preset':                    {'kind': 'choice', 'allowed': lifecycle_presets().keys() | list | sort},
        'lifecycle_config':                    {'kind': 'mapping', 'nullable': true},
        'lifecycle_as_of':                     {'kind': 'timestamp', 'nullable': true},
        'lifecycle_dropoff_trailing_months':   {'kind': 'integer', 'min': 1, 'max': 36},
        'lifecycle_dropoff_tolerance':         {'kind': 'number', 'min': 0, 'max': 10},
        'lifecycle_refinement_rounds':         {'kind': 'integer', 'min': 1, 'max': 10},
        'ad_platforms':                        {'kind': 'string_list', 'allowed_items': ['meta_ads', 'tiktok_ads', 'files']},
        'attribution_conversion_events':       {'kind': 'string_list'},
        'attribution_conversion_stages':       {'kind': 'string_list'},
        'attribution_include_purchases':       {'kind': 'bool'},
        'attribution_lookback_days':           {'kind': 'integer', 'min': 1, 'max': 3650},
        'attribution_time_decay_half_life_days': {'kind': 'number', 'min': 0.01, 'max': 3650},
        'campaign_hot_lead_stage':             {'kind': 'string', 'nullable': true},
        'churn_risk_band_thresholds':          {'kind': 'number_list', 'min': 0, 'max': 1, 'length': 2, 'ascending': true},
        'clv_horizon_months':                  {'kind': 'integer', 'min': 1, 'max': 120},
        'clv_min_customers':                   {'kind': 'integer', 'min': 2, 'max': 100000000},
        'clv_min_repeat_customers':            {'kind': 'integer', 'min': 1, 'max': 100000000},
        'clv_monthly_discount_rate':           {'kind': 'number', 'min': 0, 'max': 1},
        'clv_prediction_days':                 {'kind': 'integer', 'min': 1, 'max': 3650},
        'conversion_click_window_days':        {'kind': 'integer', 'min': 1, 'max': 365},
        'conversion_events_lookback_days':     {'kind': 'integer', 'min': 1, 'max': 3650},
        'customer_value_observation_end':      {'kind': 'timestamp', 'nullable': true},
        'python_fallback_schema':              {'kind': 'string', 'pattern': '[A-Za-z_][A-Za-z0-9_]*'},
        'python_model_adapters':               {'kind': 'string_list', 'item_pattern': '[a-z_]+'},
        'reporting_currency':                  {'kind': 'string', 'pattern': '[A-Za-z]{3}'},
        'retention_active_days':               {'kind': 'integer', 'min': 1, 'max': 3650},
        'rfm_frequency_window_days':           {'kind': 'integer', 'min': 1, 'max': 3650},
        'rfm_monetary_ratio':                  {'kind': 'number', 'min': 0.01, 'max': 100},
        'rfm_recency_days':                    {'kind': 'number_list', 'min': 1, 'max': 3650, 'length': 3, 'ascending': true},
        'rfm_repeat_orders':                   {'kind': 'integer', 'min': 2, 'max': 1000},
        'segment_awaiting_reply_hours':        {'kind': 'number', 'min': 0.1, 'max': 8760},
        'segment_dormant_days':                {'kind': 'integer', 'min': 1, 'max': 3650},
        'segment_new_ad_leads_days':           {'kind': 'integer', 'min': 1, 'max': 3650},
        'segment_promoter_min_nps':            {'kind': 'integer', 'min': 0, 'max': 10},
        'segments_as_of':                      {'kind': 'timestamp', 'nullable': true},
    }) }}
{%- endmacro %}

{#- The value as the message shows it: quoted, cut short. -#}
{% macro _project_var_shown(value) -%}
    {%- set text = value | string -%}
    {{- return("'" ~ (text[:60] ~ ('...' if text | length > 60 else '')) ~ "'") -}}
{%- endmacro %}

{% macro _project_var_is_number(value) -%}
    {{ return(value is number and value is not boolean) }}
{%- endmacro %}

{% macro project_var_problem(name, value) -%}
    {%- set rules = project_var_rules() -%}
    {%- if name not in rules -%}
        {{ return("var '" ~ name ~ "' has no validation rule: add its line to project_var_rules() in dbt_project/macros/common/project_vars.sql") }}
    {%- endif -%}
    {%- set rule = rules[name] -%}
    {%- set kind = rule['kind'] -%}
    {%- set shown = _project_var_shown(value) -%}
    {%- set head = "var '" ~ name ~ "': " -%}
    {%- if value is none or (value is string and (value | trim) in ('', 'null', 'None') and rule.get('nullable')) -%}
        {%- if rule.get('nullable') -%}{{ return(none) }}{%- endif -%}
        {{ return(head ~ "a value is required (got null)") }}
    {%- endif -%}

    {%- if kind == 'integer' -%}
        {%- if value is not integer or value is boolean -%}
            {{ return(head ~ "expected a whole number from " ~ rule['min'] ~ " to " ~ rule['max'] ~ ", got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'number' -%}
        {%- if not _project_var_is_number(value) -%}
            {{ return(head ~ "expected a number from " ~ rule['min'] ~ " to " ~ rule['max'] ~ ", got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'string' -%}
        {%- if value is not string -%}
            {{ return(head ~ "expected text, got " ~ shown) }}
        {%- endif -%}
        {%- if rule.get('pattern') and not modules.re.fullmatch(rule['pattern'], value) -%}
            {{ return(head ~ "expected text matching " ~ rule['pattern'] ~ ", got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'bool' -%}
        {%- if value is not boolean -%}
            {{ return(head ~ "expected true or false, got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'number_list' -%}
        {%- if value is string or value is mapping or value is not sequence -%}
            {{ return(head ~ "expected a list of numbers from " ~ rule['min'] ~ " to " ~ rule['max'] ~ ", got " ~ shown) }}
        {%- endif -%}
        {%- if rule.get('length') and value | length != rule['length'] -%}
            {{ return(head ~ "expected " ~ rule['length'] ~ " numbers, got " ~ shown) }}
        {%- endif -%}
        {%- for item in value -%}
            {%- if not _project_var_is_number(item) or item < rule['min'] or item > rule['max'] -%}
                {{ return(head ~ "item " ~ loop.index0 ~ ": expected a number from " ~ rule['min'] ~ " to " ~ rule['max'] ~ ", got " ~ _project_var_shown(item)) }}
            {%- endif -%}
            {%- if rule.get('ascending') and not loop.first and item <= value[loop.index0 - 1] -%}
                {{ return(head ~ "expected numbers in ascending order, got " ~ shown) }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif kind == 'digits' -%}
        {%- set text = value | string -%}
        {%- if value is boolean or not (value is string or value is integer) or not modules.re.fullmatch('[0-9]+', text)
              or text | length < rule['min_length'] or text | length > rule['max_length'] -%}
            {{ return(head ~ "expected " ~ rule['min_length'] ~ " to " ~ rule['max_length'] ~ " digits, got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'choice' -%}
        {%- if value not in rule['allowed'] -%}
            {{ return(head ~ "expected one of " ~ (rule['allowed'] | join(', ')) ~ ", got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'string_list' -%}
        {%- if value is string or value is mapping or value is not sequence -%}
            {{ return(head ~ "expected a list of text values, got " ~ shown) }}
        {%- endif -%}
        {%- for item in value -%}
            {%- if item is not string or (item | trim) == '' -%}
                {{ return(head ~ "item " ~ loop.index0 ~ ": expected non-empty text, got " ~ _project_var_shown(item)) }}
            {%- endif -%}
            {%- if rule.get('item_pattern') and not modules.re.fullmatch(rule['item_pattern'], item) -%}
                {{ return(head ~ "item " ~ loop.index0 ~ ": expected text matching " ~ rule['item_pattern'] ~ ", got " ~ _project_var_shown(item)) }}
            {%- endif -%}
            {%- if rule.get('allowed_items') and item not in rule['allowed_items'] -%}
                {{ return(head ~ "item " ~ loop.index0 ~ ": expected one of " ~ (rule['allowed_items'] | join(', ')) ~ ", got " ~ _project_var_shown(item)) }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif kind == 'bool_map' -%}
        {%- if value is not mapping -%}
            {{ return(head ~ "expected a mapping of " ~ (rule['keys'] | join(', ')) ~ " to true or false, got " ~ shown) }}
        {%- endif -%}
        {%- for k, v in value.items() -%}
            {%- if k not in rule['keys'] -%}
                {{ return(head ~ "unknown key " ~ _project_var_shown(k) ~ " (known: " ~ (rule['keys'] | join(', ')) ~ ")") }}
            {%- endif -%}
            {%- if v is not boolean -%}
                {{ return(head ~ "key '" ~ k ~ "': expected true or false, got " ~ _project_var_shown(v)) }}
            {%- endif -%}
        {%- endfor -%}
    {%- elif kind == 'mapping' -%}
        {%- set parsed = fromyaml(value) if value is string else value -%}
        {%- if parsed is not mapping -%}
            {{ return(head ~ "expected a mapping, got " ~ shown) }}
        {%- endif -%}
    {%- elif kind == 'timestamp' -%}
        {%- set m = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?', value | string) if value is string else none -%}
        {%- if not m -%}
            {{ return(head ~ "expected a UTC time 'YYYY-MM-DD HH:MM:SS', got " ~ shown) }}
        {%- endif -%}
        {%- set year, month, day = m.group(1) | int, m.group(2) | int, m.group(3) | int -%}
        {%- set hour, minute, second = (m.group(4) or 0) | int, (m.group(5) or 0) | int, (m.group(6) or 0) | int -%}
        {%- if year < 1970 or year > 2099 or month < 1 or month > 12 or day < 1 or day > 31 or hour > 23 or minute > 59 or second > 59 -%}
            {{ return(head ~ "expected a UTC time from 1970 to 2099 'YYYY-MM-DD HH:MM:SS', got " ~ shown) }}
        {%- endif -%}
    {%- else -%}
        {{ return(head ~ "unknown rule kind '" ~ kind ~ "'") }}
    {%- endif -%}

    {%- if kind in ('integer', 'number') -%}
        {%- if value < rule['min'] or value > rule['max'] -%}
            {{ return(head ~ "expected a " ~ ('whole number' if kind == 'integer' else 'number') ~ " from " ~ rule['min'] ~ " to " ~ rule['max'] ~ ", got " ~ shown) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- The raw value of a var (its declared value, or none when it is not declared). -#}
{% macro _project_var_raw(name) -%}
    {{ return(var(name, none)) }}
{%- endmacro %}

{#- A var's value, validated; a compile error naming the var and the bad value otherwise. -#}
{% macro project_var(name) -%}
    {%- set value = _project_var_raw(name) -%}
    {%- set problem = project_var_problem(name, value) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {%- if project_var_rules()[name]['kind'] == 'mapping' and value is string -%}
        {{ return(fromyaml(value)) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- Every var at once (dbt_project.yml's on-run-start); the stage configuration is validated in depth too. -#}
{% macro validate_project_vars() -%}
    {%- set problems = [] -%}
    {%- for name in project_var_rules() -%}
        {%- set problem = project_var_problem(name, _project_var_raw(name)) -%}
        {%- if problem -%}{%- do problems.append(problem) -%}{%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(problems | join('; ')) }}
    {%- endif -%}
    {%- do lifecycle_config() -%}
    {{ return('') }}
{%- endmacro %}

{#- For the tests: the message for each [name, value] case (none when the value is valid), printed as JSON. -#}
{% macro check_project_vars(cases) -%}
    {%- set out = [] -%}
    {%- for case in cases -%}
        {%- do out.append(project_var_problem(case[0], case[1])) -%}
    {%- endfor -%}
    {%- do print('PROJECT_VAR_PROBLEMS ' ~ tojson(out)) -%}
{%- endmacro %}
