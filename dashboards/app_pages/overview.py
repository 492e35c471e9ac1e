"""Overview: headline KPIs over a date range, each compared with the previous period of the same length."""

import streamlit as st

from dashboards import queries, ui
from dashboards.filters import filter_bar

queries.require(*queries.OVERVIEW_MARTS)

first_day, last_day = queries.kpi_bounds()
if first_day is None:
    st.info("No contact has entered the funnel yet: the KPIs appear after the first lead.")
    st.stop()

start, end, filters = filter_bar("overview", first_day, last_day)
before_start, before_end = queries.previous_period(start, end)
now = queries.kpis(start, end, filters)
before = queries.kpis(before_start, before_end, filters)
roles = queries.stage_roles()
hot = ", ".join(roles["hot_lead"]) or "the hot-lead stage"
won = ", ".join(roles["won"]) or "the won stage"
cold = ", ".join(roles["cold"]) or "a cold lost stage"
currency = now.get("reporting_currency") or before.get("reporting_currency") or ""
days = (end - start).days + 1

st.caption(
    f"{start:%d %b %Y} – {end:%d %b %Y} ({days} days), compared with the {days} days before "
    f"({before_start:%d %b %Y} – {before_end:%d %b %Y}). Leads count on their funnel-entry day, so the hot "
    "leads, customers and cold leads of a recent period can still grow; money counts on its own day."
)
if not now["new_leads"] and not now["revenue"] and not now["ad_spend"]:
    st.info("Nothing happened in this date range with these filters: widen the range or clear a filter.")

CARDS = [
    ("New leads", "new_leads", ui.fmt_int, "count", "normal", "Contacts that entered the funnel in the period."),
    ("Hot leads", "hot_leads", ui.fmt_int, "count", "normal", f"New leads of the period that reached {hot} or later."),
    ("Customers", "customers", ui.fmt_int, "count", "normal", f"New leads of the period that reached {won}."),
    (
        "Lead-to-customer rate",
        "lead_to_customer_rate",
        ui.fmt_pct,
        "rate",
        "normal",
        "Customers / new leads of the period.",
    ),
    (
        "Revenue",
        "revenue",
        lambda v: ui.fmt_money(v, currency),
        "money",
        "normal",
        f"Purchase revenue of the period in {currency} (with a campaign or platform filter: the revenue "
        "credited to it by last touch). Not split by messaging channel.",
    ),
    (
        "CAC",
        "cac",
        lambda v: ui.fmt_money(v, currency),
        "money",
        "inverse",
        "Customer acquisition cost: ad spend of the period / customers. Not split by messaging channel.",
    ),
    (
        "ROAS",
        "roas",
        ui.fmt_ratio,
        "ratio",
        "normal",
        "Return on ad spend: revenue / ad spend of the period. Not split by messaging channel.",
    ),
    (
        "Median first response",
        "median_first_response_seconds",
        ui.fmt_duration,
        "duration",
        "inverse",
        "Median time from a conversation's first inbound message (in the period) to the first human or AI reply.",
    ),
    (
        "Cold-lead rate",
        "cold_lead_rate",
        ui.fmt_pct,
        "rate",
        "inverse",
        f"New leads of the period that went cold ({cold}: no inbound message for the inactivity days).",
    ),
]
rows = [st.columns(3), st.columns(3), st.columns(3)]
for i, (label, key, fmt, kind, color, help_text) in enumerate(CARDS):
    rows[i // 3][i % 3].metric(
        label,
        fmt(now.get(key)),
        ui.fmt_delta(now.get(key), before.get(key), kind),
        delta_color=color,
        border=True,
        help=help_text,
    )
