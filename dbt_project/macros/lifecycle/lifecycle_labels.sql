{#- A lost reason as people read it: the signal prefix of an engine-made reason ("stage_set: lost to
    competitor", "tag_added: unqualified") becomes words, and the first letter is upper-cased. The raw
    reason stays in the marts beside it. -#}
{% macro lifecycle_lost_reason_label(reason) -%}
    case
        when {{ reason }} is null then 'Unknown'
        when {{ reason }} like 'stage_set: %'
            then {{ dbt.concat(["'Marked \"'", "substr(" ~ reason ~ ", 12)", "'\" in the inbox'"]) }}
        when {{ reason }} like 'tag_added: %'
            then {{ dbt.concat(["'Tagged \"'", "substr(" ~ reason ~ ", 12)", "'\"'"]) }}
        when {{ reason }} like 'deal_lost: %'
            then {{ dbt.concat(["'CRM deal lost: '", "substr(" ~ reason ~ ", 12)"]) }}
        when {{ reason }} like 'crm_stage_changed: %'
            then {{ dbt.concat(["'CRM stage set: '", "substr(" ~ reason ~ ", 20)"]) }}
        else {{ dbt.concat(["upper(substr(" ~ reason ~ ", 1, 1))", "substr(" ~ reason ~ ", 2)"]) }}
    end
{%- endmacro %}
