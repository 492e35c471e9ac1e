"""Activation assets: each sync depends on the exact segment model it reads."""


import os

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from activation import SYNCS, run_sync
from orchestration.assets.dbt import lifecycle_dbt_assets


class SyncConfig(dg.Config):
    dry_run: bool = os.environ.get("LIFECYCLE_ACTIVATION_LIVE", "0") != "1"


def _sync_asset(sync) -> dg.AssetsDefinition:
    model_name = sync.model.split(".")[-1]

    @dg.asset(name=sync.name, group_name="activation", kinds={"python"},
              deps=[get_asset_key_for_model([lifecycle_dbt_assets], model_name)],
              description=sync.description)
    def _run(context: dg.AssetExecutionContext, config: SyncConfig) -> dg.MaterializeResult:
        result = run_sync(sync, dry_run=config.dry_run)
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
