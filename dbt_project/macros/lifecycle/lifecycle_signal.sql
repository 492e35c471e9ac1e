{#-
  The columns of one signal row, in the order every branch of int_lifecycle__signals unions them.
  Arguments are SQL expressions; the ones left out are typed nulls.
-#}
{% macro lifecycle_signal(signal_type, record_id, at, conversation_id=none, channel=none, label=none, reason=none,
                          value=none, changed_by=none, source_system='source_system', contact_id='contact_id') -%}
    {%- set text = dbt.type_string() -%}
        {{ signal_type }} as signal_type,
        cast({{ record_id }} as {{ text }}) as source_record_id,
        {{ contact_id }} as contact_id,
        {{ at }} as signal_at,
        {{ source_system }} as source_system,
        cast({{ conversation_id or 'null' }} as {{ text }}) as conversation_id,
        cast({{ channel or 'null' }} as {{ text }}) as channel,
        cast({{ label or 'null' }} as {{ text }}) as signal_label,
        cast({{ reason or 'null' }} as {{ text }}) as signal_reason,
        cast({{ value or 'null' }} as {{ lifecycle_double() }}) as signal_value,
        cast({{ changed_by or 'null' }} as {{ text }}) as changed_by_type
{%- endmacro %}
