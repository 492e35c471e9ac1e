{#-
  normalize_email(email): trim + lower-case; empty strings and values without '@' become null.
  Portable SQL (lower, trim, nullif, like). It does not validate the address further and does not
  remove dots or +tags (gmail-style aliases stay distinct: they may be different people).
-#}
{% macro normalize_email(email) -%}
    case
        when lower(trim({{ email }})) like '%_@_%' then lower(trim({{ email }}))
    end
{%- endmacro %}
