"""The shared warehouse package's guarantees: a checked DuckDB file, one writer, a serving copy for readers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import warehouse_io
from orchestration.dbt import PROJECT_ROOT

LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")


def sqlite_file(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("create table contacts (email text)")
    con.commit()
    con.close()
    return path


# --------------------------------------------------------------------------------------------------
# The warehouse must be a DuckDB file, checked before use, extensions never fetched
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("content", "kind"), [
    (None, "a SQLite database"), (b"PAR1" + b"\0" * 20, "a Parquet file"), (b"", "an empty file"),
    (b"hello, this is text", "an unknown format")])
def test_only_a_duckdb_file_is_opened(tmp_path, content, kind):
    path = tmp_path / "w.db"
    if content is None:
        sqlite_file(path)
    else:
        path.write_bytes(content)
    with pytest.raises(warehouse_io.WarehouseError, match="is not a DuckDB database|empty file") as info:
        with warehouse_io.connect(path):
            pass
    assert str(path) in str(info.value) and kind.split()[-1] in str(info.value)


def test_a_folder_is_not_a_warehouse(tmp_path):
    with pytest.raises(warehouse_io.WarehouseError, match="is a folder"):
        warehouse_io.check_warehouse_file(tmp_path)


def test_connections_never_autoload_or_install_extensions(tmp_path):
    with warehouse_io.connect(tmp_path / "w.duckdb") as con:
        settings = con.execute("select current_setting('autoload_known_extensions'), "
                               "current_setting('autoinstall_known_extensions')").fetchone()
    assert settings == (False, False)


def test_commands_given_a_sqlite_warehouse_say_so_in_one_line_and_fetch_nothing(tmp_path):
    wh = sqlite_file(tmp_path / "lifecycle.sqlite")
    home = tmp_path / "home"
    home.mkdir()
    drop = tmp_path / "drop"
    drop.mkdir()
    env = {**os.environ, "HOME": str(home), "LIFECYCLE_FILES_DIR": str(drop)}
    for cmd in ([sys.executable, "-m", "ingestion.connectors", "files", "--warehouse", str(wh)],
                [LIFECYCLE, "--warehouse", str(wh), "run", "--source", "files", "--files", str(drop)]):
        proc = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stderr[-2000:]
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out
        last = proc.stderr.strip().splitlines()[-1]
        assert "is not a DuckDB database file (it looks like a SQLite database)" in last, last
    assert not (home / ".duckdb").exists(), "DuckDB tried to install an extension"


# --------------------------------------------------------------------------------------------------
# One writer at a time
# --------------------------------------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, time
    import warehouse_io
    with warehouse_io.writer_lock(sys.argv[1], purpose="a test holder"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold(wh: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(wh), str(seconds)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_waits_then_gives_up_naming_the_holder(tmp_path):
    wh = tmp_path / "w.duckdb"
    holder = hold(wh, 30)
    try:
        began = time.monotonic()
        with pytest.raises(warehouse_io.WarehouseBusy) as info, warehouse_io.writer_lock(wh, wait=1.0):
            pass
        assert 0.9 <= time.monotonic() - began < 10
        text = str(info.value)
        assert "\n" not in text and "a test holder" in text and f"pid {holder.pid}" in text
        assert "after waiting 1 s" in text
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_releases_the_lock(tmp_path):
    wh = tmp_path / "w.duckdb"
    holder = hold(wh, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with warehouse_io.writer_lock(wh, wait=5.0):
        pass  # the kernel dropped the dead process's lock: no stale lock file to clean up


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    wh = tmp_path / "w.duckdb"
    with warehouse_io.writer_lock(wh), warehouse_io.writer_lock(wh):
        assert warehouse_io.holds_writer_lock(wh)
    assert not warehouse_io.holds_writer_lock(wh)


def test_a_second_pipeline_run_refuses_in_one_line(tmp_path):
    wh = tmp_path / "w.duckdb"
    holder = hold(wh, 60)
    try:
        proc = subprocess.run([LIFECYCLE, "--warehouse", str(wh), "run", "--source", "demo"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 75, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lifecycle run failed: warehouse ")
    assert "is busy: a test holder" in lines[0]


# --------------------------------------------------------------------------------------------------
# The serving copy: readers never hold the file the pipeline writes
# --------------------------------------------------------------------------------------------------
def build(wh: Path, contacts: int) -> None:
    with warehouse_io.connect(wh) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.dim_contacts as select range as contact_id from range(?)",
                    [contacts])
        con.execute("create or replace table marts.rpt_funnel as select 'New Lead' as stage, ? as n", [contacts])
        warehouse_io.ensure_ops_tables(con)


READER = textwrap.dedent("""
    import sys, time
    import warehouse_io
    con = warehouse_io.open_duckdb(warehouse_io.serving_path(sys.argv[1]), read_only=True)
    print(con.execute("select count(*) from marts.dim_contacts").fetchone()[0], flush=True)
    time.sleep(float(sys.argv[2]))
    print(con.execute("select count(*) from marts.dim_contacts").fetchone()[0], flush=True)
