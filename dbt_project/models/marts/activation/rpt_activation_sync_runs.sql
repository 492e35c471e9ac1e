{#- A view, not a table: the syncs run after the dbt build, and the serving copy is published again after
    each sync run, so the dashboards see a run as soon as it is logged (DECISIONLOG, "Activation health"). -#}
{{ config(materialized='view') }}

with sync_runs as (
    select * from {{ ref('stg_ops__sync_runs') }}
),

ranked as (
    select
        sync_runs.*,
        row_number() over (
            partition by sync_runs.sync_name
            order by sync_runs.started_at desc, {{ byte_order('sync_runs.sync_run_id') }} desc
        ) as run_recency,
        case when sync_runs.status = 'success' then 1 else 0 end as success_flag,
        case when sync_runs.status in ('success', 'partial') then 1 else 0 end as finished_flag
    from sync_runs
),

final as (
    select
        sync_run_id,
        sync_name,
        destination,
        run_mode,
        status,
        started_at,
        finished_at,
        cast(started_at as date) as started_date,
        cast({{ dbt.datediff('started_at', 'finished_at', 'second') }} as {{ dbt.type_bigint() }})
            as duration_seconds,
        coalesce(rows_total, 0) as rows_total,
        coalesce(rows_sent, 0) as rows_sent,
        coalesce(rows_unchanged, 0) as rows_unchanged,
        coalesce(rows_skipped, 0) as rows_skipped,
        coalesce(rows_failed, 0) as rows_failed,
        coalesce(rows_removed, 0) as rows_removed,
        coalesce(rows_left, 0) as rows_left,
        coalesce(requests, 0) as requests,
        success_flag = 1 as is_success,
        finished_flag = 1 as is_finished,
        run_recency = 1 as is_latest_run,
        error_message
    from ranked
)

select * from final
