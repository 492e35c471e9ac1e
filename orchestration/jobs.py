"""Jobs, schedules, sensors and freshness checks of the one asset graph.

- ``lifecycle_pipeline``: every unpartitioned asset: the sources (what each does depends on the source
  mode, see :mod:`orchestration.assets.ingestion`) -> dbt build -> activation.
- ``<source>_daily``: per time-sliced source (ad reports), daily partitions for backfills by date range.
- ``<source>_sync``: per unpartitioned API source, that source and everything downstream of it.
- ``file_drop_sensor``: starts the pipeline in files mode when new files land in the drop folder.

Raw tables carry a freshness policy (:mod:`orchestration.assets.ingestion`): stale sources show in the UI.

Schedules are created stopped: start them in the Dagster UI or with ``dagster schedule start``
(their state is kept by the Dagster instance, so it is visible and survives restarts). A schedule
that silently never runs is a bug; a stopped one shows as stopped.
"""

from __future__ import annotations

import hashlib

import dagster as dg
import duckdb

from orchestration.resources import FILES_DIR_ENV, FileDropResource, WarehouseResource

PIPELINE_JOB = "lifecycle_pipeline"
STOPPED = dg.DefaultScheduleStatus.STOPPED


def build_jobs(ingestion: list[dg.AssetsDefinition], all_assets: list[dg.AssetsDefinition]):
    partitioned = [a for a in all_assets if a.partitions_def is not None]
    partitioned_keys = [k for a in partitioned for k in a.keys]
    unpartitioned_keys = [k for a in all_assets if a.partitions_def is None for k in a.keys]
    pipeline = dg.define_asset_job(
        PIPELINE_JOB,
        selection=dg.AssetSelection.assets(*unpartitioned_keys),
        description="Ingest (per the source mode) -> dbt build (models + tests) -> activation syncs.",
        executor_def=dg.in_process_executor,
    )
    jobs = [pipeline]
    schedules = [dg.ScheduleDefinition(name=f"{PIPELINE_JOB}_hourly", job=pipeline, cron_schedule="15 * * * *",
                                       default_status=STOPPED)]
    for asset in ingestion:
        name = asset.node_def.name
        if asset in partitioned:
            job = dg.define_asset_job(f"{name}_daily", selection=dg.AssetSelection.assets(asset),
                                      partitions_def=asset.partitions_def, executor_def=dg.in_process_executor)
            jobs.append(job)
            schedules.append(dg.build_schedule_from_partitioned_job(job, default_status=STOPPED, hour_of_day=3))
        elif name != "files":
            job = dg.define_asset_job(
                f"{name}_sync",
                selection=dg.AssetSelection.assets(asset)
                | (dg.AssetSelection.assets(asset).downstream() - dg.AssetSelection.assets(*partitioned_keys)),
                executor_def=dg.in_process_executor,
            )
            jobs.append(job)
            schedules.append(dg.ScheduleDefinition(name=f"{name}_hourly", job=job, cron_schedule="0 * * * *",
                                                   default_status=STOPPED))
    return jobs, schedules


def file_drop_sensor(job_name: str = PIPELINE_JOB) -> dg.SensorDefinition:
    @dg.sensor(name="file_drop_sensor", job_name=job_name, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description=f"Runs the pipeline in files mode when new files land in the drop folder (${FILES_DIR_ENV}).")
    def _sensor(context: dg.SensorEvaluationContext, file_drop: FileDropResource, warehouse: WarehouseResource):
        from ingestion.file_drop.loader import list_new_files

        if not file_drop.configured():
            return dg.SkipReason(f"no drop folder configured (set {FILES_DIR_ENV})")
        folder = file_drop.path()
        if not folder.exists():
            return dg.SkipReason(f"drop folder {folder} does not exist")
        try:
            new = list_new_files(folder, warehouse.file())
        except duckdb.IOException:  # DuckDB has one writer: a running pipeline holds the file
            return dg.SkipReason("warehouse busy (a run is writing); will look again next tick")
        if not new:
            return dg.SkipReason("no new files")
        digest = hashlib.sha256("\n".join(sorted(str(p) for p in new)).encode()).hexdigest()[:16]
        run_config = {"resources": {"sources": {"config": {"mode": "files"}},
                                    "file_drop": {"config": {"folder": str(folder)}}}}
        return dg.RunRequest(run_key=f"files-{digest}", run_config=run_config,
                             tags={"lifecycle/new_files": str(len(new))})

    return _sensor


__all__ = ["PIPELINE_JOB", "build_jobs", "file_drop_sensor"]
