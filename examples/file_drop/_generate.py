"""Regenerates the example file drop (this folder) and the bad-rows example (``../file_drop_bad``).

Run ``.venv/bin/python examples/file_drop/_generate.py``. Deterministic: the same files every time.
Files starting with ``_`` are ignored by the loader, so this script lives next to the data it writes.

The data tell one consistent story, May 2024, 20 contacts (C001-C020) of a small shop that sells over
WhatsApp, Instagram, Messenger, email and web chat: contacts arrive from Meta and TikTok ads or
organically, talk to human and AI agents, move New Lead -> Hot Lead -> Payment -> Customer (some go
cold, are unqualified or lost to a competitor), buy, answer NPS/CSAT surveys, opt in and out.
Several formats and naming styles are used on purpose (csv, jsonl, parquet; dated names; an entity
subfolder), and some rows name their contact by email or phone only.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BAD = HERE.parent / "file_drop_bad"
T0 = datetime(2024, 5, 1, 8, 0)

FIRST = ["Lena", "Jonas", "Mia", "Paul", "Emma", "Felix", "Sofia", "Noah", "Hanna", "Elias",
         "Lea", "Ben", "Clara", "Luis", "Marie", "Finn", "Ida", "Theo", "Nora", "Karl"]
LAST = ["Becker", "Wagner", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz",
        "Braun", "Zimmer", "Krause", "Lange", "Meyer", "Vogel", "Frank", "Berger", "Kaiser", "Fuchs"]
CHANNELS = ["whatsapp", "whatsapp", "instagram", "messenger", "whatsapp", "email", "webchat", "whatsapp",
            "instagram", "whatsapp", "messenger", "whatsapp", "email", "whatsapp", "instagram", "whatsapp",
            "webchat", "whatsapp", "messenger", "whatsapp"]
COUNTRIES = ["DE", "DE", "AT", "DE", "CH", "DE", "NL", "DE", "AT", "DE"] * 2
# ad each contact came from (None = organic / other)
ADS = {1: ("meta", "m_c1", "m_ad1"), 2: ("meta", "m_c1", "m_ad1"), 3: ("meta", "m_c2", "m_ad2"),
       4: ("meta", "m_c2", "m_ad2"), 5: ("tiktok", "t_c1", "t_ad1"), 6: ("tiktok", "t_c1", "t_ad1"),
       8: ("meta", "m_c1", "m_ad1"), 10: ("tiktok", "t_c2", "t_ad2"), 12: ("meta", "m_c2", "m_ad2"),
       14: ("tiktok", "t_c2", "t_ad2")}
# stage path per contact (respond.io preset names); lost stages last
PATHS = {
    1: ["New Lead", "Hot Lead", "Payment", "Customer"],
    2: ["New Lead", "Hot Lead", "Payment", "Customer"],
    3: ["New Lead", "Hot Lead", "Customer"],
    4: ["New Lead", "Cold Lead"],
    5: ["New Lead", "Hot Lead", "Payment", "Customer"],
    6: ["New Lead", "Unqualified"],
    7: ["New Lead", "Hot Lead"],
    8: ["New Lead", "Hot Lead", "Payment", "Customer"],
    9: ["New Lead", "Cold Lead"],
    10: ["New Lead", "Hot Lead", "Lost to Competitor"],
    11: ["New Lead"],
    12: ["New Lead", "Hot Lead", "Payment", "Customer"],
    13: ["New Lead", "Hot Lead", "Payment"],
    14: ["New Lead", "Hot Lead", "Cold Lead"],
    15: ["New Lead", "Unqualified"],
    16: ["New Lead", "Hot Lead", "Payment", "Customer"],
    17: ["New Lead"],
    18: ["New Lead", "Cold Lead"],
    19: ["New Lead", "Hot Lead"],
    20: ["New Lead", "Hot Lead", "Payment", "Customer"],
}
LOST_REASONS = {"Cold Lead": "no reply for 14 days", "Unqualified": "outside delivery area",
                "Lost to Competitor": "cheaper offer elsewhere"}
# minutes until the first reply per contact: slow replies for those who go cold
FIRST_REPLY_MIN = {i: 3 + (i * 7) % 40 for i in range(1, 21)} | {4: 600, 9: 1500, 14: 900, 18: 2000}


def cid(i: int) -> str:
    return f"C{i:03d}"


def email(i: int) -> str:
    return f"{FIRST[i - 1].lower()}.{LAST[i - 1].lower()}@example.com"


def phone(i: int) -> str:
    return f"+49151{5550000 + i:07d}"


def created(i: int) -> datetime:
    return T0 + timedelta(hours=17 * (i - 1), minutes=13 * i)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_berlin(dt: datetime) -> str:
    """The same instant written in Berlin summer time (+02:00), as many exports do."""
    return (dt + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    for old in [*HERE.rglob("*.csv"), *HERE.rglob("*.jsonl"), *HERE.rglob("*.parquet")]:
        old.unlink()
    ids = range(1, 21)

    # contacts: created_at in Berlin time with an offset for half of them
    write_csv(HERE / "contacts.csv",
              ["contact_external_id", "email", "phone", "first_name", "last_name", "channel", "channel_user_id",
               "country_code", "created_at"],
              [[cid(i), email(i) if CHANNELS[i - 1] in ("email", "webchat") or i % 3 == 0 or i == 5 else "",
                phone(i), FIRST[i - 1], LAST[i - 1],
                CHANNELS[i - 1], phone(i).lstrip("+") if CHANNELS[i - 1] == "whatsapp" else f"{CHANNELS[i - 1]}-{i}",
                COUNTRIES[i - 1], iso_berlin(created(i)) if i % 2 else iso(created(i))] for i in ids])

    # conversations: one per contact, a second one for repeat customers
    conv_rows, msg_rows = [], []
    conv_n, msg_n = 0, 0
    for i in ids:
        opens = [created(i)] + ([created(i) + timedelta(days=12)] if i in (1, 2, 8) else [])
        for k, opened in enumerate(opens):
            conv_n += 1
            conv_id = f"CV{conv_n:03d}"
            ad = ADS.get(i) if k == 0 else None
            source = "ad_referral" if ad else ("broadcast_reply" if k == 1 else "organic")
            ai = i % 4 == 0
            assignee = ("ai_agent", "ai-1", "Sales") if ai else ("human", f"agent-{1 + i % 3}", "Sales")
            reply_after = timedelta(minutes=FIRST_REPLY_MIN[i] if k == 0 else 4)
            closed = opened + reply_after + timedelta(hours=2)
            conv_rows.append([conv_id, cid(i), CHANNELS[i - 1], source, ad[2] if ad else "",
                              f"ctwa.{i:04d}" if ad and ad[0] == "meta" and CHANNELS[i - 1] == "whatsapp" else "",
                              *assignee, iso(opened), iso(closed), "resolved" if k else "qualified"])
            # messages: inbound, reply, inbound, reply
            times = [opened, opened + reply_after, opened + reply_after + timedelta(minutes=5),
                     opened + reply_after + timedelta(minutes=9)]
            for j, at in enumerate(times):
                msg_n += 1
                inbound = j % 2 == 0
                msg_rows.append({
                    "message_id": f"M{msg_n:04d}", "conversation_id": conv_id, "contact_external_id": cid(i),
                    "channel": CHANNELS[i - 1], "direction": "inbound" if inbound else "outbound",
                    "sender_type": "contact" if inbound else assignee[0],
                    "sender_id": None if inbound else assignee[1], "sent_at": iso(at),
                })
    write_csv(HERE / "conversations.csv",
              ["conversation_id", "contact_external_id", "channel", "source", "ad_id", "ctwa_clid", "assignee_type",
               "assignee_id", "team", "opened_at", "closed_at", "resolution"], conv_rows)
    write_jsonl(HERE / "messages.jsonl", msg_rows)

    # lifecycle events: New Lead at the first inbound message, then a step every 1-3 days
    ev_rows, ev_n = [], 0
    stage_at: dict[tuple[int, str], datetime] = {}
    for i in ids:
        at = created(i) + timedelta(minutes=1)
        prev = None
        for step, stage in enumerate(PATHS[i]):
            if step:
                at = at + timedelta(days=1 + (i + step) % 3, hours=i % 5)
            ev_n += 1
            stage_at[(i, stage)] = at
            by = "ai_agent" if stage == "New Lead" else ("automation" if stage == "Customer" else "human")
            ev_rows.append([f"LE{ev_n:03d}", cid(i), stage, LOST_REASONS.get(stage, ""), by, iso(at)])
            prev = stage
        del prev
    write_csv(HERE / "lifecycle_events.csv",
              ["event_id", "contact_external_id", "stage", "reason", "changed_by_type", "changed_at"], ev_rows)

    # orders (parquet): customers buy at their Customer step; 1, 2 and 8 buy again; some by email only
    customers = [i for i in ids if "Customer" in PATHS[i]]
    orders = []
    for n, i in enumerate(customers, start=1):
        at = stage_at[(i, "Customer")] - timedelta(minutes=5)
        orders.append((f"O{n:03d}", i, at, Decimal(40 + 15 * n), "paid", Decimal(0)))
    for n, i in enumerate((1, 2, 8), start=len(customers) + 1):
        at = created(i) + timedelta(days=13)
        status = "refunded" if i == 2 else "paid"
        orders.append((f"O{n:03d}", i, at, Decimal("59.90"), status, Decimal("59.90") if i == 2 else Decimal(0)))
    orders.append((f"O{len(orders) + 1:03d}", 13, stage_at[(13, "Payment")] + timedelta(hours=3),
                   Decimal("75.00"), "cancelled", Decimal(0)))
    table = pa.table({
        "order_id": [o[0] for o in orders],
        "contact_external_id": [None if o[1] in (5, 12) else cid(o[1]) for o in orders],
        "email": [email(o[1]) if o[1] in (5, 12) else None for o in orders],
        "status": [o[4] for o in orders],
        "currency": ["EUR"] * len(orders),
        "revenue": pa.array([o[3] for o in orders], pa.decimal128(18, 2)),
        "refunded_amount": pa.array([o[5] for o in orders], pa.decimal128(18, 2)),
        "ordered_at": pa.array([o[2] for o in orders], pa.timestamp("us", tz="UTC")),
    })
    pq.write_table(table, HERE / "orders.parquet")

    # ad performance: two Meta and two TikTok ads, May 1-14
    ad_rows = []
    campaigns = {"m_c1": "Spring WhatsApp", "m_c2": "Instagram DM", "t_c1": "TikTok Leads", "t_c2": "TikTok Retarget"}
    ads = [("meta", "act_100", "m_c1", "m_as1", "m_ad1"), ("meta", "act_100", "m_c2", "m_as2", "m_ad2"),
           ("tiktok", "adv_200", "t_c1", "t_ag1", "t_ad1"), ("tiktok", "adv_200", "t_c2", "t_ag2", "t_ad2")]
    for d in range(14):
        day = (T0 + timedelta(days=d)).date().isoformat()
        for k, (platform, account, camp, group, ad) in enumerate(ads):
            impressions = 1000 + 137 * ((d * 3 + k * 5) % 11)
            clicks = impressions // (40 + 5 * k)
            ad_rows.append([day, platform, account, camp, campaigns[camp], group, ad, "EUR",
                            f"{12 + 3.5 * k + (d % 4) * 1.25:.2f}", impressions, clicks,
                            (d + k) % 3 if platform == "meta" else ""])
    write_csv(HERE / "ad_performance_2024-05.csv",
              ["date_day", "platform", "account_id", "campaign_id", "campaign_name", "ad_group_id", "ad_id", "currency",
               "spend", "impressions", "clicks", "conversations_started"], ad_rows)

    # touchpoints (entity subfolder): ad clicks / click-to-message referrals, email clicks, web forms
    tp_rows, tp_n = [], 0
    for i in ids:
        ad = ADS.get(i)
        at = created(i) - timedelta(minutes=2)
        tp_n += 1
        if ad:
            kind = "ctm_referral" if CHANNELS[i - 1] in ("whatsapp", "messenger", "instagram") else "ad_click"
            click = f"ctwa.{i:04d}" if ad[0] == "meta" else f"ttclid.{i:04d}"
            tp_rows.append([f"TP{tp_n:03d}", cid(i), "", kind, ad[0], ad[1], ad[2], ad[0], "paid_social",
                            ad[1], click, iso(at)])
        elif CHANNELS[i - 1] == "email":
            tp_rows.append([f"TP{tp_n:03d}", "", phone(i), "email_click", "email", "", "", "newsletter", "email",
                            "may_newsletter", "", iso(at)])
        else:
            tp_rows.append([f"TP{tp_n:03d}", cid(i), "", "web_form" if i % 2 else "organic", "web", "", "",
                            "", "", "", "", iso(at)])
    write_csv(HERE / "touchpoints" / "2024-05.csv",
              ["touchpoint_id", "contact_external_id", "phone", "touchpoint_type", "platform", "campaign_id", "ad_id",
               "utm_source", "utm_medium", "utm_campaign", "click_id", "occurred_at"], tp_rows)

    # conversion events: qualified at Hot Lead, add_to_cart/checkout/purchase around orders, reviews
    ce, ce_n = [], 0

    def add(i: int, name: str, at: datetime, value: Decimal | None = None) -> None:
        nonlocal ce_n
        ce_n += 1
        ce.append({"event_id": f"CE{ce_n:03d}", "contact_external_id": cid(i), "event_name": name,
                   "value": None if value is None else str(value), "currency": "EUR" if value is not None else None,
                   "occurred_at": iso(at)})

    for i in ids:
        if (i, "Hot Lead") in stage_at:
            add(i, "qualified", stage_at[(i, "Hot Lead")])
    for o in orders:
        if o[4] == "cancelled":
            continue
        add(o[1], "add_to_cart", o[2] - timedelta(minutes=30), o[3])
        add(o[1], "checkout_started", o[2] - timedelta(minutes=10), o[3])
        add(o[1], "purchase", o[2], o[3])
    for i in (1, 8):
        add(i, "review", created(i) + timedelta(days=20))
    write_jsonl(HERE / "conversion_events.jsonl", ce)

    # surveys: NPS from customers, CSAT after conversations
    sv = []
    for n, i in enumerate(customers, start=1):
        sv.append([f"S{n:03d}", cid(i), "nps", [10, 9, 7, 10, 6, 9, 8][n - 1] if n <= 7 else 8,
                   iso(stage_at[(i, "Customer")] + timedelta(days=7))])
    for n, i in enumerate((7, 11, 19), start=len(sv) + 1):
        sv.append([f"S{n:03d}", cid(i), "csat", 3 + n % 3, iso(created(i) + timedelta(hours=5))])
    write_csv(HERE / "surveys.csv", ["response_id", "contact_external_id", "survey_type", "score", "answered_at"], sv)

    # consents: opt-in on the first channel for everyone, email opt-in for some, two opt-outs later
    cs, cs_n = [], 0
    for i in ids:
        cs_n += 1
        cs.append([f"CS{cs_n:03d}", cid(i), CHANNELS[i - 1], "opted_in", iso(created(i))])
        if i % 3 == 0:
            cs_n += 1
            cs.append([f"CS{cs_n:03d}", cid(i), "email", "opted_in", iso(created(i) + timedelta(days=1))])
    for i in (9, 15):
        cs_n += 1
        cs.append([f"CS{cs_n:03d}", cid(i), CHANNELS[i - 1], "opted_out", iso(created(i) + timedelta(days=10))])
    write_csv(HERE / "consents.csv", ["consent_id", "contact_external_id", "channel", "status", "changed_at"], cs)

    write_bad()


def write_bad() -> None:
    """Files with deliberate mistakes: good rows load, bad rows are quarantined, a broken file fails."""
    BAD.mkdir(exist_ok=True)
    for old in BAD.iterdir():
        if old.is_file():
            old.unlink()
    # line numbers: header = line 1
    write_csv(BAD / "contacts.csv",
              ["contact_external_id", "email", "phone", "first_name", "created_at", "channel", "favourite_colour"],
              [["B001", "ok.one@example.com", "+4915190000001", "Ok", "2024-05-03T12:00:00+02:00", "whatsapp", "red"],
               ["B002", "ok.two@example.com", "", "Ok", "2024-05-03 09:30:00", "email", ""],
               ["B003", "", "+4915190000003", "Bad", "yesterday", "whatsapp", ""],          # line 4
               ["B004", "", "+4915190000004", "Ok", "2024-05-04", "instagram", "blue"],
               ["B005", "not-an-email", "", "Bad", "2024-05-04T10:00:00Z", "email", ""],    # line 6
               ["", "", "", "NoId", "2024-05-04T11:00:00Z", "webchat", ""],               # line 7
               ["B007", "", "+4915190000007", "Bad", "2024-05-05T10:00:00Z", "carrier pigeon", ""],  # line 8
               ["B008", "ok.eight@example.com", "", "Ok", "2024-05-05T10:00:00Z", "email", ""]])
    (BAD / "messages.jsonl").write_text("\n".join([
        json.dumps({"message_id": "BM1", "conversation_id": "BC1", "contact_external_id": "B001",
                    "direction": "inbound", "sender_type": "contact", "sent_at": "2024-05-03T12:01:00+02:00"}),
        json.dumps({"message_id": "BM2", "conversation_id": "BC1", "contact_external_id": "B001",
                    "direction": "sideways", "sender_type": "human", "sent_at": "2024-05-03T10:05:00Z"}),  # line 2
        '{"message_id": "BM3", "contact_external_id": "B001", ',                                         # line 3
        json.dumps({"message_id": "BM4", "conversation_id": "BC1", "contact_external_id": "B001",
                    "direction": "outbound", "sender_type": "human", "sent_at": None}),                 # line 4
        json.dumps({"message_id": "BM5", "conversation_id": "BC1", "contact_external_id": "B001",
                    "direction": "outbound", "sender_type": "human", "sent_at": "2024-05-03T10:09:00Z"}),
    ]) + "\n", encoding="utf-8")
    write_csv(BAD / "orders.csv", ["order_id", "contact_external_id", "currency", "ordered_at"],
              [["BO1", "B001", "EUR", "2024-05-06T10:00:00Z"]])  # no revenue column: the whole file fails
    write_csv(BAD / "surveys.csv", ["response_id", "contact_external_id", "survey_type", "score", "answered_at"],
              [["BS1", "B001", "nps", "9", "2024-05-07T10:00:00Z"],
               ["BS2", "B002", "csat", "9", "2024-05-07T10:00:00Z"],      # line 3: csat is 1-5
               ["BS3", "B004", "nps", "ten", "2024-05-07T10:00:00Z"]])    # line 4
    write_csv(BAD / "wishlist.csv", ["contact_external_id", "product"], [["B001", "shoes"]])  # no such entity


if __name__ == "__main__":
    main()
