"""Dagster definitions: only assembles what the modules beside it define."""

import dagster as dg

from orchestration.assets.activation import activation_assets, activation_jobs, activation_schedules
from orchestration.assets.analytics import analytics_assets
from orchestration.assets.dbt import lifecycle_dbt_assets
from orchestration.assets.ingestion import ingestion_assets
from orchestration.console import lifecycle_console
from orchestration.jobs import build_jobs, file_drop_sensor
from orchestration.resources import build_resources

all_assets = [*ingestion_assets, lifecycle_dbt_assets, *analytics_assets, *activation_assets]
jobs, schedules = build_jobs(ingestion_assets, all_assets)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[*jobs, *activation_jobs],
    schedules=[*schedules, *activation_schedules],
    sensors=[file_drop_sensor()],
    resources=build_resources(),
    # used when a run's configuration names it (`lifecycle run` does); other runs keep Dagster's default
    loggers={"console": lifecycle_console},
)
