{%- set columns = [
    ('sync_name', dbt.type_string()),
    ('record_key', dbt.type_string()),
    ('reason', dbt.type_string()),
    ('attempts', dbt.type_bigint()),
    ('first_failed_at', dbt.type_timestamp()),
    ('last_failed_at', dbt.type_timestamp()),
    ('sync_run_id', dbt.type_string()),
] -%}

with source as (
    {{ ops_source_select('sync_failures', columns) }}
),

final as (
    select
        cast(sync_name as {{ dbt.type_string() }}) as sync_name,
        cast(record_key as {{ dbt.type_string() }}) as record_key,
        cast(sync_run_id as {{ dbt.type_string() }}) as last_sync_run_id,
        cast(reason as {{ dbt.type_string() }}) as failure_reason,
        cast(attempts as {{ dbt.type_bigint() }}) as attempts,
        cast(first_failed_at as {{ dbt.type_timestamp() }}) as first_failed_at,
        cast(last_failed_at as {{ dbt.type_timestamp() }}) as last_failed_at
    from source
)

select * from final
