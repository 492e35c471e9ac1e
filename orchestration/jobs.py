"""Jobs, schedules, sensors and freshness checks.

- ``lifecycle_pipeline``: ingestion (of the active source mode) -> dbt build -> activation, all
  unpartitioned assets. Its schedule is off by default; turn it on in the UI or with
  ``LIFECYCLE_SCHEDULE=on``. A schedule that silently never runs is a bug, so the schedule's state is
  explicit and visible in `dagster dev`.
- ``<source>_daily``: per time-sliced API source (ad reports), daily partitions for backfills by
  date range, with a daily schedule.
- ``<source>_sync``: per unpartitioned API source, that source and everything downstream of it, on a
  schedule of its own.
- ``file_drop_sensor``: in files mode, starts the pipeline when new files land in the drop folder.
"""


import hashlib
import os
from datetime import timedelta

import dagster as dg
import duckdb

from lifecycle import warehouse

PIPELINE_JOB = "lifecycle_pipeline"


def _status() -> dg.DefaultScheduleStatus:
    on = os.environ.get("LIFECYCLE_SCHEDULE", "off").lower() in {"on", "1", "true"}
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def build_jobs(ingestion: list[dg.AssetsDefinition], all_assets: list[dg.AssetsDefinition]):
    partitioned = [a for a in all_assets if a.partitions_def is not None]
    unpartitioned_keys = [k for a in all_assets if a.partitions_def is None for k in a.keys]
    pipeline = dg.define_asset_job(
        PIPELINE_JOB,
        selection=dg.AssetSelection.assets(*unpartitioned_keys),
        description="Ingest -> dbt build (models + tests) -> activation syncs.",
        executor_def=dg.in_process_executor,
    )
    jobs = [pipeline]
    schedules = [dg.ScheduleDefinition(name=f"{PIPELINE_JOB}_hourly", job=pipeline, cron_schedule="15 * * * *",
                                       default_status=_status())]
    for asset in ingestion:
        name = asset.node_def.name.removesuffix("_source")
        if asset in partitioned:
            job = dg.define_asset_job(f"{name}_daily", selection=dg.AssetSelection.assets(asset),
                                      partitions_def=asset.partitions_def, executor_def=dg.in_process_executor)
            jobs.append(job)
            schedules.append(dg.build_schedule_from_partitioned_job(job, default_status=_status(), hour_of_day=3))
        elif name not in {"demo", "file_drop"}:
            job = dg.define_asset_job(
                f"{name}_sync",
                selection=dg.AssetSelection.assets(asset) | (dg.AssetSelection.assets(asset).downstream()
                                                             - dg.AssetSelection.assets(*[k for a in partitioned for k in a.keys])),
                executor_def=dg.in_process_executor,
            )
            jobs.append(job)
            schedules.append(dg.ScheduleDefinition(name=f"{name}_hourly", job=job, cron_schedule="0 * * * *",
                                                   default_status=_status()))
    return jobs, schedules


def freshness_checks(ingestion: list[dg.AssetsDefinition]):
    """Raw tables of real sources should be refreshed at least daily (warn otherwise)."""
    real = [a for a in ingestion if a.node_def.name != "demo_source"]
    if not real:
        return [], []
    checks = dg.build_last_update_freshness_checks(assets=real, lower_bound_delta=timedelta(hours=26))
    return checks, [dg.build_sensor_for_freshness_checks(freshness_checks=checks)]


def file_drop_sensor(job_name: str = PIPELINE_JOB) -> dg.SensorDefinition:
    @dg.sensor(name="file_drop_sensor", job_name=job_name, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Runs the pipeline when new files land in the drop folder (LIFECYCLE_FILES_DIR).")
    def _sensor(context: dg.SensorEvaluationContext):
        from lifecycle.connectors.files import list_new_files
        from orchestration.settings import files_dir

        folder = files_dir()
        if not folder.exists():
            return dg.SkipReason(f"drop folder {folder} does not exist")
        try:
            new = list_new_files(folder, warehouse.warehouse_path())
        except duckdb.IOException:  # DuckDB has one writer: a running pipeline holds the file
            return dg.SkipReason("warehouse busy (a run is writing); will look again next tick")
        if not new:
            return dg.SkipReason("no new files")
        digest = hashlib.sha256("\n".join(sorted(str(p) for p in new)).encode()).hexdigest()[:16]
        return dg.RunRequest(run_key=f"files-{digest}", tags={"lifecycle/new_files": str(len(new))})

    return _sensor
