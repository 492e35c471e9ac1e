"""Render the shop (Shopify orders, customers, storefront events) and CRM (HubSpot) raw tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.demo import catalog as C
from ingestion.demo import journey as J
from ingestion.demo._util import (
    cat,
    choice_idx,
    groups,
    hex_tokens,
    money,
    nullable_int,
    str_col,
    strs,
    take_col,
    to_ts,
)
from ingestion.demo.ads import AdCatalog
from ingestion.demo.people import GB, People

DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0
CUSTOMER_ID_BASE = 7_400_000_000_000
ORDER_ID_BASE = 5_600_000_000_000
LINE_ID_BASE = 14_000_000_000_000
REFUND_ID_BASE = 910_000_000_000
HUBSPOT_CONTACT_BASE = 40_100_000_000
DEAL_ID_BASE = 18_500_000_000
FIN = ["paid", "refunded", "partially_refunded", "pending", "voided"]


def _rank(times: np.ndarray) -> np.ndarray:
    order = np.argsort(times, kind="stable")
    r = np.empty(len(times), dtype=np.int64)
    r[order] = np.arange(len(times))
    return r


def _uuid(rng: np.random.Generator, n: int) -> np.ndarray:
    p = [hex_tokens(rng, n, k).astype("U") for k in (4, 2, 2, 2, 6)]
    return cat(p[0], "-", p[1], "-", p[2], "-", p[3], "-", p[4])


def render(rng: np.random.Generator, people: People, jr: J.Journey, meta: AdCatalog, tiktok: AdCatalog,
           start_s: int, end_s: int, email_opted_out: np.ndarray) -> tuple[dict[str, pd.DataFrame], dict]:
    out: dict[str, pd.DataFrame] = {}
    P = people.n
    sess = jr.sessions
    NS = len(sess["person"])
    od = jr.orders
    NO = len(od["person"])
    o_person, o_t, o_seq = od["person"], od["t"], od["seq"]

    # ---------------------------------------------------------------- order lines
    first = o_seq == 0
    big = first | (rng.random(NO) < 0.2)
    acc = np.where(first, choice_idx(rng, [0.5, 0.3, 0.2], NO), choice_idx(rng, [0.5, 0.3, 0.2], NO) + (~big))
    n_lines = big.astype(np.int64) + acc
    lo, lpos = groups(n_lines)
    is_big_line = big[lo] & (lpos == 0)
    big_ids = [i for i, p in enumerate(C.PRODUCTS) if p[3]]
    acc_ids = [i for i, p in enumerate(C.PRODUCTS) if not p[3]]
    prod = np.where(is_big_line, np.array(big_ids)[choice_idx(rng, [3, 1.5, 2, 1.2, 1.5, 1.5, 1, 1.3], len(lo))],
                    np.array(acc_ids)[choice_idx(rng, [3, 2, 1.5, 1, 1.5, 2, 1], len(lo))])
    price = np.array([p[2] for p in C.PRODUCTS])[prod]
    pid = np.array([p[0] for p in C.PRODUCTS])[prod]
    qty = np.where(pid == 8104, rng.integers(2, 7, len(lo)), np.where(is_big_line, 1, rng.integers(1, 4, len(lo))))
    has_code = rng.random(NO) < 0.25
    disc = np.where(has_code[lo], np.round(price * qty * 0.10, 2), 0.0)
    subtotal = np.round(np.bincount(lo, weights=price * qty - disc, minlength=NO), 2)
    discounts = np.round(np.bincount(lo, weights=disc, minlength=NO), 2)
    tax_rate = np.where(people.country[o_person] == GB, 0.20, 0.0725)
    tax = np.round(subtotal * tax_rate, 2)
    shipping = np.where(big, 49.0, np.where(subtotal >= 75, 0.0, 6.95))
    total = np.round(subtotal + tax + shipping, 2)

    # ---------------------------------------------------------------- order status, refunds
    fin = choice_idx(rng, [0.9, 0.035, 0.035, 0.015, 0.015], NO)
    fin = np.where((fin == 3) & (o_t < end_s - 7 * DAY), 0, fin)
    t_refund = o_t + rng.uniform(3, 30, NO) * DAY
    fin = np.where(np.isin(fin, [1, 2]) & (t_refund >= end_s), 0, fin)
    t_cancel = np.where(fin == 4, o_t + rng.uniform(1, 48, NO) * HOUR, np.nan)
    fin = np.where((fin == 4) & (t_cancel >= end_s), 0, fin)
    t_cancel = np.where(fin == 4, t_cancel, np.nan)
    ref = np.flatnonzero(np.isin(fin, [1, 2]))
    ref_amount = np.where(fin[ref] == 1, total[ref], np.round(total[ref] * rng.uniform(0.2, 0.5, len(ref)), 2))

    # ---------------------------------------------------------------- customers
    guest_person = rng.random(P) < 0.06
    o_guest = guest_person[o_person]
    is_cust = np.zeros(P, dtype=bool)
    is_cust[o_person[~o_guest]] = True
    nl = ~np.isnan(jr.newsletter_at) & (jr.newsletter_at < end_s)
    is_cust |= nl
    first_acct_order = np.full(P, np.inf)
    np.minimum.at(first_acct_order, o_person[~o_guest], o_t[~o_guest] - rng.uniform(30, 300, int((~o_guest).sum())))
    cust_created = np.fmin(np.where(nl, jr.newsletter_at, np.inf), first_acct_order)
    cust_p = np.flatnonzero(is_cust)
    cust_ids_p = np.full(P, -1, dtype=np.int64)
    cust_ids_p[cust_p] = CUSTOMER_ID_BASE + _rank(cust_created[cust_p]) * 3 + 1
    last_order = np.full(P, -np.inf)
    np.maximum.at(last_order, o_person, o_t)
    cust_updated = np.minimum(np.fmax(cust_created, last_order) + rng.uniform(1, 600, P), end_s - 1)
    mk = np.where(nl, 0, np.where(rng.random(P) < 0.35, 0, 2))
    mk = np.where(email_opted_out | (rng.random(P) < 0.05), 1, mk)
    c_email_var = choice_idx(rng, [0.5, 0.1, 0.15, 0.1, 0.05, 0.1], P)
    c_phone = np.where(people.has_phone & (rng.random(P) < 0.6), people.phones[0], None)
    out["raw_shop.customers"] = pd.DataFrame({
        "customer_id": cust_ids_p[cust_p], "email": str_col(people.emails[c_email_var[cust_p], cust_p]),
        "phone": str_col(c_phone[cust_p]), "first_name": str_col(people.first[cust_p]),
        "last_name": str_col(people.last[cust_p]),
        "email_marketing_state": strs(["subscribed", "unsubscribed", "not_subscribed"], mk[cust_p]),
        "created_at": to_ts(cust_created[cust_p]), "updated_at": to_ts(cust_updated[cust_p])})

    # ---------------------------------------------------------------- sessions: attribution parameters
    src = sess["src"]
    ad = sess["ad"]
    meta_ad = np.where(src == J.SRC_META, ad, -1)
    tt_ad = np.where(src == J.SRC_TIKTOK, ad, -1)
    utm_source = np.select([src == J.SRC_META, src == J.SRC_TIKTOK, src == J.SRC_GOOGLE, src == J.SRC_CHAT,
                            src == J.SRC_BROADCAST, src == J.SRC_EMAIL], [0, 1, 2, 3, 3, 4], -1)
    utm_medium = np.select([src == J.SRC_META, src == J.SRC_TIKTOK, src == J.SRC_GOOGLE, src == J.SRC_CHAT,
                            src == J.SRC_BROADCAST, src == J.SRC_EMAIL], [0, 0, 1, 2, 3, 4], -1)
    campaign = np.full(NS, None, dtype=object)
    content = np.full(NS, None, dtype=object)
    m = meta_ad >= 0
    campaign[m] = meta.ads["campaign_id"].to_numpy()[meta_ad[m]]
    content[m] = meta.ads["ad_id"].to_numpy()[meta_ad[m]]
    t = tt_ad >= 0
    campaign[t] = tiktok.ads["campaign_id"].to_numpy()[tt_ad[t]]
    content[t] = tiktok.ads["ad_id"].to_numpy()[tt_ad[t]]
    campaign[src == J.SRC_GOOGLE] = "brand-search"
    campaign[src == J.SRC_CHAT] = "quote"
    bc = src == J.SRC_BROADCAST
    campaign[bc] = cat("broadcast-", (7001 + np.maximum(sess["broadcast"][bc], 0)).astype("U"))
    campaign[src == J.SRC_EMAIL] = "newsletter"
    fbclid = np.full(NS, None, dtype=object)
    fbclid[m] = np.char.add("IwAR", hex_tokens(rng, int(m.sum()), 18).astype("U")).astype(object)
    ttclid = np.full(NS, None, dtype=object)
    ttclid[t] = np.char.add("E.C.P.", hex_tokens(rng, int(t.sum()), 20).astype("U")).astype(object)
    g = src == J.SRC_GOOGLE
    gclid = np.full(NS, None, dtype=object)
    gclid[g] = np.char.add("Cj0KCQ", hex_tokens(rng, int(g.sum()), 16).astype("U")).astype(object)
    sources = ["facebook", "tiktok", "google", "respondio", "hubspot"]
    mediums = ["paid_social", "cpc", "chat", "broadcast", "email"]

    # landing_site of orders (path + query with the session's parameters)
    os_ = od["session"]
    q = np.full(NO, "", dtype=object)
    us, um = utm_source[os_], utm_medium[os_]
    has_utm = us >= 0
    q[has_utm] = cat("?utm_source=", np.array(sources, dtype=object)[us[has_utm]].astype("U"),
                     "&utm_medium=", np.array(mediums, dtype=object)[um[has_utm]].astype("U"),
                     "&utm_campaign=", campaign[os_][has_utm].astype("U"))
    hc = has_utm & (content[os_] != None)  # noqa: E711
    q[hc] = cat(q[hc].astype("U"), "&utm_content=", content[os_][hc].astype("U"))
    for clk, name in ((fbclid, "fbclid"), (ttclid, "ttclid"), (gclid, "gclid")):
        h = clk[os_] != None  # noqa: E711
        q[h] = cat(q[h].astype("U"), f"&{name}=", clk[os_][h].astype("U"))
    paths = np.array(["/", "/collections/sofas", "/collections/dining", "/products/harbour-3-seater-sofa",
                      "/pages/made-to-order"], dtype=object)
    landing = cat(paths[rng.integers(0, len(paths), NO)].astype("U"), q.astype("U"))

    # ---------------------------------------------------------------- orders
    o_rank = _rank(o_t)
    order_ids = ORDER_ID_BASE + o_rank * 7 + 3
    o_email = people.emails[choice_idx(rng, [0.5, 0.1, 0.15, 0.1, 0.05, 0.1], NO), o_person]
    o_phone = np.where(people.has_phone[o_person] & (rng.random(NO) < 0.5), people.phones[0, o_person], None)
    o_cust = np.where(o_guest, -1, cust_ids_p[o_person])
    o_updated = np.fmax(np.fmax(o_t + rng.uniform(60, 3600, NO), np.where(np.isin(fin, [1, 2]), t_refund, np.nan)),
                        t_cancel)
    o_updated = np.minimum(o_updated, end_s - 1)
    out["raw_shop.orders"] = pd.DataFrame({
        "order_id": order_ids, "order_number": 1001 + o_rank, "customer_id": nullable_int(o_cust),
        "email": str_col(o_email), "phone": str_col(o_phone), "financial_status": strs(FIN, fin),
        "currency": C.CURRENCY, "subtotal_price": money(subtotal), "total_discounts": money(discounts),
        "total_tax": money(tax), "total_price": money(total),
        "source_name": strs(["web", "shopify_draft_order"], od["draft"].astype(int)), "landing_site": str_col(landing),
        "created_at": to_ts(o_t), "processed_at": to_ts(o_t + rng.uniform(1, 20, NO)),
        "cancelled_at": to_ts(t_cancel), "updated_at": to_ts(o_updated)})
    out["raw_shop.order_lines"] = pd.DataFrame({
        "line_id": LINE_ID_BASE + o_rank[lo] * 8 + lpos, "order_id": order_ids[lo], "product_id": pid,
        "title": strs([p[1] for p in C.PRODUCTS], prod), "quantity": qty.astype(np.int32), "price": money(price),
        "total_discount": money(disc)})
    out["raw_shop.refunds"] = pd.DataFrame({
        "refund_id": REFUND_ID_BASE + _rank(t_refund[ref]), "order_id": order_ids[ref], "amount": money(ref_amount),
        "currency": C.CURRENCY, "created_at": to_ts(t_refund[ref])})

    # ---------------------------------------------------------------- storefront events
    s_order = np.full(NS, -1)
    s_order[os_] = np.arange(NO)
    s_person = sess["person"]
    new_device = rng.random(NS) < 0.2
    person_client = _uuid(rng, P)
    client = np.where(new_device, _uuid(rng, NS), person_client[s_person])
    token = np.where(sess["chk"], hex_tokens(rng, NS, 16), None)
    value = np.where(s_order >= 0, subtotal[np.maximum(s_order, 0)],
                     np.round(np.exp(rng.normal(np.log(350), 0.9, NS)), 2))
    logged_in = (cust_ids_p[s_person] >= 0) & (sess["t_start"] > cust_created[s_person]) & (rng.random(NS) < 0.5)
    n_pv = sess["n_pv"]
    pv_s, pv_k = groups(n_pv)
    t_pv = sess["t_start"][pv_s] + pv_k * sess["gap"][pv_s]
    cart = np.flatnonzero(sess["cart"])
    chk = np.flatnonzero(sess["chk"])
    done = np.flatnonzero(s_order >= 0)
    ev_s = np.concatenate([pv_s, cart, chk, done])
    ev_name = np.concatenate([np.zeros(len(pv_s), int), np.full(len(cart), 1), np.full(len(chk), 2),
                              np.full(len(done), 3)])
    ev_t = np.concatenate([t_pv, sess["t_cart"][cart], sess["t_chk"][chk], sess["t_order"][done]])
    ok = ev_t < end_s
    ev_s, ev_name, ev_t = ev_s[ok], ev_name[ok], ev_t[ok]
    at_checkout = ev_name >= 2
    ev_order = np.where(ev_name == 3, s_order[ev_s], -1)
    known = at_checkout | (logged_in[ev_s] & (ev_name >= 1))
    sp = s_person[ev_s]
    ev_email = np.where(known, people.emails[choice_idx(rng, [0.6, 0.1, 0.1, 0.1, 0.05, 0.05], len(ev_s)), sp], None)
    ev_phone = np.where(at_checkout & people.has_phone[sp] & (rng.random(len(ev_s)) < 0.5),
                        people.phones[np.where(rng.random(len(ev_s)) < 0.7, 0, 1), sp], None)
    non_guest_order = (ev_order >= 0) & (o_cust[np.maximum(ev_order, 0)] >= 0)
    ev_cust = np.where(logged_in[ev_s] | non_guest_order, cust_ids_p[sp], -1)
    eid = _rank(ev_t)
    out["raw_shop.storefront_events"] = pd.DataFrame({
        "event_id": str_col(cat("sfe_", np.char.zfill(eid.astype("U"), 10))),
        "event_name": strs(["page_viewed", "product_added_to_cart", "checkout_started", "checkout_completed"], ev_name),
        "client_id": take_col(client, ev_s), "customer_id": nullable_int(ev_cust), "email": str_col(ev_email),
        "phone": str_col(ev_phone), "checkout_token": take_col(token, np.where(ev_name >= 2, ev_s, -1)),
        "order_id": nullable_int(np.where(ev_order >= 0, order_ids[np.maximum(ev_order, 0)], -1)),
        "value": money(np.where(ev_name >= 1, value[ev_s], np.nan)),
        "currency": strs([C.CURRENCY], np.where(ev_name >= 1, 0, -1)),
        "utm_source": strs(sources, utm_source[ev_s]), "utm_medium": strs(mediums, utm_medium[ev_s]),
        "utm_campaign": take_col(campaign, ev_s), "utm_content": take_col(content, ev_s),
        "fbclid": take_col(fbclid, ev_s), "ttclid": take_col(ttclid, ev_s), "gclid": take_col(gclid, ev_s),
        "occurred_at": to_ts(ev_t)})

    # ---------------------------------------------------------------- HubSpot
    first_order_t = np.full(P, np.nan)
    first_order_t[o_person[first]] = o_t[first]
    first_sub = np.full(P, np.nan)
    first_sub[o_person[first]] = subtotal[first]
    quote_amount = np.where(~np.isnan(first_sub) & ~np.isnan(jr.t_quote), first_sub, jr.quote_amount)
    _, hub_out = _hubspot(rng, people, jr, first_order_t, quote_amount, end_s)
    out.update(hub_out)

    counts = dict(
        meta_sessions=(meta_ad, ((sess["t_start"] - start_s) // DAY).astype(np.int64)),
        tt_sessions=(tt_ad, ((sess["t_start"] - start_s) // DAY).astype(np.int64)),
        tt_purchases=(tt_ad[os_], ((sess["t_start"][os_] - start_s) // DAY).astype(np.int64)),
        meta_purchases=(meta_ad[os_], ((sess["t_start"][os_] - start_s) // DAY).astype(np.int64)),
    )
    return out, counts


def _hubspot(rng: np.random.Generator, people: People, jr: J.Journey, first_order_t: np.ndarray,
             quote_amount: np.ndarray, end_s: int) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
    out: dict[str, pd.DataFrame] = {}
    hp = np.flatnonzero(jr.in_hubspot & (jr.hubspot_created < end_s))
    H = len(hp)
    created = jr.hubspot_created[hp]
    hub_id = np.full(people.n, -1, dtype=np.int64)
    hub_id[hp] = HUBSPOT_CONTACT_BASE + _rank(created) * 2 + 1
    is_msg = people.is_msg[hp]
    newsletter = ~np.isnan(jr.newsletter_at[hp])

    # lifecycle property history, forward only
    st = np.full((H, 7), np.nan)
    st[:, 0] = np.where(newsletter, created, np.nan)
    st[:, 1] = np.where(~newsletter, created, np.nan)
    tq = jr.t_qual[hp]
    qualified = ~np.isnan(tq)
    st[:, 2] = np.where(qualified & (rng.random(H) < 0.4), created + 60, np.nan)
    st[:, 3] = np.where(qualified, created + rng.uniform(2, 120, H) * MINUTE, np.nan)
    st[:, 4] = jr.t_quote[hp] + rng.uniform(5, 60, H) * MINUTE
    st[:, 5] = first_order_t[hp] + rng.uniform(1, 30, H) * MINUTE
    st[:, 6] = jr.promoter_at[hp]
    running = np.full(H, -np.inf)
    for k in range(7):
        col = st[:, k]
        has = ~np.isnan(col)
        col = np.where(has, np.maximum(col, running + 1), np.nan)
        st[:, k] = col
        running = np.where(has, col, running)
    st[st >= end_s] = np.nan
    r_, k_ = np.nonzero(~np.isnan(st))
    src_by_stage = np.array([3, 2, 1, 0, 0, 2, 1])  # FORM, API, AUTOMATION_PLATFORM, CRM_UI
    out["raw_hubspot.contact_lifecycle_history"] = pd.DataFrame({
        "contact_id": hub_id[hp[r_]], "lifecyclestage": strs(C.HUBSPOT_STAGES, k_),
        "source_type": strs(["CRM_UI", "AUTOMATION_PLATFORM", "API", "FORM"], src_by_stage[k_]),
        "changed_at": to_ts(st[r_, k_])})
    has_any = ~np.isnan(st).all(axis=1)
    current = np.where(has_any, 6 - np.argmax(~np.isnan(st[:, ::-1]), axis=1), -1)
    last_change = np.where(has_any, np.nanmax(np.where(np.isnan(st), -np.inf, st), axis=1), created)

    # deals
    dq = ~np.isnan(jr.t_quote) & jr.in_hubspot & (jr.t_quote < end_s)
    t_app_all = jr.t_quote + rng.uniform(1, 10, people.n) * MINUTE
    dp = np.flatnonzero(dq & (t_app_all < end_s))
    D = len(dp)
    t_app = t_app_all[dp]
    won = ~np.isnan(first_order_t[dp]) & (first_order_t[dp] >= jr.t_quote[dp])
    tc = np.where(won, first_order_t[dp] + rng.uniform(2, 30, D) * MINUTE, jr.t_deal_lost[dp])
    closed = ~np.isnan(tc) & (tc < end_s)
    horizon = np.where(closed, tc, t_app + 20 * DAY)
    fr = np.sort(rng.uniform(0.05, 0.9, (D, 4)), axis=1)
    inc = rng.random((D, 4)) < np.array([0.7, 0.4, 0.3, 0.3])
    inc[:, 3] |= won & (rng.random(D) < 0.6)
    steps = np.full((D, 7), np.nan)
    steps[:, 0] = t_app
    steps[:, 1:5] = np.where(inc, t_app[:, None] + fr * (horizon - t_app)[:, None], np.nan)
    steps[:, 5] = np.where(closed & won, tc, np.nan)
    steps[:, 6] = np.where(closed & ~won, tc, np.nan)
    steps[steps >= end_s] = np.nan
    dr, dk = np.nonzero(~np.isnan(steps))
    deal_ids = DEAL_ID_BASE + _rank(t_app) * 3 + 2
    out["raw_hubspot.deal_stage_history"] = pd.DataFrame({
        "deal_id": deal_ids[dr], "dealstage": strs(C.DEAL_STAGES, dk), "changed_at": to_ts(steps[dr, dk])})
    stage = 6 - np.argmax(~np.isnan(steps[:, ::-1]), axis=1)
    last_step = np.nanmax(steps, axis=1)
    lost_reason = np.where(stage == 6, jr.lost_reason[dp], -1)
    product = np.array(["Sofa", "Dining set", "Bedroom", "Living room", "Custom order"], dtype=object)
    name = cat(people.first[dp].astype("U"), " ", people.last[dp].astype("U"), " - ",
               product[rng.integers(0, len(product), D)].astype("U"))
    out["raw_hubspot.deals"] = pd.DataFrame({
        "deal_id": deal_ids, "dealname": str_col(name), "pipeline": "default",
        "dealstage": strs(C.DEAL_STAGES, stage), "amount": money(quote_amount[dp]),
        "deal_currency_code": C.CURRENCY, "closed_lost_reason": strs(C.LOST_REASONS, lost_reason),
        "hs_is_closed": stage >= 5, "hs_is_closed_won": stage == 5, "createdate": to_ts(t_app),
        "closedate": to_ts(np.where(stage >= 5, last_step, t_app + 30 * DAY)),
        "lastmodifieddate": to_ts(np.minimum(last_step + rng.uniform(1, 3600, D), end_s - 1))})
    out["raw_hubspot.deal_contacts"] = pd.DataFrame({"deal_id": deal_ids, "contact_id": hub_id[dp]})

    # contacts
    deal_last = np.full(people.n, -np.inf)
    np.maximum.at(deal_last, dp, last_step)
    lastmod = np.minimum(np.maximum(last_change, deal_last[hp]) + rng.uniform(1, 7200, H), end_s - 1)
    lastmod = np.maximum(lastmod, created)
    has_email = ~is_msg | ~people.has_phone[hp] | (rng.random(H) < 0.88)  # never a contact without both
    email = np.where(has_email, people.emails[choice_idx(rng, [0.55, 0.05, 0.25, 0.05, 0.0, 0.1], H), hp], None)
    hasp = people.has_phone[hp]
    fmt_p = np.array([1, 2, 3, 5])[choice_idx(rng, [0.4, 0.35, 0.15, 0.1], H)]
    fmt_m = np.array([0, 1, 2, 4])[choice_idx(rng, [0.3, 0.3, 0.3, 0.1], H)]
    phone_field = hasp & (rng.random(H) < 0.8)
    mobile_field = hasp & (~phone_field | (rng.random(H) < 0.3))
    t_unq = jr.t_unq[hp]
    status = np.select(
        [~np.isnan(t_unq), current >= 5, current == 4, current == 3, jr.lost_reason[hp] >= 0],
        [5, 6, 3, 2, 4], np.where(rng.random(H) < 0.5, 0, 1))
    out["raw_hubspot.contacts"] = pd.DataFrame({
        "contact_id": hub_id[hp], "email": str_col(email),
        "phone": str_col(np.where(phone_field, people.phones[fmt_p, hp], None)),
        "mobilephone": str_col(np.where(mobile_field, people.phones[fmt_m, hp], None)),
        "firstname": str_col(people.first[hp]), "lastname": str_col(people.last[hp]),
        "lifecyclestage": strs(C.HUBSPOT_STAGES, current),
        "hs_lead_status": strs(["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "BAD_TIMING", "UNQUALIFIED",
                                "CONNECTED"], status),
        "createdate": to_ts(created), "lastmodifieddate": to_ts(lastmod), "archived": rng.random(H) < 0.01})
    return hp, out
