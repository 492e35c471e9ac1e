"""The customer journeys: who talks to whom, how fast they are answered, and what each person does next.

Everything is decided per person with array operations; the table renderers (respondio, commerce, ads)
only turn these decisions into rows. The planted effects live here:

- first-reply delay -> probability of going cold (:func:`stop_rate`), the headline effect;
- AI agents answer in seconds and take a growing share of first conversations over the period;
- human replies are slower at night and at weekends (they wait for the next shift);
- repeat buyers are more often promoters (NPS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ingestion.demo import catalog as C
from ingestion.demo._util import choice_idx, group_cumsum, lognormal_median
from ingestion.demo.ads import AdCatalog
from ingestion.demo.people import People

DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0
SALES, SUPPORT = 0, 1
K_FIRST, K_COMEBACK, K_FOLLOWUP, K_LOST, K_SUPPORT, K_REPEAT, K_NPS, K_SECONDARY = range(8)
OB_CONTACT, OB_USER, OB_WORKFLOW, OB_BROADCAST = 0, 1, 2, 3
BY_USER, BY_AI, BY_WORKFLOW = 0, 1, 2  # changed_by_type codes: user, ai_agent, workflow
# storefront session sources
SRC_META, SRC_TIKTOK, SRC_GOOGLE, SRC_ORGANIC, SRC_CHAT, SRC_BROADCAST, SRC_EMAIL = range(7)

UNQUALIFIED_SHARE = 0.07
COMEBACK_SHARE = 0.10

# Share of leads that never message again (and never buy) after their first conversation, as a function
# of the first-reply delay of that conversation. Includes the delay-independent unqualified share; the
# cold probability below is derived from it so that the measured rates land on these values.
_DELAY_POINTS = np.log10([5, 120, 300, 1800, 3600, 4 * 3600, 86400, 3 * 86400])
_STOP_RATES = np.array([0.12, 0.13, 0.17, 0.26, 0.31, 0.35, 0.46, 0.68])


def stop_rate(delay_seconds: np.ndarray) -> np.ndarray:
    """Planted: the share of leads that stop after a first reply that took ``delay_seconds``."""
    return np.interp(np.log10(np.maximum(delay_seconds, 1.0)), _DELAY_POINTS, _STOP_RATES)


def cold_probability(delay_seconds: np.ndarray) -> np.ndarray:
    p = (stop_rate(delay_seconds) - UNQUALIFIED_SHARE) / (1 - UNQUALIFIED_SHARE) / (1 - COMEBACK_SHARE)
    return np.clip(p, 0.0, 0.95)


@dataclass
class Users:
    n: int
    first: np.ndarray
    last: np.ndarray
    email: np.ndarray
    role: np.ndarray
    is_ai: np.ndarray
    team: np.ndarray
    speed: np.ndarray
    created: np.ndarray
    ai_of_team: np.ndarray            # user index of the AI agent of each team
    members: list[np.ndarray]         # human agents taking conversations, per team
    weights: list[np.ndarray]


def build_users(rng: np.random.Generator, n_people: int, start_s: int) -> Users:
    n_h = int(np.clip(round(n_people / 300), 6, 3000))
    fi = rng.integers(0, len(C.FIRST_NAMES), n_h)
    li = rng.integers(0, len(C.LAST_NAMES), n_h)
    first = np.concatenate([np.array(C.FIRST_NAMES, dtype=object)[fi], np.array(["Ava", "Max"], dtype=object)])
    last = np.concatenate([np.array(C.LAST_NAMES, dtype=object)[li], np.array(["AI Agent", "AI Agent"], dtype=object)])
    n = n_h + 2
    idx = np.arange(n)
    email = np.array([f"{fn.lower()}.{ln.lower().replace(' ', '')}{i + 1}@northwind-living.example"
                      for i, (fn, ln) in enumerate(zip(first, last, strict=True))], dtype=object)
    role = np.full(n, "agent", dtype=object)
    role[0] = "owner"
    role[1:3] = "manager"
    is_ai = idx >= n_h
    team = np.where(rng.random(n) < 0.6, SALES, SUPPORT)
    team[1], team[2] = SALES, SUPPORT
    team[n_h], team[n_h + 1] = SALES, SUPPORT
    speed = np.exp(0.45 * rng.standard_normal(n))
    created = start_s - rng.uniform(30, 500, n) * DAY
    created[n_h:] = start_s - np.array([12.0, 9.0]) * DAY
    members, weights = [], []
    for t in (SALES, SUPPORT):
        m = np.flatnonzero((team == t) & ~is_ai & (idx > 0))
        w = np.where(role[m] == "manager", 0.3, 1.0) * rng.uniform(0.6, 1.4, len(m))
        members.append(m)
        weights.append(w / w.sum())
    return Users(n, first, last, email, role, is_ai, team, speed, created, np.array([n_h, n_h + 1]), members, weights)


def human_delay(rng: np.random.Generator, t_in: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Minutes on shift (Mon-Fri 08-20 UTC, Sat 10-16), otherwise the wait for the next shift plus backlog."""
    n = len(t_in)
    day = np.floor(t_in / DAY)
    hour = (t_in - day * DAY) / HOUR
    dow = (day + 3) % 7
    on = ((dow < 5) & (hour >= 8) & (hour < 20)) | ((dow == 5) & (hour >= 10) & (hour < 16))
    nxt = np.full(n, np.inf)
    for k in range(4):
        d = day + k
        w = (d + 3) % 7
        cand = d * DAY + np.where(w < 5, 8, np.where(w == 5, 10, np.nan)) * HOUR
        ok = (cand > t_in) & np.isinf(nxt)
        nxt[ok] = cand[ok]
    on_delay = lognormal_median(rng, 540 * speed, 1.25, n)
    off_delay = (nxt - t_in) + lognormal_median(rng, 2100 * speed, 1.0, n)
    delay = np.where(on, on_delay, off_delay)
    delay += np.where(rng.random(n) < 0.04, rng.uniform(20, 60, n) * HOUR, 0.0)  # lost in the queue
    return np.clip(delay, 15.0, 6 * DAY)


