"""Activation assets: one per enabled sync of ``activation/syncs/``, downstream of the segment model it reads.

Each sync asset uses the ``warehouse`` resource (where the segment and the sync state are) and its
destination's resource (``<destination>_destination``: live or dry run, host override, credentials read
when it runs). A sync that fails raises: its asset fails and ``ops.sync_runs`` says why, while the other
syncs of the run go on (they do not depend on each other). Rows the destination rejected do not fail
the asset (they are kept in ``ops.sync_failures`` and retried on the next run); the asset check
``no_rejected_rows`` (severity WARN) shows them. An empty segment is a successful run of 0 rows.

A sync with a ``schedule`` gets a job of its own and a schedule, created stopped like every schedule.
After each run (failed ones too) the serving copy is published again, so the dashboards show the run.
"""


import contextlib

import dagster as dg
from dagster_dbt import get_asset_key_for_model

import warehouse_io
from activation import SyncConfig, load_syncs, run_sync
from orchestration.assets.dbt import lifecycle_dbt_assets
from orchestration.console import expected_errors, expected_failure
from orchestration.resources import destination_key, lock_wait_seconds

CHECK = "no_rejected_rows"


def _sync_asset(sync: SyncConfig) -> dg.AssetsDefinition:
    try:
        segment = get_asset_key_for_model([lifecycle_dbt_assets], sync.source.table_name)
    except Exception as exc:  # a sync reading a model dbt does not have: say which file
        raise ValueError(f"{sync.file}: source.model: {sync.source.model!r}: no such dbt model ({exc})") from None
    destination = destination_key(sync.destination_type)

    @dg.asset(name=sync.name, group_name="activation", kinds={"python", sync.destination_type}, deps=[segment],
              required_resource_keys={"warehouse", destination}, description=sync.description,
              check_specs=[dg.AssetCheckSpec(CHECK, asset=sync.name,
                                             description="every row the destination saw was accepted")],
              metadata={"sync_file": sync.file, "mode": sync.mode, "segment": sync.source.relation})
    def _run(context: dg.AssetExecutionContext):
        warehouse = context.resources.warehouse
        dest = getattr(context.resources, destination)
        live = dest.is_live()
        target = warehouse.target()
        try:
            # on DuckDB one process writes the warehouse at a time; PostgreSQL has its own locking
            lock = (warehouse_io.writer_lock(warehouse.file(), wait=lock_wait_seconds(),
                                             purpose=f"the {sync.name} sync of a Dagster run")
                    if target.dialect == "duckdb" else contextlib.nullcontext())
            with lock:
                try:
                    result = run_sync(sync, warehouse=target, dry_run=not live,
                                      credentials=dest.credentials() if live else {},
                                      base_url=dest.base_url or None, outbox_dir=dest.outbox(warehouse.file()))
                finally:
                    if target.dialect == "duckdb":
                        _publish_runs(context, warehouse.file())
        except expected_errors() as exc:
            raise expected_failure(exc, sync=sync.name) from None
        context.log.info(result.summary())
        yield dg.MaterializeResult(metadata={
            "sync_run_id": result.sync_run_id, "mode": result.mode, "status": result.status,
            "rows_total": result.rows_total, "rows_sent": result.rows_sent,
            "rows_unchanged": result.rows_unchanged, "rows_skipped": result.rows_skipped,
            "rows_failed": result.rows_failed, "rows_removed": result.rows_removed, "rows_left": result.rows_left,
            "requests": result.requests, "seconds": round(result.seconds, 2),
            "outbox_path": str(result.outbox_path) if result.outbox_path else "",
        })
        yield dg.AssetCheckResult(
            check_name=CHECK, passed=result.rows_failed == 0 and result.removals_failed == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_failed": result.rows_failed, "removals_failed": result.removals_failed,
                      "reasons": "; ".join(f"{n} x {r}" for r, n in result.fail_reasons.most_common(5))})

    return _run


def _publish_runs(context: dg.AssetExecutionContext, path) -> None:
    """Publish the serving copy again, so the dashboards' Activation health page shows this run (failed
    ones too) at once: the syncs run after the dbt build has published, and a sync's own schedule runs no
    build at all. The marts over the ops tables are views, evaluated when copied (DECISIONLOG)."""
    try:
        warehouse_io.publish_serving(path)
    except Exception as exc:  # the sync's outcome stands; the next build publishes the run
        context.log.warning(f"could not publish the serving copy after the sync: {type(exc).__name__}: {exc}")


def build_activation(syncs: dict[str, SyncConfig] | None = None
                     ) -> tuple[list[dg.AssetsDefinition], list[dg.JobDefinition], list[dg.ScheduleDefinition]]:
    """Assets of the enabled syncs, plus a job and a stopped schedule for each sync with a schedule."""
    syncs = load_syncs() if syncs is None else syncs
    assets, jobs, schedules = [], [], []
    for sync in syncs.values():
        if not sync.enabled:
            continue
        asset = _sync_asset(sync)
        assets.append(asset)
        if sync.schedule:
            job = dg.define_asset_job(f"sync_{sync.name}", selection=dg.AssetSelection.assets(asset),
                                      executor_def=dg.in_process_executor,
                                      description=f"Sync {sync.name} on its own ({sync.file}).")
            jobs.append(job)
            schedules.append(dg.ScheduleDefinition(name=f"sync_{sync.name}_schedule", job=job,
                                                   cron_schedule=sync.schedule,
                                                   default_status=dg.DefaultScheduleStatus.STOPPED))
    return assets, jobs, schedules


activation_assets, activation_jobs, activation_schedules = build_activation()
