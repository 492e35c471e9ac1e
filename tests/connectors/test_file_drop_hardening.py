"""The file drop against a hostile or careless folder: links, pipes, odd extensions, renamed folders,
killed runs. Each test is one class of defect the hardening issue found, on inputs of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import planted
import pytest

from ingestion.file_drop.loader import FileDropError, list_new_files, load_folder
from orchestration.dbt import PROJECT_ROOT

CONTACTS = ("contact_external_id,email,phone,first_name,created_at\n"
            f"A1,{planted.EMAILS[0]},{planted.PHONES[0]},{planted.NAMES[0]},2024-05-01T10:00:00Z\n"
            "A2,,+4915100000002,,2024-05-02T10:00:00Z\n")
ORDERS = ("order_id,contact_external_id,status,currency,revenue,ordered_at\n"
          "O1,A1,paid,EUR,100.00,2024-05-03T10:00:00Z\n"
          "O2,A1,paid,EUR,100.00,2024-05-04T10:00:00Z\n"
          "O3,A2,paid,EUR,100.00,2024-05-05T10:00:00Z\n")


def q(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "legacy_crm"
    f.mkdir()
    (f / "contacts.csv").write_text(CONTACTS)
    return f


# --------------------------------------------------------------------------------------------------
# Nothing outside the folder is read
# --------------------------------------------------------------------------------------------------
def test_a_symlink_to_a_file_outside_the_folder_is_reported_not_read(folder, tmp_path):
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text("contact_external_id,email\nroot,root@outside.example\n")
    (folder / "contacts_extra.csv").symlink_to(secret)
    wh = tmp_path / "w.duckdb"
    result = load_folder(folder, wh)
    by_name = {f.name: f for f in result.files}
    assert by_name["contacts_extra.csv"].status == "skipped" and "symbolic link" in by_name["contacts_extra.csv"].error
    assert result.partial  # the user meant it to load: the run says so
    assert q(wh, "select contact_external_id from raw_files.contacts order by 1") == [("A1",), ("A2",)]
    paths = " ".join(r[0] for r in q(wh, "select file_path from ops.file_loads"))
    assert str(secret) not in paths and "outside" not in paths  # the target path is never recorded
    assert q(wh, "select status from ops.ingest_runs") == [("partial",)]
    with pytest.raises(FileDropError, match="contacts_extra.csv: skipped: is a symbolic link"):
        result.check()


def test_a_symlinked_folder_is_not_walked(folder, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "orders.csv").write_text(ORDERS)
    (folder / "orders").symlink_to(outside, target_is_directory=True)
    wh = tmp_path / "w.duckdb"
    result = load_folder(folder, wh)
    assert [f.name for f in result.files if f.status == "skipped"] == ["orders"]
    assert q(wh, "select count(*) from raw_files.orders") == [(0,)]


def test_a_named_pipe_is_reported_and_never_blocks_the_load(folder, tmp_path):
    os.mkfifo(folder / "orders.csv")  # opening it for reading would wait for a writer forever
    began = time.monotonic()
    result = load_folder(folder, tmp_path / "w.duckdb")
    assert time.monotonic() - began < 30
    by_name = {f.name: f for f in result.files}
    assert by_name["orders.csv"].status == "skipped" and "not a regular file" in by_name["orders.csv"].error


# --------------------------------------------------------------------------------------------------
# Every file is accounted for
# --------------------------------------------------------------------------------------------------
def test_unknown_extensions_are_reported_once_not_ignored(folder, tmp_path):
    (folder / "orders.xlsx").write_bytes(b"PK\x03\x04 a workbook")
    (folder / "contacts.txt").write_text(CONTACTS)
    (folder / "notes.md").write_text("# notes")
    wh = tmp_path / "w.duckdb"
    result = load_folder(folder, wh)
    by_name = {f.name: f for f in result.files}
    assert by_name["orders.xlsx"].status == "skipped" and ".xlsx is not a format" in by_name["orders.xlsx"].error
    assert "save it as orders.csv" in by_name["orders.xlsx"].error
    assert by_name["contacts.txt"].needs_attention and by_name["orders.xlsx"].needs_attention
    assert not by_name["notes.md"].needs_attention  # names no entity: reported, not a failure
    assert "no new files" not in result.summary() and "orders.xlsx: skipped" in result.summary()
    assert result.partial
    # recorded once: the next run has nothing new to say about them
    assert list_new_files(folder, wh) == []
    again = load_folder(folder, wh)
    assert again.files == [] and not again.partial and "no new files" in again.summary()


def test_an_empty_file_and_a_header_only_file_are_normal_inputs(tmp_path):
    f = tmp_path / "shop"
    f.mkdir()
    (f / "orders.csv").write_bytes(b"")
    (f / "consents.jsonl").write_bytes(b"\n\n")
    (f / "contacts.csv").write_text("contact_external_id,email\n")
    result = load_folder(f, tmp_path / "w.duckdb")
    assert [(x.name, x.status, x.rows) for x in result.files] == [
        ("consents.jsonl", "loaded", 0), ("contacts.csv", "loaded", 0), ("orders.csv", "loaded", 0)]
    assert not result.partial and result.quarantined == 0


# --------------------------------------------------------------------------------------------------
# A renamed folder does not duplicate data
# --------------------------------------------------------------------------------------------------
def test_renaming_the_drop_folder_does_not_duplicate_rows(folder, tmp_path):
    (folder / "orders.csv").write_text(ORDERS)
    wh = tmp_path / "w.duckdb"
    load_folder(folder, wh)
    assert q(wh, "select count(*), sum(revenue) from raw_files.orders") == [(3, 300)]

    renamed = folder.with_name("crm_export_2024")
    folder.rename(renamed)
    (renamed / "orders_june.csv").write_text("order_id,contact_external_id,revenue,ordered_at\n"
                                             "O4,A2,50.00,2024-06-01T10:00:00Z\n")
    result = load_folder(renamed, wh)
    assert [f.name for f in result.files] == ["orders_june.csv"]  # the renamed files are not new
    assert q(wh, "select count(*), sum(revenue) from raw_files.orders") == [(4, 350)]
    assert q(wh, "select distinct source_system from raw_files.orders") == [("legacy_crm",)]
    assert any("renamed or moved" in n and "legacy_crm" in n for n in result.notes)
    # a forced re-load of the renamed folder merges on the same keys
    load_folder(renamed, wh, force=True)
    assert q(wh, "select count(*), sum(revenue) from raw_files.orders") == [(4, 350)]


def test_a_copied_folder_is_refused_rather_than_counted_twice(folder, tmp_path):
    (folder / "orders.csv").write_text(ORDERS)
    wh = tmp_path / "w.duckdb"
    load_folder(folder, wh)
    copy = tmp_path / "crm_copy"
    copy.mkdir()
    (copy / "orders.csv").write_text(ORDERS)  # the same export, under another folder name
    result = load_folder(copy, wh)
    outcome = {f.name: f for f in result.files}["orders.csv"]
    assert outcome.status == "failed" and "already loaded as source system 'legacy_crm'" in outcome.error
    assert "LIFECYCLE_FILES_SOURCE_SYSTEM=legacy_crm" in outcome.error
    assert q(wh, "select count(*), sum(revenue) from raw_files.orders") == [(3, 300)]
    # naming the source system loads it as the same system: merged, not doubled
    load_folder(copy, wh, source_system="legacy_crm", force=True)
    assert q(wh, "select count(*), sum(revenue) from raw_files.orders") == [(3, 300)]


# --------------------------------------------------------------------------------------------------
# A killed run is marked abandoned by the next one
# --------------------------------------------------------------------------------------------------
def test_a_killed_load_is_marked_abandoned_by_the_next_run(tmp_path):
    f = tmp_path / "big"
    f.mkdir()
    rows = "\n".join(f"C{i},2024-05-01T10:00:00Z" for i in range(400_000))
    (f / "contacts.csv").write_text("contact_external_id,created_at\n" + rows + "\n")
    wh = tmp_path / "w.duckdb"
    env = {**os.environ, "LIFECYCLE_FILES_DIR": str(f)}
    proc = subprocess.Popen([sys.executable, "-m", "ingestion.connectors", "files", "--warehouse", str(wh)],
                            env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = wh.with_name(wh.name + ".lock")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.05)
    time.sleep(1.5)  # inside the run: its row says `running`
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (f / "contacts.csv").unlink()
    load_folder(f, wh)
    statuses = q(wh, "select status, detail from ops.ingest_runs order by started_at")
    assert [s for s, _ in statuses] == ["abandoned", "success"], statuses
    assert "stopped without finishing" in statuses[0][1]
