{#- Generic data test: the model has at least one row (fails with one row when it is empty). -#}
{% test not_empty(model) %}
select 1 as is_empty
from (select count(*) as row_count from {{ model }}) as counted
where row_count = 0
{% endtest %}
