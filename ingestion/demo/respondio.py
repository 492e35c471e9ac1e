"""Render the respond.io raw tables (contacts, channels, users, conversations, messages, events, surveys)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.demo import catalog as C
from ingestion.demo import journey as J
from ingestion.demo._util import (
    group_cumsum,
    groups,
    hex_tokens,
    int_str,
    json_tag_lists,
    lognormal_median,
    nullable_int,
    str_col,
    strs,
    to_ts,
)
from ingestion.demo.ads import AdCatalog
from ingestion.demo.people import COUNTRIES, People

USER_ID_BASE = 104_200
CONTACT_ID_BASE = 181_000_000
CONVERSATION_ID_BASE = 52_000_000
MESSAGE_ID_BASE = 3_100_000_000
BROADCAST_ID_BASE = 7001
SENDERS = ["contact", "user", "ai_agent", "workflow", "broadcast"]
S_CONTACT, S_USER, S_AI, S_WORKFLOW, S_BROADCAST = range(5)
MSG_TYPES = ["text", "attachment", "quick_reply", "template"]
BY_TYPES = ["user", "ai_agent", "workflow"]


def _rank_ids(times: np.ndarray, base: int) -> np.ndarray:
    """Ids increasing with time (ties broken by position), like a real system's sequence."""
    order = np.argsort(times, kind="stable")
    ids = np.empty(len(times), dtype=np.int64)
    ids[order] = base + np.arange(len(times))
    return ids


def _latest_per(keys: np.ndarray, times: np.ndarray, values: np.ndarray, n: int, fill) -> np.ndarray:
    """Value of the latest (by time) row per key in 0..n-1."""
    out = np.full(n, fill, dtype=np.asarray(values).dtype if fill is not None else object)
    if len(keys):
        o = np.lexsort((times, keys))
        out[keys[o]] = np.asarray(values)[o]  # later rows overwrite earlier ones
    return out


