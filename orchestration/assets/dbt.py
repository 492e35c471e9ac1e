"""Every dbt model an asset and every dbt test an asset check, through dagster-dbt."""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

import warehouse_io
from ingestion import raw_tables
from orchestration.project import dbt_project
from orchestration.resources import WarehouseResource


class LifecycleTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts); sources keep [raw_schema, table] keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return f"ingest_{dbt_resource_props['source_name'].removeprefix('raw_')}"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "dbt"


translator = LifecycleTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def lifecycle_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    path = warehouse.file()
    # Raw tables nobody loaded (a source switched off) exist empty, so staging always builds.
    with warehouse_io.connect(path) as con:
        raw_tables.ensure_raw_tables(con)
    # The profile reads the warehouse from this var (dbt_project/profiles.yml).
    yield from dbt.cli(["build", "--vars", json.dumps({"warehouse_path": str(path)})], context=context).stream()
