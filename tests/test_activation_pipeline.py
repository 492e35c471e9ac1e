"""Activation inside the Dagster pipeline: an orders-only warehouse (every lead segment empty) runs through,
a failed sync fails its own asset and shows in ops.sync_runs, and the other syncs still run."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from activation import load_syncs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_orders_only_warehouse_runs_every_sync_and_a_failing_one_fails_alone(tmp_path, monkeypatch):
    from orchestration.definitions import defs
    from orchestration.project import prepare_dbt_project

    prepare_dbt_project()
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(ROOT / "examples" / "file_drop" / "orders.parquet", drop / "orders.parquet")
    wh = tmp_path / "w.duckdb"
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("LIFECYCLE_ACTIVATION_LIVE", raising=False)
    run_config = {"resources": {
        "warehouse": {"config": {"path": str(wh)}},
        "sources": {"config": {"mode": "files"}},
        "file_drop": {"config": {"folder": str(drop)}},
        # live without HUBSPOT_ACCESS_TOKEN: this sync fails
        "hubspot_destination": {"config": {"destination": "hubspot", "live": "1"}},
    }}
    job = defs.resolve_job_def("lifecycle_pipeline")
    result = job.execute_in_process(run_config=run_config, instance=dg.DagsterInstance.ephemeral(),
                                    raise_on_error=False)

    assert not result.success
    failed = {e.step_key for e in result.get_step_failure_events()}
    assert failed == {"hubspot_hot_leads"}
    enabled = {name for name, s in load_syncs().items() if s.enabled}
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert enabled - {"hubspot_hot_leads"} <= materialized   # the other syncs ran

    con = duckdb.connect(str(wh), read_only=True)
    try:
        runs = {r[0]: r[1:] for r in con.execute(
            "select sync_name, status, mode, rows_total, error from ops.sync_runs").fetchall()}
        hot = con.execute("select count(*) from segments.seg_hot_leads").fetchone()[0]
        orders = con.execute("select count(*) from intermediate.int_orders").fetchone()[0]
    finally:
        con.close()
    assert orders > 0 and hot == 0
    status, mode, rows, error = runs["hubspot_hot_leads"]
    assert (status, mode) == ("failed", "live") and "HUBSPOT_ACCESS_TOKEN" in error
    assert all(r[0] == "success" for name, r in runs.items() if name != "hubspot_hot_leads"), runs
    assert runs["salesforce_hot_leads"][2] == 0  # an empty segment is a successful run of 0 rows
    # every run, the failed one too, is in the serving copy the dashboards read (published after each sync)
    import warehouse_io

    with warehouse_io.connect(warehouse_io.serving_path(wh), read_only=True) as served:
        shown = dict(served.execute("select sync_name, status from marts.rpt_activation_sync_runs").fetchall())
    assert shown == {name: r[0] for name, r in runs.items()}

    # a new user's first look: every dashboard page renders on a warehouse that holds only orders
    from dashboard_helpers import page_problems

    assert page_problems(wh) == {}

    # the same warehouse, hubspot back to a dry run: every sync succeeds, the empty ones with 0 rows
    del run_config["resources"]["hubspot_destination"]
    syncs = [dg.AssetKey([n]) for n in enabled]
    again = job.execute_in_process(run_config=run_config, instance=dg.DagsterInstance.ephemeral(),
                                   asset_selection=syncs)
    assert again.success
    checks = {e.asset_key.path[-1] for e in again.get_asset_check_evaluations() if e.passed}
    assert checks == enabled  # no rejected rows anywhere
