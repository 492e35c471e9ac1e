"""Ingestion assets: one multi-asset per source, each materialising that source's raw tables.

Asset keys are ``[raw_schema, table]``, the keys dagster-dbt gives the dbt sources, so the lineage runs
straight from a loader into staging. Which loaders exist depends on the source mode
(:mod:`orchestration.settings`): the demo generator, the file drop, or the configured API connectors.
"""


import os
from collections.abc import Iterable
from datetime import timedelta

import dagster as dg

from lifecycle import raw_schema, warehouse

DAILY = dg.DailyPartitionsDefinition(start_date=os.environ.get("LIFECYCLE_BACKFILL_START", "2024-01-01"),
                                     end_offset=1)


def _specs(tables: Iterable[raw_schema.RawTable], group: str) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=dg.AssetKey([t.schema, t.name]),
            description=t.description,
            group_name=group,
            kinds={"duckdb"},
            metadata={"primary_key": ", ".join(t.primary_key)},
        )
        for t in tables
    ]


class DemoSourceConfig(dg.Config):
    n_contacts: int = int(os.environ.get("LIFECYCLE_DEMO_CONTACTS", "5000"))
    seed: int = int(os.environ.get("LIFECYCLE_DEMO_SEED", "42"))
    months: int = 6


def demo_assets() -> list[dg.AssetsDefinition]:
    tables = [t for s in raw_schema.DEMO_SCHEMAS for t in raw_schema.tables_in(s)]

    @dg.multi_asset(name="demo_source", specs=_specs(tables, "ingest_demo"),
                    description="Generate the demo business (deterministic with the seed) into the raw tables.")
    def demo_source(context: dg.AssetExecutionContext, config: DemoSourceConfig):
        from lifecycle.demo import DemoConfig, write_demo

        with warehouse.connect() as con:
            warehouse.ensure_raw_tables(con)
            counts = write_demo(con, DemoConfig(n_contacts=config.n_contacts, seed=config.seed, months=config.months))
        context.log.info(f"demo data: {sum(counts.values())} rows in {len(counts)} tables")
        for name, rows in counts.items():
            schema, table = name.split(".")
            yield dg.MaterializeResult(asset_key=dg.AssetKey([schema, table]), metadata={"rows": rows})

    return [demo_source]


class FileDropConfig(dg.Config):
    folder: str = ""


def file_drop_assets() -> list[dg.AssetsDefinition]:
    from orchestration.settings import files_dir

    @dg.multi_asset(name="file_drop", specs=_specs(raw_schema.tables_in("raw_files"), "ingest_files"),
                    description="Load new CSV, Parquet and JSONL files of the drop folder into raw_files.")
    def file_drop(context: dg.AssetExecutionContext, config: FileDropConfig):
        from lifecycle.connectors.files import load_folder

        folder = config.folder or str(files_dir())
        result = load_folder(folder, warehouse.warehouse_path(), log=context.log)
        context.log.info(result.summary())
        for t in raw_schema.tables_in("raw_files"):
            yield dg.MaterializeResult(asset_key=dg.AssetKey([t.schema, t.name]),
                                       metadata={"rows_loaded": result.rows.get(t.qualified_name, 0),
                                                 "rows_quarantined_total": result.quarantined})

    return [file_drop]


def connector_assets(only_configured: bool = True) -> list[dg.AssetsDefinition]:
    """One multi-asset per API connector (enabled when its credentials are set)."""
    from lifecycle.connectors import CONNECTORS, UNAVAILABLE

    if UNAVAILABLE:  # a connector that silently disappeared would be a source that silently stops loading
        broken = "; ".join(f"{name}: {why}" for name, why in sorted(UNAVAILABLE.items()))
        raise ImportError(f"connector modules could not be loaded ({broken})")
    assets = []
    for spec in CONNECTORS.values():
        if spec.raw_schema == "raw_files":  # the file drop has a mode of its own
            continue
        if only_configured and not spec.is_configured():
            continue
        assets.append(_connector_asset(spec))
    return assets


def _connector_asset(spec) -> dg.AssetsDefinition:
    tables = [raw_schema.table(t) for t in spec.tables]
    kwargs = {}
    if spec.time_sliced:
        kwargs = {"partitions_def": DAILY, "backfill_policy": dg.BackfillPolicy.single_run()}

    @dg.multi_asset(name=f"{spec.name}_source", specs=_specs(tables, f"ingest_{spec.name}"),
                    description=f"Incremental load from the {spec.name} API.", **kwargs)
    def _load(context: dg.AssetExecutionContext):
        start = end = None
        if spec.time_sliced and context.has_partition_key_range:
            window = context.partition_time_window  # end is exclusive; connectors take inclusive days
            start, end = window.start.date(), window.end.date() - timedelta(days=1)
        result = spec.run(warehouse.warehouse_path(), start=start, end=end, log=context.log)
        context.log.info(result.summary())
        for t in tables:
            yield dg.MaterializeResult(asset_key=dg.AssetKey([t.schema, t.name]),
                                       metadata={"rows_loaded": result.rows.get(t.qualified_name, 0)})

    return _load


def ingestion_assets(mode: str) -> list[dg.AssetsDefinition]:
    if mode == "demo":
        return demo_assets()
    if mode == "files":
        return file_drop_assets()
    return connector_assets()
