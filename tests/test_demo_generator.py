"""The demo generator: shape of every raw table, integrity, determinism, and the planted effects."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from ingestion import raw_tables
from ingestion.demo import DemoConfig, generate, write_demo

END = dt.date(2025, 6, 1)
CONFIG = DemoConfig(n_contacts=1500, seed=11, end_date=END)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate(CONFIG)


@pytest.fixture(scope="module")
def big() -> dict[str, pd.DataFrame]:
    """Large enough for the response-delay effect to show per bucket without noise."""
    return generate(DemoConfig(n_contacts=6000, seed=5, end_date=END))


def _demo_tables() -> list[raw_tables.RawTable]:
    return [t for t in raw_tables.RAW_TABLES if t.schema in raw_tables.DEMO_SCHEMAS]


def test_every_demo_table_with_exactly_the_registry_columns_and_types(frames):
    assert sorted(frames) == sorted(t.qualified_name for t in _demo_tables())
    for t in _demo_tables():
        df = frames[t.qualified_name]
        assert list(df.columns) == t.column_names, t.qualified_name
        assert len(df) > 0, t.qualified_name
        for c in t.columns:
            s = df[c.name]
            if c.type == raw_tables.TS:
                assert str(s.dtype) == "datetime64[ns]", (t.qualified_name, c.name)  # naive UTC
            elif c.type in ("bigint", "integer"):
                assert pd.api.types.is_integer_dtype(s.dtype), (t.qualified_name, c.name, s.dtype)
            elif c.type == raw_tables.MONEY:
                v = s.dropna().to_numpy()
                assert np.allclose(v * 100, np.round(v * 100)), (t.qualified_name, c.name)
            elif c.type == "boolean":
                assert s.dtype == bool, (t.qualified_name, c.name)
            elif c.type == "varchar":
                assert pd.api.types.is_string_dtype(s.dtype), (t.qualified_name, c.name, s.dtype)


def test_primary_keys_unique_and_not_null(frames):
    for t in _demo_tables():
        df = frames[t.qualified_name]
        pk = list(t.primary_key)
        assert not df[pk].isna().any().any(), t.qualified_name
        assert not df.duplicated(pk).any(), t.qualified_name


def test_same_seed_same_frames_and_other_seed_differs(frames):
    again = generate(CONFIG)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(df, again[name], obj=name)
    other = generate(DemoConfig(n_contacts=1500, seed=12, end_date=END))
    assert not other["raw_respondio.messages"].equals(frames["raw_respondio.messages"])
    assert not other["raw_shop.orders"]["total_price"].equals(frames["raw_shop.orders"]["total_price"])


def _fk(frames, child: str, col: str, parent: str, pcol: str) -> None:
    values = frames[child][col].dropna()
    assert len(values) > 0, (child, col)
    missing = ~values.isin(set(frames[parent][pcol]))
    assert not missing.any(), f"{child}.{col} -> {parent}.{pcol}: {int(missing.sum())} dangling"


def test_foreign_keys_resolve(frames):
    rio = "raw_respondio."
    for child, col in [("messages", "conversation_id"), ("survey_responses", "conversation_id")]:
        _fk(frames, rio + child, col, rio + "conversations", "conversation_id")
    for child in ["contact_channels", "conversations", "messages", "lifecycle_events", "tag_events",
                  "consent_events", "survey_responses"]:
        _fk(frames, rio + child, "contact_id", rio + "contacts", "contact_id")
    for child, col in [("conversations", "assignee_user_id"), ("messages", "sender_user_id"),
                       ("lifecycle_events", "changed_by_user_id"), ("tag_events", "changed_by_user_id"),
                       ("contacts", "assignee_user_id")]:
        _fk(frames, rio + child, col, rio + "users", "user_id")
    _fk(frames, rio + "messages", "referral_ad_id", "raw_meta_ads.ads", "ad_id")
    # messages belong to the contact of their conversation
    m = frames[rio + "messages"].merge(frames[rio + "conversations"], on="conversation_id", suffixes=("", "_c"))
    assert (m["contact_id"] == m["contact_id_c"]).all()
    assert (m["sent_at"] >= m["opened_at"]).all()

    for p, group, gcol in [("raw_meta_ads", "adsets", "adset_id"), ("raw_tiktok_ads", "adgroups", "adgroup_id")]:
        _fk(frames, f"{p}.{group}", "campaign_id", f"{p}.campaigns", "campaign_id")
        _fk(frames, f"{p}.ads", gcol, f"{p}.{group}", gcol)
        _fk(frames, f"{p}.ads", "campaign_id", f"{p}.campaigns", "campaign_id")
    ins = frames["raw_meta_ads.insights_daily"].merge(frames["raw_meta_ads.ads"], on="ad_id", suffixes=("", "_a"))
    assert len(ins) == len(frames["raw_meta_ads.insights_daily"])
    assert (ins["adset_id"] == ins["adset_id_a"]).all() and (ins["campaign_id"] == ins["campaign_id_a"]).all()
    _fk(frames, "raw_tiktok_ads.report_daily", "ad_id", "raw_tiktok_ads.ads", "ad_id")

    _fk(frames, "raw_hubspot.contact_lifecycle_history", "contact_id", "raw_hubspot.contacts", "contact_id")
    _fk(frames, "raw_hubspot.deal_contacts", "contact_id", "raw_hubspot.contacts", "contact_id")
    _fk(frames, "raw_hubspot.deal_contacts", "deal_id", "raw_hubspot.deals", "deal_id")
    _fk(frames, "raw_hubspot.deal_stage_history", "deal_id", "raw_hubspot.deals", "deal_id")

    _fk(frames, "raw_shop.orders", "customer_id", "raw_shop.customers", "customer_id")
    _fk(frames, "raw_shop.order_lines", "order_id", "raw_shop.orders", "order_id")
    _fk(frames, "raw_shop.refunds", "order_id", "raw_shop.orders", "order_id")
    _fk(frames, "raw_shop.storefront_events", "order_id", "raw_shop.orders", "order_id")
    _fk(frames, "raw_shop.storefront_events", "customer_id", "raw_shop.customers", "customer_id")
    ev = frames["raw_shop.storefront_events"]
    meta_ev = ev[ev["utm_source"] == "facebook"]
    assert meta_ev["fbclid"].notna().all() and meta_ev["utm_content"].isin(set(frames["raw_meta_ads.ads"]["ad_id"])).all()
    tt_ev = ev[ev["utm_source"] == "tiktok"]
    assert len(tt_ev) and tt_ev["ttclid"].notna().all()
    assert ev["client_id"].notna().all()


def test_all_times_inside_the_window_and_consistent(frames):
    end = pd.Timestamp(END)
    for t in _demo_tables():
        for c in t.columns:
            if c.type == raw_tables.TS:
                df = frames[t.qualified_name]
                if (t.qualified_name, c.name) == ("raw_hubspot.deals", "closedate"):
                    df = df[df["hs_is_closed"]]  # open deals carry the expected close date, possibly ahead
                assert (df[c.name].dropna() < end).all(), (t.qualified_name, c.name)
    conv = frames["raw_respondio.conversations"]
    closed = conv.dropna(subset=["closed_at"])
    assert (closed["closed_at"] >= closed["opened_at"]).all()
    assert closed["closing_category"].notna().all()
    assert {"Resolved", "Sale", "Spam", "No response"} <= set(closed["closing_category"])
    orders = frames["raw_shop.orders"]
    lines = frames["raw_shop.order_lines"]
    line_total = (lines["price"] * lines["quantity"] - lines["total_discount"]).groupby(lines["order_id"]).sum()
    sub = orders.set_index("order_id")["subtotal_price"]
    assert np.allclose(line_total.reindex(sub.index).to_numpy(), sub.to_numpy(), atol=0.011)
    assert orders["currency"].nunique() == 1
    refunds = frames["raw_shop.refunds"].merge(orders, on="order_id", suffixes=("", "_order"))
    assert (refunds["amount"] <= refunds["total_price"] + 0.001).all()
    assert (refunds["created_at"] > refunds["created_at_order"]).all()
    assert refunds["financial_status"].isin(["refunded", "partially_refunded"]).all()


def test_vocabulary_the_engine_relies_on(frames):
    stages = {"New Lead", "Hot Lead", "Payment", "Customer", "Cold Lead", "Unqualified", "Lost to Competitor"}
    le = frames["raw_respondio.lifecycle_events"]
    assert set(le["to_stage"].dropna()) <= stages
    assert {"New Lead", "Hot Lead", "Payment", "Customer", "Unqualified", "Lost to Competitor"} <= set(le["to_stage"])
    assert {"user", "ai_agent"} <= set(le["changed_by_type"])
    assert ((le["to_stage"] == "Hot Lead") & (le["changed_by_type"] == "ai_agent")).any()
    # contacts.lifecycle is the latest event's stage
    latest = le.sort_values("changed_at").groupby("contact_id")["to_stage"].last()
    ct = frames["raw_respondio.contacts"].set_index("contact_id")
    assert (ct.loc[latest.index, "lifecycle"] == latest).all()
    assert ct.drop(latest.index)["lifecycle"].isna().all()
    tags = set(frames["raw_respondio.tag_events"]["tag"])
    assert {"qualified", "unqualified", "quote-sent", "lost-to-competitor", "vip"} <= tags
    parsed = ct["tags"].map(json.loads)
    assert parsed.map(lambda v: isinstance(v, list)).all() and parsed.map(len).gt(0).any()
    users = frames["raw_respondio.users"]
    assert set(users["agent_type"]) == {"human", "ai_agent"} and {"Sales", "Support"} <= set(users["team"])
    hs = frames["raw_hubspot.contact_lifecycle_history"]
    assert set(hs["lifecyclestage"]) == {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                         "opportunity", "customer", "evangelist"}
    deals = frames["raw_hubspot.deals"]
    assert set(frames["raw_hubspot.deal_stage_history"]["dealstage"]) == {
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
        "closedwon", "closedlost"}
    lost = deals[deals["dealstage"] == "closedlost"]
    assert (lost["closed_lost_reason"] == "Chose a competitor").any()
    assert set(lost["closed_lost_reason"]) <= {"Chose a competitor", "Price", "No budget", "No response"}
    assert deals.loc[deals["dealstage"] != "closedlost", "closed_lost_reason"].isna().all()
    assert (deals["hs_is_closed_won"] == (deals["dealstage"] == "closedwon")).all()
    msgs = frames["raw_respondio.messages"]
    assert {"contact", "user", "ai_agent", "workflow", "broadcast"} <= set(msgs["sender_type"])
    conv = frames["raw_respondio.conversations"]
    bc = conv[conv["opened_by"] == "broadcast"]
    assert len(bc) > 0 and bc["broadcast_id"].notna().all()
    assert conv.loc[conv["opened_by"] != "broadcast", "broadcast_id"].isna().all()


def test_surveys_and_consent(frames):
    s = frames["raw_respondio.survey_responses"]
    nps, csat = s[s["survey_type"] == "nps"], s[s["survey_type"] == "csat"]
    assert len(nps) and len(csat)
    assert nps["score"].between(0, 10).all() and csat["score"].between(1, 5).all()
    ce = frames["raw_respondio.consent_events"]
    ins = ce[ce["status"] == "opted_in"].groupby(["contact_id", "channel_type"])["event_at"].min()
    outs = ce[ce["status"] == "opted_out"].groupby(["contact_id", "channel_type"])["event_at"].min()
    share = len(outs) / len(ins)
    assert 0.03 < share < 0.10, share
    assert (outs > ins.reindex(outs.index)).all()
    # nobody who opted out on a channel is sent a broadcast there afterwards
    conv = frames["raw_respondio.conversations"]
    bc = conv[conv["opened_by"] == "broadcast"].merge(outs.rename("out_at").reset_index(),
                                                      on=["contact_id", "channel_type"])
    assert (bc["opened_at"] < bc["out_at"]).all()
    assert set(frames["raw_shop.customers"]["email_marketing_state"]) == {"subscribed", "unsubscribed",
                                                                         "not_subscribed"}


def test_promoters_more_likely_among_repeat_buyers(big):
    s = big["raw_respondio.survey_responses"]
    nps = s[s["survey_type"] == "nps"].merge(big["raw_respondio.contacts"][["contact_id", "email", "phone"]],
                                             on="contact_id")
    orders = big["raw_shop.orders"]
    n_by_email = orders.groupby(orders["email"].str.strip().str.lower()).size()
    n_by_phone = orders.dropna(subset=["phone"]).groupby(orders["phone"].dropna().map(_digits)).size()
    n = np.maximum(nps["email"].str.strip().str.lower().map(n_by_email).fillna(0),
                   nps["phone"].map(lambda p: _digits(p) if isinstance(p, str) else "").map(n_by_phone).fillna(0))
    promoter = nps["score"] >= 9
    repeat = n >= 2
    assert repeat.sum() > 20 and (~repeat).sum() > 20
    assert promoter[repeat].mean() > promoter[~repeat].mean() + 0.1


def _digits(phone: str) -> str:
    """Phone -> E.164 digits (the demo's formats: +44/0044/07700..., +1/(415).../415-...)."""
    d = re.sub(r"\D", "", phone)
    if d.startswith("00"):
        d = d[2:]
    elif d.startswith("0"):
        d = "44" + d[1:]
    elif len(d) == 10:
        d = "1" + d
    return d


def _first_reply_and_stop(frames, end: dt.date) -> pd.DataFrame:
    """Per contact: first-reply delay of its first conversation, and whether it stopped (no later inbound
    message in another conversation and no order matched by email or phone)."""
    m = frames["raw_respondio.messages"]
    conv = frames["raw_respondio.conversations"]
    ct = frames["raw_respondio.contacts"]
    first = conv.sort_values("opened_at").groupby("contact_id").head(1)
    first = first[(first["opened_by"] == "contact") & (first["opened_at"] < pd.Timestamp(end) - pd.Timedelta(days=21))
                  & first["channel_type"].isin(["whatsapp", "tiktok", "webchat"])]  # never second contacts
    inbound = m[m["traffic"] == "incoming"]
    first_in = inbound.groupby("conversation_id")["sent_at"].min().rename("first_in")
    replies = m[(m["traffic"] == "outgoing") & m["sender_type"].isin(["user", "ai_agent"])]
    replies = replies.merge(first_in, left_on="conversation_id", right_index=True)
    first_reply = replies[replies["sent_at"] >= replies["first_in"]].groupby("conversation_id")["sent_at"].min()
    x = first.merge(first_in, left_on="conversation_id", right_index=True)
    x = x.merge(first_reply.rename("first_reply"), left_on="conversation_id", right_index=True)
    x["delay"] = (x["first_reply"] - x["first_in"]).dt.total_seconds()
    later = inbound.merge(x[["contact_id", "conversation_id"]], on="contact_id", suffixes=("", "_first"))
    later = set(later.loc[later["conversation_id"] != later["conversation_id_first"], "contact_id"])
    orders = frames["raw_shop.orders"]
    emails = set(orders["email"].str.strip().str.lower())
    phones = set(orders["phone"].dropna().map(_digits))
    x = x.merge(ct[["contact_id", "email", "phone"]], on="contact_id")
    ordered = x["email"].str.strip().str.lower().isin(emails) | x["phone"].map(
        lambda p: _digits(p) in phones if isinstance(p, str) else False)
    x["stopped"] = ~x["contact_id"].isin(later) & ~ordered
    x["bucket"] = pd.cut(x["delay"], [-1, 300, 3600, 86400, np.inf], labels=["<5m", "5-60m", "1-24h", ">24h"])
    return x


def test_slow_first_replies_make_leads_go_cold(big):
    x = _first_reply_and_stop(big, END)
    rates = x.groupby("bucket", observed=False)["stopped"].agg(["mean", "size"])
    assert (rates["size"] >= 80).all(), rates
    r = rates["mean"].to_numpy()
    assert np.all(np.diff(r) > 0.03), rates  # rises bucket after bucket
    assert r[0] < 0.22 and r[-1] > 0.45, rates
    # AI agents answer in seconds, humans in minutes to hours
    conv = big["raw_respondio.conversations"].merge(big["raw_respondio.users"], left_on="assignee_user_id",
                                                    right_on="user_id")
    d = x.merge(conv[["conversation_id", "agent_type"]], on="conversation_id")
    med = d.groupby("agent_type")["delay"].median()
    assert med["ai_agent"] < 30 and med["human"] > 300


def test_meta_conversations_started_match_referred_conversations(frames):
    m = frames["raw_respondio.messages"]
    ref = m[m["referral_source_type"] == "ad"]
    assert len(ref) > 20
    assert ref["referral_ad_id"].notna().all() and (ref["traffic"] == "incoming").all()
    wa = ref[ref["channel_type"] == "whatsapp"]
    assert wa["referral_ctwa_clid"].notna().all() and wa["referral_ctwa_clid"].is_unique
    assert ref.loc[ref["channel_type"] != "whatsapp", "referral_ctwa_clid"].isna().all()
    # the referral is on the first inbound message of its conversation
    first_in = m[m["traffic"] == "incoming"].sort_values(["sent_at", "message_id"]).groupby("conversation_id").head(1)
    assert ref["message_id"].isin(set(first_in["message_id"])).all()
    counted = ref.groupby([ref["sent_at"].dt.date.rename("date_start"), ref["referral_ad_id"].rename("ad_id")]).size()
    ins = frames["raw_meta_ads.insights_daily"].set_index(["date_start", "ad_id"])["messaging_conversations_started"]
    joined = ins.to_frame("reported").join(counted.rename("generated"), how="outer").fillna(0)
    assert (joined["reported"] == joined["generated"]).all()
    assert (ins <= frames["raw_meta_ads.insights_daily"].set_index(["date_start", "ad_id"])["inline_link_clicks"]).all()
    ads = frames["raw_meta_ads.ads"].merge(frames["raw_meta_ads.adsets"], on="adset_id")
    assert {"WHATSAPP", "MESSENGER", "INSTAGRAM_DIRECT", "WEBSITE"} <= set(ads["destination_type"])
    ins_df = frames["raw_meta_ads.insights_daily"]
    assert (ins_df["spend"] > 0).all() and (ins_df["impressions"] >= ins_df["clicks"]).all()


def _norm_email(s: pd.Series) -> set[str]:
    return set(s.dropna().str.strip().str.lower())


def test_identity_resolution_is_needed_and_transitive(frames):
    rio = frames["raw_respondio.contacts"]
    hub = frames["raw_hubspot.contacts"]
    shop = frames["raw_shop.customers"]
    rio_emails, hub_emails, shop_emails = _norm_email(rio["email"]), _norm_email(hub["email"]), _norm_email(shop["email"])
    assert len(rio_emails & hub_emails) > 50 and len(shop_emails & rio_emails) > 20
    # raw values differ in case or whitespace: exact matching would miss links
    assert (shop["email"].dropna() != shop["email"].dropna().str.strip().str.lower()).mean() > 0.2
    assert len(set(hub["email"].dropna()) & set(rio["email"].dropna())) < len(rio_emails & hub_emails)
    # phones in many formats, equal once normalised
    formats = {"+44 7700": r"^\+44 7700 \d{6}$", "07700": r"^07700 ?\d{6}$", "0044": r"^0044 ",
               "+1 (": r"^\+1 \(\d{3}\) 555-\d{4}$"}
    all_phones = pd.concat([rio["phone"], hub["phone"], hub["mobilephone"]]).dropna()
    for name, pattern in formats.items():
        assert all_phones.str.contains(pattern).any(), name
    gb_national = rio[rio["phone"].fillna("").str.startswith("07700")]
    assert len(gb_national) and (gb_national["country_code"] == "GB").all()
    rio_ph = rio.dropna(subset=["phone"]).assign(d=lambda d: d["phone"].map(_digits))
    hub_ph = pd.concat([hub[["contact_id", "email", "phone"]],
                        hub[["contact_id", "email", "mobilephone"]].rename(columns={"mobilephone": "phone"})])
    hub_ph = hub_ph.dropna(subset=["phone"]).assign(d=lambda d: d["phone"].map(_digits))
    assert len(set(rio_ph["d"]) & set(hub_ph["d"])) > 50
    # transitive chain: respond.io contact with a phone and no email ~ HubSpot (phone) ~ another respond.io
    # contact with an email and no phone
    a = rio_ph[rio_ph["email"].isna()][["contact_id", "d"]].rename(columns={"contact_id": "rio_a"})
    b = a.merge(hub_ph.dropna(subset=["email"]).rename(columns={"contact_id": "hub"}), on="d")
    b = b.assign(e=b["email"].str.strip().str.lower())[["rio_a", "hub", "e"]]
    c = rio[rio["phone"].isna() & rio["email"].notna()]
    c = pd.DataFrame({"rio_c": c["contact_id"], "e": c["email"].str.strip().str.lower()})
    chain = b.merge(c, on="e")
    assert chain["rio_a"].nunique() > 5 and (chain["rio_a"] != chain["rio_c"]).all()
    assert (hub["email"].notna() | hub["phone"].notna() | hub["mobilephone"].notna()).all()


def test_funnel_has_buyers_repeaters_refunds_and_web_traffic(frames):
    orders = frames["raw_shop.orders"]
    per = orders.groupby(orders["email"].str.strip().str.lower()).size()
    assert (per >= 2).mean() > 0.1 and per.max() >= 3 and per.max() <= 6
    assert {"paid", "refunded", "partially_refunded"} <= set(orders["financial_status"])
    assert len(frames["raw_shop.refunds"]) > 0
    ev = frames["raw_shop.storefront_events"]
    assert {"page_viewed", "product_added_to_cart", "checkout_started", "checkout_completed"} <= set(ev["event_name"])
    chk = ev[ev["event_name"].isin(["checkout_started", "checkout_completed"])]
    assert (chk["email"].notna() | chk["phone"].notna()).all()
    assert ev.loc[ev["event_name"] == "checkout_completed", "order_id"].notna().all()
    assert orders["landing_site"].str.contains("fbclid=").any() and orders["landing_site"].str.contains("ttclid=").any()


def test_default_end_date_is_today_utc_and_bad_sizes_rejected():
    frames = generate(DemoConfig(n_contacts=200, seed=1))
    today = pd.Timestamp(dt.datetime.now(dt.UTC).date())
    sent = frames["raw_respondio.messages"]["sent_at"]
    assert sent.max() < today and sent.max() >= today - pd.Timedelta(days=7)
    assert sent.min() >= today - pd.DateOffset(months=6)
    with pytest.raises(ValueError, match="n_contacts"):
        generate(DemoConfig(n_contacts=0))


def test_write_demo_counts_match(tmp_path):
    import duckdb

    cfg = DemoConfig(n_contacts=300, seed=3, end_date=END)
    con = duckdb.connect(str(tmp_path / "demo.duckdb"))
    try:
        counts = write_demo(con, cfg)
        frames = generate(cfg)
        assert counts == {name: len(df) for name, df in frames.items()}
        for name, n in counts.items():
            assert con.execute(f"select count(*) from {name}").fetchone()[0] == n, name
        typ = con.execute("select data_type from information_schema.columns where table_schema = 'raw_shop' "
                          "and table_name = 'orders' and column_name = 'total_price'").fetchone()[0]
        assert typ == "DECIMAL(18,2)"
        assert con.execute("select count(*) from raw_respondio.messages where sent_at is null").fetchone()[0] == 0
    finally:
        con.close()
