"""`lifecycle run --source api` with every API source configured, each a real local server speaking
its vendor's contract: the Dagster wiring (per-source assets, daily partitions for the ad reports)
loads every source and the marts build on top."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from .servers import hubspot, meta_ads, respondio, salesforce, shopify, tiktok_ads

LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")


@pytest.mark.slow
def test_api_mode_loads_every_configured_source_and_builds_the_marts(tmp_path):
    fakes = {
        "respondio": respondio.RespondIoFake(),
        "hubspot": hubspot.HubSpotFake(),
        "salesforce": salesforce.SalesforceFake(),
        "meta_ads": meta_ads.MetaAdsFake(),
        "tiktok_ads": tiktok_ads.TikTokAdsFake(),
        "shopify": shopify.ShopifyFake(),
    }
    with contextlib.ExitStack() as stack:
        for fake in fakes.values():
            stack.enter_context(fake.server)
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_TOKEN", "_BASE_URL"))}
        env.update({
            "LIFECYCLE_WAREHOUSE": str(tmp_path / "w.duckdb"), "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox"),
            "LIFECYCLE_HTTP_MAX_RETRY_AFTER": "1",
            "RESPONDIO_API_TOKEN": respondio.TOKEN, "RESPONDIO_BASE_URL": fakes["respondio"].server.url + "/v2",
            "HUBSPOT_ACCESS_TOKEN": hubspot.TOKEN, "HUBSPOT_BASE_URL": fakes["hubspot"].server.url,
            "SALESFORCE_ACCESS_TOKEN": salesforce.TOKEN, "SALESFORCE_INSTANCE_URL": fakes["salesforce"].server.url,
            **fakes["meta_ads"].env(), **fakes["tiktok_ads"].env(), **fakes["shopify"].env(),
        })
        proc = subprocess.run([LIFECYCLE, "run", "--source", "api"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        def count(sql):
            return con.execute(sql).fetchone()[0]

        for table in ("raw_respondio.contacts", "raw_respondio.messages", "raw_hubspot.contacts",
                      "raw_salesforce.leads", "raw_meta_ads.ads", "raw_tiktok_ads.ads", "raw_shop.orders"):
            assert count(f"select count(*) from {table}") > 0, table
        # the daily-partitioned ad jobs ran over the default window: the last 28 complete days
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
        days = count("select count(distinct date_start) from raw_meta_ads.insights_daily")
        assert count("select max(date_start) from raw_meta_ads.insights_daily") == yesterday
        assert days == 28
        assert count("select count(distinct stat_time_day) from raw_tiktok_ads.report_daily") == 28
        sources = {r[0] for r in con.execute("select source from ops.ingest_runs where status = 'success'").fetchall()}
        assert {"respondio", "hubspot", "salesforce", "meta_ads", "tiktok_ads", "shopify"} <= sources
        # the fakes serve one malformed record each: quarantined, not loaded, not lost
        assert count("select count(distinct source) from ops.quarantine") >= 5
        assert count("select count(*) from marts.dim_contacts") > 0
    finally:
        con.close()