""")


def test_a_reader_of_the_serving_copy_never_blocks_the_writer_and_keeps_its_snapshot(tmp_path):
    wh = tmp_path / "w.duckdb"
    build(wh, 10)
    assert warehouse_io.publish_serving(wh) == {"marts.dim_contacts": 10, "marts.rpt_funnel": 1,
                                                "ops.file_loads": 0, "ops.ingest_runs": 0, "ops.sync_runs": 0}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(wh), "4"], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "10"
        build(wh, 25)  # the writer opens the warehouse while the reader holds the serving copy
        warehouse_io.publish_serving(wh)
        with warehouse_io.connect(warehouse_io.serving_path(wh), read_only=True) as con:
            assert con.execute("select count(*) from marts.dim_contacts").fetchone()[0] == 25
            manifest = dict(con.execute("select table_schema || '.' || table_name, row_count "
                                        "from serving.manifest").fetchall())
        assert manifest["marts.dim_contacts"] == 25
        assert reader.stdout.readline().strip() == "10"  # the open reader still sees its own publication
    finally:
        reader.wait(timeout=30)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_dashboard_handles_keep_a_connection_per_publication_and_see_each_new_one(tmp_path):
    """The dashboards hold the serving copy open between queries (opening it costs ~25 ms a query) and read a
    new publication at once, whichever other handles or connections to the same file the process holds."""
    from dashboards.warehouse_access import ReadOnlyWarehouse

    wh = tmp_path / "w.duckdb"
    build(wh, 10)
    warehouse_io.publish_serving(wh)
    first, second = ReadOnlyWarehouse(wh), ReadOnlyWarehouse(wh)
    count = "select count(*) as n from marts.dim_contacts"
    assert first.query(count)["n"][0] == 10 and second.query(count)["n"][0] == 10
    held = first._held
    assert first.query(count)["n"][0] == 10 and first._held is held  # no reopen while nothing was published
    with warehouse_io.connect(warehouse_io.serving_path(wh), read_only=True) as other:  # e.g. a CLI preview
        for n in (25, 40):
            build(wh, n)
            warehouse_io.publish_serving(wh)
            assert first.query(count)["n"][0] == n, "the first handle reads the new publication"
            assert second.query(count)["n"][0] == n, "so does a second handle of the same process"
        assert other.execute("select count(*) from marts.dim_contacts").fetchone()[0] == 10  # its own snapshot
    assert first._held is not held
    first.close()
    second.close()
    assert first.query(count)["n"][0] == 40  # reopens after close


def test_a_warehouse_without_marts_publishes_nothing(tmp_path):
    wh = tmp_path / "w.duckdb"
    with warehouse_io.connect(wh) as con:
        warehouse_io.ensure_ops_tables(con)
    assert warehouse_io.publish_serving(wh) is None
    assert not warehouse_io.serving_path(wh).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]


def test_quarantine_reasons_and_refs_are_redacted_whoever_writes_them(tmp_path):
    import planted

    with warehouse_io.connect(tmp_path / "w.duckdb") as con:
        warehouse_io.quarantine(con, "test", "contacts", [
            (f"id {planted.EMAILS[0]}", f"Conversion Error: could not convert '{planted.PHONES[1]}' to INT64",
             {"email": planted.EMAILS[0]})])
        ref, reason, record = con.execute("select record_ref, reason, record from ops.quarantine").fetchone()
    assert not planted.leaks(ref + reason)
    assert "<email>" in ref and "<phone>" in reason
    assert planted.EMAILS[0] in record  # the record itself is kept for the replay