def render(rng: np.random.Generator, people: People, jr: J.Journey, meta: AdCatalog,
           start_s: int, end_s: int) -> tuple[dict[str, pd.DataFrame], dict]:
    users = jr.users
    out: dict[str, pd.DataFrame] = {}
    user_ids = USER_ID_BASE + np.arange(users.n)

    # ---------------------------------------------------------------- users
    out["raw_respondio.users"] = pd.DataFrame({
        "user_id": user_ids, "first_name": str_col(users.first), "last_name": str_col(users.last),
        "email": str_col(users.email), "role": str_col(users.role),
        "agent_type": strs(["human", "ai_agent"], users.is_ai.astype(int)),
        "team": strs(C.TEAMS, users.team), "created_at": to_ts(users.created)})

    # ---------------------------------------------------------------- conversations
    cv = jr.convs
    keep = cv["t_open"] < end_s
    cv = {k: v[keep] for k, v in cv.items()}
    conv_new_index = np.cumsum(keep) - 1  # original index -> kept index
    K = len(cv["t_open"])
    R = len(jr.contact_person)
    contact_ids = _rank_ids(jr.contact_created, CONTACT_ID_BASE)
    conv_ids = _rank_ids(cv["t_open"], CONVERSATION_ID_BASE)
    c_contact = cv["contact"]
    c_channel = jr.contact_channel[c_contact]
    assignee = cv["assignee"]
    is_ai = cv["is_ai"]
    delay = cv["delay"]
    speed = np.where(assignee >= 0, users.speed[np.maximum(assignee, 0)], 1.0)
    has_reply = ~np.isnan(delay) & (cv["kind"] != J.K_NPS)
    rounds = np.where(has_reply, cv["rounds"], 0)
    t_in, t_reply = cv["t_in"], cv["t_in"] + np.nan_to_num(delay)
    agent_sender = np.where(is_ai, S_AI, S_USER)

    segs: list[dict[str, np.ndarray]] = []

    def seg(conv: np.ndarray, t: np.ndarray, incoming: bool | np.ndarray, sender: np.ndarray | int,
            user: np.ndarray | int, mtype: np.ndarray | int, first_in: np.ndarray | bool = False) -> None:
        n = len(conv)
        def b(v, dtype):
            return np.broadcast_to(np.asarray(v).astype(dtype, copy=False), (n,))

        segs.append(dict(conv=conv.astype(np.int32), t=t, incoming=b(incoming, bool), sender=b(sender, np.int8),
                         user=b(user, np.int32), mtype=b(mtype, np.int8), first_in=b(first_in, bool)))

    # opener (broadcast, workflow or agent message before the contact writes)
    op = np.flatnonzero(cv["opened_by"] != J.OB_CONTACT)
    ob = cv["opened_by"][op]
    seg(op, cv["t_open"][op], False,
        np.where(ob == J.OB_BROADCAST, S_BROADCAST, np.where(ob == J.OB_WORKFLOW, S_WORKFLOW, S_USER)),
        np.where(ob == J.OB_USER, assignee[op], -1), np.where(ob == J.OB_USER, 0, 3))
    # the contact's first inbound burst (before the first reply)
    n_pre = cv["n_pre"]
    parent, pos = groups(n_pre)
    g = rng.uniform(3, 40, len(parent))
    g[pos == 0] = 0
    offs = np.minimum(group_cumsum(g, n_pre), np.where(has_reply, 0.8 * np.nan_to_num(delay), 600.0)[parent])
    seg(parent, t_in[parent] + offs, True, S_CONTACT, -1,
        np.where(rng.random(len(parent)) < 0.88, 0, np.where(rng.random(len(parent)) < 0.7, 1, 2)), pos == 0)
    # the first reply: defines the first response time
    rp = np.flatnonzero(has_reply)
    seg(rp, t_reply[rp], False, agent_sender[rp], assignee[rp], 0)
    # back-and-forth rounds
    n_r = 2 * rounds
    pr, pp = groups(n_r)
    inbound = pp % 2 == 0
    gap = np.where(inbound, np.clip(lognormal_median(rng, 150.0, 1.2, len(pr)), 5, 6 * 3600),
                   np.where(is_ai[pr], np.clip(lognormal_median(rng, 5.0, 0.5, len(pr)), 1, 60),
                            np.clip(lognormal_median(rng, 180.0 * speed[pr], 1.0, len(pr)), 10, 8 * 3600)))
    t_r = t_reply[pr] + group_cumsum(gap, n_r)
    seg(pr, t_r, inbound, np.where(inbound, S_CONTACT, agent_sender[pr]), np.where(inbound, -1, assignee[pr]),
        np.where(rng.random(len(pr)) < 0.9, 0, 1))
    last = np.full(K, -np.inf)
    for s in segs:
        np.maximum.at(last, s["conv"], s["t"])
    # a chaser from the agent to a lead who went quiet
    fu = np.flatnonzero(cv["followup"] & has_reply)
    t_fu = last[fu] + rng.uniform(20, 30, len(fu)) * 3600
    seg(fu, t_fu, False, agent_sender[fu], assignee[fu], 0)
    last_any = last.copy()
    last_any[fu] = t_fu

    lag = np.where(is_ai, lognormal_median(rng, 1200.0, 0.6, K), lognormal_median(rng, 3 * 3600.0, 1.0, K))
    closed = np.where(cv["kind"] == J.K_NPS, last_any + 3600, last_any + lag)
    closed[fu] = t_fu + 86400
    closed = np.where(closed < end_s, closed, np.nan)
    closing = np.where(np.isnan(closed), len(C.CLOSING) - 1, cv["closing"])

    t_all = np.concatenate([s["t"] for s in segs])
    conv_all = np.concatenate([s["conv"] for s in segs])
    keep_idx = np.flatnonzero(t_all < end_s)
    order = keep_idx[np.lexsort((conv_all[keep_idx], t_all[keep_idx]))]
    del t_all, conv_all, keep_idx
    m = {k: np.concatenate([s[k] for s in segs])[order] for k in segs[0]}
    segs.clear()
    del order
    n_msg = len(m["t"])
    mc = m["conv"]
    last_msg = np.full(K, -np.inf)
    np.maximum.at(last_msg, mc, m["t"])
    updated = np.fmax(closed, np.where(np.isfinite(last_msg), last_msg, cv["t_open"]))

    contact_id_of_conv = contact_ids[c_contact]
    team = cv["team"]
    out["raw_respondio.conversations"] = pd.DataFrame({
        "conversation_id": conv_ids, "contact_id": contact_id_of_conv,
        "channel_id": np.array(C.CHANNEL_IDS, dtype=np.int64)[c_channel],
        "channel_type": strs(C.CHANNEL_TYPES, c_channel), "opened_at": to_ts(cv["t_open"]),
        "opened_by": strs(C.OPENED_BY, np.array([0, 1, 2, 3])[cv["opened_by"]]),
        "broadcast_id": nullable_int(np.where(cv["broadcast"] >= 0, BROADCAST_ID_BASE + cv["broadcast"], -1)),
        "assignee_user_id": nullable_int(np.where(assignee >= 0, user_ids[np.maximum(assignee, 0)], -1)),
        "assignee_team": strs(C.TEAMS, team), "closed_at": to_ts(closed),
        "closing_category": strs(C.CLOSING, closing), "updated_at": to_ts(updated)})

    # messages
    ref = m["first_in"] & (cv["ref_ad"][mc] >= 0)
    ref_code = np.where(ref, cv["ref_ad"][mc], -1)
    wa_ref = ref & (c_channel[mc] == C.WA)
    clids = np.char.add("ARA", hex_tokens(rng, int(wa_ref.sum()), 20).astype("U")).tolist()
    clid_code = np.where(wa_ref, np.cumsum(wa_ref) - 1, -1)
    ch_m = c_channel[mc]
    out["raw_respondio.messages"] = pd.DataFrame({
        "message_id": MESSAGE_ID_BASE + np.arange(n_msg, dtype=np.int64),
        "conversation_id": conv_ids[mc], "contact_id": contact_id_of_conv[mc],
        "channel_id": np.array(C.CHANNEL_IDS, dtype=np.int64)[ch_m], "channel_type": strs(C.CHANNEL_TYPES, ch_m),
        "traffic": strs(["outgoing", "incoming"], m["incoming"].astype(int)),
        "sender_type": strs(SENDERS, m["sender"]),
        "sender_user_id": nullable_int(np.where(m["user"] >= 0, user_ids[np.maximum(m["user"], 0)], -1)),
        "message_type": strs(MSG_TYPES, m["mtype"]),
        "referral_source_type": strs(["ad"], np.where(ref, 0, -1)),
        "referral_ad_id": strs(meta.ads["ad_id"].tolist(), ref_code),
        "referral_ctwa_clid": strs(clids, clid_code), "sent_at": to_ts(m["t"])})

    # ---------------------------------------------------------------- lifecycle and tag events
    lc = jr.lifecycle
    ok = lc["t"] < end_s
    lc = {k: v[ok] for k, v in lc.items()}
    o = np.lexsort((lc["t"], lc["contact"]))
    lc = {k: v[o] for k, v in lc.items()}
    same = np.r_[False, lc["contact"][1:] == lc["contact"][:-1]]
    from_stage = np.where(same, np.r_[-1, lc["stage"][:-1]], -1)
    eid = _rank_ids(lc["t"], 0)
    out["raw_respondio.lifecycle_events"] = pd.DataFrame({
        "event_id": str_col(int_str(eid, "lce_", 9)), "contact_id": contact_ids[lc["contact"]],
        "from_stage": strs(C.STAGES, from_stage), "to_stage": strs(C.STAGES, lc["stage"]),
        "changed_by_type": strs(BY_TYPES, lc["by"]),
        "changed_by_user_id": nullable_int(np.where(lc["user"] >= 0, user_ids[np.maximum(lc["user"], 0)], -1)),
        "changed_at": to_ts(lc["t"])})
    current_stage = _latest_per(lc["contact"], lc["t"], lc["stage"], R, -1)
    last_stage_t = _latest_per(lc["contact"], lc["t"], lc["t"], R, np.nan)

    tg = jr.tags
    ok = tg["t"] < end_s
    tg = {k: v[ok] for k, v in tg.items()}
    eid = _rank_ids(tg["t"], 0)
    out["raw_respondio.tag_events"] = pd.DataFrame({
        "event_id": str_col(int_str(eid, "tge_", 9)), "contact_id": contact_ids[tg["contact"]],
        "tag": strs(C.TAGS, tg["tag"]), "action": strs(["added", "removed"], tg["action"]),
        "changed_by_type": strs(BY_TYPES, tg["by"]),
        "changed_by_user_id": nullable_int(np.where(tg["user"] >= 0, user_ids[np.maximum(tg["user"], 0)], -1)),
        "event_at": to_ts(tg["t"])})
    # current tags: the latest action per (contact, tag) decides
    key = tg["contact"].astype(np.int64) * len(C.TAGS) + tg["tag"]
    o = np.lexsort((tg["t"], key))
    k_sorted = key[o]
    is_last = np.r_[k_sorted[1:] != k_sorted[:-1], True]
    present = is_last & (tg["action"][o] == 0)
    bits = np.zeros(R, dtype=np.int64)
    np.bitwise_or.at(bits, tg["contact"][o][present], np.left_shift(1, tg["tag"][o][present]).astype(np.int64))
    last_tag_t = _latest_per(tg["contact"], tg["t"], tg["t"], R, np.nan)

    # ---------------------------------------------------------------- contacts and their channels
    person = jr.contact_person
    fmt = jr.contact_phone_fmt
    phone = np.full(R, None, dtype=object)
    hp = fmt >= 0
    phone[hp] = people.phones[fmt[hp], person[hp]]
    email_known = (jr.contact_email_var >= 0) & (jr.contact_email_at < end_s)
    email = np.full(R, None, dtype=object)
    email[email_known] = people.emails[jr.contact_email_var[email_known], person[email_known]]
    national = np.isin(fmt, [2, 5]) | ((fmt == 3) & (people.country[person] == 1))
    country = np.where(national | (rng.random(R) < 0.9), people.country[person], -1)
    no_last = np.isin(jr.contact_channel, [C.IG, C.TT]) & (rng.random(R) < 0.3)
    conv_assignee = _latest_per(c_contact, cv["t_open"], assignee, R, -1)
    last_open = _latest_per(c_contact, cv["t_open"], cv["t_open"], R, np.nan)
    updated = np.nanmax(np.vstack([jr.contact_created, np.where(email_known, jr.contact_email_at, np.nan),
                                   last_stage_t, last_tag_t, last_open]), axis=0)
    out["raw_respondio.contacts"] = pd.DataFrame({
        "contact_id": contact_ids, "first_name": str_col(people.first[person]),
        "last_name": str_col(np.where(no_last, None, people.last[person])), "phone": str_col(phone),
        "email": str_col(email), "language": strs(C.LANGUAGES, people.language[person]),
        "country_code": strs(COUNTRIES, country), "lifecycle": strs(C.STAGES, current_stage),
        "tags": json_tag_lists(bits, C.TAGS),
        "assignee_user_id": nullable_int(np.where(conv_assignee >= 0, user_ids[np.maximum(conv_assignee, 0)], -1)),
        "created_at": to_ts(jr.contact_created), "updated_at": to_ts(updated)})

    chan = jr.contact_channel
    cuid = np.empty(R, dtype=object)
    rows = np.arange(R)
    for c in range(len(C.CHANNEL_TYPES)):
        sel = chan == c
        if not sel.any():
            continue
        r = rows[sel]
        if c == C.WA:
            cuid[sel] = people.phones[4, person[sel]]
        elif c == C.IG:
            cuid[sel] = int_str(17841400000000000 + r * 1000 + rng.integers(0, 1000, len(r)))
        elif c == C.MS:
            cuid[sel] = int_str(2400000000000000 + r * 1000 + rng.integers(0, 1000, len(r)))
        elif c == C.TT:
            cuid[sel] = np.char.add("_000", hex_tokens(rng, len(r), 12).astype("U")).astype(object)
        elif c == C.EM:
            cuid[sel] = people.email[person[sel]]
        else:
            cuid[sel] = np.char.add("wc_", hex_tokens(rng, len(r), 10).astype("U")).astype(object)
    extra = email_known & (chan != C.EM) & (rng.random(R) < 0.3)
    ch_rows = np.concatenate([rows, rows[extra]])
    ch_type = np.concatenate([chan, np.full(int(extra.sum()), C.EM)])
    ch_uid = np.concatenate([cuid, people.email[person[extra]]])
    ch_created = np.concatenate([jr.contact_created, jr.contact_email_at[extra]])
    out["raw_respondio.contact_channels"] = pd.DataFrame({
        "contact_id": contact_ids[ch_rows], "channel_id": np.array(C.CHANNEL_IDS, dtype=np.int64)[ch_type],
        "channel_type": strs(C.CHANNEL_TYPES, ch_type), "channel_user_id": str_col(ch_uid),
        "created_at": to_ts(ch_created)})

    # ---------------------------------------------------------------- consent
    oi = ~np.isnan(jr.contact_optin_at) & (jr.contact_optin_at < end_s)
    oo = ~np.isnan(jr.contact_optout_at) & (jr.contact_optout_at < end_s)
    em_in = email_known & (rng.random(R) < 0.55)
    em_in_t = jr.contact_email_at + 60
    em_out = em_in & (rng.random(R) < 0.05)
    em_out_t = em_in_t + lognormal_median(rng, 30 * 86400.0, 0.8, R)
    em_out &= em_out_t < end_s
    src_in = np.where(chan == C.WA, np.array([0, 1, 2, 4])[np.searchsorted([0.4, 0.7, 0.9], rng.random(R))],
                      np.where(chan == C.WC, 1, np.where(rng.random(R) < 0.7, 2, 4)))
    src_out = np.where(chan == C.WA, np.where(rng.random(R) < 0.8, 0, 2), np.where(rng.random(R) < 0.5, 2, 3))
    parts = [(oi, chan, 0, src_in, jr.contact_optin_at), (oo, chan, 1, src_out, jr.contact_optout_at),
             (em_in, np.full(R, C.EM), 0, np.full(R, 1), em_in_t), (em_out, np.full(R, C.EM), 1, np.full(R, 3), em_out_t)]
    ce: dict[str, list[np.ndarray]] = {"contact": [], "channel": [], "status": [], "source": [], "t": []}
    for mask, channel, status, source, t in parts:
        idx = np.flatnonzero(mask)
        ce["contact"].append(idx)
        for k, v in (("channel", channel), ("status", status), ("source", source), ("t", t)):
            ce[k].append(np.broadcast_to(np.asarray(v), (R,))[idx])
    ce = {k: np.concatenate(v) for k, v in ce.items()}
    ce_contact = ce["contact"]
    eid = _rank_ids(ce["t"], 0)
    out["raw_respondio.consent_events"] = pd.DataFrame({
        "event_id": str_col(int_str(eid, "cns_", 9)), "contact_id": contact_ids[ce_contact],
        "channel_type": strs(C.CHANNEL_TYPES, ce["channel"]), "status": strs(["opted_in", "opted_out"], ce["status"]),
        "source": strs(["keyword", "form", "agent", "api", "import"], ce["source"]), "event_at": to_ts(ce["t"])})

    # ---------------------------------------------------------------- surveys: NPS (workflow) and CSAT
    nps = jr.nps
    nconv = conv_new_index[nps["conv"]]
    ok = keep[nps["conv"]] & (nps["t"] < end_s)
    csat_ok = (has_reply & ~np.isnan(closed) & (rounds > 0) & (cv["kind"] != J.K_NPS)
               & (rng.random(K) < 0.15))
    t_csat = closed + rng.uniform(60, 5400, K)
    csat_ok &= t_csat < end_s
    cs = np.flatnonzero(csat_ok)
    base = 4.7 - 0.45 * np.log10(1 + delay[cs] / 60)
    csat = np.clip(np.round(base + rng.normal(0, 0.8, len(cs))), 1, 5).astype(np.int64)
    s_conv = np.concatenate([nconv[ok], cs])
    s_t = np.concatenate([nps["t"][ok], t_csat[cs]])
    eid = _rank_ids(s_t, 0)
    out["raw_respondio.survey_responses"] = pd.DataFrame({
        "response_id": str_col(int_str(eid, "srv_", 9)), "contact_id": contact_id_of_conv[s_conv],
        "conversation_id": conv_ids[s_conv],
        "survey_type": strs(["nps", "csat"], np.r_[np.zeros(int(ok.sum()), int), np.ones(len(cs), int)]),
        "score": np.concatenate([nps["score"][ok], csat]).astype(np.int32), "answered_at": to_ts(s_t)})

    info = dict(contact_ids=contact_ids, conv_ids=conv_ids, conv=cv, conv_keep=keep)
    return out, info
