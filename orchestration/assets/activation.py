"""Activation assets: each sync depends on the exact segment model it reads; its destination is a resource."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

import warehouse_io
from activation import SYNCS, SyncDefinition, run_sync
from orchestration.assets.dbt import lifecycle_dbt_assets
from orchestration.console import expected_errors, expected_failure
from orchestration.resources import destination_key, lock_wait_seconds


def _sync_asset(sync: SyncDefinition) -> dg.AssetsDefinition:
    model_name = sync.model.split(".")[-1]
    destination = destination_key(sync.destination)

    @dg.asset(name=sync.name, group_name="activation", kinds={"python"},
              deps=[get_asset_key_for_model([lifecycle_dbt_assets], model_name)],
              required_resource_keys={"warehouse", destination}, description=sync.description)
    def _run(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        warehouse_file = context.resources.warehouse.file()
        dest = getattr(context.resources, destination)
        try:
            with warehouse_io.writer_lock(warehouse_file, wait=lock_wait_seconds(),
                                          purpose=f"the {sync.name} sync of a Dagster run"):
                result = run_sync(sync, warehouse_file=warehouse_file, dry_run=not dest.is_live(),
                                  outbox=dest.outbox(warehouse_file))
        except expected_errors() as exc:
            raise expected_failure(exc, sync=sync.name) from None
        context.log.info(result.summary())
        return dg.MaterializeResult(metadata={
            "sync_run_id": result.sync_run_id,
            "mode": result.mode,
            "rows_total": result.rows_total,
            "rows_sent": result.rows_sent,
            "rows_unchanged": result.rows_unchanged,
            "rows_skipped": result.rows_skipped,
            "requests": result.requests,
            "outbox_path": str(result.outbox_path),
        })

    return _run


activation_assets = [_sync_asset(s) for s in SYNCS.values()]