def assign(rng: np.random.Generator, users: Users, team: np.ndarray, t_in: np.ndarray,
           ai_share: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Assignee (user index), whether it is an AI agent, and the first-reply delay in seconds."""
    n = len(t_in)
    is_ai = rng.random(n) < ai_share
    assignee = users.ai_of_team[team].copy()
    for t in (SALES, SUPPORT):
        m = (team == t) & ~is_ai
        assignee[m] = rng.choice(users.members[t], size=int(m.sum()), p=users.weights[t])
    ai_delay = np.clip(lognormal_median(rng, 6.0, 0.5, n), 1.0, 90.0)
    delay = np.where(is_ai, ai_delay, human_delay(rng, t_in, users.speed[assignee]))
    return assignee, is_ai, delay


@dataclass
class Convs:
    """Conversation specs; messages are rendered from these."""
    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    FIELDS = ("person", "contact", "t_open", "opened_by", "broadcast", "team", "assignee", "is_ai", "delay",
              "t_in", "n_pre", "rounds", "followup", "closing", "ref_ad", "kind")

    def add(self, n: int, **values) -> None:
        defaults = dict(broadcast=-1, team=-1, assignee=-1, is_ai=False, delay=np.nan, followup=False,
                        ref_ad=-1, n_pre=1, opened_by=OB_CONTACT)
        for f in self.FIELDS:
            v = values.get(f, defaults.get(f))
            if v is None:
                raise KeyError(f)
            self.cols.setdefault(f, []).append(np.broadcast_to(np.asarray(v), (n,)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {f: np.concatenate(v) for f, v in self.cols.items()}


@dataclass
class Events:
    """Lifecycle stage or tag events on respond.io contacts."""
    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, mask: np.ndarray, **values) -> None:
        idx = np.flatnonzero(mask)
        for k, v in values.items():
            arr = np.asarray(v)
            self.cols.setdefault(k, []).append(arr[idx] if arr.ndim and len(arr) == len(mask) else
                                               np.broadcast_to(arr, (len(idx),)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


@dataclass
class Journey:
    users: Users
    msg_person: np.ndarray            # person index of every primary respond.io contact (contact row = position)
    contact_person: np.ndarray        # person of every respond.io contact row (primary rows, then secondary)
    contact_channel: np.ndarray
    contact_created: np.ndarray
    contact_is_secondary: np.ndarray
    contact_phone_fmt: np.ndarray     # phone format index or -1
    contact_email_var: np.ndarray     # email variant index or -1
    contact_email_at: np.ndarray
    contact_optin_at: np.ndarray      # NaN when never opted in on the contact's channel
    contact_optout_at: np.ndarray
    convs: dict[str, np.ndarray]
    lifecycle: dict[str, np.ndarray]
    tags: dict[str, np.ndarray]
    broadcasts: np.ndarray            # send times; broadcast id = 7001 + index
    # person level (length n people; NaN/False when not applicable)
    t_qual: np.ndarray
    t_unq: np.ndarray
    t_quote: np.ndarray
    t_lost: np.ndarray
    t_pay: np.ndarray
    quote_amount: np.ndarray
    lost_reason: np.ndarray           # index into LOST_REASONS for deals lost, -1 otherwise
    t_deal_lost: np.ndarray
    newsletter_at: np.ndarray
    in_hubspot: np.ndarray
    hubspot_created: np.ndarray
    promoter_at: np.ndarray
    # orders and storefront sessions
    orders: dict[str, np.ndarray]
    sessions: dict[str, np.ndarray]
    nps: dict[str, np.ndarray]        # conv (index into convs), score


def _broadcast_before(times: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the latest broadcast sent at or before t (-1 when none)."""
    return np.searchsorted(times, t, side="right") - 1


def simulate(rng: np.random.Generator, people: People, meta: AdCatalog, tiktok: AdCatalog,
             start_s: int, end_s: int) -> Journey:
    P = people.n
    n_days = int((end_s - start_s) // DAY)
    users = build_users(rng, P, start_s)
    frac = lambda t: np.clip((t - start_s) / (end_s - start_s), 0, 1)  # noqa: E731
    broadcasts = start_s + (np.arange(3, n_days, 9) * DAY) + 17 * HOUR
    convs, life, tags = Convs(), Events(), Events()

    # ---------------------------------------------------------------- messaging people: first conversation
    msg = np.flatnonzero(people.is_msg)
    M = len(msg)
    ch = people.channel[msg]
    t0 = people.t0[msg]
    sales = np.full(M, SALES)
    a1, ai1, d1 = assign(rng, users, sales, t0, 0.12 + 0.45 * frac(t0))
    reply1 = t0 + d1

    ref_ad = np.full(M, -1)
    day0 = ((t0 - start_s) // DAY).astype(np.int64)
    for dest, chan in C.META_DESTINATION_CHANNEL.items():
        m = (ch == chan) & (rng.random(M) < 0.5)
        ref_ad[m] = meta.pick(rng, day0[m], dest)

    # consent on the entry channel (needed before broadcasts: nobody opted out gets one)
    optin = rng.random(M) < 0.92
    optin_at = np.where(optin, t0 + rng.uniform(5, 120, M), np.nan)
    optout_at = np.where(optin & (rng.random(M) < 0.065), optin_at + lognormal_median(rng, 40 * DAY, 0.8, M), np.nan)
    can_broadcast = optin & np.isnan(optout_at)

    unq = rng.random(M) < UNQUALIFIED_SHARE
    cold = ~unq & (rng.random(M) < cold_probability(d1))
    comeback = cold & (rng.random(M) < COMEBACK_SHARE)
    cont = ~unq & ~cold
    rounds1 = np.where(unq, rng.integers(1, 3, M), np.where(cold, 0, rng.integers(2, 7, M)))
    closing1 = np.where(unq, np.where(rng.random(M) < 0.3, C.CL_SPAM, C.CL_RESOLVED),
                        np.where(cold, C.CL_NORESPONSE, C.CL_RESOLVED))
    convs.add(M, person=msg, contact=np.arange(M), t_open=t0, team=SALES, assignee=a1, is_ai=ai1, delay=d1,
              t_in=t0, n_pre=rng.integers(1, 4, M), rounds=rounds1, followup=cold & (rng.random(M) < 0.6),
              closing=closing1, ref_ad=ref_ad, kind=K_FIRST)
    by1 = np.where(ai1, BY_AI, BY_USER)
    t_unq = np.where(unq, reply1 + rng.uniform(2, 20, M) * MINUTE, np.nan)

    # ---------------------------------------------------------------- comebacks (cold leads returning weeks later)
    cb = np.flatnonzero(comeback)
    t_back = reply1[cb] + rng.uniform(30, 90, len(cb)) * DAY
    b = _broadcast_before(broadcasts, t_back)
    via_b = can_broadcast[cb] & (rng.random(len(cb)) < 0.5) & (b >= 0)
    open_cb = np.where(via_b, broadcasts[np.maximum(b, 0)], t_back)
    tin_cb = np.where(via_b, open_cb + lognormal_median(rng, 1.5 * HOUR, 1.0, len(cb)), t_back)
    acb, aicb, dcb = assign(rng, users, np.full(len(cb), SALES), tin_cb, 0.12 + 0.45 * frac(tin_cb))
    convs.add(len(cb), person=msg[cb], contact=cb, t_open=open_cb, opened_by=np.where(via_b, OB_BROADCAST, OB_CONTACT),
              broadcast=np.where(via_b, b, -1), team=SALES, assignee=acb, is_ai=aicb, delay=dcb, t_in=tin_cb,
              n_pre=rng.integers(1, 3, len(cb)), rounds=rng.integers(2, 6, len(cb)), closing=C.CL_RESOLVED,
              kind=K_COMEBACK)

    # ---------------------------------------------------------------- the journey of active leads
    active = cont | comeback
    js = np.full(M, np.nan)
    qualifier, q_ai = a1.copy(), ai1.copy()
    js[cont] = reply1[cont] + rng.uniform(2, 20, int(cont.sum())) * MINUTE
    js[cb] = tin_cb + dcb + rng.uniform(2, 10, len(cb)) * MINUTE
    qualifier[cb], q_ai[cb] = acb, aicb
    qual = active & (rng.random(M) < 0.85)
    t_qual = np.where(qual, js, np.nan)
    quoted = qual & (rng.random(M) < 0.7)
    r = rng.random(M)
    buy = quoted & (r < 0.55)
    lost = quoted & (r >= 0.55) & (r < 0.70)
    cold_q = quoted & (r >= 0.70)

    ac = np.flatnonzero(active)
    by_user2 = rng.random(len(ac)) < 0.15
    open2 = js[ac] + np.clip(lognormal_median(rng, 1.5 * DAY, 0.8, len(ac)), 2 * HOUR, 14 * DAY)
    tin2 = np.where(by_user2, open2 + lognormal_median(rng, 20 * MINUTE, 1.0, len(ac)), open2)
    a2, ai2, d2 = assign(rng, users, np.full(len(ac), SALES), tin2, 0.25)
    rounds2 = np.where(quoted[ac], rng.integers(3, 9, len(ac)), rng.integers(1, 6, len(ac)))
    closing2 = np.where(buy[ac], C.CL_SALE, np.where(rng.random(len(ac)) < 0.5, C.CL_RESOLVED, C.CL_NORESPONSE))
    ob2 = np.where(by_user2, np.where(ai2, OB_WORKFLOW, OB_USER), OB_CONTACT)  # AI agents follow up via workflow
    convs.add(len(ac), person=msg[ac], contact=ac, t_open=open2, opened_by=ob2,
              team=SALES, assignee=a2, is_ai=ai2, delay=d2, t_in=tin2, n_pre=rng.integers(1, 3, len(ac)),
              rounds=rounds2, closing=closing2, kind=K_FOLLOWUP)
    quoter, quoter_ai = np.full(M, -1), np.zeros(M, dtype=bool)
    quoter[ac], quoter_ai[ac] = a2, ai2
    t_quote = np.full(M, np.nan)
    t_quote[ac] = tin2 + d2 + rng.uniform(5, 40, len(ac)) * MINUTE
    t_quote[~quoted] = np.nan

    pay = (buy & (rng.random(M) < 0.5)) | (lost & (rng.random(M) < 0.1))
    t_pay = np.where(pay, t_quote + rng.uniform(1, 30, M) * MINUTE, np.nan)
    t_cart = np.where(buy, t_quote + np.clip(lognormal_median(rng, 5 * HOUR, 1.0, M), 10 * MINUTE, 5 * DAY), np.nan)
    t_chk = t_cart + rng.uniform(3, 30, M) * MINUTE
    t_order1 = t_chk + rng.uniform(2, 12, M) * MINUTE

    lo = np.flatnonzero(lost)
    tin3 = t_quote[lo] + rng.uniform(2, 14, len(lo)) * DAY
    a3, ai3, d3 = assign(rng, users, np.full(len(lo), SALES), tin3, 0.0)
    convs.add(len(lo), person=msg[lo], contact=lo, t_open=tin3, team=SALES, assignee=a3, is_ai=ai3, delay=d3,
              t_in=tin3, n_pre=rng.integers(1, 3, len(lo)), rounds=rng.integers(1, 3, len(lo)),
              closing=C.CL_NOTINTERESTED, kind=K_LOST)
    t_lost = np.full(M, np.nan)
    t_lost[lo] = tin3 + d3 + rng.uniform(1, 15, len(lo)) * MINUTE
    lost_user = np.full(M, -1)
    lost_user[lo] = a3

    # abandoned carts of quoted leads who went quiet
    ab = cold_q & (rng.random(M) < 0.4)
    t_ab = np.where(ab, t_quote + np.clip(lognormal_median(rng, 6 * HOUR, 1.0, M), 10 * MINUTE, 5 * DAY), np.nan)
    ab_chk = ab & (rng.random(M) < 0.4)

    # ---------------------------------------------------------------- web-only people
    web = np.flatnonzero(~people.is_msg)
    W = len(web)
    tw = people.t0[web]
    src = choice_idx(rng, [0.45, 0.30, 0.12, 0.13], W)  # meta, tiktok, google, organic
    dayw = ((tw - start_s) // DAY).astype(np.int64)
    ad_w = np.full(W, -1)
    m = src == SRC_META
    ad_w[m] = meta.pick(rng, dayw[m], "WEBSITE")
    m = src == SRC_TIKTOK
    ad_w[m] = tiktok.pick(rng, dayw[m], "WEBSITE")
    src = np.where(((src == SRC_META) | (src == SRC_TIKTOK)) & (ad_w < 0), SRC_ORGANIC, src)
    buy_w1 = rng.random(W) < 0.10
    s2 = ~buy_w1 & (rng.random(W) < 0.3)
    t_s2 = tw + np.clip(lognormal_median(rng, 3 * DAY, 1.0, W), HOUR, 30 * DAY)
    buy_w2 = s2 & (rng.random(W) < 0.25)
    retarget = s2 & (rng.random(W) < 0.5)
    day_s2 = np.minimum(((t_s2 - start_s) // DAY).astype(np.int64), n_days - 1)
    ad_w2 = np.full(W, -1)
    ad_w2[retarget] = meta.pick(rng, day_s2[retarget], "WEBSITE")
    src2 = np.where(ad_w2 >= 0, SRC_META, np.where(rng.random(W) < 0.5, SRC_EMAIL, SRC_ORGANIC))
    newsletter_at = np.full(P, np.nan)
    nl = rng.random(W) < 0.35
    newsletter_at[web[nl]] = tw[nl] + rng.uniform(1, 10, int(nl.sum())) * MINUTE

    # ---------------------------------------------------------------- sessions and first orders
    S = {k: [] for k in ("person", "t_start", "n_pv", "gap", "cart", "t_cart", "chk", "t_chk", "first_order",
                         "t_order", "src", "ad", "broadcast")}

    def add_sessions(person, t_cart_, cart, chk, t_chk_, first_order, t_order_, src_, ad_, bc_=-1, t_start_=None):
        n = len(person)
        n_pv = rng.integers(1, 6, n)
        gap = rng.uniform(20, 120, n)
        ts = t_cart_ - n_pv * gap - 30 if t_start_ is None else t_start_
        for k, v in (("person", person), ("t_start", ts), ("n_pv", n_pv), ("gap", gap), ("cart", cart),
                     ("t_cart", t_cart_), ("chk", chk), ("t_chk", t_chk_), ("first_order", first_order),
                     ("t_order", t_order_), ("src", src_), ("ad", ad_), ("broadcast", bc_)):
            S[k].append(np.broadcast_to(np.asarray(v), (n,)).copy())

    # web people, first and second session (carts and checkouts forward from the landing)
    for sel, t_land, buy_s, src_s, ad_s in ((np.ones(W, bool), tw, buy_w1, src, ad_w),
                                           (s2, t_s2, buy_w2, src2, ad_w2)):
        idx = np.flatnonzero(sel)
        n = len(idx)
        n_pv = rng.integers(1, 6, n)
        gap = rng.uniform(20, 120, n)
        cart = buy_s[idx] | (rng.random(n) < 0.25)
        chk = buy_s[idx] | (cart & (rng.random(n) < 0.4))
        tc = t_land[idx] + n_pv * gap + 30
        tk = tc + rng.uniform(3, 30, n) * MINUTE
        to = tk + rng.uniform(2, 12, n) * MINUTE
        add_sessions(web[idx], tc, cart, chk, tk, buy_s[idx], np.where(buy_s[idx], to, np.nan), src_s[idx],
                     ad_s[idx], t_start_=t_land[idx])
    # messaging buyers: the quote's payment link; abandoned carts of quiet quoted leads
    bi = np.flatnonzero(buy)
    add_sessions(msg[bi], t_cart[bi], True, True, t_chk[bi], True, t_order1[bi], SRC_CHAT, -1)
    ai_ = np.flatnonzero(ab)
    add_sessions(msg[ai_], t_ab[ai_], True, ab_chk[ai_], t_ab[ai_] + rng.uniform(3, 30, len(ai_)) * MINUTE, False,
                 np.nan, SRC_CHAT, -1)

    sess0 = {k: np.concatenate(v) for k, v in S.items()}
    first_orders = np.flatnonzero(sess0["first_order"])
    buyer_person = sess0["person"][first_orders]
    t_first = sess0["t_order"][first_orders]

    # ---------------------------------------------------------------- repeat orders
    B = len(buyer_person)
    rep = rng.random(B) < 0.28
    n_rep = np.where(rep, choice_idx(rng, [0.4, 0.25, 0.17, 0.1, 0.08], B) + 1, 0)
    n_orders_planned = 1 + n_rep
    rp_parent = np.repeat(np.arange(B), n_rep)
    gaps = np.clip(lognormal_median(rng, 30 * DAY, 0.6, len(rp_parent)), 12 * DAY, 150 * DAY)
    t_rep = t_first[rp_parent] + group_cumsum(gaps, n_rep)
    rp_person = buyer_person[rp_parent]
    is_msgp = people.is_msg[rp_person]
    contact_of = np.full(P, -1)
    contact_of[msg] = np.arange(M)
    rp_contact = contact_of[rp_person]
    elig_b = np.where(rp_contact >= 0, can_broadcast[np.maximum(rp_contact, 0)], False)
    lead = rng.random(len(rp_parent))
    bidx = _broadcast_before(broadcasts, t_rep - HOUR)
    via_b = is_msgp & elig_b & (lead < 0.35) & (bidx >= 0)
    via_c = is_msgp & ~via_b & (lead > 0.8)
    t_bo = broadcasts[np.maximum(bidx, 0)]
    tin_r = np.where(via_b, t_bo + lognormal_median(rng, 2 * HOUR, 1.0, len(rp_parent)), t_rep - rng.uniform(2, 30, len(rp_parent)) * HOUR)
    t_rep = np.where(via_b | via_c, tin_r + HOUR + lognormal_median(rng, 8 * HOUR, 1.0, len(rp_parent)), t_rep)
    conv_r = np.flatnonzero(via_b | via_c)
    ar, air, dr = assign(rng, users, np.full(len(conv_r), SALES), tin_r[conv_r], 0.3)
    convs.add(len(conv_r), person=rp_person[conv_r], contact=rp_contact[conv_r],
              t_open=np.where(via_b[conv_r], t_bo[conv_r], tin_r[conv_r]),
              opened_by=np.where(via_b[conv_r], OB_BROADCAST, OB_CONTACT), broadcast=np.where(via_b[conv_r], bidx[conv_r], -1),
              team=SALES, assignee=ar, is_ai=air, delay=dr, t_in=tin_r[conv_r], n_pre=1,
              rounds=rng.integers(2, 6, len(conv_r)), closing=C.CL_SALE, kind=K_REPEAT)
    rsrc = np.where(via_b, SRC_BROADCAST, np.where(via_c, SRC_CHAT, np.where(rng.random(len(rp_parent)) < 0.5, SRC_EMAIL, SRC_ORGANIC)))
    rchk = t_rep - rng.uniform(2, 12, len(rp_parent)) * MINUTE
    rcart = rchk - rng.uniform(3, 30, len(rp_parent)) * MINUTE
    add_sessions(rp_person, rcart, True, True, rchk, False, t_rep, rsrc, -1, np.where(via_b, bidx, -1))
    # browsing sessions of known customers and leads (page views only)
    br = rng.random(P) < 0.25
    bt = people.t0[br] + rng.uniform(1, 60, int(br.sum())) * DAY
    add_sessions(np.flatnonzero(br), bt, False, False, np.nan, False, np.nan,
                 np.where(rng.random(int(br.sum())) < 0.5, SRC_ORGANIC, SRC_EMAIL), -1, t_start_=bt)
    sessions = {k: np.concatenate(v) for k, v in S.items()}
    keep = sessions["t_start"] < end_s
    sessions = {k: v[keep] for k, v in sessions.items()}

    # orders: one per session with an order time before the end
    has_order = ~np.isnan(sessions["t_order"]) & (sessions["t_order"] < end_s)
    o_sess = np.flatnonzero(has_order)
    o_person = sessions["person"][o_sess]
    o_t = sessions["t_order"][o_sess]
    order_sort = np.lexsort((o_t, o_person))
    o_sess, o_person, o_t = o_sess[order_sort], o_person[order_sort], o_t[order_sort]
    first_flag = np.r_[True, o_person[1:] != o_person[:-1]]
    seq = np.arange(len(o_person)) - np.maximum.accumulate(np.where(first_flag, np.arange(len(o_person)), 0))
    o_draft = (sessions["src"][o_sess] == SRC_CHAT) & (rng.random(len(o_sess)) < 0.3)
    orders = dict(person=o_person, t=o_t, seq=seq, session=o_sess, draft=o_draft)
    n_orders = np.bincount(o_person, minlength=P)
    order_time_k = {k: np.full(P, np.nan) for k in (1, 3)}
    for k in (1, 3):
        sel = seq == k - 1
        order_time_k[k][o_person[sel]] = o_t[sel]

    # ---------------------------------------------------------------- support, NPS and secondary contacts
    mb = np.flatnonzero(buy & ~np.isnan(order_time_k[1][msg]))
    sp = mb[rng.random(len(mb)) < 0.35]
    tin_s = order_time_k[1][msg[sp]] + rng.uniform(2, 8, len(sp)) * DAY
    sup = np.full(len(sp), SUPPORT)
    a_s, ai_s, d_s = assign(rng, users, sup, tin_s, 0.35)
    convs.add(len(sp), person=msg[sp], contact=sp, t_open=tin_s, team=SUPPORT, assignee=a_s, is_ai=ai_s, delay=d_s,
              t_in=tin_s, n_pre=rng.integers(1, 3, len(sp)), rounds=rng.integers(1, 5, len(sp)),
              closing=C.CL_RESOLVED, kind=K_SUPPORT)

    # NPS surveys sent by a workflow a week after the first order (and after the latest one for repeat buyers)
    planned = np.zeros(P, dtype=np.int64)
    planned[buyer_person] = n_orders_planned
    ns1 = mb[rng.random(len(mb)) < 0.4]
    last_t = np.full(P, np.nan)
    last_t[o_person] = o_t  # sorted by person, time: the last assignment is the latest order
    ns2 = mb[(n_orders[msg[mb]] >= 2) & (rng.random(len(mb)) < 0.3)]
    nps_contact = np.concatenate([ns1, ns2])
    nps_base = np.concatenate([order_time_k[1][msg[ns1]], last_t[msg[ns2]]])
    nps_open = nps_base + 7 * DAY + rng.uniform(0, 3, len(nps_contact)) * HOUR
    nps_in = nps_open + lognormal_median(rng, 40 * MINUTE, 1.0, len(nps_contact))
    n_conv_before = sum(len(x) for x in convs.cols["person"])
    convs.add(len(nps_contact), person=msg[nps_contact], contact=nps_contact, t_open=nps_open,
              opened_by=OB_WORKFLOW, t_in=nps_in, n_pre=1, rounds=0, closing=C.CL_RESOLVED, kind=K_NPS)
    loyal = planned[msg[nps_contact]] >= 2
    p_single = [0.03, 0.02, 0.03, 0.04, 0.05, 0.07, 0.08, 0.16, 0.17, 0.17, 0.18]
    p_loyal = [0.01, 0.0, 0.01, 0.01, 0.02, 0.03, 0.04, 0.08, 0.15, 0.25, 0.40]
    score = np.where(loyal, choice_idx(rng, p_loyal, len(loyal)), choice_idx(rng, p_single, len(loyal)))
    nps = dict(conv=n_conv_before + np.arange(len(nps_contact)), score=score, t=nps_in)

    # secondary respond.io contacts of the same person on another channel (no phone; most give an email)
    sec = np.flatnonzero(active & (rng.random(M) < 0.22))
    t_sec = js[sec] + rng.uniform(1, 30, len(sec)) * DAY
    keep = t_sec < end_s
    sec, t_sec = sec[keep], t_sec[keep]
    pc = ch[sec]
    pick = choice_idx(rng, [0.65, 0.2, 0.15], len(sec))
    sec_ch = np.array([C.IG, C.MS, C.EM])[pick]
    sec_ch = np.where(sec_ch == pc, np.where(pc == C.IG, C.MS, C.IG), sec_ch)
    n_sec = len(sec)
    sec_rows = M + np.arange(n_sec)
    team_s = np.where(rng.random(n_sec) < 0.5, SALES, SUPPORT)
    a_x, ai_x, d_x = assign(rng, users, team_s, t_sec, 0.3)
    convs.add(n_sec, person=msg[sec], contact=sec_rows, t_open=t_sec, team=team_s, assignee=a_x, is_ai=ai_x,
              delay=d_x, t_in=t_sec, n_pre=rng.integers(1, 3, n_sec), rounds=rng.integers(1, 5, n_sec),
              closing=C.CL_RESOLVED, kind=K_SECONDARY)

    # ---------------------------------------------------------------- identifiers on respond.io contacts
    p_email = np.array([0.3, 0.45, 0.45, 0.35, 1.0, 0.6])[ch]
    gives = (ch == C.EM) | ((active | unq) & (rng.random(M) < p_email))
    email_at = np.where(ch == C.EM, t0, np.where(gives, reply1 + rng.uniform(2, 40, M) * MINUTE, np.nan))
    email_var = np.where(gives, choice_idx(rng, [0.55, 0.1, 0.15, 0.05, 0.05, 0.1], M), -1)
    phone_fmt = np.full(M, -1)
    wa = ch == C.WA
    phone_fmt[wa] = np.array([0, 4, 2, 1])[choice_idx(rng, [0.6, 0.15, 0.15, 0.1], int(wa.sum()))]
    wc = (ch == C.WC) & people.has_phone[msg] & (rng.random(M) < 0.25)
    phone_fmt[wc] = np.array([1, 2])[rng.integers(0, 2, int(wc.sum()))]
    sec_email = (sec_ch == C.EM) | (rng.random(n_sec) < 0.7)
    sec_email_var = np.where(sec_email, choice_idx(rng, [0.4, 0.1, 0.2, 0.1, 0.1, 0.1], n_sec), -1)
    sec_email_at = np.where(sec_ch == C.EM, t_sec, np.where(sec_email, t_sec + rng.uniform(5, 120, n_sec) * MINUTE, np.nan))
    sec_optin = rng.random(n_sec) < 0.85
    sec_optin_at = np.where(sec_optin, t_sec + rng.uniform(5, 120, n_sec), np.nan)

    # ---------------------------------------------------------------- lifecycle stage events (respond.io)
    S_ = {s: i for i, s in enumerate(C.STAGES)}
    rows = np.arange(M)
    life.add(rng.random(M) < 0.8, contact=rows, stage=S_[C.STAGE_NEW], by=BY_WORKFLOW, user=-1, t=t0 + 1)
    life.add(unq & (rng.random(M) < 0.7), contact=rows, stage=S_[C.STAGE_UNQUALIFIED], by=by1, user=a1, t=t_unq)
    life.add(qual & (rng.random(M) < np.where(q_ai, 0.95, 0.7)), contact=rows, stage=S_[C.STAGE_HOT],
             by=np.where(q_ai, BY_AI, BY_USER), user=qualifier, t=t_qual + 30)
    cbm = np.zeros(M, dtype=bool)
    cbm[cb] = rng.random(len(cb)) < 0.8
    t_cb_in = np.full(M, np.nan)
    t_cb_in[cb] = tin_cb
    life.add(cbm, contact=rows, stage=S_[C.STAGE_NEW], by=BY_WORKFLOW, user=-1, t=t_cb_in + 1)
    life.add(pay, contact=rows, stage=S_[C.STAGE_PAYMENT], by=np.where(quoter_ai, BY_AI, BY_USER), user=quoter, t=t_pay)
    t1m = order_time_k[1][msg]
    life.add(~np.isnan(t1m) & (rng.random(M) < 0.8), contact=rows, stage=S_[C.STAGE_CUSTOMER], by=BY_WORKFLOW,
             user=-1, t=t1m + 2)
    life.add(lost & (rng.random(M) < 0.8), contact=rows, stage=S_[C.STAGE_LOST], by=BY_USER, user=lost_user, t=t_lost)

    # ---------------------------------------------------------------- tag events (respond.io)
    T = C.TAG
    tags.add(qual & (rng.random(M) < 0.9), contact=rows, tag=T["qualified"], action=0,
             by=np.where(q_ai, BY_AI, BY_USER), user=qualifier, t=t_qual + 10)
    tags.add(unq & (rng.random(M) < 0.85), contact=rows, tag=T["unqualified"], action=0, by=by1, user=a1, t=t_unq + 5)
    tags.add(unq & (rng.random(M) < 0.2), contact=rows, tag=T["spam"], action=0, by=by1, user=a1, t=t_unq + 40)
    tags.add(quoted & (rng.random(M) < 0.95), contact=rows, tag=T["quote-sent"], action=0,
             by=np.where(quoter_ai, BY_AI, BY_USER), user=quoter, t=t_quote + 20)
    tags.add(lost & (rng.random(M) < 0.9), contact=rows, tag=T["lost-to-competitor"], action=0, by=BY_USER,
             user=lost_user, t=t_lost + 20)
    t3m = order_time_k[3][msg]
    tags.add(~np.isnan(t3m), contact=rows, tag=T["vip"], action=0, by=BY_WORKFLOW, user=-1, t=t3m + 60)
    tags.add(cbm, contact=rows, tag=T["returning"], action=0, by=BY_WORKFLOW, user=-1, t=t_cb_in + 2)
    fu = rng.random(M) < 0.15
    fu_user = rng.choice(users.members[SALES], size=M)
    t_fu = t0 + rng.uniform(1, 5, M) * DAY
    tags.add(fu, contact=rows, tag=T["follow-up"], action=0, by=BY_USER, user=fu_user, t=t_fu)
    tags.add(fu & (rng.random(M) < 0.6), contact=rows, tag=T["follow-up"], action=1, by=BY_USER, user=fu_user,
             t=t_fu + rng.uniform(1, 10, M) * DAY)
    tags.add(rng.random(M) < 0.1, contact=rows, tag=T["newsletter"], action=0, by=BY_WORKFLOW, user=-1,
             t=t0 + rng.uniform(0, 20, M) * DAY)
    tags.add(rng.random(M) < 0.03, contact=rows, tag=T["wholesale"], action=0, by=BY_USER, user=fu_user,
             t=t0 + rng.uniform(0, 10, M) * DAY)
    tags.add(rng.random(M) < 0.05, contact=rows, tag=T["priority"], action=0, by=BY_USER, user=fu_user,
             t=t0 + rng.uniform(0, 3, M) * DAY)
    tags.add(people.language[msg] == 1, contact=rows, tag=T["spanish-speaker"], action=0, by=BY_WORKFLOW, user=-1,
             t=t0 + 5)
    sec_fu = rng.random(n_sec) < 0.1
    tags.add(sec_fu, contact=sec_rows, tag=T["follow-up"], action=0, by=BY_USER,
             user=rng.choice(users.members[SUPPORT], size=n_sec), t=t_sec + HOUR)

    # ---------------------------------------------------------------- CRM view (HubSpot) and deal outcomes
    in_hub = np.zeros(P, dtype=bool)
    hub_created = np.full(P, np.nan)
    sel = qual | (unq & (rng.random(M) < 0.3)) | (active & ~qual & (rng.random(M) < 0.25)) | (cold & (rng.random(M) < 0.1))
    in_hub[msg[sel]] = True
    anchor = np.where(qual, t_qual, np.where(unq, t_unq, reply1))
    hub_created[msg[sel]] = anchor[sel] + rng.uniform(1, 60, int(sel.sum())) * MINUTE
    wsel = nl | (np.isin(web, buyer_person) & (rng.random(W) < 0.6))
    in_hub[web[wsel]] = True
    hub_created[web[wsel]] = np.where(nl[wsel], newsletter_at[web[wsel]] + 30, tw[wsel] + HOUR)
    first_order_t = np.full(P, np.nan)
    first_order_t[o_person[seq == 0]] = o_t[seq == 0]
    late = in_hub & ~np.isnan(first_order_t) & (hub_created > first_order_t)
    hub_created[late] = first_order_t[late] - rng.uniform(1, 60, int(late.sum())) * MINUTE

    def to_person(x: np.ndarray) -> np.ndarray:
        out = np.full(P, np.nan)
        out[msg] = x
        return out

    lost_reason = np.full(P, -1)
    t_deal_lost = np.full(P, np.nan)
    lost_reason[msg[lost]] = 0
    t_deal_lost[msg[lost]] = t_lost[lost] + rng.uniform(1, 48, int(lost.sum())) * HOUR
    cq = np.flatnonzero(cold_q)
    lost_reason[msg[cq]] = 1 + choice_idx(rng, [0.35, 0.3, 0.35], len(cq))
    t_deal_lost[msg[cq]] = t_quote[cq] + rng.uniform(21, 35, len(cq)) * DAY
    quote_amount = np.full(P, np.nan)
    quote_amount[msg[quoted]] = np.round(np.exp(rng.normal(np.log(1100), 0.45, int(quoted.sum()))), -1)
    # promoters among repeat buyers become HubSpot evangelists
    promoter_at = np.full(P, np.nan)
    prom = (score >= 9) & (planned[msg[nps_contact]] >= 2)
    promoter_at[msg[nps_contact[prom]]] = nps_in[prom] + HOUR

    contact_person = np.concatenate([msg, msg[sec]])
    return Journey(
        users=users, msg_person=msg, contact_person=contact_person,
        contact_channel=np.concatenate([ch, sec_ch]), contact_created=np.concatenate([t0, t_sec]),
        contact_is_secondary=np.r_[np.zeros(M, bool), np.ones(n_sec, bool)],
        contact_phone_fmt=np.concatenate([phone_fmt, np.full(n_sec, -1)]),
        contact_email_var=np.concatenate([email_var, sec_email_var]),
        contact_email_at=np.concatenate([email_at, sec_email_at]),
        contact_optin_at=np.concatenate([optin_at, sec_optin_at]),
        contact_optout_at=np.concatenate([optout_at, np.full(n_sec, np.nan)]),
        convs=convs.arrays(), lifecycle=life.arrays(), tags=tags.arrays(), broadcasts=broadcasts,
        t_qual=to_person(t_qual), t_unq=to_person(t_unq), t_quote=to_person(t_quote), t_lost=to_person(t_lost),
        t_pay=to_person(t_pay), quote_amount=quote_amount, lost_reason=lost_reason, t_deal_lost=t_deal_lost,
        newsletter_at=newsletter_at, in_hubspot=in_hub, hubspot_created=hub_created, promoter_at=promoter_at,
        orders=orders, sessions=sessions, nps=nps,
    )
