"""Incremental models equal a full refresh, row for row (issue 11).

The demo warehouse is built once; then rows are appended through the ingestion path (``merge_rows``, which
stamps ``_loaded_at``) in three rounds, each followed by an incremental run:

1. new messages in an existing conversation; a LATE message (sent before everything else in its
   conversation) that becomes the conversation's first inbound message and changes its first response; a new
   contact with a conversation; file-drop messages without a conversation (derived conversations) for an
   existing contact found by email, one of them late enough to split that contact's derived sessions; a
   respond.io user re-loaded as an AI agent (every message and conversation it touched changes);
2. a HubSpot contact carrying one respond.io contact's email and another's phone: identity merges the two,
   and the derived conversations of both are renumbered under one contact id; a shop order re-loaded as
   cancelled (no message and no identity change: its contact's purchase signals change all the same); a
   storefront visit re-loaded with a newsletter's UTM parameters (its touchpoint changes, no message); a
   respond.io contact re-loaded with a new first name (its profile changes, nothing else);
3. a message three weeks after everything else: the "as of" time moves, and contacts with no new evidence
   get the inactivity signal of their last inbound message; the merging HubSpot contact of round 2 is
   deleted at the source (a gone identity record), and its two people split apart again; 25 file-drop
   messages, each with its own phone, carry a third contact's e-mail: the value crosses the junk guard, so the
   contact (with no new record of its own) loses it for matching;
4. nothing new (the run must recompute nobody).

Then a copy of the same warehouse is rebuilt with ``--full-refresh`` and every incremental model must hold
exactly the same rows (the bookkeeping columns that say when a row was computed aside).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import warehouse_io
from ingestion import raw_tables
from orchestration.dbt import run_dbt
from tests.dbt_helpers import query

pytestmark = [pytest.mark.slow]

# the incremental models and their bookkeeping columns (when the row was computed / mapped)
MODELS = {
    "intermediate.int_identity__record_identifiers": ("_built_at",),
    "intermediate.int_identity__components": ("_changed_at",),
    "intermediate.int_identity__contact_map": ("_mapped_at", "previous_contact_id", "_built_at"),
    "intermediate.int_identity__identifiers": ("_built_at",),
    "intermediate.int_contacts__profile": ("_built_at",),
    "intermediate.int_messages": ("_built_at",),
    "marts.fct_conversations": ("_built_at",),
    "intermediate.int_lifecycle__signals": ("_built_at",),
    "intermediate.int_lifecycle__stage_moves": ("_built_at",),
    "intermediate.int_touchpoints": ("_built_at",),
}
SELECT = ["+fct_conversations", "+int_contacts__profile", "+int_lifecycle__stage_moves",
          "+int_attribution__touchpoints"]
# no lookback: every load in this test is committed before the next run starts
VARS = {"incremental_lookback_minutes": 0}


def _run(path: Path, target: Path, *extra: str) -> None:
    run_dbt(["run", "-s", *SELECT, *extra], warehouse=path, target_path=target, vars=VARS)


def _append(path: Path, tables: dict[str, list[dict]]) -> None:
    with warehouse_io.connect(path) as con:
        for name, rows in tables.items():
            warehouse_io.merge_rows(con, raw_tables.table(name), pd.DataFrame(rows))


def _built_runs(path: Path) -> dict[str, list[tuple]]:
    """Per model: (_built_at, rows) of each run that computed rows, oldest first."""
    return {
        model: query(path, f"select _built_at, count(*) from {model} group by 1 order by 1")
        for model in MODELS if "_built_at" in MODELS[model]
    }


def _rows(con: duckdb.DuckDBPyConnection, db: str, model: str) -> str:
    skip = set(MODELS[model])
    cols = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = ? "
        "and table_name = ? order by ordinal_position", [db, *model.split(".")]).fetchall() if c not in skip]
    return f"select {', '.join(cols)} from {db}.{model}"


def _pick(path: Path) -> dict:
    """Existing respond.io facts the appended rows refer to (read from the demo, never hard-coded)."""
    conv = query(path, """
        select c.conversation_id, c.contact_id, c.channel_id, c.channel_type, min(m.sent_at)
        from raw_respondio.conversations c
        join raw_respondio.messages m on m.conversation_id = c.conversation_id
        join raw_respondio.messages r on r.conversation_id = c.conversation_id
            and r.traffic = 'outgoing' and r.sender_type = 'user'
        group by all order by c.conversation_id limit 1""")[0]
    two = query(path, """
        select contact_id, email, phone from raw_respondio.contacts
        where email is not null and phone is not null order by contact_id limit 3""")
    human = query(path, """
        select m.sender_user_id from raw_respondio.messages m join raw_respondio.users u
            on u.user_id = m.sender_user_id
        where u.agent_type = 'human' group by 1 order by count(*) desc limit 1""")[0][0]
    user_cols = [c.name for c in raw_tables.table("raw_respondio.users").columns]
    user = query(path, f"select {', '.join(user_cols)} from raw_respondio.users where user_id = {human}")[0]
    order_cols = [c.name for c in raw_tables.table("raw_shop.orders").columns]
    order, repriced = query(path, f"""select {', '.join(order_cols)} from raw_shop.orders
        where cancelled_at is null and financial_status = 'paid' and email is not null
        order by order_id limit 2""")
    event_cols = [c.name for c in raw_tables.table("raw_shop.storefront_events").columns]
    event = query(path, f"""select {', '.join('e.' + c for c in event_cols)} from raw_shop.storefront_events e
        join intermediate.int_touchpoints t on t.touchpoint_id = 'web:shop:' || e.event_id
        where e.email is not null order by e.event_id limit 1""")[0]
    return {"conv": conv, "contacts": two, "user": dict(zip(user_cols, user, strict=True)),
            "order": dict(zip(order_cols, order, strict=True)),
            "repriced": dict(zip(order_cols, repriced, strict=True)),
            "event": dict(zip(event_cols, event, strict=True))}


def _message(mid, conv, contact, channel_id, channel, traffic, sender, sent_at, user=None):
    return {"message_id": mid, "conversation_id": conv, "contact_id": contact, "channel_id": channel_id,
            "channel_type": channel, "traffic": traffic, "sender_type": sender, "sender_user_id": user,
            "message_type": "text", "referral_source_type": None, "referral_ad_id": None,
            "referral_ctwa_clid": None, "sent_at": sent_at}


def _file_message(mid, email, direction, sent_at):
    return {"source_system": "helpdesk", "message_id": mid, "conversation_id": None, "contact_external_id": None,
            "email": email, "phone": None, "channel": "email", "direction": direction,
            "sender_type": "human" if direction == "outbound" else None, "sender_id": "agent-1" if direction == "outbound" else None,
            "sent_at": sent_at, "_source_file": "helpdesk.csv"}


def test_incremental_runs_equal_a_full_refresh_row_for_row(demo_warehouse, tmp_path):
    path = tmp_path / "incremental.duckdb"
    shutil.copy(demo_warehouse, path)
    target = tmp_path / "target"
    facts = _pick(path)
    conv_id, conv_contact, channel_id, channel, first_sent = facts["conv"]
    (a_id, _a_email, _a_phone), (b_id, b_email, b_phone), (c_id, c_email, _c_phone) = facts["contacts"]
    base = max(r[0] for r in query(path, "select max(sent_at) from raw_respondio.messages"))

    # round 1: new and late messages, a new contact, derived conversations, a re-loaded user
    _append(path, {
        "raw_respondio.messages": [
            _message(9_900_000_001, conv_id, conv_contact, channel_id, channel, "incoming", "contact",
                     base + dt.timedelta(hours=1)),
            # late: sent a minute before the conversation's first message, answered by nobody yet
            _message(9_900_000_002, conv_id, conv_contact, channel_id, channel, "incoming", "contact",
                     first_sent - dt.timedelta(minutes=1)),
            _message(9_900_000_003, 9_800_000_001, 9_700_000_001, channel_id, channel, "incoming", "contact",
                     base + dt.timedelta(hours=2)),
            _message(9_900_000_004, 9_800_000_001, 9_700_000_001, channel_id, channel, "outgoing", "user",
                     base + dt.timedelta(hours=2, minutes=5), facts["user"]["user_id"]),
        ],
        "raw_respondio.conversations": [{
            "conversation_id": 9_800_000_001, "contact_id": 9_700_000_001, "channel_id": channel_id,
            "channel_type": channel, "opened_at": base + dt.timedelta(hours=2), "opened_by": "contact",
            "broadcast_id": None, "assignee_user_id": facts["user"]["user_id"], "assignee_team": None,
            "closed_at": None, "closing_category": None, "updated_at": base + dt.timedelta(hours=2)}],
        "raw_respondio.contacts": [{
            "contact_id": 9_700_000_001, "first_name": "Late", "last_name": "Comer", "phone": "+14415550999",
            "email": "late.comer@example.com", "language": "en", "country_code": "US", "lifecycle": None,
            "tags": "[]", "assignee_user_id": None, "created_at": base + dt.timedelta(hours=2),
            "updated_at": base + dt.timedelta(hours=2)}],
        "raw_files.messages": [
            _file_message("h1", c_email, "inbound", base - dt.timedelta(days=3)),
            _file_message("h2", c_email, "outbound", base - dt.timedelta(days=3, hours=-1)),
            _file_message("h3", c_email, "inbound", base - dt.timedelta(days=1)),
            _file_message("h5", b_email, "inbound", base - dt.timedelta(days=2)),
            _file_message("h6", b_email, "outbound", base - dt.timedelta(days=2, hours=-2)),
        ],
        "raw_respondio.users": [{**facts["user"], "agent_type": "ai_agent"}],
    })
    _run(path, target)
    runs = _built_runs(path)
    for model, built in runs.items():
        assert len(built) == 2, f"{model}: round 1 should recompute some contacts, not none: {built}"
        total = sum(n for _, n in built)
        assert built[-1][1] < total, f"{model}: round 1 recomputed every row ({built})"
    # the late file message (3 days earlier) and the next one (2 days later) are separate derived conversations
    derived = query(path, "select count(*) from marts.fct_conversations where conversation_id like 'helpdesk:derived:%'")
    assert derived == [(3,)]
    # the late respond.io message is now its conversation's first inbound message
    first = query(path, f"select first_inbound_at from marts.fct_conversations where conversation_id = 'respondio:{conv_id}'")
    assert first == [(first_sent - dt.timedelta(minutes=1),)]

    # round 2: a HubSpot contact with C's email and B's phone merges B and C, who both have derived
    # conversations: the one whose contact id goes has its derived conversations renumbered under the other's
    # (stale rows of a contact that no longer exists must go); and a late file message joins a derived session
    contacts_before = query(path, "select count(distinct contact_id) from intermediate.int_identity__contact_map")[0][0]
    apart = query(path, f"""select count(distinct contact_id) from intermediate.int_identity__contact_map
        where record_source = 'respondio_contact' and record_id in ('{b_id}', '{c_id}')""")
    assert apart == [(2,)]
    # ... and contact A is re-loaded with a new first name and nothing else: no identity change, only its profile
    contact_cols = [c.name for c in raw_tables.table("raw_respondio.contacts").columns]
    a_row = dict(zip(contact_cols, query(path, f"""select {', '.join(contact_cols)} from raw_respondio.contacts
        where contact_id = {a_id}""")[0], strict=True))
    _append(path, {
        "raw_respondio.contacts": [{**a_row, "first_name": "Renamed", "updated_at": base + dt.timedelta(hours=3)}],
        "raw_hubspot.contacts": [{
            "contact_id": 99_000_000_001, "email": c_email, "phone": b_phone, "mobilephone": None,
            "firstname": "Merged", "lastname": "Person", "lifecyclestage": "lead", "hs_lead_status": None,
            "createdate": base, "lastmodifieddate": base, "archived": False}],
        "raw_files.messages": [_file_message("h4", c_email, "inbound", base - dt.timedelta(days=2, hours=12))],
        # a cancelled order (its signals go) and a re-priced one (its purchase signal stays, with a new value:
        # a change in one column of a signal that keeps its id and contact)
        "raw_shop.orders": [{**facts["order"], "cancelled_at": base, "updated_at": base},
                            {**facts["repriced"], "subtotal_price": float(facts["repriced"]["subtotal_price"]) + 7.5,
                             "total_price": float(facts["repriced"]["total_price"]) + 7.5, "updated_at": base}],
        # a storefront visit re-loaded with the UTM parameters of a newsletter: its touchpoint changes with no
        # message and no identity change (same identifiers, so the same identity record)
        "raw_shop.storefront_events": [{**facts["event"], "utm_source": "newsletter", "utm_medium": "email",
                                        "utm_campaign": "late-summer", "fbclid": None, "ttclid": None,
                                        "gclid": None}],
    })
    event_contact = query(path, f"""select contact_id from intermediate.int_touchpoints
        where touchpoint_id = 'web:shop:{facts['event']['event_id']}'""")
    price_signal = f"""select signal_value from intermediate.int_lifecycle__signals
        where signal_type = 'purchase' and source_record_id = 'shop:{facts['repriced']['order_id']}'"""
    price_before = query(path, price_signal)
    _run(path, target)
    price_after = query(path, price_signal)
    assert query(path, f"""select p.first_name from intermediate.int_contacts__profile p
        join intermediate.int_identity__contact_map m on m.contact_id = p.contact_id
        where m.record_source = 'respondio_contact' and m.record_id = '{a_id}'""") == [("Renamed",)]
    assert len(price_after) == 1 and price_after[0][0] == pytest.approx(price_before[0][0] + 7.5), \
        (price_before, price_after)
    visit = query(path, f"""select contact_id, touchpoint_type from intermediate.int_touchpoints
        where touchpoint_id = 'web:shop:{facts['event']['event_id']}'""")
    assert visit == [(event_contact[0][0], "email_click")], (visit, event_contact)
    signals = query(path, f"""select signal_type from intermediate.int_lifecycle__signals
        where source_record_id = 'shop:{facts['order']['order_id']}' order by 1""")
    assert ("purchase",) not in signals, signals
    assert query(path, "select count(distinct contact_id) from intermediate.int_identity__contact_map")[0][0] \
        == contacts_before - 1
    merged = query(path, f"""select count(distinct contact_id) from intermediate.int_identity__contact_map
        where record_source = 'respondio_contact' and record_id in ('{b_id}', '{c_id}')""")
    assert merged == [(1,)]
    derived = query(path, "select count(*) from marts.fct_conversations where conversation_id like 'helpdesk:derived:%'")
    # one contact now: h1 h2 h4 h5 h6 h3 are each less than 24 h apart, so the three sessions became one
    assert derived == [(1,)]

    # round 3: a message three weeks later moves the "as of" time: contacts with no new evidence whose last
    # inbound message is now old enough get their inactivity signal
    as_of_before = query(path, "select max(signal_at) from intermediate.int_lifecycle__signals "
                               "where signal_type <> 'inactivity'")[0][0]
    # ... and the merging HubSpot contact is deleted at the source: its identity record is gone, and B and C
    # are two people again (a split: both get their own contact ids and histories back)
    # ... and an e-mail held by one node arrives on 25 new file-drop records, each with its own phone: more
    # nodes than identity_max_records_per_identifier (25) now hold it
    a_email = query(path, """select identifier_value from intermediate.int_identity__record_identifiers
        where identifier_type = 'email' group by 1 having count(distinct node_key) = 1 order by 1 limit 1""")[0][0]
    holders = f"""select count(distinct contact_id), bool_and(is_used_for_matching), bool_or(is_used_for_matching)
        from intermediate.int_identity__identifiers
        where identifier_type = 'email' and identifier_value = '{a_email}'"""
    assert query(path, holders) == [(1, True, True)]
    _append(path, {
        "raw_respondio.messages": [
            _message(9_900_000_005, 9_800_000_001, 9_700_000_001, channel_id, channel, "incoming", "contact",
                     base + dt.timedelta(days=21))],
        "raw_files.messages": [
            {**_file_message(f"j{i}", a_email, "inbound", base - dt.timedelta(hours=i)), "phone": f"+49309018{i:04d}"}
            for i in range(25)],
    })
    with warehouse_io.connect(path) as con:
        con.execute("delete from raw_hubspot.contacts where contact_id = 99000000001")
    _run(path, target)
    assert query(path, """select count(*) from intermediate.int_identity__record_identifiers
        where record_source = 'hubspot_contact' and record_id = '99000000001'""") == [(0,)]
    assert query(path, f"""select count(distinct contact_id) from intermediate.int_identity__contact_map
        where record_source = 'respondio_contact' and record_id in ('{b_id}', '{c_id}')""") == [(2,)]
    assert query(path, "select count(distinct contact_id) from intermediate.int_identity__contact_map")[0][0] \
        == contacts_before + 25
    # A and the 25 new records are 26 contacts now, and none of them matches by that e-mail
    assert query(path, holders) == [(26, False, False)]
    fired = query(path, f"""select count(distinct contact_id) from intermediate.int_lifecycle__signals
        where signal_type = 'inactivity' and signal_at > '{as_of_before}'
            and source_record_id <> 'respondio:9900000005'""")[0][0]
    assert fired > 1, "the moved as-of time should fire inactivity signals of contacts without new evidence"

    # round 4: nothing new, nothing recomputed
    before = _built_runs(path)
    _run(path, target)
    assert _built_runs(path) == before

    # the incremental tables pass their data tests
    run_dbt(["test", "-s", *MODELS_SHORT], warehouse=path, target_path=target, vars=VARS)

    _assert_equal_to_a_full_refresh(path, tmp_path, target, MODELS)


def _assert_equal_to_a_full_refresh(path: Path, tmp_path: Path, target: Path, models) -> None:
    """A copy of the warehouse rebuilt with --full-refresh holds exactly the same rows in every model."""
    full = tmp_path / "full.duckdb"
    shutil.copy(path, full)
    _run(full, target, "--full-refresh")

    con = duckdb.connect()
    try:
        con.execute(f"attach '{path}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        for model in models:
            n_inc = con.execute(f"select count(*) from inc.{model}").fetchone()[0]
            n_full = con.execute(f"select count(*) from ful.{model}").fetchone()[0]
            assert n_inc == n_full > 0, model
            only_inc = con.execute(f"{_rows(con, 'inc', model)} except all {_rows(con, 'ful', model)}").fetchall()
            only_full = con.execute(f"{_rows(con, 'ful', model)} except all {_rows(con, 'inc', model)}").fetchall()
            assert not only_inc and not only_full, (
                f"{model}: {len(only_inc)} rows only in the incremental build, {len(only_full)} only in the "
                f"full refresh; e.g. {(only_inc or only_full)[:2]}")
    finally:
        con.close()


def test_models_from_an_earlier_version_are_recomputed_whole(demo_warehouse, tmp_path):
    """A warehouse built before the signals, the stage machine and the touchpoints were incremental: their
    tables have no _built_at (nor _config_key). The first run recomputes them whole (a stale row of a contact
    that no longer exists and an edited value must go), adds the columns, and equals a full refresh."""
    path = tmp_path / "earlier.duckdb"
    shutil.copy(demo_warehouse, path)
    target = tmp_path / "target"
    lifecycle = ("int_lifecycle__signals", "int_lifecycle__stage_moves")
    with warehouse_io.connect(path) as con:
        for model in lifecycle:
            con.execute(f"alter table intermediate.{model} drop column _built_at")
            con.execute(f"alter table intermediate.{model} drop column _config_key")
        con.execute("alter table intermediate.int_touchpoints drop column _built_at")
        con.execute("alter table intermediate.int_identity__record_identifiers drop column _source_fingerprint")
        con.execute("alter table intermediate.int_identity__record_identifiers drop column _config_key")
        con.execute("alter table intermediate.int_identity__contact_map drop column _built_at")
        con.execute("""insert into intermediate.int_identity__record_identifiers
            select * replace ('gone-record' as record_id)
            from intermediate.int_identity__record_identifiers limit 1""")
        con.execute("""insert into intermediate.int_lifecycle__signals
            select * replace ('gone-contact' as contact_id, 'stale:' || signal_id as signal_id)
            from intermediate.int_lifecycle__signals limit 1""")
        con.execute("""insert into intermediate.int_touchpoints
            select * replace ('gone-contact' as contact_id, 'inbound:stale:' || touchpoint_id as touchpoint_id)
            from intermediate.int_touchpoints limit 1""")
        con.execute("""update intermediate.int_lifecycle__stage_moves set lost_reason = 'edited by hand'
            where move_id = (select min(move_id) from intermediate.int_lifecycle__stage_moves)""")
        con.execute("""update intermediate.int_touchpoints set platform = 'edited by hand'
            where touchpoint_id = (select min(touchpoint_id) from intermediate.int_touchpoints)""")
    _run(path, target)
    for model in ("int_lifecycle__signals", "int_touchpoints"):
        assert query(path, f"select count(*) from intermediate.{model} where contact_id = 'gone-contact'") \
            == [(0,)], model
    assert query(path, "select count(*) from intermediate.int_lifecycle__stage_moves "
                       "where lost_reason = 'edited by hand'") == [(0,)]
    assert query(path, "select count(*) from intermediate.int_touchpoints where platform = 'edited by hand'") \
        == [(0,)]
    for model in lifecycle:
        assert query(path, f"select count(*) from intermediate.{model} "
                           f"where _built_at is null or _config_key is null") == [(0,)], model
    assert query(path, "select count(*) from intermediate.int_touchpoints where _built_at is null") == [(0,)]
    assert query(path, """select count(*) from intermediate.int_identity__record_identifiers
        where record_id = 'gone-record' or _source_fingerprint is null or _config_key is null""") == [(0,)]
    assert query(path, """select count(*) from information_schema.columns
        where table_name = 'int_identity__contact_map' and column_name = '_built_at'""") == [(1,)]
    _assert_equal_to_a_full_refresh(path, tmp_path, target, [
        m for m in MODELS if "lifecycle" in m or "touchpoints" in m or "identity" in m])


MODELS_SHORT = [m.split(".")[1] for m in MODELS]


def test_a_pipeline_run_with_full_refresh_rebuilds_the_incremental_models_and_one_without_does_not(
        writable_demo_warehouse):
    """`lifecycle run --full-refresh` reaches dbt through the Dagster run config of the dbt build; dbt's unit
    tests run in a pipeline run only when its config asks for them."""
    import dagster as dg

    from orchestration.dbt import DEFAULT_TARGET_PATH
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB
    from orchestration.project import prepare_dbt_project

    prepare_dbt_project()
    path = writable_demo_warehouse
    job = defs.resolve_job_def(PIPELINE_JOB)
    selection = [dg.AssetKey(["intermediate", "int_messages"]), dg.AssetKey(["marts", "fct_conversations"])]

    def run(full_refresh: bool) -> tuple[list[tuple], list[tuple]]:
        config = {"resources": {"warehouse": {"config": {"path": str(path)}}}}
        if full_refresh:
            config["ops"] = {"lifecycle_dbt_assets": {"config": {"full_refresh": True, "unit_tests": True}}}
        result = job.execute_in_process(asset_selection=selection, run_config=config,
                                        instance=dg.DagsterInstance.ephemeral())
        assert result.success
        # the dbt invocation's own target folder (dagster-dbt names it after the op and the run id)
        [folder] = DEFAULT_TARGET_PATH.glob(f"lifecycle_dbt_assets-{result.run_id[:7]}-*")
        results = json.loads((folder / "run_results.json").read_text())["results"]
        unit = sorted((r["unique_id"].split(".")[-1], r["status"]) for r in results
                      if r["unique_id"].startswith("unit_test."))
        return query(path, "select _built_at, count(*) from intermediate.int_messages group by 1"), unit

    before = query(path, "select _built_at, count(*) from intermediate.int_messages group by 1")
    assert len(before) == 1
    assert run(full_refresh=False) == (before, [])  # nothing new: no row recomputed, no unit test run
    after, unit = run(full_refresh=True)
    assert len(after) == 1 and after[0][0] > before[0][0] and after[0][1] == before[0][1]
    assert ("test_first_response_ignores_automation_and_broadcasts", "pass") in unit, unit
