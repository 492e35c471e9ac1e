"""Every connector against hostile servers (real HTTP on 127.0.0.1, pytest-httpserver).

Each class of defect the hardening issue found is tested for every connector, each on inputs of its
own (tests/connectors/hostile.py): credentials never reach another host (redirects, next-page URLs),
no run hangs (a cursor that repeats, one that never ends, a server that trickles), an answer that is
not the API's ends in one clear line, and no personal value an API echoes reaches a message.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import planted
import pytest

from ingestion.connectors.http import ApiClient, ApiError
from ingestion.sources import SOURCES
from orchestration.dbt import PROJECT_ROOT

from .hostile import TOKEN, VENDORS, Hostile, Server, json_response

ALL = sorted(VENDORS)
WITH_NEXT_URL = sorted(n for n, v in VENDORS.items() if v.follows_next_url)


@pytest.fixture
def servers():
    api, other = Server().start(), Server().start()
    try:
        yield api, other
    finally:
        api.stop()
        other.stop()


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "1")


def run_connector(name: str, hostile: Hostile, wh: Path):
    """Run the connector in process; return (error or None, seconds)."""
    spec = SOURCES[name]
    began = time.monotonic()
    try:
        spec.run(wh, settings=hostile.vendor.settings(hostile.api.url))
    except ApiError as exc:
        return exc, time.monotonic() - began
    return None, time.monotonic() - began


def hostile_for(name: str, mode: str, servers) -> Hostile:
    api, other = servers
    h = Hostile(VENDORS[name], mode, api, other)
    h.install()
    return h


def raw_rows(wh: Path, name: str) -> int:
    schema = SOURCES[name].raw_schema
    with duckdb.connect(str(wh), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()]
        return sum(con.execute(f"select count(*) from {schema}.{t}").fetchone()[0] for t in tables)


def assert_one_line(err: ApiError, name: str) -> str:
    text = str(err)
    assert "\n" not in text and text.startswith(f"{name}: "), text
    assert TOKEN not in text
    assert not planted.leaks(text)
    return text


# --------------------------------------------------------------------------------------------------
# Security: credentials only to the configured host
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_a_redirect_to_another_host_is_refused_and_nothing_reaches_it(name, servers, tmp_path):
    hostile = hostile_for(name, "redirect", servers)
    err, _ = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None, "the connector followed a redirect to another host"
    text = assert_one_line(err, name)
    assert "redirected (HTTP 307) to another host" in text and hostile.other.url.split("//")[1] in text
    assert hostile.other.requests == [], "a request (and its credentials) reached the other host"
    assert not hostile.token_seen_by_other()
    assert raw_rows(tmp_path / "w.duckdb", name) == 0  # nothing of the other host's data loaded


@pytest.mark.parametrize("name", WITH_NEXT_URL)
def test_a_next_page_url_on_another_host_is_refused(name, servers, tmp_path):
    hostile = hostile_for(name, "next_elsewhere", servers)
    err, _ = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None
    text = assert_one_line(err, name)
    assert "points to another host" in text
    assert hostile.other.requests == []


def test_a_same_origin_redirect_is_followed_with_its_credentials(servers):
    api, other = servers
    seen: list[str] = []

    def handler(request):
        if request.path == "/v1/old":
            return json_response({}, status=301, headers={"Location": "/v1/new"})
        seen.append(request.headers.get("Access-Token", ""))
        return json_response({"ok": True})

    api.handler = handler
    with ApiClient("testapi", api.url, headers={"Access-Token": TOKEN}) as client:
        assert client.get_json("/v1/old") == {"ok": True}
    assert seen == [TOKEN] and other.requests == []


# --------------------------------------------------------------------------------------------------
# Hangs: repeated cursors, endless cursors, trickling servers
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_a_repeated_cursor_stops_the_run_with_a_clear_error(name, servers, tmp_path):
    hostile = hostile_for(name, "repeat", servers)
    err, seconds = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None, f"{name} stopped silently on a repeated cursor (or paged on)"
    text = assert_one_line(err, name)
    assert "already returned" in text or "same records" in text, text
    assert hostile.pages_served <= 3 and seconds < 30


@pytest.mark.parametrize("name", ALL)
def test_an_endless_cursor_stops_at_the_run_deadline(name, servers, tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_HTTP_RUN_DEADLINE", "3")
    hostile = hostile_for(name, "endless", servers)
    err, seconds = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None
    text = assert_one_line(err, name)
    assert "reached its deadline of 3 s" in text and "LIFECYCLE_HTTP_RUN_DEADLINE" in text
    assert hostile.pages_served >= 3  # it was paging until the deadline
    assert seconds < 15


@pytest.mark.parametrize("name", ALL)
def test_a_trickling_server_hits_the_request_deadline(name, servers, tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_HTTP_REQUEST_DEADLINE", "2")
    hostile = hostile_for(name, "trickle", servers)
    err, seconds = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None
    text = assert_one_line(err, name)
    assert "did not complete within 2 s" in text
    assert seconds < 15, f"the trickle held the run for {seconds:.0f} s"


def test_a_server_trickling_its_headers_hits_the_deadline_too():
    """The read timeout never fires when every byte of the status line and headers comes just in time."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"y" * 1000:
            if stop.is_set():
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        began = time.monotonic()
        with ApiClient("slowapi", f"http://127.0.0.1:{port}", timeout=(2, 1), request_deadline=2, retries=0) as api:
            with pytest.raises(ApiError, match="did not complete within 2 s"):
                api.get_json("/v1/items")
        assert time.monotonic() - began < 10
    finally:
        stop.set()
        listener.close()


