"""Ingestion assets: one multi-asset per source, each materialising that source's raw tables.

Asset keys are ``[raw_schema, table]``, the keys dagster-dbt gives the dbt sources, so the lineage runs
straight from a loader into staging. The graph is the same in every deployment; the ``sources``
resource decides what a source asset does when it runs:

============  ===========================================  ======================
mode          API sources (respondio, hubspot, ...)        file drop
============  ===========================================  ======================
``demo``      the demo generator writes their raw tables   off
``files``     off                                          loads new files
``api``       load from the API when credentials are set   off
============  ===========================================  ======================

A source that is off leaves its raw tables as they are and says so in the materialization's metadata.
Each source asset holds the warehouse's writer lock while it writes (:func:`warehouse_io.writer_lock`),
and an expected failure (an API error, a bad drop folder, a busy warehouse) fails the step with one
clear line (:func:`orchestration.console.expected_failure`) instead of a traceback. A file drop that
could not load every file it was meant to is ``partial``: the step succeeds (the good rows go on to
dbt) and says so in its log and metadata.
Salesforce has no demo data. The ad report sources are partitioned by day (backfills by range); their
window is passed to the connector (or selects the demo's days).
"""


from collections.abc import Iterable
from datetime import timedelta

import dagster as dg

import warehouse_io
from ingestion import raw_tables
from ingestion.runs import ConnectorSpec
from ingestion.sources import SOURCES
from orchestration.console import expected_errors, expected_failure
from orchestration.resources import DEMO_SOURCES, lock_wait_seconds

# A fixed first day: the partition set must not depend on the environment of the process that loads it.
DAILY = dg.DailyPartitionsDefinition(start_date="2023-01-01", end_offset=1)
# Raw tables of a running business are refreshed at least daily: warn after a day, fail after 26 hours.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26), warn_window=timedelta(hours=24))


def _specs(tables: Iterable[raw_tables.RawTable], group: str) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=dg.AssetKey([t.schema, t.name]),
            description=t.description,
            group_name=group,
            kinds={"duckdb"},
            metadata={"primary_key": ", ".join(t.primary_key)},
            freshness_policy=FRESHNESS,
        )
        for t in tables
    ]


def _window(context: dg.AssetExecutionContext):
    """The inclusive days of a partitioned run, or (None, None)."""
    if not context.has_partition_key_range:
        return None, None
    window = context.partition_time_window  # end is exclusive; loaders take inclusive days
    return window.start.date(), window.end.date() - timedelta(days=1)


def source_asset(spec: ConnectorSpec) -> dg.AssetsDefinition:
    tables = raw_tables.tables_in(spec.raw_schema)
    kwargs = {}
    if spec.time_sliced:
        kwargs = {"partitions_def": DAILY, "backfill_policy": dg.BackfillPolicy.single_run()}
    is_file_drop = spec.raw_schema == "raw_files"
    keys = {"warehouse", "sources", "file_drop"} if is_file_drop else {"warehouse", "sources", "demo", spec.name}

    @dg.multi_asset(name=spec.name, specs=_specs(tables, f"ingest_{spec.name}"), required_resource_keys=keys,
                    description=spec.description, **kwargs)
    def _load(context: dg.AssetExecutionContext):
        warehouse_file = context.resources.warehouse.file()
        try:
            with warehouse_io.writer_lock(warehouse_file, wait=lock_wait_seconds(),
                                          purpose=f"the {spec.name} ingestion step of a Dagster run"):
                results = list(_work(context, warehouse_file))
        except expected_errors() as exc:
            raise expected_failure(exc, source=spec.name) from None
        yield from results

    def _work(context: dg.AssetExecutionContext, warehouse_file):
        resources = context.resources
        mode = resources.sources.resolved()
        start, end = _window(context)
        rows: dict[str, int] = {}
        meta: dict[str, object] = {"source_mode": mode}
        if is_file_drop and mode == "files":
            from ingestion.file_drop.loader import load_folder

            result = load_folder(resources.file_drop.path(), warehouse_file, log=context.log,
                                 source_system=resources.file_drop.source_system_name())
            context.log.info(result.summary())
            rows, meta["rows_quarantined_total"] = result.rows, result.quarantined
            meta["files_failed"] = len(result.failed)
            meta["partial"] = result.partial
            if result.partial:
                context.log.warning("files: partial: " + "; ".join(f.describe() for f in result.needing_attention))
        elif not is_file_drop and mode == "demo" and spec.name in DEMO_SOURCES:
            from ingestion.demo import write_demo_schema
            from warehouse_io import connect

            config = resources.demo.config()
            days = (start, end) if start is not None else None
            with connect(warehouse_file) as con:
                raw_tables.ensure_raw_tables(con)
                rows = write_demo_schema(con, config, spec.raw_schema, days=days)
            meta["demo"] = f"{config.n_contacts} people, seed {config.seed}, ending {config.end_date}"
        elif not is_file_drop and mode == "api":
            client = getattr(resources, spec.name)
            missing = client.missing()
            if missing:
                context.log.info(f"{spec.name}: off (set {', '.join(missing)} to load it)")
                meta["source_mode"] = "off: no credentials"
            else:
                result = spec.run(warehouse_file, start=start, end=end, log=context.log, settings=client.settings())
                context.log.info(result.summary())
                rows = result.rows
        else:
            meta["source_mode"] = f"off in {mode} mode"
            context.log.info(f"{spec.name}: off in {mode} mode; raw tables left as they are")
        if meta["source_mode"] != mode:  # off: the tables still exist (empty when never loaded) for dbt
            with warehouse_io.connect(warehouse_file) as con:
                raw_tables.ensure_raw_tables(con, tables)
        for t in tables:
            yield dg.MaterializeResult(asset_key=dg.AssetKey([t.schema, t.name]),
                                       metadata={"rows_loaded": rows.get(t.qualified_name, 0), **meta})

    return _load


ingestion_assets: list[dg.AssetsDefinition] = [source_asset(spec) for spec in SOURCES.values()]
PARTITIONED_SOURCES = [spec.name for spec in SOURCES.values() if spec.time_sliced]
