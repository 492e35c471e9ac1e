{%- set columns = [
    ('sync_run_id', dbt.type_string()),
    ('sync_name', dbt.type_string()),
    ('destination', dbt.type_string()),
    ('mode', dbt.type_string()),
    ('started_at', dbt.type_timestamp()),
    ('finished_at', dbt.type_timestamp()),
    ('status', dbt.type_string()),
    ('rows_total', dbt.type_bigint()),
    ('rows_sent', dbt.type_bigint()),
    ('rows_unchanged', dbt.type_bigint()),
    ('rows_skipped', dbt.type_bigint()),
    ('rows_failed', dbt.type_bigint()),
    ('rows_removed', dbt.type_bigint()),
    ('rows_left', dbt.type_bigint()),
    ('requests', dbt.type_bigint()),
    ('error', dbt.type_string()),
] -%}

with source as (
    {{ ops_source_select('sync_runs', columns) }}
),

final as (
    select
        cast(sync_run_id as {{ dbt.type_string() }}) as sync_run_id,
        cast(sync_name as {{ dbt.type_string() }}) as sync_name,
        cast(destination as {{ dbt.type_string() }}) as destination,
        cast(mode as {{ dbt.type_string() }}) as run_mode,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(finished_at as {{ dbt.type_timestamp() }}) as finished_at,
        cast(rows_total as {{ dbt.type_bigint() }}) as rows_total,
        cast(rows_sent as {{ dbt.type_bigint() }}) as rows_sent,
        cast(rows_unchanged as {{ dbt.type_bigint() }}) as rows_unchanged,
        cast(rows_skipped as {{ dbt.type_bigint() }}) as rows_skipped,
        cast(rows_failed as {{ dbt.type_bigint() }}) as rows_failed,
        cast(rows_removed as {{ dbt.type_bigint() }}) as rows_removed,
        cast(rows_left as {{ dbt.type_bigint() }}) as rows_left,
        cast(requests as {{ dbt.type_bigint() }}) as requests,
        cast(error as {{ dbt.type_string() }}) as error_message
    from source
)

select * from final
