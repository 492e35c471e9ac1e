"""A folder in the documented file-drop schema flows through staging into the lifecycle marts,
and the Dagster sensor starts the pipeline only when new files land."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "file_drop"
LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")


def _example_people() -> int:
    with open(EXAMPLE / "contacts.csv", newline="") as fh:
        return len({row["contact_external_id"] for row in csv.DictReader(fh)})


@pytest.mark.slow
def test_lifecycle_run_on_a_file_drop_folder_fills_the_marts(tmp_path):
    drop = tmp_path / "file_drop"
    shutil.copytree(EXAMPLE, drop)
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox")}
    proc = subprocess.run([LIFECYCLE, "run", "--source", "files", "--files", str(drop)], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        contacts = con.execute("select count(*) from marts.dim_contacts").fetchone()[0]
        stages = dict(con.execute("select stage, count(distinct contact_id) from marts.fct_lifecycle_stage_spells "
                                  "group by 1").fetchall())
        customers = con.execute("select count(*) from marts.dim_contacts where current_stage = 'Customer'").fetchone()[0]
        quarantined = con.execute("select count(*) from ops.quarantine").fetchone()[0]
    finally:
        con.close()
    # every person of the export is one contact: orders named only by email join their contact
    assert contacts == _example_people()
    assert stages.get("New Lead", 0) > 0 and customers > 0
    assert quarantined == 0


def test_file_drop_sensor_requests_a_run_only_for_new_files(tmp_path, monkeypatch):
    from ingestion.file_drop.loader import load_folder
    from orchestration.jobs import file_drop_sensor
    from orchestration.resources import FileDropResource, WarehouseResource

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(EXAMPLE / "contacts.csv", drop / "contacts.csv")
    wh = tmp_path / "w.duckdb"
    sensor = file_drop_sensor()

    def tick():
        resources = {"warehouse": WarehouseResource(path=str(wh)), "file_drop": FileDropResource(folder=str(drop))}
        return sensor(dg.build_sensor_context(resources=resources))

    first = tick()
    assert isinstance(first, dg.RunRequest)
    # the run it requests loads that folder in files mode, whatever the deployment's default mode
    assert first.run_config["resources"]["sources"]["config"]["mode"] == "files"
    assert first.run_config["resources"]["file_drop"]["config"]["folder"] == str(drop)

    load_folder(drop, wh)
    assert isinstance(tick(), dg.SkipReason)

    shutil.copy(EXAMPLE / "surveys.csv", drop / "surveys.csv")
    again = tick()
    assert isinstance(again, dg.RunRequest) and again.run_key != first.run_key

    # no folder configured anywhere: the sensor says so instead of watching a default folder
    monkeypatch.delenv("LIFECYCLE_FILES_DIR", raising=False)
    unset = sensor(dg.build_sensor_context(resources={"warehouse": WarehouseResource(path=str(wh)),
                                                      "file_drop": FileDropResource()}))
    assert isinstance(unset, dg.SkipReason) and "LIFECYCLE_FILES_DIR" in unset.skip_message
