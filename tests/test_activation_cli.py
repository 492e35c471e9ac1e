"""`lifecycle segments ...` and `lifecycle sync ...` as a marketer runs them, on the demo warehouse."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from destinations.hubspot import TOKEN, HubSpotServer

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")
pytestmark = pytest.mark.slow


def lifecycle(args, wh: Path, tmp_path: Path, **env):
    full = {**os.environ, "LIFECYCLE_WAREHOUSE": str(wh), "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox"), **env}
    for key in [k for k in full if k.endswith(("_API_TOKEN", "_ACCESS_TOKEN"))]:
        if key not in env:
            full.pop(key)
    return subprocess.run([LIFECYCLE, *args], cwd=tmp_path, env=full, capture_output=True, text=True, timeout=300)


def test_segments_list_preview_and_export(writable_demo_warehouse, tmp_path):
    wh = writable_demo_warehouse
    listed = lifecycle(["segments", "list"], wh, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "hot_leads" in listed.stdout and "winback_dormant" in listed.stdout

    masked = lifecycle(["segments", "preview", "hot_leads", "--limit", "5"], wh, tmp_path)
    assert masked.returncode == 0 and "personal data masked" in masked.stdout
    assert "***@" in masked.stdout and "@example." not in masked.stdout
    clear = lifecycle(["segments", "preview", "hot_leads", "--limit", "5", "--show-personal-data"], wh, tmp_path)
    assert "@example." in clear.stdout

    out = tmp_path / "winback.csv"
    exported = lifecycle(["segments", "export", "winback_dormant", "--format", "csv", "--output", str(out)], wh, tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows and f"wrote {len(rows)} rows" in exported.stdout and "days_since_last_order" in rows[0]

    missing = lifecycle(["segments", "preview", "nope"], wh, tmp_path)
    assert missing.returncode == 1 and "no segment 'nope'" in missing.stderr


def test_sync_dry_run_then_live_then_status(writable_demo_warehouse, tmp_path):
    wh = writable_demo_warehouse
    dry = lifecycle(["sync", "run", "hubspot_hot_leads", "--dry-run"], wh, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout and "outbox (the exact requests)" in dry.stdout and "sample (masked)" in dry.stdout

    no_token = lifecycle(["sync", "run", "hubspot_hot_leads"], wh, tmp_path)
    assert no_token.returncode == 1 and "needs HUBSPOT_ACCESS_TOKEN" in no_token.stderr
    import warehouse_io

    with warehouse_io.connect(warehouse_io.serving_path(wh), read_only=True) as con:  # published for the dashboards
        served = con.execute("select status from marts.rpt_activation_sync_runs where sync_name = 'hubspot_hot_leads' "
                             "order by started_at").fetchall()
    assert served == [("success",), ("failed",)]

    with HubSpotServer() as srv:
        syncs = tmp_path / "syncs"
        syncs.mkdir()
        config = yaml.safe_load((ROOT / "activation" / "syncs" / "hubspot_hot_leads.yml").read_text())
        config["destination"]["base_url"] = srv.url
        (syncs / "hubspot_hot_leads.yml").write_text(yaml.safe_dump(config))
        live = lifecycle(["sync", "--syncs", str(syncs), "run", "hubspot_hot_leads"], wh, tmp_path,
                         HUBSPOT_ACCESS_TOKEN=TOKEN)
        assert live.returncode == 0, live.stdout + live.stderr
        sent = int(live.stdout.split(" rows: ")[1].split(" sent")[0])
        assert sent == len(srv.state()) > 0
        again = lifecycle(["sync", "--syncs", str(syncs), "run", "hubspot_hot_leads"], wh, tmp_path,
                          HUBSPOT_ACCESS_TOKEN=TOKEN)
        assert " 0 sent" in again.stdout and f"{sent} unchanged" in again.stdout

    status = lifecycle(["sync", "status", "hubspot_hot_leads"], wh, tmp_path)
    assert status.returncode == 0 and status.stdout.count("success") == 3 and "failed" in status.stdout
    listing = lifecycle(["sync", "list"], wh, tmp_path)
    assert "hubspot_hot_leads" in listing.stdout and "respondio_winback" in listing.stdout
