{#- Rows the destinations reject now, by sync and reason (no record keys: a report needs the counts). -#}
{{ config(materialized='view') }}

with failures as (
    select * from {{ ref('stg_ops__sync_failures') }}
),

final as (
    select
        sync_name,
        coalesce(failure_reason, '(no reason given)') as failure_reason,
        cast(count(*) as {{ dbt.type_bigint() }}) as failing_rows,
        max(attempts) as max_attempts,
        min(first_failed_at) as first_failed_at,
        max(last_failed_at) as last_failed_at
    from failures
    group by sync_name, coalesce(failure_reason, '(no reason given)')
)

select * from final
