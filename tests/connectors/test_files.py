"""File drop: the example folder, the bad-rows folder, idempotent re-loads, the sensor's new-file list."""

from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ingestion.file_drop.loader import FileDropError, entity_of, list_new_files, load_folder
from ingestion.sources import SOURCES as CONNECTORS
from orchestration.dbt import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "file_drop"
    shutil.copytree(EXAMPLES / "file_drop", folder)
    return folder


@pytest.fixture
def bad_drop(tmp_path: Path) -> Path:
    folder = tmp_path / "file_drop_bad"
    shutil.copytree(EXAMPLES / "file_drop_bad", folder)
    return folder


def q(wh: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        return con.execute(sql, params or []).fetchall()


def file_rows(path: Path) -> list[dict]:
    """The data rows of an example file, read independently of the loader."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return pq.read_table(path).to_pylist()


def test_entity_from_name_or_subfolder():
    assert entity_of(Path("contacts.csv")) == "contacts"
    assert entity_of(Path("contacts_2024-05.csv")) == "contacts"
    assert entity_of(Path("Orders-may.parquet")) == "orders"
    assert entity_of(Path("conversion_events.jsonl")) == "conversion_events"
    assert entity_of(Path("conversations.csv")) == "conversations"
    assert entity_of(Path("touchpoints/2024-05.csv")) == "touchpoints"
    assert entity_of(Path("contactsheet.csv")) is None
    assert entity_of(Path("wishlist.csv")) is None
    assert entity_of(Path("misc/contacts.csv")) is None  # only entity subfolders count


def test_example_folder_loads_fully(drop: Path, tmp_path: Path):
    wh = tmp_path / "w.duckdb"
    result = load_folder(drop, wh)

    assert not result.failed and result.quarantined == 0
    expected: dict[str, int] = {}
    for path in sorted(p for p in drop.rglob("*") if p.suffix in (".csv", ".jsonl", ".parquet")):
        entity = entity_of(path.relative_to(drop))
        expected[f"raw_files.{entity}"] = expected.get(f"raw_files.{entity}", 0) + len(file_rows(path))
    assert len(expected) == 10  # every entity has an example file
    assert result.rows == expected
    for table, n in expected.items():
        assert q(wh, f"select count(*) from {table}")[0][0] == n, table
    assert q(wh, "select count(*) from ops.quarantine")[0][0] == 0
    assert q(wh, "select distinct source_system from raw_files.contacts") == [("file_drop",)]

    # values equal the files: contacts, messages (jsonl), orders (parquet with decimals and tz timestamps)
    contacts = {r["contact_external_id"]: r for r in file_rows(drop / "contacts.csv")}
    got = q(wh, "select contact_external_id, email, phone, first_name, channel, country_code, created_at "
                "from raw_files.contacts")
    for cid, email, phone, first, channel, country, created in got:
        src = contacts[cid]
        assert (email or "", phone, first, channel, country) == (
            src["email"], src["phone"], src["first_name"], src["channel"], src["country_code"])
        src_ts = datetime.fromisoformat(src["created_at"].replace("Z", "+00:00"))
        assert created == src_ts.astimezone(UTC).replace(tzinfo=None)
    orders = {r["order_id"]: r for r in file_rows(drop / "orders.parquet")}
    got_orders = q(wh, "select order_id, contact_external_id, email, status, revenue, refunded_amount, ordered_at "
                       "from raw_files.orders")
    assert len(got_orders) == len(orders)
    for oid, cid, email, status, revenue, refunded, ordered in got_orders:
        src = orders[oid]
        assert (cid, email, status, revenue, refunded) == (
            src["contact_external_id"], src["email"], src["status"], src["revenue"], src["refunded_amount"])
        assert ordered == src["ordered_at"].replace(tzinfo=None)
    messages = {r["message_id"]: r for r in file_rows(drop / "messages.jsonl")}
    for mid, conv, direction, sender, sent in q(
            wh, "select message_id, conversation_id, direction, sender_type, sent_at from raw_files.messages"):
        src = messages[mid]
        assert (conv, direction, sender) == (src["conversation_id"], src["direction"], src["sender_type"])
        assert sent == datetime.fromisoformat(src["sent_at"].replace("Z", "+00:00")).replace(tzinfo=None)
    # the story the dbt tests need: contacts with messages, stage events and orders
    assert q(wh, "select count(distinct contact_external_id) from raw_files.messages")[0][0] == 20
    assert q(wh, "select count(*) from raw_files.lifecycle_events where stage = 'Customer'")[0][0] >= 5
    assert q(wh, "select sum(revenue) from raw_files.orders where status = 'paid'")[0][0] > Decimal("100")
    assert q(wh, "select ad_id from raw_files.ad_performance group by 1 order by 1") == [
        ("m_ad1",), ("m_ad2",), ("t_ad1",), ("t_ad2",)]
    loads = q(wh, "select file_name, status, rows from ops.file_loads order by file_name")
    assert [r[0] for r in loads][-1] == "touchpoints/2024-05.csv"
    # the folder's README is reported as a file the drop does not read; it does not make the run partial
    assert {name: status for name, status, _ in loads if status != "loaded"} == {"README.md": "skipped"}
    assert not result.partial
    assert q(wh, "select status, rows_loaded from ops.ingest_runs") == [("success", sum(expected.values()))]


def test_offset_timestamps_are_stored_in_utc(tmp_path: Path):
    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text(
        "contact_external_id,created_at\n"
        "A,2024-05-01T10:00:00+02:00\n"
        "B,2024-05-01 10:00:00\n"
        "C,2024-05-01T10:00:00Z\n"
        "D,2024-05-01T10:00:00.250-0530\n"
        "E,2024-05-01\n"
        "F,01/05/2024 10:00\n")
    result = load_folder(folder, tmp_path / "w.duckdb")
    got = dict(q(tmp_path / "w.duckdb", "select contact_external_id, created_at from raw_files.contacts"))
    assert got == {
        "A": datetime(2024, 5, 1, 8, 0),
        "B": datetime(2024, 5, 1, 10, 0),  # no offset: taken as UTC
        "C": datetime(2024, 5, 1, 10, 0),
        "D": datetime(2024, 5, 1, 15, 30, 0, 250000),
        "E": datetime(2024, 5, 1, 0, 0),
    }
    assert result.files[0].bad_lines == [(7, "created_at is not a timestamp")]
    assert q(tmp_path / "w.duckdb", "select distinct source_system from raw_files.contacts") == [("crm",)]


def test_bad_folder_loads_good_rows_and_quarantines_bad_ones(bad_drop: Path, tmp_path: Path):
    wh = tmp_path / "w.duckdb"
    result = load_folder(bad_drop, wh)

    assert sorted(r[0] for r in q(wh, "select contact_external_id from raw_files.contacts")) == [
        "B001", "B002", "B004", "B008"]
    assert sorted(r[0] for r in q(wh, "select message_id from raw_files.messages")) == ["BM1", "BM5"]
    assert q(wh, "select response_id from raw_files.surveys") == [("BS1",)]
    quarantined = q(wh, "select source, entity, record_ref, reason, ingest_run_id is not null "
                        "from ops.quarantine order by record_ref")
    assert quarantined == [
        ("files", "contacts", "contacts.csv:4", "created_at is not a timestamp", True),
        ("files", "contacts", "contacts.csv:6", "email is not an email address", True),
        ("files", "contacts", "contacts.csv:7", "no contact identifier (contact_external_id, email or phone)", True),
        ("files", "contacts", "contacts.csv:8",
         "channel is not one of whatsapp, instagram, messenger, tiktok, email, webchat, web, sms, "
         "telegram, line, viber, call, other",
         True),
        ("files", "messages", "messages.jsonl:2", "direction is not one of inbound, outbound", True),
        ("files", "messages", "messages.jsonl:3", "line is not valid JSON", True),
        ("files", "messages", "messages.jsonl:4", "sent_at is missing", True),
        ("files", "surveys", "surveys.csv:3", "score is not 1-5 (csat)", True),
        ("files", "surveys", "surveys.csv:4", "score is not an integer", True),
    ]
    # the bad personal value is kept in the record for replay, never in the reason or the summary
    assert "not-an-email" not in " ".join(r[3] for r in quarantined)
    assert "not-an-email" not in result.summary()
    assert json.loads(q(wh, "select record from ops.quarantine where record_ref = 'contacts.csv:6'")[0][0])[
        "email"] == "not-an-email"

    summary = result.summary()
    assert ("contacts.csv: 4 rows loaded into raw_files.contacts, 4 rows quarantined (line 4: created_at "
            "is not a timestamp; line 6: email is not an email address; line 7: no contact identifier"
            ) in summary
    assert "unknown columns ignored: favourite_colour" in summary
    assert "orders.csv: failed: missing required column(s) revenue" in summary
    assert "wishlist.csv: skipped" in summary
    assert result.quarantined == 9
    assert q(wh, "select count(*) from raw_files.orders")[0][0] == 0
    assert q(wh, "select status, error from ops.file_loads where file_name = 'orders.csv'") == [
        ("failed", "missing required column(s) revenue")]
    assert q(wh, "select status from ops.ingest_runs") == [("partial",)]
    with pytest.raises(FileDropError, match="orders.csv: failed: missing required column"):
        result.check()


def test_reload_adds_no_duplicates(bad_drop: Path, drop: Path, tmp_path: Path):
    wh = tmp_path / "w.duckdb"
    first = load_folder(drop, wh)
    load_folder(bad_drop, wh)
    counts = {t: q(wh, f"select count(*) from {t}")[0][0] for t in first.rows}
    quarantined = q(wh, "select count(*) from ops.quarantine")[0][0]

    again = load_folder(drop, wh)  # nothing new
    assert again.files == [] and again.rows == {}
    forced = load_folder(drop, wh, force=True)  # every file again: PK merge
    assert forced.rows == first.rows
    load_folder(bad_drop, wh, force=True)
    assert {t: q(wh, f"select count(*) from {t}")[0][0] for t in first.rows} == counts
    # a re-loaded file replaces its own quarantine rows instead of adding copies
    assert q(wh, "select count(*) from ops.quarantine")[0][0] == quarantined == 9


def test_list_new_files_sees_new_and_changed_files_only(drop: Path, tmp_path: Path):
    wh = tmp_path / "w.duckdb"
    assert len(list_new_files(drop, wh)) == 11  # no warehouse yet: everything is new (README.md included)
    load_folder(drop, wh)
    assert list_new_files(drop, wh) == []

    new = drop / "contacts_2024-06.csv"
    new.write_text("contact_external_id,email,created_at\nC021,new.person@example.com,2024-06-01T09:00:00Z\n")
    touched = drop / "surveys.csv"
    os.utime(touched, (time.time() + 60, time.time() + 60))  # same content, new mtime: not new
    changed = drop / "consents.csv"
    changed.write_text(changed.read_text() + "CS999,C001,email,opted_out,2024-06-02T10:00:00Z\n")
    assert list_new_files(drop, wh) == [changed, new]  # load order: by relative path

    result = load_folder(drop, wh)
    assert [f.name for f in result.files] == ["consents.csv", "contacts_2024-06.csv"]
    assert result.rows == {"raw_files.consents": 29, "raw_files.contacts": 1}
    assert q(wh, "select count(*) from raw_files.contacts")[0][0] == 21
    assert list_new_files(drop, wh) == []


def test_failed_file_is_retried_once_fixed(tmp_path: Path):
    folder = tmp_path / "shop"
    folder.mkdir()
    orders = folder / "orders.csv"
    orders.write_text("order_id,email,ordered_at\nX1,a@example.com,2024-05-01T10:00:00Z\n")
    wh = tmp_path / "w.duckdb"
    assert load_folder(folder, wh).failed
    assert list_new_files(folder, wh) == []  # not re-tried on every sensor tick
    orders.write_text("order_id,email,ordered_at,revenue\nX1,a@example.com,2024-05-01T10:00:00Z,12.5\n")
    assert list_new_files(folder, wh) == [orders]
    result = load_folder(folder, wh)
    assert not result.failed
    assert q(wh, "select order_id, revenue from raw_files.orders") == [("X1", Decimal("12.50"))]


def test_runs_as_a_registered_connector(drop: Path, tmp_path: Path):
    assert "files" in CONNECTORS and CONNECTORS["files"].raw_schema == "raw_files"
    wh = tmp_path / "w.duckdb"
    env = {**os.environ, "LIFECYCLE_FILES_DIR": str(drop)}
    proc = subprocess.run([sys.executable, "-m", "ingestion.connectors", "files", "--warehouse", str(wh)],
                          env=env, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "raw_files.contacts=20" in proc.stdout
    assert q(wh, "select count(*) from raw_files.messages")[0][0] == len(file_rows(drop / "messages.jsonl"))


def test_published_schema_doc_is_current():
    from ingestion.file_drop.schemas import render_markdown

    doc = PROJECT_ROOT / "docs" / "sources" / "files.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(), (
        "docs/sources/files.md is stale: python -m ingestion.file_drop.schemas > docs/sources/files.md")


def test_unreadable_files_fail_alone_naming_the_file(tmp_path: Path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "orders.parquet").write_bytes(b"this is not parquet")
    (folder / "contacts.csv").write_bytes("contact_external_id,first_name\nX1,J\xf6rg\n".encode("latin-1"))
    (folder / "surveys.csv").write_text("response_id,survey_type,score,answered_at\nS1,nps,9,2024-05-01\n")
    (folder / "consents.jsonl").write_text(
        '{"consent_id": "K1", "email": "a@example.com", "channel": "email", "status": "opted_in", '
        '"changed_at": "2024-05-01T10:00:00+02:00"}\n\n[1, 2]\n')
    wh = tmp_path / "w.duckdb"
    result = load_folder(folder, wh)
    by_name = {f.name: f for f in result.files}
    assert by_name["orders.parquet"].error == "is not a readable Parquet file (ArrowInvalid)"
    # a byte that is not UTF-8 makes its line bad, not the file: the line is kept for a replay
    assert by_name["contacts.csv"].status == "loaded"
    assert by_name["contacts.csv"].bad_lines == [(2, "is not UTF-8 text (export the file as UTF-8)")]
    raw = json.loads(q(wh, "select record from ops.quarantine where record_ref = 'contacts.csv:2'")[0][0])
    assert base64.b64decode(raw["_raw_line_base64"]) == "X1,J\xf6rg".encode("latin-1")
    assert by_name["surveys.csv"].error == (
        "has none of the contact identifier columns contact_external_id, email, phone")
    assert by_name["consents.jsonl"].status == "loaded"
    assert by_name["consents.jsonl"].bad_lines == [(3, "line is not a JSON object")]
    assert q(wh, "select consent_id, changed_at from raw_files.consents") == [("K1", datetime(2024, 5, 1, 8, 0))]
    assert sorted(q(wh, "select file_name, status from ops.file_loads")) == [
        ("consents.jsonl", "loaded"), ("contacts.csv", "loaded"), ("orders.parquet", "failed"),
        ("surveys.csv", "failed")]
