"""Lost stages: where and why entries drop out, from which channel and campaign, and the link with first replies."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.LOST_MARTS)

overall = queries.lost("overall")
if overall.empty or int(overall["funnel_entries"].max()) == 0:
    st.info("No contact has entered the funnel yet.")
    st.stop()

entries = int(overall["funnel_entries"].max())
cards = st.columns(len(overall) + 1)
cards[0].metric(
    "Entries lost",
    ui.fmt_int(overall["lost_count"].sum()),
    f"{ui.fmt_pct(overall['lost_count'].sum() / entries)} of {ui.fmt_int(entries)} entries",
    delta_color="off",
    delta_arrow="off",
    border=True,
    help="Funnel entries that ended in a lost stage (all history). Lost stages are kept apart from active counts.",
)
for card, row in zip(cards[1:], overall.itertuples(), strict=True):
    card.metric(
        row.lost_stage,
        ui.fmt_int(row.lost_count),
        f"{ui.fmt_pct(row.lost_rate)} of entries",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )

if not int(overall["lost_count"].sum()):
    st.info("No funnel entry has been lost yet: nothing to break down.")
    st.stop()

st.subheader("Stage lost from")
st.caption("At which stage do entries drop out, and to which lost stage?")
st.altair_chart(
    charts.stacked_bars(
        queries.lost("lost_from_stage"), "dimension_label", "lost_stage", value="lost_count", title="Entries lost"
    ),
    width="stretch",
)

st.subheader("Reason")
st.caption("Why were they lost? The reason recorded with the lost move (CRM deal reason, inbox action, inactivity).")
st.altair_chart(
    charts.stacked_bars(
        queries.lost("lost_reason"), "dimension_label", "lost_stage", value="lost_count", title="Entries lost"
    ),
    width="stretch",
)

st.subheader("Lost rate by where the entry came from")
dimension = (
    st.segmented_control("By", ["Entry channel", "Entry campaign"], default="Entry channel", key="lost_dimension")
    or "Entry channel"
)
by_source = queries.lost("entry_channel" if dimension == "Entry channel" else "entry_campaign")
st.caption(f"Which {dimension.lower().replace('entry ', '')}s bring leads that drop out? Share of their entries lost.")
st.altair_chart(charts.lost_rate_bars(by_source, "dimension_label"), width="stretch")

st.subheader("Going cold vs waiting for the first reply")
lost_stages = overall["lost_stage"].tolist()
cold_stages = queries.stage_roles()["cold"]
default = next((s for s in lost_stages if s in cold_stages), lost_stages[0])
chosen = st.selectbox("Lost stage", lost_stages, index=lost_stages.index(default), key="cold_lost_stage")
cold = queries.lost_rate_by_first_response(chosen)
st.caption(
    f"Do slow first replies lose leads? Share of funnel entries that ended in {chosen}, by how long the entry "
    "conversation's first message waited for a reply (bars; line: number of entries)."
)
st.altair_chart(charts.cold_rate_by_first_response(cold), width="stretch")
