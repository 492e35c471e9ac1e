"""Identity resolution and conversation facts end to end: raw rows -> dbt build -> resolved contacts.

A hand-made raw data set (no demo generator) is written to a temporary DuckDB file and the dbt models of
the staging / identity / events / conversations layers are built on it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dbt_helpers import contact_ids, md5, query, write_raw

from orchestration.dbt import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_identity")]

IDENTITY = "+int_identity__contact_map"
SELECT = "+fct_conversations +rpt_first_response_times +int_contacts__profile +int_messages +int_orders"
T0 = dt.datetime(2025, 3, 1, 10, 0, 0)


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def raw_rows() -> dict[str, list[dict]]:
    junk_phone_sharers = [  # 26 HubSpot contacts with the same switchboard number: the guard must keep them apart
        {"contact_id": 900 + i, "phone": "+1 (555) 010-9999", "email": f"staff{i}@corp.io", "createdate": at(i)}
        for i in range(26)
    ]
    return {
        "raw_respondio.contacts": [
            # A: phone only (national format, GB)          ~ B by phone
            {"contact_id": 1, "first_name": "Ann", "phone": "07911 123456", "country_code": "GB", "created_at": at(0),
             "updated_at": at(0)},
            # D: unrelated person
            {"contact_id": 2, "first_name": "Dan", "phone": "+1 415 555 0101", "email": "dan@mail.io",
             "country_code": "US", "created_at": at(5), "updated_at": at(5)},
        ],
        "raw_respondio.contact_channels": [
            {"contact_id": 1, "channel_id": 11, "channel_type": "whatsapp", "channel_user_id": "447911123456",
             "created_at": at(0)},
            {"contact_id": 2, "channel_id": 12, "channel_type": "instagram", "channel_user_id": "igsid-2",
             "created_at": at(5)},
        ],
        "raw_hubspot.contacts": [
            # B: same phone as A (international format), email shared with C
            {"contact_id": 10, "email": "Chain@Mail.io ", "phone": "+44 7911 123456", "firstname": "Ann",
             "lastname": "Lee", "createdate": at(100), "lastmodifieddate": at(100), "archived": False},
            # two placeholder emails: must not merge
            {"contact_id": 20, "email": "test@test.com", "createdate": at(200)},
            {"contact_id": 21, "email": "TEST@test.com", "createdate": at(201)},
            *junk_phone_sharers,
        ],
        "raw_shop.customers": [
            # C: same email as B
            {"customer_id": 100, "email": " chain@mail.io", "first_name": "Annie", "created_at": at(300),
             "updated_at": at(300)},
        ],
        "raw_shop.orders": [
            {"order_id": 5000, "customer_id": 100, "email": "chain@mail.io", "financial_status": "paid",
             "currency": "EUR", "subtotal_price": 40, "total_discounts": 0, "total_price": 48, "created_at": at(400),
             "processed_at": at(400)},
            {"order_id": 5001, "customer_id": None, "email": "guest@mail.io", "financial_status": "paid",
             "currency": "EUR", "subtotal_price": 10, "total_price": 12, "created_at": at(500), "processed_at": at(500)},
        ],
        "raw_salesforce.leads": [
            {"id": "00Q1", "email": "lead@corp.io", "is_converted": True, "converted_contact_id": "0031",
             "created_date": at(600)},
        ],
        "raw_salesforce.contacts": [
            {"id": "0031", "email": "other.address@corp.io", "created_date": at(700)},
        ],
        "raw_files.messages": [
            # file row without external id, resolved through its email to D
            {"source_system": "legacy", "message_id": "m1", "conversation_id": "c1", "email": "DAN@mail.io",
             "channel": "email", "direction": "inbound", "sender_type": "contact", "sent_at": at(800)},
        ],
        "raw_respondio.users": [
            {"user_id": 7, "first_name": "Hum", "agent_type": "human", "team": "Sales", "role": "agent"},
            {"user_id": 8, "first_name": "Bot", "agent_type": "ai_agent", "team": "AI", "role": "agent"},
        ],
        "raw_respondio.conversations": [
            {"conversation_id": 500, "contact_id": 1, "channel_type": "whatsapp", "opened_at": at(1000),
             "opened_by": "contact", "assignee_user_id": 7, "assignee_team": "Sales"},
            {"conversation_id": 501, "contact_id": 2, "channel_type": "instagram", "opened_at": at(2000),
             "opened_by": "contact"},
            {"conversation_id": 502, "contact_id": 1, "channel_type": "whatsapp", "opened_at": at(3000),
             "opened_by": "contact", "assignee_user_id": 8},
        ],
        "raw_respondio.messages": [
            # 500: workflow auto-reply after 5 s does not count; human after 100 s does
            {"message_id": 1, "conversation_id": 500, "contact_id": 1, "channel_type": "whatsapp", "traffic": "incoming",
             "sender_type": "contact", "referral_source_type": "ad", "referral_ad_id": "ad-9",
             "referral_ctwa_clid": "clid-9", "sent_at": at(1000)},
            {"message_id": 2, "conversation_id": 500, "contact_id": 1, "channel_type": "whatsapp", "traffic": "outgoing",
             "sender_type": "workflow", "sent_at": at(1005)},
            {"message_id": 3, "conversation_id": 500, "contact_id": 1, "channel_type": "whatsapp", "traffic": "outgoing",
             "sender_type": "user", "sender_user_id": 7, "sent_at": at(1100)},
            # 501: never answered
            {"message_id": 4, "conversation_id": 501, "contact_id": 2, "channel_type": "instagram", "traffic": "incoming",
             "sender_type": "contact", "sent_at": at(2000)},
            # 502: a broadcast first, then the AI agent (a 'user' sender that is an AI agent) after 45 s
            {"message_id": 5, "conversation_id": 502, "contact_id": 1, "channel_type": "whatsapp", "traffic": "incoming",
             "sender_type": "contact", "sent_at": at(3000)},
            {"message_id": 6, "conversation_id": 502, "contact_id": 1, "channel_type": "whatsapp", "traffic": "outgoing",
             "sender_type": "broadcast", "sent_at": at(3010)},
            {"message_id": 7, "conversation_id": 502, "contact_id": 1, "channel_type": "whatsapp", "traffic": "outgoing",
             "sender_type": "user", "sender_user_id": 8, "sent_at": at(3045)},
        ],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("dbt_identity")
    wh = folder / "w.duckdb"
    write_raw(wh, raw_rows())
    run_dbt(["build", "--select", SELECT, "--indirect-selection", "buildable"], warehouse=wh, target_path=folder / "target")
    first = contact_ids(wh)
    conversations = {
        r[0]: r[1:]
        for r in query(wh, "select conversation_id, first_response_seconds, first_responder_type, source, ad_id, "
                           "assignee_type, contact_id from marts.fct_conversations")
    }
    profile = {r[0]: r[1:] for r in query(wh, "select contact_id, email, phone, first_name, identity_count, "
                                              "record_count, channels from intermediate.int_contacts__profile")}
    # second run on unchanged data, then a third after adding an unrelated contact
    run_dbt(["run", "--select", IDENTITY], warehouse=wh, target_path=folder / "target")
    second = contact_ids(wh)
    write_raw(wh, {"raw_respondio.contacts": [
        {"contact_id": 3, "first_name": "Zed", "phone": "+33 6 12 34 56 78", "created_at": at(10), "updated_at": at(10)},
    ], "raw_shop.customers": [
        {"customer_id": 1, "email": "zed@mail.io", "created_at": at(11), "updated_at": at(11)},
    ]})
    run_dbt(["run", "--select", IDENTITY], warehouse=wh, target_path=folder / "target")
    third = contact_ids(wh)
    return {"wh": wh, "first": first, "second": second, "third": third, "conversations": conversations,
            "profile": profile, "folder": folder}


def test_chain_a_b_c_is_one_contact(built):
    ids = built["first"]
    a, b, c = ids[("respondio_contact", "1")], ids[("hubspot_contact", "10")], ids[("shop_customer", "100")]
    assert a == b == c
    # the order of customer C, the converted lead and its contact resolve too
    assert ids[("shop_order", "5000")] == a
    assert ids[("salesforce_lead", "00Q1")] == ids[("salesforce_contact", "0031")]
    # contact id = md5 of the smallest record key of the component
    assert a == md5("hubspot_contact:10")


def test_unrelated_records_stay_apart(built):
    ids = built["first"]
    a = ids[("respondio_contact", "1")]
    d = ids[("respondio_contact", "2")]
    assert d != a
    assert ids[("shop_order", "5001")] not in {a, d}
    # placeholder emails never merge
    assert ids[("hubspot_contact", "20")] != ids[("hubspot_contact", "21")]
    # a phone shared by 26 records (> identity_max_records_per_identifier) links nobody
    sharers = {ids[("hubspot_contact", str(900 + i))] for i in range(26)}
    assert len(sharers) == 26


def test_file_drop_row_resolves_by_email(built):
    wh = built["wh"]
    (row,) = query(wh, "select contact_id, sender_type from intermediate.int_messages where message_id = 'legacy:m1'")
    assert row == (built["first"][("respondio_contact", "2")], "contact")


def test_contact_ids_are_stable(built):
    assert built["first"] == built["second"]
    third = built["third"]
    assert {k: third[k] for k in built["first"]} == built["first"]
    assert third[("respondio_contact", "3")] not in set(built["first"].values())
    assert third[("respondio_contact", "3")] == md5("respondio_contact:3")


def test_profile_of_merged_contact(built):
    a = built["first"][("respondio_contact", "1")]
    email, phone, first_name, identity_count, record_count, channels = built["profile"][a]
    assert email == "chain@mail.io"
    assert phone == "+447911123456"
    assert first_name in {"Ann", "Annie"}
    # respondio id, channel user id, phone, email, hubspot id, shop customer id
    assert identity_count == 6
    assert record_count == 4  # respondio contact, hubspot contact, shop customer, shop order
    assert channels == "hubspot,shop,whatsapp"


def test_first_response_seconds(built):
    conv = built["conversations"]
    a = built["first"][("respondio_contact", "1")]
    assert conv["respondio:500"] == (100, "human", "ad_referral", "ad-9", "human", a)
    assert conv["respondio:501"][:3] == (None, None, "organic")
    assert conv["respondio:502"][:3] == (45, "ai_agent", "organic")
    assert conv["respondio:502"][4] == "ai_agent"
    # a conversation that only its messages mention (no conversations file row) is not lost
    assert conv["legacy:c1"][:3] == (None, None, "organic")


def test_first_response_report(built):
    rows = query(built["wh"], "select dimension, dimension_value, conversations, answered_conversations, "
                              "share_within_5_minutes, median_first_response_seconds from "
                              "marts.rpt_first_response_times order by 1, 2")
    by = {(r[0], r[1]): r[2:] for r in rows}
    conversations, answered, share_5m, median = by[("overall", "all")]
    # 3 respond.io conversations + the file-drop conversation 'legacy:c1', known only from its message
    assert (conversations, answered) == (4, 2)
    assert share_5m == pytest.approx(2 / 4)
    assert median == pytest.approx(72.5)
    assert by[("responder_type", "ai_agent")][:2] == (1, 1)
    assert by[("channel", "instagram")][:2] == (1, 0)


def test_models_build_on_demo_data(built, tmp_path):
    """The same models on the demo generator's output (small), reusing the module's dbt target (partial parse)."""
    demo = pytest.importorskip("ingestion.demo")
    import warehouse_io
    from ingestion import raw_tables

    wh = tmp_path / "demo.duckdb"
    with warehouse_io.connect(wh) as con:
        raw_tables.ensure_raw_tables(con)
        demo.write_demo(con, demo.DemoConfig(n_contacts=150, seed=3, end_date=dt.date(2026, 6, 30)))
    run_dbt(["build", "--select", SELECT, "--indirect-selection", "buildable"], warehouse=wh,
            target_path=built["folder"] / "target")
    (n_records, n_contacts, unresolved), = query(
        wh, "select count(*), count(distinct contact_id), count(*) - count(contact_id) "
            "from intermediate.int_identity__contact_map")
    assert unresolved == 0
    assert 0 < n_contacts < n_records
    (missing,) = query(wh, "select count(*) from intermediate.int_messages where contact_id is null")[0]
    assert missing == 0


def test_messages_without_a_conversation_are_grouped_into_derived_conversations(tmp_path):
    """respond.io's API gives messages but no conversation records: conversations are derived per contact
    and channel, a new one after more than 24 h of silence, with their own first response."""
    hour = 3600
    wh = tmp_path / "w.duckdb"

    def msg(i, seconds, traffic, sender_type, user=None):
        return {"message_id": i, "conversation_id": None, "contact_id": 1, "channel_type": "whatsapp",
                "traffic": traffic, "sender_type": sender_type, "sender_user_id": user, "sent_at": at(seconds)}

    write_raw(wh, {
        "raw_respondio.contacts": [{"contact_id": 1, "phone": "+447911123456", "created_at": at(0),
                                    "updated_at": at(0)}],
        "raw_respondio.users": [{"user_id": 7, "agent_type": "human"}, {"user_id": 8, "agent_type": "ai_agent"}],
        "raw_respondio.messages": [
            msg(1, 0, "incoming", "contact"),
            msg(2, 5, "outgoing", "workflow"),          # automation: not a response
            msg(3, 120, "outgoing", "user", 7),         # human after 120 s
            msg(4, 30 * hour, "incoming", "contact"),   # > 24 h later: a new conversation
            msg(5, 30 * hour + 10, "outgoing", "user", 8),
            msg(6, 31 * hour, "incoming", "contact"),   # 1 h later: same conversation
        ],
    })
    run_dbt(["build", "--select", "+fct_conversations", "--indirect-selection", "buildable"], warehouse=wh,
            target_path=tmp_path / "target")

    rows = query(wh, "select first_response_seconds, first_responder_type, assignee_type, inbound_messages, "
                     "outbound_messages, opened_at from marts.fct_conversations order by opened_at")
    assert rows == [(120, "human", "human", 1, 2, at(0)), (10, "ai_agent", "ai_agent", 2, 1, at(30 * hour))]
    (nulls,) = query(wh, "select count(*) from intermediate.int_messages where conversation_id is null")[0]
    assert nulls == 0
