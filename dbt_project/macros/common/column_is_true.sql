{#- Generic data test: fails for every row where the column is not true (false or null). -#}
{% test column_is_true(model, column_name) %}
select *
from {{ model }}
where not coalesce({{ column_name }}, false)
{% endtest %}
