{#- Generic data test (fan-out check between layers): the model has exactly as many rows as the given
    models together. Fails with one row holding both counts. -#}
{% test row_count_equals_sum(model, models) %}
with counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (
            {%- for m in models %}
            (select count(*) from {{ m }}){{ " +" if not loop.last }}
            {%- endfor %}
        ) as expected_rows
)
select * from counts where model_rows <> expected_rows
{% endtest %}
