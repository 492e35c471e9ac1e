"""Overview: headline KPIs and the stage funnel for contacts that entered in a date range."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.OVERVIEW_MARTS)

kpi = queries.kpis()
cards = [*st.columns(3), *st.columns(3)]
cards[0].metric(
    "Contacts",
    ui.fmt_int(kpi["contacts"]),
    border=True,
    help="Resolved contacts (one person across channels and systems).",
)
cards[1].metric(
    "In funnel",
    ui.fmt_int(kpi["in_funnel"]),
    border=True,
    help="Contacts currently in an active stage before the won stage.",
)
cards[2].metric(
    "Customers", ui.fmt_int(kpi["customers"]), border=True, help="Contacts currently in the won stage or beyond."
)
cards[3].metric("Lost", ui.fmt_int(kpi["lost"]), border=True, help="Contacts currently in a lost stage.")
cards[4].metric(
    "Conversion entry → won",
    ui.fmt_pct(kpi["conversion_rate"]),
    border=True,
    help="Contacts that reached the won stage / contacts that entered the funnel (all time).",
)
cards[5].metric(
    "Median first response",
    ui.fmt_duration(kpi["median_first_response_seconds"]),
    border=True,
    help="Median time from a conversation's first inbound message to the first human or AI reply.",
)

st.subheader("Stage funnel")
first_day, last_day = queries.funnel_entry_bounds()
if first_day is None:
    st.info("No contact has entered the funnel yet.")
    st.stop()
picked = st.date_input(
    "Funnel entry between",
    value=(first_day, last_day),
    min_value=first_day,
    max_value=last_day,
    key="overview_entry_range",
)
start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (first_day, last_day)
funnel = queries.stage_funnel(start, end)
if funnel.empty:
    st.info("No contact entered the funnel in this date range.")
else:
    entered = int(funnel["contacts_entered"].max())
    won = funnel.loc[funnel["is_won_stage"], "contacts_reached"]
    st.caption(
        f"{ui.fmt_int(entered)} funnel entries between {start:%d %b %Y} and {end:%d %b %Y}; "
        f"{ui.fmt_pct(won.sum() / entered if entered and not won.empty else None)} reached the won stage."
    )
    st.altair_chart(charts.stage_funnel(funnel), width="stretch")
    st.dataframe(
        funnel[["stage_name", "contacts_reached", "share_of_entered", "step_conversion_rate"]],
        hide_index=True,
        column_config={
            "stage_name": "Stage",
            "contacts_reached": st.column_config.NumberColumn("Entries reached", format="localized"),
            "share_of_entered": st.column_config.NumberColumn("Share of entries", format="percent"),
            "step_conversion_rate": st.column_config.NumberColumn("From previous stage", format="percent"),
        },
    )
