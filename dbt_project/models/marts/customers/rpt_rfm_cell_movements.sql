{#- Month-over-month movement between RFM cells: customers per snapshot month, previous cell and cell
    (previous_cell '(new)' for customers whose first order fell in the month). -#}

with

snapshots as (

    select * from {{ ref('int_customer_value__rfm_snapshots') }}

),

final as (

    select
        cast(current_month.snapshot_month as date) as snapshot_month,
        cast(coalesce(previous_month.rfm_cell, '(new)') as {{ dbt.type_string() }}) as previous_cell,
        cast(current_month.rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        cast(count(*) as integer) as customers
    from snapshots as current_month
    left join snapshots as previous_month
        on current_month.contact_id = previous_month.contact_id
        and previous_month.snapshot_month = {{ dbt.dateadd('month', -1, 'current_month.snapshot_month') }}
    group by current_month.snapshot_month, coalesce(previous_month.rfm_cell, '(new)'), current_month.rfm_cell

)

select * from final
