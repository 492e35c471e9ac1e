"""Response times: first inbound message to first human or AI reply, per conversation."""

import streamlit as st

from dashboards import charts, queries, ui
from dashboards.filters import filter_bar

queries.require(*queries.RESPONSE_MARTS)

first_day, last_day = queries.response_bounds()
if first_day is None:
    st.info("No conversation with an inbound message yet.")
    st.stop()
start, end, filters = filter_bar(
    "response",
    first_day,
    last_day,
    date_label="First inbound message between",
    date_help="Conversations are counted on the day of their first inbound message (default: all of them).",
    default_days=None,
)
scope = queries.ResponseScope(start, end, filters)
overall = queries.response_overall(scope)
if not overall.get("conversations"):
    st.info("No conversation with an inbound message in this date range with these filters: widen the range or "
            "clear a filter.")
    st.stop()
cards = st.columns(5)
cards[0].metric(
    "Answered",
    ui.fmt_int(overall["answered_conversations"]),
    f"of {ui.fmt_int(overall['conversations'])}",
    delta_color="off",
    delta_arrow="off",
    border=True,
    help="Conversations with an inbound message that got a human or AI-agent reply.",
)
cards[1].metric(
    "Median first response",
    ui.fmt_duration(overall["median_seconds"]),
    f"p90 {ui.fmt_duration(overall['p90_seconds'])}",
    delta_color="off",
    delta_arrow="off",
    border=True,
)
cards[2].metric("Within 5 min", ui.fmt_pct(overall["share_within_5m"]), border=True)
cards[3].metric("Within 1 h", ui.fmt_pct(overall["share_within_1h"]), border=True)
cards[4].metric(
    "Within 24 h",
    ui.fmt_pct(overall["share_within_24h"]),
    border=True,
    help="Unanswered conversations count as not answered within the time.",
)

st.subheader("Distribution")
st.caption("How long do conversations wait for their first reply? Conversations per bucket, share on top.")
st.altair_chart(charts.response_distribution(queries.response_distribution(scope)), width="stretch")

st.subheader("By channel, team, agent")
DIMENSIONS = {"Channel": "channel", "Team": "team", "Agent": "agent", "Human vs AI agent": "responder_type"}
choice = st.segmented_control("By", list(DIMENSIONS), default="Channel", key="response_dimension") or "Channel"
by = queries.response_by(DIMENSIONS[choice], scope)
if by.empty:
    st.info(f"No answered conversation to break down by {choice.lower()}.")
else:
    left, right = st.columns(2)
    with left:
        st.caption(f"Who answers fastest? Median and p90 first response per {choice.lower()}.")
        st.altair_chart(charts.median_p90_bars(by, "label", "Time to first response", unit="duration"), width="stretch")
    with right:
        st.caption(f"Who keeps the promise? Share answered within 5 min, 1 h and 24 h per {choice.lower()}.")
        st.altair_chart(charts.share_within(by, "label"), width="stretch")
    st.dataframe(
        by.assign(
            median_seconds=by["median_seconds"].map(ui.fmt_duration),
            p90_seconds=by["p90_seconds"].map(ui.fmt_duration),
        ).drop(columns=["dimension_sort"]),
        hide_index=True,
        column_config={
            "label": choice,
            "conversations": st.column_config.NumberColumn("Conversations", format="localized"),
            "answered_conversations": st.column_config.NumberColumn("Answered", format="localized"),
            "answered_by_human": st.column_config.NumberColumn("By humans", format="localized"),
            "answered_by_ai_agent": st.column_config.NumberColumn("By AI agents", format="localized"),
            "median_seconds": "Median",
            "p90_seconds": "p90",
            "share_within_5m": st.column_config.NumberColumn("≤ 5 min", format="percent"),
            "share_within_1h": st.column_config.NumberColumn("≤ 1 h", format="percent"),
            "share_within_24h": st.column_config.NumberColumn("≤ 24 h", format="percent"),
        },
    )

st.subheader("By hour of day")
st.caption("When do replies lag? Median first response by the UTC hour of the first inbound message.")
st.altair_chart(charts.response_by_hour(queries.response_by_hour(scope)), width="stretch")
