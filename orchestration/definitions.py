"""Dagster definitions: only assembles what the modules beside it define."""

import dagster as dg
from dagster_dbt import DbtCliResource

from lifecycle.dbt import dbt_executable
from orchestration.assets.activation import activation_assets
from orchestration.assets.dbt import lifecycle_dbt_assets
from orchestration.assets.ingestion import ingestion_assets
from orchestration.jobs import build_jobs, file_drop_sensor, freshness_checks
from orchestration.project import dbt_project
from orchestration.settings import source_mode

mode = source_mode()
ingestion = ingestion_assets(mode)
all_assets = [*ingestion, lifecycle_dbt_assets, *activation_assets]
jobs, schedules = build_jobs(ingestion, all_assets)
checks, check_sensors = freshness_checks(ingestion)
sensors = [*check_sensors, *([file_drop_sensor()] if mode == "files" else [])]

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=checks,
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources={"dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.project_dir),
                                     dbt_executable=dbt_executable())},
)
