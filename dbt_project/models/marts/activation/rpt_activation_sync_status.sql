{{ config(materialized='view') }}

with runs as (
    select * from {{ ref('rpt_activation_sync_runs') }}
),

failures as (
    select * from {{ ref('stg_ops__sync_failures') }}
),

per_sync as (
    select
        sync_name,
        cast(count(*) as {{ dbt.type_bigint() }}) as runs,
        cast(sum(case when status = 'failed' then 1 else 0 end) as {{ dbt.type_bigint() }}) as failed_runs,
        max(started_at) as last_run_at,
        max(case when is_success then started_at end) as last_success_at,
        max(case when is_finished then started_at end) as last_finished_at
    from runs
    group by sync_name
),

open_failures as (
    select
        sync_name,
        cast(count(*) as {{ dbt.type_bigint() }}) as failing_rows
    from failures
    group by sync_name
),

final as (
    select
        per_sync.sync_name,
        latest.destination,
        latest.run_mode as last_run_mode,
        latest.status as last_run_status,
        per_sync.last_run_at,
        per_sync.last_success_at,
        per_sync.last_finished_at,
        per_sync.runs,
        per_sync.failed_runs,
        coalesce(open_failures.failing_rows, 0) as failing_rows
    from per_sync
    inner join runs as latest on per_sync.sync_name = latest.sync_name and latest.is_latest_run
    left join open_failures on per_sync.sync_name = open_failures.sync_name
)

select * from final
