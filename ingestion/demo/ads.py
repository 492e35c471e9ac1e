"""Meta and TikTok ad catalogs, ad choice for referred people, and daily insights consistent with the data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.demo import catalog as C
from ingestion.demo._util import money, str_col, to_date, to_ts

DAY = 86400


@dataclass
class AdCatalog:
    platform: str                 # "meta" or "tiktok"
    campaigns: pd.DataFrame       # one row per campaign (internal columns included)
    adsets: pd.DataFrame
    ads: pd.DataFrame             # ad_id, adset_id, campaign_id, destination, first_day, last_day, weight, ...
    active: np.ndarray            # bool [n_ads, n_days]

    def pick(self, rng: np.random.Generator, day: np.ndarray, destination: str) -> np.ndarray:
        """Index of an ad of ``destination`` active on each ``day`` (weighted by ad strength); -1 when none is."""
        cand = np.flatnonzero(self.ads["destination"].to_numpy() == destination)
        out = np.full(len(day), -1, dtype=np.int64)
        if len(cand) == 0 or len(day) == 0:
            return out
        w = self.active[cand][:, day].T * self.ads["weight"].to_numpy()[cand]  # [n, cand]
        tot = w.sum(axis=1)
        ok = tot > 0
        cum = np.cumsum(w[ok], axis=1) / tot[ok, None]
        u = rng.random(ok.sum())
        k = np.minimum((cum < u[:, None]).sum(axis=1), len(cand) - 1)
        out[ok] = cand[k]
        return out


def _ids(base: int, n: int, rng: np.random.Generator) -> np.ndarray:
    steps = rng.integers(1_000, 90_000, size=n)
    return (base + np.cumsum(steps)).astype(np.int64)


def build_catalog(rng: np.random.Generator, platform: str, start_s: int, n_days: int) -> AdCatalog:
    specs = C.META_CAMPAIGNS if platform == "meta" else C.TIKTOK_CAMPAIGNS
    camp_rows, adset_rows, ad_rows = [], [], []
    base = 120210000000000000 if platform == "meta" else 1780000000000000000
    camp_ids = _ids(base, len(specs), rng)
    adset_ids = iter(_ids(base + 4_000_000_000, 64, rng))
    ad_ids = iter(_ids(base + 8_000_000_000, 256, rng))
    for ci, spec in enumerate(specs):
        if platform == "meta":
            name, objective, destination, goal, f0, f1, n_sets, n_ads, budget = spec
        else:
            name, objective, goal, f0, f1, n_sets, n_ads, budget = spec
            destination = "WEBSITE"
        d0, d1 = int(f0 * n_days), max(int(f0 * n_days) + 7, int(round(f1 * n_days)) - 1)
        d1 = min(d1, n_days - 1)
        created = start_s + d0 * DAY - int(rng.integers(1, 6)) * DAY + int(rng.integers(30_000, 60_000))
        camp_rows.append(dict(campaign_id=str(camp_ids[ci]), name=name, objective=objective, destination=destination,
                              first_day=d0, last_day=d1, created=created, budget=budget))
        for si in range(n_sets):
            sid = str(next(adset_ids))
            audience = ["Broad 25-54", "Lookalike 1%", "Interest: Home & Garden", "Retargeting 30d"][si % 4]
            adset_rows.append(dict(adset_id=sid, campaign_id=str(camp_ids[ci]), name=f"{name} | {audience}",
                                   destination=destination, goal=goal, first_day=d0, last_day=d1,
                                   created=created + 600))
            for ai in range(n_ads):
                a0 = d0 + (int(rng.integers(0, max(1, (d1 - d0) // 4))) if ai > 0 else 0)
                a1 = d1 if rng.random() < 0.7 or ai == 0 else int(rng.integers(a0 + 7, d1 + 2)) - 1
                a1 = min(max(a1, a0 + 6), d1)
                creative = ["Video 15s", "Carousel", "UGC review", "Static offer", "Before/after"][(ai + si) % 5]
                ad_rows.append(dict(ad_id=str(next(ad_ids)), adset_id=sid, campaign_id=str(camp_ids[ci]),
                                    name=f"{creative} v{ai + 1}", destination=destination, first_day=a0,
                                    last_day=a1, created=start_s + a0 * DAY - int(rng.integers(3_600, 80_000)),
                                    weight=budget * float(np.exp(0.5 * rng.standard_normal())),
                                    cost_per_result=float(np.exp(rng.normal(np.log(6.0), 0.35))),
                                    ctr=float(rng.uniform(0.008, 0.022)), cpm=float(rng.uniform(6.0, 14.0))))
    campaigns, adsets, ads = pd.DataFrame(camp_rows), pd.DataFrame(adset_rows), pd.DataFrame(ad_rows)
    days = np.arange(n_days)
    active = (days[None, :] >= ads["first_day"].to_numpy()[:, None]) & (days[None, :] <= ads["last_day"].to_numpy()[:, None])
    return AdCatalog(platform, campaigns, adsets, ads, active)


def _status(last_day: np.ndarray, n_days: int, platform: str) -> np.ndarray:
    on = last_day >= n_days - 1
    if platform == "meta":
        return np.where(on, "ACTIVE", np.where(last_day < n_days * 0.3, "ARCHIVED", "PAUSED")).astype(object)
    return np.where(on, "ENABLE", "DISABLE").astype(object)


def meta_tables(cat: AdCatalog, n_days: int, start_s: int) -> dict[str, pd.DataFrame]:
    acct = C.META_ACCOUNT
    c, s, a = cat.campaigns, cat.adsets, cat.ads

    def upd(last_day: pd.Series, created: pd.Series) -> pd.Series:
        return to_ts(np.maximum(created.to_numpy() + 3600, start_s + np.minimum(last_day.to_numpy() + 1, n_days - 1) * DAY + 7200.0))

    return {
        "raw_meta_ads.campaigns": pd.DataFrame({
            "campaign_id": str_col(c["campaign_id"]), "account_id": acct, "campaign_name": str_col(c["name"]),
            "objective": str_col(c["objective"]), "status": str_col(_status(c["last_day"].to_numpy(), n_days, "meta")),
            "created_at": to_ts(c["created"]), "updated_at": upd(c["last_day"], c["created"])}),
        "raw_meta_ads.adsets": pd.DataFrame({
            "adset_id": str_col(s["adset_id"]), "campaign_id": str_col(s["campaign_id"]), "account_id": acct,
            "adset_name": str_col(s["name"]), "destination_type": str_col(s["destination"]),
            "optimization_goal": str_col(s["goal"]),
            "status": str_col(_status(s["last_day"].to_numpy(), n_days, "meta")),
            "created_at": to_ts(s["created"]), "updated_at": upd(s["last_day"], s["created"])}),
        "raw_meta_ads.ads": pd.DataFrame({
            "ad_id": str_col(a["ad_id"]), "adset_id": str_col(a["adset_id"]), "campaign_id": str_col(a["campaign_id"]),
            "account_id": acct, "ad_name": str_col(a["name"]),
            "status": str_col(_status(a["last_day"].to_numpy(), n_days, "meta")),
            "created_at": to_ts(a["created"]), "updated_at": upd(a["last_day"], a["created"])}),
    }


def tiktok_tables(cat: AdCatalog, n_days: int, start_s: int) -> dict[str, pd.DataFrame]:
    adv = C.TIKTOK_ADVERTISER
    c, s, a = cat.campaigns, cat.adsets, cat.ads

    def upd(last_day: pd.Series, created: pd.Series) -> pd.Series:
        return to_ts(np.maximum(created.to_numpy() + 3600, start_s + np.minimum(last_day.to_numpy() + 1, n_days - 1) * DAY + 5400.0))

    return {
        "raw_tiktok_ads.campaigns": pd.DataFrame({
            "campaign_id": str_col(c["campaign_id"]), "advertiser_id": adv, "campaign_name": str_col(c["name"]),
            "objective_type": str_col(c["objective"]),
            "operation_status": str_col(_status(c["last_day"].to_numpy(), n_days, "tiktok")),
            "created_at": to_ts(c["created"]), "updated_at": upd(c["last_day"], c["created"])}),
        "raw_tiktok_ads.adgroups": pd.DataFrame({
            "adgroup_id": str_col(s["adset_id"]), "campaign_id": str_col(s["campaign_id"]), "advertiser_id": adv,
            "adgroup_name": str_col(s["name"]), "optimization_goal": str_col(s["goal"]),
            "operation_status": str_col(_status(s["last_day"].to_numpy(), n_days, "tiktok")),
            "created_at": to_ts(s["created"]), "updated_at": upd(s["last_day"], s["created"])}),
        "raw_tiktok_ads.ads": pd.DataFrame({
            "ad_id": str_col(a["ad_id"]), "adgroup_id": str_col(a["adset_id"]), "campaign_id": str_col(a["campaign_id"]),
            "advertiser_id": adv, "ad_name": str_col(a["name"]),
            "operation_status": str_col(_status(a["last_day"].to_numpy(), n_days, "tiktok")),
            "created_at": to_ts(a["created"]), "updated_at": upd(a["last_day"], a["created"])}),
    }


def _count(ad_idx: np.ndarray, day: np.ndarray, n_ads: int, n_days: int) -> np.ndarray:
    ok = ad_idx >= 0
    return np.bincount(ad_idx[ok] * n_days + day[ok], minlength=n_ads * n_days).reshape(n_ads, n_days)


def daily(cat: AdCatalog, rng: np.random.Generator, start_s: int, n_days: int,
          conversations: tuple[np.ndarray, np.ndarray], sessions: tuple[np.ndarray, np.ndarray],
          purchases: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """Daily per-ad figures for every active (ad, day). Messaging conversations started, link clicks and
    conversions are the exact counts of generated referred conversations, landing sessions and purchases."""
    a = cat.ads
    n_ads = len(a)
    conv = _count(*conversations, n_ads, n_days)
    sess = _count(*sessions, n_ads, n_days)
    buys = _count(*purchases, n_ads, n_days)
    ai, di = np.nonzero(cat.active)
    n = len(ai)
    c, s, b = conv[ai, di], sess[ai, di], buys[ai, di]
    noise = np.exp(0.25 * rng.standard_normal(n))
    cpr = a["cost_per_result"].to_numpy()[ai]
    results = np.where(a["destination"].to_numpy()[ai] == "WEBSITE", s * 0.35 + b * 2.0, c)
    spend = (results * cpr * noise + rng.uniform(2.0, 9.0, n) * a["weight"].to_numpy()[ai])
    impressions = np.maximum(np.round(spend / a["cpm"].to_numpy()[ai] * 1000), 1).astype(np.int64)
    link = np.maximum(np.round(impressions * a["ctr"].to_numpy()[ai] * 0.7).astype(np.int64),
                      np.maximum(s, np.ceil(c * rng.uniform(1.15, 1.6, n)).astype(np.int64)))
    clicks = (link + np.round(link * rng.uniform(0.2, 0.8, n))).astype(np.int64)
    impressions = np.maximum(impressions, clicks * 20)
    reach = np.maximum(np.round(impressions / rng.uniform(1.1, 1.7, n)), 1).astype(np.int64)
    return pd.DataFrame({
        "day_s": start_s + di * DAY, "ad": ai, "spend": np.round(spend, 2), "impressions": impressions,
        "reach": reach, "clicks": clicks, "link_clicks": link, "conversations": c.astype(np.int64),
        "conversions": b.astype(np.int64)})


def meta_insights(cat: AdCatalog, d: pd.DataFrame) -> pd.DataFrame:
    a = cat.ads
    ai = d["ad"].to_numpy()
    return pd.DataFrame({
        "date_start": to_date(d["day_s"].to_numpy()), "ad_id": str_col(a["ad_id"].to_numpy()[ai]),
        "adset_id": str_col(a["adset_id"].to_numpy()[ai]), "campaign_id": str_col(a["campaign_id"].to_numpy()[ai]),
        "account_id": C.META_ACCOUNT, "account_currency": C.CURRENCY, "spend": money(d["spend"]),
        "impressions": d["impressions"], "reach": d["reach"], "clicks": d["clicks"],
        "inline_link_clicks": d["link_clicks"], "messaging_conversations_started": d["conversations"],
        "leads": np.zeros(len(d), dtype=np.int64)})


def tiktok_report(cat: AdCatalog, d: pd.DataFrame) -> pd.DataFrame:
    a = cat.ads
    ai = d["ad"].to_numpy()
    return pd.DataFrame({
        "stat_time_day": to_date(d["day_s"].to_numpy()), "ad_id": str_col(a["ad_id"].to_numpy()[ai]),
        "adgroup_id": str_col(a["adset_id"].to_numpy()[ai]), "campaign_id": str_col(a["campaign_id"].to_numpy()[ai]),
        "advertiser_id": C.TIKTOK_ADVERTISER, "currency": C.CURRENCY, "spend": money(d["spend"]),
        "impressions": d["impressions"], "clicks": d["clicks"], "conversion": d["conversions"]})
