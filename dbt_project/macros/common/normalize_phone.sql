{#-
  normalize_phone(phone, calling_code=none): a free-text phone number toward E.164 ('+' and 8-15 digits).

  calling_code: SQL expression with the contact's country calling code as digits (e.g. a column joined from
  the seed country_calling_codes); when it is null or not given, var('default_country_calling_code').

  Rules, in order (portable SQL: regexp_replace_sql, dispatched per adapter; substr, length, like):
    1. lower-case and trim; drop an extension ('ext', 'x' or '#' and everything after) and a '(0)'.
    2. keep digits only.
    3. '+' prefix            -> already international: the digits as they are.
       '00' prefix           -> international access code: drop '00'.
       '0' prefix            -> national trunk prefix: replace the 0 with the calling code
                                (Italy, San Marino, Vatican keep the 0 after +39/+378/+379).
       starts with the calling code and has >= 11 digits, or has >= 12 digits
                             -> international number written without '+': as it is.
       otherwise             -> national number without trunk prefix: prepend the calling code.
    4. the result must have 8 to 15 digits and not start with 0, else null.

  Known limits (documented, not guessed around): no per-country length validation (libphonenumber does that
  in Python, not in SQL); an international number of 11 digits or fewer written without '+' or '00' is read
  as national (e.g. '6591234567' with default code 1 becomes +16591234567); 7-digit E.164 numbers of very
  small countries are rejected; numbers of countries whose trunk prefix is not 0 (e.g. '8' in some CIS
  countries) keep that prefix.
-#}
{% macro normalize_phone(phone, calling_code=none) -%}
    nullif({{ phone_e164_or_empty(phone, calling_code) }}, '')
{%- endmacro %}

{#- normalize_phone without the final nullif: '' when the number is not valid (nest this, not nullif, which
    engines expand into a CASE that repeats its argument). -#}
{% macro phone_e164_or_empty(phone, calling_code=none) -%}
    {%- set default_cc = project_var('default_country_calling_code') | string -%}
    {%- if calling_code is none -%}
        {%- set cc = "'" ~ default_cc ~ "'" -%}
    {%- else -%}
        {%- set cc = "coalesce(cast(" ~ calling_code ~ " as " ~ dbt.type_string() ~ "), '" ~ default_cc ~ "')" -%}
    {%- endif -%}
    {#- one linear pass: extension and '(0)' dropped, digits kept, a leading '+' or '00' becomes the marker I -#}
    {%- set no_extension = regexp_replace_sql('lower(trim(' ~ phone ~ '))', '(ext|x|#).*$', '', all_matches=false) -%}
    {%- set marked = regexp_replace_sql(regexp_replace_sql(
            regexp_replace_sql("replace(" ~ no_extension ~ ", '(0)', '')", '[^0-9+]', ''),
            '^(\\+|00)', 'I', all_matches=false), '[^0-9I]', '') -%}
    {%- set international -%}
        case
            when {{ marked }} like 'I%' then substr({{ marked }}, 2)
            when {{ marked }} like '0%' and {{ cc }} in ('39', '378', '379') then {{ cc }} || {{ marked }}
            when {{ marked }} like '0%' then {{ cc }} || substr({{ marked }}, 2)
            when length({{ marked }}) >= 12 then {{ marked }}
            when length({{ marked }}) >= 11 and substr({{ marked }}, 1, length({{ cc }})) = {{ cc }} then {{ marked }}
            else {{ cc }} || {{ marked }}
        end
    {%- endset -%}
    {#- valid E.164: '+', a non-zero digit, 8 to 15 digits in all; anything else becomes '' -#}
    {{ regexp_replace_sql("'+' || " ~ international, '^(\\+[1-9][0-9]{7,14})$|^.*$', '\\1', all_matches=false) }}
{%- endmacro %}
