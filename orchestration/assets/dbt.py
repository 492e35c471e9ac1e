"""Every dbt model an asset and every dbt test an asset check, through dagster-dbt.

The build holds the warehouse's writer lock; after a successful build it publishes the serving copy
the dashboards and previews read (:func:`warehouse_io.publish_serving`), so readers never hold the
file the build writes. A failed build publishes nothing: readers keep the last good marts.
"""

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

import warehouse_io
from ingestion import raw_tables
from orchestration.console import expected_errors, expected_failure
from orchestration.dbt import threads_setting_error
from orchestration.project import dbt_project, warehouse_vars
from orchestration.resources import WarehouseResource, lock_wait_seconds


class LifecycleTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts); sources keep [raw_schema, table] keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return f"ingest_{dbt_resource_props['source_name'].removeprefix('raw_')}"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "dbt"


translator = LifecycleTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt build; ``lifecycle run --full-refresh`` sets full_refresh."""

    # Rebuild the incremental models (int_messages, fct_conversations...) from scratch, e.g. after changing
    # a var that reshapes history such as conversation_session_gap_hours (docs/incremental.md).
    full_refresh: bool = False
    # dbt's unit tests check the models' logic on fixed inputs, not the data: they belong to development and
    # CI (`make test` runs them in every dbt build of the test suite), as dbt recommends, and a pipeline run
    # skips them (about a fifth of a small warehouse's build). True runs them here too.
    unit_tests: bool = False


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def lifecycle_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
                         config: DbtBuildConfig):
    path = warehouse.file()
    problem = threads_setting_error()
    if problem:
        raise dg.Failure(description=problem, allow_retries=False)
    try:
        with warehouse_io.writer_lock(path, wait=lock_wait_seconds(), purpose="the dbt build of a Dagster run"):
            # Raw tables nobody loaded (a source switched off) exist empty, so staging always builds.
            with warehouse_io.connect(path) as con:
                raw_tables.ensure_raw_tables(con)
            # The profile reads the warehouse from this var (dbt_project/profiles.yml); the same text as
            # `lifecycle run`'s parse, so this build reuses that parse
            args = ["build", *warehouse_vars(path)]
            if config.full_refresh:
                args.append("--full-refresh")
            if not config.unit_tests:
                args += ["--exclude-resource-type", "unit_test"]
            yield from dbt.cli(args, context=context).stream()
            published = warehouse_io.publish_serving(path)
            if published is not None:
                context.log.info(f"published the serving copy {warehouse_io.serving_path(path)} "
                                 f"({len(published)} tables) for the dashboards")
    except DagsterDbtCliRuntimeError as exc:
        raise dg.Failure(description=_dbt_failure_line(exc), allow_retries=False) from None
    except expected_errors() as exc:
        raise expected_failure(exc) from None


def _dbt_failure_line(exc: Exception) -> str:
    """dbt's reason in one line: the first error dbt reported (a failing test, a bad var), else the exit."""
    text = str(exc)
    marker = "Errors parsed from dbt logs:"
    if marker in text:
        errors = [" ".join(e.split()) for e in text.split(marker, 1)[1].split("\n\n") if e.strip()]
        if errors:
            more = f" (and {len(errors) - 1} more error(s), see the log above)" if len(errors) > 1 else ""
            return warehouse_io.redact(f"dbt build failed: {errors[0][:500]}{more}")
    code = re.search(r"exit code `?(\d+)", text)
    return f"dbt build failed (exit code {code.group(1) if code else '?'}; see the log above)"
