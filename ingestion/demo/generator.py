"""Demo data: a deterministic, realistic business written into the same raw tables real connectors fill.

What it simulates
-----------------
*Northwind Living*, a made-to-order furniture brand (prices in USD, customers in the US and the UK), over
``months`` months ending the day before ``end_date``. ``n_contacts`` people (default 5,000) reach it:

- ~82% through a messaging channel (WhatsApp, Instagram, Messenger, TikTok, email, web chat; respond.io),
  half of the WhatsApp / Messenger / Instagram ones from a click-to-message Meta ad; the rest are web-only
  shoppers landing from Meta website ads, TikTok ads, Google or organic traffic (Shopify web pixel events
  with ``utm_*``, ``fbclid``, ``ttclid``, ``gclid``).
- Conversations are answered by human agents (Sales and Support teams) or AI agents. AI agents reply in
  seconds and handle a growing share of first conversations (12% -> 57% over the period); humans reply in
  minutes on shift (Mon-Fri 08-20 UTC, Sat 10-16) and wait for the next shift at night and at weekends
  (lognormal backlog, 4% lost in the queue for a day or more).
- Funnel: inbound message -> qualification (tag ``qualified``, stage ``Hot Lead`` set by the AI agent or a
  human) -> quote (tag ``quote-sent``, HubSpot deal) -> add to cart / checkout from the quote's link -> order
  (``financial_status`` paid) -> repeat orders (28% of buyers, 2-6 orders, some prompted by broadcasts) ->
  NPS. Some leads are ``Unqualified``, some ``Lost to Competitor`` (tag, stage and HubSpot ``closedlost`` with
  reason "Chose a competitor"), some quoted leads go quiet (deal lost for Price / No budget / No response),
  some cold leads come back 30-90 days later (often replying to a broadcast).
- One person, several records: a WhatsApp contact (phone, often no email), a second respond.io contact on
  Instagram / Messenger / email (no phone, usually an email), a HubSpot contact (email and phone in another
  format), a Shopify customer and orders (email in other case / with spaces). Linking them needs
  normalisation (E.164 phones from "+44 7700 900123", "07700 900123" + country GB, "0044 ...",
  "+1 (415) 555-0100"...; trimmed lower-case emails) and is transitive (WhatsApp ~ HubSpot by phone,
  HubSpot ~ Instagram and Shopify by email). Phones and emails are fiction-reserved (see ``people.py``).

Planted effects (real in the data, not labels; reports must recover them)
------------------------------------------------------------------------
- **Slow first replies lose leads.** The share of leads that never send another inbound message after
  their first conversation and never buy rises with that conversation's first-reply delay: about 13%
  under 5 minutes, 25% at 5-60 minutes, 40% at 1-24 hours, 60% beyond a day
  (:func:`ingestion.demo.journey.stop_rate`). A cold lead simply stops writing; the lifecycle engine derives
  ``Cold Lead`` from the silence.
- AI agents answer faster, so AI-handled first conversations convert better; human speed varies by agent.
- CSAT falls with the first-reply delay; repeat buyers are far more often NPS promoters (and HubSpot
  ``evangelist``).
- Meta ``messaging_conversations_started`` of an ad and day equals the number of generated conversations
  whose first inbound message carries that ad's referral that day; Meta link clicks and TikTok clicks are
  never below the landing sessions tagged with the ad, TikTok conversions equal its purchases.
- ~6.5% of opted-in contacts opt out later; nobody opted out is reached by a broadcast.

Use :func:`generate` for DataFrames keyed by raw table name, :func:`write_demo` to load them into the warehouse.
The same config gives identical frames; sizes scale linearly (see ``bench/bench_demo.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from ingestion import raw_tables
from ingestion.demo import ads, commerce, journey, people, respondio
from ingestion.demo._util import STR_DTYPE, rng_for

DAY = 86400


@dataclass(frozen=True)
class DemoConfig:
    n_contacts: int = 5000          # people in the simulated business (respond.io contacts are ~0.95x this)
    seed: int = 42
    months: int = 6
    end_date: dt.date | None = None  # None -> today's UTC date; data ends the day before


def window(config: DemoConfig) -> tuple[int, int]:
    """(start, end) as epoch seconds: midnight ``months`` before ``end_date`` to midnight of ``end_date``."""
    end = config.end_date or dt.datetime.now(dt.UTC).date()
    start = (pd.Timestamp(end) - pd.DateOffset(months=config.months)).date()
    epoch = dt.date(1970, 1, 1)
    return (start - epoch).days * DAY, (end - epoch).days * DAY


def generate(config: DemoConfig = DemoConfig()) -> dict[str, pd.DataFrame]:
    """All raw tables of ``raw_tables.DEMO_SCHEMAS``, keyed by qualified name, in the registry's column order."""
    if config.n_contacts < 50:
        raise ValueError(f"DemoConfig.n_contacts must be at least 50, got {config.n_contacts}")
    if config.months < 1:
        raise ValueError(f"DemoConfig.months must be at least 1, got {config.months}")
    seed = config.seed
    start_s, end_s = window(config)
    n_days = (end_s - start_s) // DAY
    folks = people.simulate(rng_for(seed, "people"), config.n_contacts, start_s, n_days)
    meta = ads.build_catalog(rng_for(seed, "meta"), "meta", start_s, n_days)
    tiktok = ads.build_catalog(rng_for(seed, "tiktok"), "tiktok", start_s, n_days)
    jr = journey.simulate(rng_for(seed, "journey"), folks, meta, tiktok, start_s, end_s)
    frames, info = respondio.render(rng_for(seed, "respondio"), folks, jr, meta, start_s, end_s)

    opted_out = np.zeros(folks.n, dtype=bool)
    oo = ~np.isnan(jr.contact_optout_at) & (jr.contact_optout_at < end_s)
    opted_out[jr.contact_person[oo]] = True
    shop, counts = commerce.render(rng_for(seed, "commerce"), folks, jr, meta, tiktok, start_s, end_s, opted_out)
    frames.update(shop)

    cv = info["conv"]
    referred = (cv["kind"] == journey.K_FIRST) & (cv["ref_ad"] >= 0)
    conv_counts = (cv["ref_ad"][referred], ((cv["t_in"][referred] - start_s) // DAY).astype(np.int64))
    rng = rng_for(seed, "insights")
    md = ads.daily(meta, rng, start_s, n_days, conv_counts, counts["meta_sessions"], counts["meta_purchases"])
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    td = ads.daily(tiktok, rng, start_s, n_days, none, counts["tt_sessions"], counts["tt_purchases"])
    frames.update(ads.meta_tables(meta, n_days, start_s))
    frames["raw_meta_ads.insights_daily"] = ads.meta_insights(meta, md)
    frames.update(ads.tiktok_tables(tiktok, n_days, start_s))
    frames["raw_tiktok_ads.report_daily"] = ads.tiktok_report(tiktok, td)
    return {name: _conform(name, frames[name]) for name in demo_tables()}


def demo_tables() -> list[str]:
    return [t.qualified_name for t in raw_tables.RAW_TABLES if t.schema in raw_tables.DEMO_SCHEMAS]


def _conform(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Registry column order and pandas dtypes matching the registry types."""
    t = raw_tables.table(name)
    missing = [c for c in t.column_names if c not in df.columns]
    extra = [c for c in df.columns if c not in t.column_names]
    if missing or extra:  # a generator bug, never user input
        raise RuntimeError(f"demo table {name}: missing columns {missing}, unexpected columns {extra}")
    df = df[t.column_names].reset_index(drop=True)
    for c in t.columns:
        s = df[c.name]
        if c.type == "varchar" and s.dtype != STR_DTYPE:
            df[c.name] = s.astype(STR_DTYPE)
        elif c.type == "bigint" and s.dtype not in ("int64", "Int64"):
            df[c.name] = s.astype("int64")
        elif c.type == "integer" and s.dtype != "int32":
            df[c.name] = s.astype("int32")
        elif c.type == raw_tables.TS and s.dtype != "datetime64[ns]":
            df[c.name] = s.astype("datetime64[ns]")
        elif c.type == raw_tables.MONEY:
            df[c.name] = s.astype("float64").round(2)
        elif c.type == "boolean":
            df[c.name] = s.astype(bool)
    return df


def write_demo(con: duckdb.DuckDBPyConnection, config: DemoConfig = DemoConfig()) -> dict[str, int]:
    """Generate the demo and replace the content of every demo raw table; returns row counts per table."""
    from warehouse_io import replace_rows

    frames = generate(config)
    raw_tables.ensure_raw_tables(con)
    return {name: replace_rows(con, raw_tables.table(name), df) for name, df in frames.items()}


# Daily report tables and their day column: a partitioned load writes only the days of its window.
DAILY_TABLES = {"raw_meta_ads.insights_daily": "date_start", "raw_tiktok_ads.report_daily": "stat_time_day"}
_pending: dict[DemoConfig, dict[str, pd.DataFrame]] = {}


def take_schema(config: DemoConfig, schema: str) -> dict[str, pd.DataFrame]:
    """The frames of one raw schema; the business is generated once and handed out schema by schema.

    Dagster loads each source as its own asset; generating the whole business once per set of loads
    keeps the demo consistent across sources (one person is the same in respond.io, HubSpot and the
    shop) and holds the frames only until every schema has taken its tables.
    """
    if schema not in raw_tables.DEMO_SCHEMAS:
        raise ValueError(f"the demo generator does not fill {schema}; it fills {', '.join(raw_tables.DEMO_SCHEMAS)}")
    frames = _pending.get(config)
    if frames is None or not any(name.startswith(schema + ".") for name in frames):
        _pending.clear()
        frames = _pending[config] = generate(config)
    taken = {name: frames.pop(name) for name in list(frames) if name.startswith(schema + ".")}
    if not frames:
        _pending.pop(config, None)
    return taken


def write_demo_schema(con: duckdb.DuckDBPyConnection, config: DemoConfig, schema: str,
                      days: tuple[dt.date, dt.date] | None = None) -> dict[str, int]:
    """Write one raw schema of the demo; with ``days`` (inclusive) the daily report tables get only those days."""
    from warehouse_io import replace_rows

    counts = {}
    for name, df in take_schema(config, schema).items():
        table = raw_tables.table(name)
        column = DAILY_TABLES.get(name)
        if days is not None and column is not None:
            first, last = days
            day = pd.to_datetime(df[column]).dt.date
            counts[name] = replace_rows(con, table, df[(day >= first) & (day <= last)],
                                        where=f"{column} between ? and ?", params=[first, last])
        else:
            counts[name] = replace_rows(con, table, df)
    return counts
