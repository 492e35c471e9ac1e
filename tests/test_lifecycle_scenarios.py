"""Hand-written contacts (tests/scenarios/*.yml) run through the whole dbt project; spells must match exactly.

Each scenario contact's events become raw rows (respond.io, shop, HubSpot) written with the shared warehouse
writers into a temporary DuckDB file; dbt builds once per scenario file; the test compares every contact's
fct_lifecycle_stage_spells (stage, entered_at, exited_at) with the file's `expected`, and dim_contacts'
current stage with the last expected spell.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

SCENARIO_DIR = Path(__file__).parent / "scenarios"
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("lifecycle_*.yml"))

HUMAN_USER, AI_USER = 1, 2


def utc(value: str) -> dt.datetime:
    """Parse an ISO time; with an offset it is converted to UTC; stored naive (the warehouse convention)."""
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def build_raw_rows(scenario: dict) -> tuple[dict[str, list[dict]], dict[str, tuple[str, str]]]:
    """Raw rows per raw table, and for each contact key the (record_source, record_id) that identifies it."""
    rows: dict[str, list[dict]] = defaultdict(list)
    keys: dict[str, tuple[str, str]] = {}
    ids = itertools.count(1)
    rows["raw_respondio.users"] += [
        {"user_id": HUMAN_USER, "first_name": "Agent", "last_name": "One", "email": "agent@scenario-shop.io",
         "role": "agent", "agent_type": "human", "team": "Sales", "created_at": utc("2023-01-01 00:00:00")},
        {"user_id": AI_USER, "first_name": "AI", "last_name": "Agent", "email": "ai@scenario-shop.io",
         "role": "agent", "agent_type": "ai_agent", "team": "Sales", "created_at": utc("2023-01-01 00:00:00")},
    ]
    for index, contact in enumerate(scenario["contacts"], start=1):
        key = contact["key"]
        events = [{**e, "at": utc(e["at"])} for e in contact["events"]]
        first_at = min(e["at"] for e in events)
        email = f"{key}@scenario-shop.io"
        phone = f"+1415555{index:04d}"
        respondio_id = 1000 + index
        channels = contact.get("channels", {})
        on_respondio = channels.get("respondio", True)
        needs_shop = any(k in e for e in events for k in ("order", "cart", "checkout"))
        needs_hubspot = any(k in e for e in events for k in ("deal", "deal_lost", "hubspot_stage"))
        shop_customer_id = 5000 + index
        hubspot_id = 7000 + index
        if on_respondio:
            keys[key] = ("respondio_contact", str(respondio_id))
            rows["raw_respondio.contacts"].append({
                "contact_id": respondio_id, "first_name": "Scenario", "last_name": key, "phone": phone,
                "email": email, "language": "en", "country_code": "US", "lifecycle": None, "tags": "[]",
                "assignee_user_id": HUMAN_USER, "created_at": first_at, "updated_at": first_at})
            rows["raw_respondio.contact_channels"].append({
                "contact_id": respondio_id, "channel_id": 1, "channel_type": "whatsapp",
                "channel_user_id": phone.lstrip("+"), "created_at": first_at})
        elif needs_shop:
            keys[key] = ("shop_customer", str(shop_customer_id))
        if needs_shop:
            rows["raw_shop.customers"].append({
                "customer_id": shop_customer_id, "email": contact.get("shop_email", email), "phone": None,
                "first_name": "Scenario", "last_name": key, "email_marketing_state": "not_subscribed",
                "created_at": first_at, "updated_at": first_at})
        if needs_hubspot:
            rows["raw_hubspot.contacts"].append({
                "contact_id": hubspot_id, "email": email, "phone": None, "mobilephone": None,
                "firstname": "Scenario", "lastname": key, "lifecyclestage": None, "hs_lead_status": None,
                "createdate": first_at, "lastmodifieddate": first_at, "archived": False})
        conversations: dict[int, int] = {}
        deal_id = None
        for event in sorted(events, key=lambda e: e["at"]):
            at = event["at"]
            by = event.get("by", "human")
            user = AI_USER if by == "ai_agent" else HUMAN_USER
            if "in" in event or "out" in event:
                number = event.get("in", event.get("out"))
                conversation_id = conversations.get(number)
                if conversation_id is None:
                    conversation_id = conversations[number] = respondio_id * 100 + number
                    rows["raw_respondio.conversations"].append({
                        "conversation_id": conversation_id, "contact_id": respondio_id, "channel_id": 1,
                        "channel_type": "whatsapp", "opened_at": at, "opened_by": "contact", "broadcast_id": None,
                        "assignee_user_id": HUMAN_USER, "assignee_team": "Sales", "closed_at": None,
                        "closing_category": None, "updated_at": at})
                inbound = "in" in event
                rows["raw_respondio.messages"].append({
                    "message_id": next(ids), "conversation_id": conversation_id, "contact_id": respondio_id,
                    "channel_id": 1, "channel_type": "whatsapp", "traffic": "incoming" if inbound else "outgoing",
                    "sender_type": "contact" if inbound else ("ai_agent" if by == "ai_agent" else "user"),
                    "sender_user_id": None if inbound else user, "message_type": "text",
                    "referral_source_type": None, "referral_ad_id": None, "referral_ctwa_clid": None, "sent_at": at})
            elif "tag" in event or "untag" in event:
                rows["raw_respondio.tag_events"].append({
                    "event_id": f"tag-{next(ids)}", "contact_id": respondio_id,
                    "tag": event.get("tag", event.get("untag")), "action": "added" if "tag" in event else "removed",
                    "changed_by_type": "ai_agent" if by == "ai_agent" else "user", "changed_by_user_id": user,
                    "event_at": at})
            elif "stage" in event:
                rows["raw_respondio.lifecycle_events"].append({
                    "event_id": f"stage-{next(ids)}", "contact_id": respondio_id, "from_stage": None,
                    "to_stage": event["stage"], "changed_by_type": "ai_agent" if by == "ai_agent" else "user",
                    "changed_by_user_id": user, "changed_at": at})
            elif "order" in event:
                order_id = next(ids)
                rows["raw_shop.orders"].append({
                    "order_id": order_id, "order_number": order_id, "customer_id": shop_customer_id,
                    "email": contact.get("shop_email", email), "phone": None, "financial_status": event["order"],
                    "currency": "USD", "subtotal_price": 100.0, "total_discounts": 0.0, "total_tax": 0.0,
                    "total_price": 100.0, "source_name": "web", "landing_site": None, "created_at": at,
                    "processed_at": at, "cancelled_at": None, "updated_at": at})
            elif "cart" in event or "checkout" in event:
                rows["raw_shop.storefront_events"].append({
                    "event_id": f"web-{next(ids)}",
                    "event_name": "product_added_to_cart" if "cart" in event else "checkout_started",
                    "client_id": f"client-{key}", "customer_id": shop_customer_id,
                    "email": contact.get("shop_email", email), "phone": None, "checkout_token": None,
                    "order_id": None, "value": 100.0, "currency": "USD", "occurred_at": at})
            elif "deal" in event:
                deal_id = next(ids)
                rows["raw_hubspot.deals"].append({
                    "deal_id": deal_id, "dealname": f"Deal {key}", "pipeline": "default",
                    "dealstage": "appointmentscheduled", "amount": 1000.0, "deal_currency_code": "USD",
                    "closed_lost_reason": None, "hs_is_closed": False, "hs_is_closed_won": False,
                    "createdate": at, "closedate": None, "lastmodifieddate": at})
                rows["raw_hubspot.deal_contacts"].append({"deal_id": deal_id, "contact_id": hubspot_id})
            elif "deal_lost" in event:
                deal = next(d for d in rows["raw_hubspot.deals"] if d["deal_id"] == deal_id)
                deal.update({"dealstage": "closedlost", "closed_lost_reason": event["deal_lost"],
                             "hs_is_closed": True, "closedate": at, "lastmodifieddate": at})
            elif "hubspot_stage" in event:
                rows["raw_hubspot.contact_lifecycle_history"].append({
                    "contact_id": hubspot_id, "lifecyclestage": event["hubspot_stage"], "source_type": "CRM_UI",
                    "changed_at": at})
            elif "nps" in event:
                rows["raw_respondio.survey_responses"].append({
                    "response_id": f"nps-{next(ids)}", "contact_id": respondio_id, "conversation_id": None,
                    "survey_type": "nps", "score": int(event["nps"]), "answered_at": at})
            else:
                raise ValueError(f"{scenario['_file']}: contact {key}: unknown event {sorted(event)}")
    return rows, keys


def load_scenario(path: Path, warehouse_file: Path) -> tuple[dict, dict[str, tuple[str, str]]]:
    import warehouse_io
    from ingestion import raw_tables

    scenario = yaml.safe_load(path.read_text())
    scenario["_file"] = path.name
    rows, keys = build_raw_rows(scenario)
    with warehouse_io.connect(warehouse_file) as con:
        raw_tables.ensure_raw_tables(con)
        for table, table_rows in rows.items():
            warehouse_io.replace_rows(con, raw_tables.table(table), pd.DataFrame(table_rows))
    return scenario, keys


@pytest.fixture(scope="module", params=SCENARIO_FILES, ids=lambda p: p.stem)
def scenario_run(request, tmp_path_factory):
    import warehouse_io
    from orchestration.dbt import run_dbt

    folder = tmp_path_factory.mktemp(request.param.stem)
    warehouse_file = folder / "scenario.duckdb"
    scenario, keys = load_scenario(request.param, warehouse_file)
    run_dbt(["build", "--exclude", "test_type:unit"], warehouse=warehouse_file, target_path=folder / "target",
            vars={"lifecycle_as_of": scenario["as_of"],
                  "lifecycle_config": {"inactivity_days": scenario.get("inactivity_days", 14)}})
    with warehouse_io.connect(warehouse_file, read_only=True) as con:
        contact_map = {
            (source, record_id): contact_id
            for source, record_id, contact_id in con.execute(
                "select record_source, record_id, contact_id from intermediate.int_identity__contact_map").fetchall()
        }
        spells = con.execute(
            "select contact_id, stage, entered_at, exited_at from marts.fct_lifecycle_stage_spells "
            "order by contact_id, spell_number").fetchall()
        current = dict(con.execute("select contact_id, current_stage from marts.dim_contacts").fetchall())
    by_contact: dict[str, list[list]] = defaultdict(list)
    for contact_id, stage, entered_at, exited_at in spells:
        by_contact[contact_id].append([stage, entered_at, exited_at])
    return scenario, keys, contact_map, by_contact, current


def _contact_cases():
    for path in SCENARIO_FILES:
        for contact in yaml.safe_load(path.read_text())["contacts"]:
            yield pytest.param(contact["key"], id=f"{path.stem}-{contact['key']}")


@pytest.mark.slow
@pytest.mark.parametrize("key", list(_contact_cases()))
def test_scenario_contact_spells(scenario_run, key):
    scenario, keys, contact_map, by_contact, current = scenario_run
    contact = next((c for c in scenario["contacts"] if c["key"] == key), None)
    if contact is None:
        pytest.skip(f"{key} belongs to another scenario file")
    contact_id = contact_map.get(keys[key])
    assert contact_id is not None, f"{key}: no resolved contact for {keys[key]}"
    expected = [[stage, utc(entered), utc(exited) if exited else None] for stage, entered, exited in contact["expected"]]
    assert by_contact.get(contact_id) == expected, f"{key}: {contact.get('description', '')}"
    assert current.get(contact_id) == expected[-1][0]


@pytest.mark.slow
def test_scenario_contacts_are_distinct(scenario_run):
    """Each scenario contact resolves to its own contact (no accidental merge between scenario people)."""
    scenario, keys, contact_map, by_contact, current = scenario_run
    resolved = [contact_map.get(keys[c["key"]]) for c in scenario["contacts"]]
    assert None not in resolved
    assert len(set(resolved)) == len(resolved)
