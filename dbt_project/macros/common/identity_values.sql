{#-
  Identity-grade identifiers: the normalised value, or null when it is a known placeholder.
  Used by the identity graph and by every model that resolves a row through it (the same expression
  on both sides, so keys built from these values always match).
-#}

{#- Placeholders are removed with one CASE over a list (never nested nullif: engines expand nullif into
    a CASE that repeats its argument, so nesting grows the SQL exponentially). -#}
{% macro identity_email(email) -%}
    {{ identity_email_checked(identity_email_stripped(email)) }}
{%- endmacro %}

{% macro identity_phone(phone, calling_code=none) -%}
    {{ identity_phone_checked(identity_phone_stripped(phone, calling_code)) }}
{%- endmacro %}

{#-
  The two steps of identity_email / identity_phone, for a model that normalises many values: the first
  (normalised, junk domains or all-same-digit numbers made '') in one CTE, the check against the junk list
  in the next. Written as one expression, DuckDB turns the list into a join keyed on the whole normalising
  expression, several times slower on a million distinct values. The composition is the same SQL.
-#}
{% macro identity_email_stripped(email) -%}
    {%- set domains = project_var('identity_junk_email_domains') -%}
    {%- set e = normalize_email(email) -%}
    {%- if domains | length > 0 -%}
        {%- set pattern = "^.*@(" ~ (domains | map('lower') | map('replace', '.', '\\.') | join('|')) ~ ")$" -%}
        {%- set e = regexp_replace_sql(e, pattern, '', all_matches=false) -%}
    {%- endif -%}
    {{ e }}
{%- endmacro %}

{% macro identity_email_checked(e) -%}
    case
        when {{ e }} in (''
            {%- for v in project_var('identity_junk_emails') %}, {{ lifecycle_literal(v | lower) }}{% endfor -%}
        ) then null
        else {{ e }}
    end
{%- endmacro %}

{#- every digit the same (+11111111111) is a placeholder; so are the listed values -#}
{% macro identity_phone_stripped(phone, calling_code=none) -%}
    {{ regexp_replace_sql(phone_e164_or_empty(phone, calling_code),
                          '^\\+(0+|1+|2+|3+|4+|5+|6+|7+|8+|9+)$', '', all_matches=false) }}
{%- endmacro %}

{% macro identity_phone_checked(p) -%}
    case
        when {{ p }} in (''
            {%- for v in project_var('identity_junk_phones') %}, {{ lifecycle_literal(v) }}{% endfor -%}
        ) then null
        else {{ p }}
    end
{%- endmacro %}

{#-
  File-drop rows carry contact_external_id and/or email/phone. They resolve through the identity graph as:
    - record_source 'files_contact', record_id source_system:contact_external_id   when the external id is set;
    - record_source 'files_ref', record_id md5(source_system|email|phone)           otherwise (normalised,
      junk-filtered identity values: rows of the same email/phone pair share one record);
    - record_source 'files_ref', record_id md5(source_system|row|<row key>)         when nothing identifies the
      row (the loader should have quarantined it): the row becomes its own contact.
  Arguments are SQL expressions; email_id/phone_id must already be identity_email/identity_phone values.
-#}
{% macro files_record_source(contact_external_id) -%}
    case when nullif(trim({{ contact_external_id }}), '') is not null then 'files_contact' else 'files_ref' end
{%- endmacro %}

{% macro files_record_id(source_system, contact_external_id, email_id, phone_id, row_key) -%}
    case
        when nullif(trim({{ contact_external_id }}), '') is not null
            then {{ source_system }} || ':' || trim({{ contact_external_id }})
        when {{ email_id }} is not null or {{ phone_id }} is not null
            then {{ dbt.hash(source_system ~ " || '|' || coalesce(" ~ email_id ~ ", '') || '|' || coalesce(" ~ phone_id ~ ", '')") }}
        else {{ dbt.hash(source_system ~ " || '|row|' || " ~ row_key) }}
    end
{%- endmacro %}

{#- The file-drop staging models that reference a contact: (model, row key column, timestamp column). -#}
{% macro files_identity_tables() -%}
    {{ return([
        ('stg_files__conversations', 'conversation_key', 'opened_at'),
        ('stg_files__messages', 'message_key', 'sent_at'),
        ('stg_files__lifecycle_events', 'lifecycle_event_key', 'changed_at'),
        ('stg_files__orders', 'order_key', 'ordered_at'),
        ('stg_files__touchpoints', 'touchpoint_key', 'occurred_at'),
        ('stg_files__conversion_events', 'conversion_event_key', 'occurred_at'),
        ('stg_files__surveys', 'survey_response_key', 'answered_at'),
        ('stg_files__consents', 'consent_key', 'changed_at'),
    ]) }}
{%- endmacro %}

{#-
  files_with_contact(model, row_key): a subquery over a file-drop staging model with the resolved contact_id
  (the same record key as in int_identity__record_identifiers, so every row finds its contact).
-#}
{% macro files_with_contact(model, row_key) -%}
    (
        select
            refs.*,
            contact_map.contact_id
        from (
            select
                file_rows.*,
                {{ identity_email('file_rows.email') }} as identity_email_value,
                {{ identity_phone('file_rows.phone') }} as identity_phone_value
            from {{ ref(model) }} as file_rows
        ) as refs
        left join {{ ref('int_identity__contact_map') }} as contact_map
            on contact_map.record_source = {{ files_record_source('refs.contact_external_id') }}
            and contact_map.record_id = {{ files_record_id('refs.source_system', 'refs.contact_external_id',
                'refs.identity_email_value', 'refs.identity_phone_value', 'refs.' ~ row_key) }}
    )
{%- endmacro %}

{#- Is a source switched on (var sources_enabled)? -#}
{% macro source_enabled(name) -%}
    {{ return(project_var('sources_enabled').get(name, true)) }}
{%- endmacro %}
