"""respond.io connector against a real local server speaking the v2 contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from ingestion.connectors import respondio

from .servers.common import run_cli, run_cli_killed_midway
from .servers.respondio import TOKEN, RespondIoFake


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


@pytest.fixture
def fake(monkeypatch):
    f = RespondIoFake()
    with f.server:
        monkeypatch.setenv("RESPONDIO_API_TOKEN", TOKEN)
        monkeypatch.setenv("RESPONDIO_BASE_URL", f.server.url + "/v2")
        monkeypatch.setenv("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "2")
        yield f


def rows(wh, sql):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_matches_server(wh, fake: RespondIoFake):
    contacts = {r[0]: r for r in rows(wh, "select contact_id, first_name, last_name, phone, email, language, "
                                          "country_code, lifecycle, tags, assignee_user_id, created_at "
                                          "from raw_respondio.contacts")}
    expected = {
        cid: (cid, c["firstName"], c["lastName"], c["phone"], c["email"], c["language"], c["countryCode"],
              c["lifecycle"], json.dumps(sorted(c["tags"]), separators=(",", ":")),
              (c["assignee"] or {}).get("id"), utc(c["created_at"]))
        for cid, c in fake.good_contacts().items()
    }
    assert contacts == expected
    channels = sorted(rows(wh, "select contact_id, channel_id, channel_type, channel_user_id, created_at "
                               "from raw_respondio.contact_channels"))
    assert channels == sorted((cid, ch["id"], "whatsapp", ch["meta"]["phone"], utc(ch["created_at"]))
                              for cid, chans in fake.channels.items() for ch in chans)
    msgs = {r[0]: r for r in rows(wh, "select message_id, contact_id, channel_id, channel_type, traffic, "
                                      "message_type, sent_at from raw_respondio.messages")}
    assert msgs == {
        m["messageId"]: (m["messageId"], m["contactId"], 77, "whatsapp", m["traffic"], "text",
                         utc(m["status"][0]["timestamp"]))
        for m in fake.good_messages()
    }
    users = sorted(rows(wh, "select user_id, role, agent_type, team from raw_respondio.users"))
    assert users == [(1, "agent", "human", "Sales"), (2, "agent", "ai_agent", None), (3, "owner", "human", "Sales")]


def test_load_matches_server_despite_429_5xx_and_bad_records(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    fake.server.fault(nth=2, status=429, headers={"Retry-After": "1"})
    fake.server.fault(nth=1, path=r"/v2/contact/id:1003/channels", status=500)
    fake.server.fault(nth=2, path=r"/v2/contact/list", status=503)
    result = respondio.run(wh)
    assert_matches_server(wh, fake)
    assert fake.server.hits(r".*", status=429) == 1 and fake.server.hits(r".*", status=500) == 1
    # referral of a click-to-WhatsApp ad is kept
    assert rows(wh, "select referral_source_type, referral_ad_id, referral_ctwa_clid from raw_respondio.messages "
                    "where message_id = 100100") == [("ad", "ad-42", "clid-xyz")]
    # malformed contact and message quarantined with reasons, the rest loaded
    q = sorted(rows(wh, "select entity, record_ref, reason from ops.quarantine where source = 'respondio'"))
    assert q == [("contacts", "id 1999", "created_at is not a timestamp"),
                 ("messages", "contact 1002 message 100299", "traffic is not incoming/outgoing")]
    assert result.quarantined == 2
    assert result.rows["raw_respondio.contacts"] == 12
    # first sight: one lifecycle event per contact with a stage, dated at creation; tags as 'added'
    lc = rows(wh, "select contact_id, from_stage, to_stage, changed_at from raw_respondio.lifecycle_events")
    assert sorted(lc) == sorted((cid, None, c["lifecycle"], utc(c["created_at"]))
                                for cid, c in fake.good_contacts().items() if c["lifecycle"])
    assert sorted(rows(wh, "select contact_id, tag, action from raw_respondio.tag_events")) == [
        (cid, "vip", "added") for cid in (1003, 1006, 1009, 1012)]
    runs = rows(wh, "select status, rows_quarantined from ops.ingest_runs")
    assert runs == [("success", 2)]
    assert "sekret" not in result.summary() and "example.test" not in result.summary()


def test_second_run_no_duplicates_then_changes_become_events(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    respondio.run(wh)
    counts = lambda: rows(wh, "select (select count(*) from raw_respondio.contacts), "  # noqa: E731
                              "(select count(*) from raw_respondio.messages), "
                              "(select count(*) from raw_respondio.lifecycle_events), "
                              "(select count(*) from raw_respondio.tag_events), "
                              "(select count(*) from raw_respondio.contact_channels)")[0]
    first = counts()
    msg_calls = fake.server.hits(r"/v2/contact/id:\d+/message/list")
    respondio.run(wh)
    assert counts() == first
    # messages are not re-read when no channel reports a newer message
    assert fake.server.hits(r"/v2/contact/id:\d+/message/list") == msg_calls
    assert_matches_server(wh, fake)

    # change on the server: stage moves, a tag is removed, a new message arrives
    fake.contacts[1001]["lifecycle"] = "Customer"
    fake.contacts[1003]["tags"] = []
    fake.messages[1004].append({"messageId": 100499, "contactId": 1004, "channelId": 77, "traffic": "incoming",
                                "message": {"type": "text"}, "status": [{"value": "read", "timestamp": 1_717_100_000}]})
    fake.channels[1004][0]["lastMessageTime"] = 1_717_100_000
    before = datetime.now(UTC).replace(tzinfo=None)
    respondio.run(wh)
    assert_matches_server(wh, fake)
    lc = rows(wh, "select from_stage, to_stage, changed_at from raw_respondio.lifecycle_events "
                  "where contact_id = 1001 order by changed_at")
    assert [(a, b) for a, b, _ in lc] == [(None, "Qualified"), ("Qualified", "Customer")]
    assert lc[-1][2] >= before.replace(microsecond=0)
    assert rows(wh, "select tag, action from raw_respondio.tag_events where contact_id = 1003 order by event_at") == [
        ("vip", "added"), ("vip", "removed")]
    updated = dict(rows(wh, "select contact_id, updated_at from raw_respondio.contacts where contact_id in (1001, 1005)"))
    assert updated[1001] >= before.replace(microsecond=0)  # change observed now
    assert updated[1005] == utc(fake.contacts[1005]["created_at"])  # unchanged since first sight


def test_killed_midway_resumes_without_loss(fake, tmp_path):
    wh = tmp_path / "w.duckdb"
    # the 3rd contact page (after id 1010) is slow: the kill lands while pages 1-2 are committed
    slow = fake.server.fault(path=r"/v2/contact/list", when=lambda r: r.arg("cursorId") == "1010", sleep=30)
    env = {"RESPONDIO_API_TOKEN": TOKEN, "RESPONDIO_BASE_URL": fake.server.url + "/v2"}
    code = run_cli_killed_midway(
        "respondio", wh, env,
        ready=lambda: slow.fired,  # the slow page was requested, so pages 1-2 are committed
    )
    assert code == -9
    partial = rows(wh, "select count(*) from raw_respondio.contacts")[0][0]
    assert partial == 10  # two committed pages of five
    state = json.loads(rows(wh, "select cursor_value from ops.ingest_cursors where stream = 'contacts'")[0][0])
    assert state["in_progress"] and state["cursorId"] == "1010"
    calls_before = len(fake.server.log)
    done = run_cli("respondio", wh, env)
    assert done.returncode == 0, done.stderr
    # resumed at the committed cursor, not from the start
    resumed = [q.get("cursorId") for m, p, q, s in fake.server.log[calls_before:] if p == "/v2/contact/list"]
    assert resumed[0] == ["1010"]
    assert_matches_server(wh, fake)
    assert rows(wh, "select count(*), count(distinct event_id) from raw_respondio.lifecycle_events")[0][0] == len(
        [c for c in fake.good_contacts().values() if c["lifecycle"]])
    statuses = sorted(r[0] for r in rows(wh, "select status from ops.ingest_runs"))
    assert statuses == ["abandoned", "success"]  # the next run marked the killed one abandoned
