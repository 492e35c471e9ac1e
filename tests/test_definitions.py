"""The Dagster definitions: one asset graph for every source mode, loaded in process, no environment
read at import; resources choose what runs."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "file_drop"

# Imports the definitions with os.environ replaced by a mapping that records every key read, then
# prints the keys read and a summary of the graph.
SPY = r"""
import json, os, sys

class Spy(dict):
    read = set()
    def __getitem__(self, k): Spy.read.add(k); return dict.__getitem__(self, k)
    def get(self, k, d=None): Spy.read.add(k); return dict.get(self, k, d)
    def __contains__(self, k): Spy.read.add(k); return dict.__contains__(self, k)

os.environ = Spy(os.environ)
from orchestration.definitions import defs
graph = defs.resolve_asset_graph()
print(json.dumps({
    "read": sorted(Spy.read),
    "keys": sorted("/".join(k.path) for k in graph.get_all_asset_keys()),
    "jobs": sorted(j.name for j in defs.resolve_all_job_defs()),
    "schedules": sorted((s.name, s.default_status.value) for s in defs.schedules),
    "sensors": sorted(s.name for s in defs.sensors),
}))
"""


def _ours(name: str) -> bool:
    """Variables of this project: LIFECYCLE_*, and every credential or setting a source or destination reads."""
    from ingestion.sources import SOURCES
    from orchestration.resources import DESTINATIONS

    settings = {n for spec in SOURCES.values() for n in spec.settings_env} | {n for v in DESTINATIONS.values() for n in v}
    return name.startswith("LIFECYCLE_") or name in settings


def _import_with_spy(env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", SPY], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_importing_the_definitions_reads_no_variable_and_gives_one_graph():
    from orchestration.project import prepare_dbt_project

    prepare_dbt_project()
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")}
    plain = _import_with_spy(base)
    files = _import_with_spy({**base, "LIFECYCLE_SOURCE": "files", "LIFECYCLE_FILES_DIR": str(EXAMPLE),
                              "HUBSPOT_ACCESS_TOKEN": "pat-x"})
    assert [k for k in plain["read"] if _ours(k)] == []
    assert [k for k in files["read"] if _ours(k)] == []
    # the same graph whatever the environment says
    assert {k: plain[k] for k in ("keys", "jobs", "schedules", "sensors")} == \
        {k: files[k] for k in ("keys", "jobs", "schedules", "sensors")}
    assert {"raw_respondio/contacts", "raw_files/contacts", "raw_salesforce/leads", "marts/dim_contacts",
            "hubspot_hot_leads"} <= set(plain["keys"])
    assert "file_drop_sensor" in plain["sensors"] and "lifecycle_pipeline" in plain["jobs"]
    assert ["lifecycle_pipeline_hourly", "STOPPED"] in plain["schedules"]  # off until started in the UI


def _counts(path: Path, *tables: str) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def _materializations(result: dg.ExecuteInProcessResult, key: list[str]) -> dict:
    events = [e for e in result.get_asset_materialization_events()
              if e.asset_key == dg.AssetKey(key)]
    assert len(events) == 1
    return {k: v.value for k, v in events[0].materialization.metadata.items()}


@pytest.mark.slow
def test_in_process_the_source_mode_comes_from_resources_or_the_environment_at_run_time(tmp_path, monkeypatch):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = sorted("/".join(p.path) for p in graph.get(dg.AssetKey(["staging", "stg_respondio__contacts"])).parent_keys)
    assert parents == ["raw_respondio/contacts"]  # the loader produces exactly the dbt source staging reads
    sync_parents = sorted("/".join(p.path) for p in graph.get(dg.AssetKey(["hubspot_hot_leads"])).parent_keys)
    assert sync_parents == ["segments/seg_hot_leads"]
    assert len(graph.asset_check_keys) > 50  # every dbt test is an asset check

    job = defs.resolve_job_def("lifecycle_pipeline")
    sources = [dg.AssetKey(["raw_files", "contacts"]), dg.AssetKey(["raw_respondio", "contacts"])]
    selection = [k for k in graph.get_all_asset_keys() if k.path[0] in ("raw_files", "raw_respondio")]
    wh = tmp_path / "w.duckdb"

    # files mode from the environment, read when the run starts (the definitions were imported before)
    monkeypatch.setenv("LIFECYCLE_SOURCE", "files")
    monkeypatch.setenv("LIFECYCLE_FILES_DIR", str(EXAMPLE))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(wh))
    result = job.execute_in_process(asset_selection=selection, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert _materializations(result, sources[1].path)["source_mode"] == "off in files mode"
    assert _counts(wh, "raw_files.contacts", "raw_respondio.contacts") == {
        "raw_files.contacts": _materializations(result, sources[0].path)["rows_loaded"], "raw_respondio.contacts": 0}
    assert _counts(wh, "raw_files.contacts")["raw_files.contacts"] > 0

    # run configuration wins over the environment: demo mode, a small business, another warehouse
    other = tmp_path / "other.duckdb"
    run_config = {"resources": {"sources": {"config": {"mode": "demo"}},
                                "demo": {"config": {"contacts": 60, "seed": 1, "end_date": "2026-01-31"}},
                                "warehouse": {"config": {"path": str(other)}}}}
    result = job.execute_in_process(asset_selection=selection, run_config=run_config,
                                    instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert _materializations(result, sources[0].path)["source_mode"] == "off in demo mode"
    loaded = _counts(other, "raw_files.contacts", "raw_respondio.contacts")
    assert loaded["raw_files.contacts"] == 0 and loaded["raw_respondio.contacts"] > 40


READER = r"""
import json, sys, time
from pathlib import Path
manifest, stop = Path(sys.argv[1]), Path(sys.argv[2])
reads, bad, seen = 0, [], set()
while True:
    last = stop.exists()  # the stop file comes after the parse published: one more read sees its manifest
    try:
        seen.add(json.loads(manifest.read_bytes())["metadata"]["generated_at"])
        reads += 1
    except (OSError, ValueError) as e:
        bad.append(f"{type(e).__name__} after {reads} whole reads")
    if last:
        break