# --------------------------------------------------------------------------------------------------
# Garbage answers and personal data in error bodies
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_an_html_answer_ends_in_one_line_naming_the_request(name, servers, tmp_path):
    hostile = hostile_for(name, "html", servers)
    err, _ = run_connector(name, hostile, tmp_path / "w.duckdb")
    assert err is not None
    text = assert_one_line(err, name)
    assert "HTML page" in text and err.endpoint in text and err.method in text


@pytest.mark.parametrize("name", ALL)
def test_an_error_body_echoing_personal_data_is_redacted_everywhere(name, servers, tmp_path):
    hostile = hostile_for(name, "echo_personal", servers)
    wh = tmp_path / "w.duckdb"
    err, _ = run_connector(name, hostile, wh)
    assert err is not None
    text = assert_one_line(err, name)
    assert "<email>" in text or "VALIDATION_ERROR" in text or "code=100" in text, text
    with duckdb.connect(str(wh), read_only=True) as con:
        stored = " ".join(str(r) for r in con.execute("select * from ops.ingest_runs").fetchall())
    assert "failed" in stored and not planted.leaks(stored)


def test_a_bad_record_holding_personal_values_is_quarantined_without_them_in_messages(servers, tmp_path):
    api, _ = servers
    record = {"id": planted.EMAILS[1], "properties": {
        "email": planted.EMAILS[1], "phone": planted.PHONES[1], "firstname": planted.NAMES[0],
        "lastmodifieddate": planted.PHONES[1]}}

    def handler(request):
        if request.path == "/crm/v3/objects/contacts/search":
            return json_response({"results": [record]})
        return json_response({"results": []})

    api.handler = handler
    wh = tmp_path / "w.duckdb"
    result = SOURCES["hubspot"].run(wh, settings=VENDORS["hubspot"].settings(api.url))
    assert result.quarantined == 1
    with duckdb.connect(str(wh), read_only=True) as con:
        ref, reason, kept = con.execute("select record_ref, reason, record from ops.quarantine").fetchone()
        detail = con.execute("select detail from ops.ingest_runs").fetchone()[0]
    assert not planted.leaks(ref + " " + reason + " " + detail)
    assert json.loads(kept) == record  # the record itself is kept whole, for a replay once fixed


# --------------------------------------------------------------------------------------------------
# The same through the command line: one line, no traceback, exit 1
# --------------------------------------------------------------------------------------------------
def test_the_connector_command_prints_one_line_for_an_html_answer(servers, tmp_path):
    hostile = hostile_for("hubspot", "html", servers)
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith(("_TOKEN", "_BASE_URL"))}
    env.update(hostile.vendor.settings(hostile.api.url))
    proc = subprocess.run([sys.executable, "-m", "ingestion.connectors", "hubspot", "--warehouse",
                           str(tmp_path / "w.duckdb")], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("hubspot failed:") and "POST /crm/v3/objects/contacts/search" in last
    assert "HTML page" in last