print(json.dumps({"reads": reads, "bad": bad[:5], "versions": len(seen)}))
"""


@pytest.mark.slow
def test_a_reader_never_sees_half_a_manifest_while_the_project_is_parsed(tmp_path):
    """`lifecycle run` parses the project while a code location or `dagster schedule list` may load
    target/manifest.json (CI once failed on a half-written one). Parse with new vars (so the manifest
    is rewritten) while another process reads the file as fast as it can: every read is whole."""
    from orchestration.project import dbt_project, prepare_dbt_project  # importing it parses when no manifest

    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(dbt_project.manifest_path), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        prepare_dbt_project(tmp_path / "w.duckdb")
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    seen = json.loads(out)
    # it read while the file changed (more than one version), and never a broken one
    assert seen["reads"] > 0 and seen["versions"] >= 2 and not seen["bad"], seen


def _parsed_files(perf_info: Path) -> tuple[int, int]:
    info = json.loads(perf_info.read_text())
    return info["parsed_path_count"], info["path_count"]


@pytest.mark.slow
def test_a_parse_for_another_warehouse_between_two_runs_does_not_make_the_next_parse_full(tmp_path):
    """dbt keeps one partial-parse file, for the last parse's vars and profile (the warehouse path is in both):
    a parse for another warehouse in between (another project, the test beside this one) made the next
    run on this warehouse parse all 349 files again. The parse cache keeps one file per warehouse."""
    from orchestration.project import PARSE_FOLDER, dbt_project, prepare_dbt_project

    parse_folder = dbt_project.project_dir / dbt_project.target_path / PARSE_FOLDER
    prepare_dbt_project(tmp_path / "w.duckdb")  # a warehouse never parsed for: the whole project
    parsed, files = _parsed_files(parse_folder / "perf_info.json")
    assert parsed == files > 100
    # what a parse for another warehouse leaves: partial-parse files that are not this warehouse's, in the parse
    # folder and published in target/ (dagster-dbt copies that one into a parse folder that has none). Here
    # they are gone: dbt reads either as "parse everything", and a parse for a third warehouse would
    # double the test's time
    target = dbt_project.project_dir / dbt_project.target_path
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # not under another test's parse
        (parse_folder / "partial_parse.msgpack").unlink(missing_ok=True)
        (target / "partial_parse.msgpack").unlink(missing_ok=True)
    prepare_dbt_project(tmp_path / "w.duckdb")
    assert _parsed_files(parse_folder / "perf_info.json") == (0, files)  # nothing changed since its last parse
