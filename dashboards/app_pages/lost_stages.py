"""Lost stages: where and why entries drop out, the link with first-response time, month-by-month review."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.LOST_MARTS)

overall = queries.lost("overall")
if overall.empty:
    st.info("No contact has entered the funnel yet.")
    st.stop()

entries = int(overall["funnel_entries"].max())
cards = st.columns(len(overall) + 1)
cards[0].metric(
    "Entries lost",
    ui.fmt_int(overall["lost_count"].sum()),
    border=True,
    help=f"Funnel entries that ended in a lost stage, out of {ui.fmt_int(entries)} entries.",
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

left, right = st.columns(2)
with left:
    st.subheader("Stage lost from")
    st.altair_chart(
        charts.stacked_bars(queries.lost("lost_from_stage"), "dimension_value", "lost_stage", value="lost_count"),
        width="stretch",
    )
with right:
    st.subheader("Reason")
    st.altair_chart(
        charts.stacked_bars(queries.lost("lost_reason"), "dimension_value", "lost_stage", value="lost_count"),
        width="stretch",
    )

st.subheader("Lost rate by where the entry came from")
dimension = (
    st.segmented_control("By", ["Entry channel", "Entry campaign"], default="Entry channel", key="lost_dimension")
    or "Entry channel"
)
by_source = queries.lost("entry_channel" if dimension == "Entry channel" else "entry_campaign")
st.altair_chart(charts.lost_rate_bars(by_source, "dimension_value"), width="stretch")

st.subheader("Going cold vs waiting for the first reply")
lost_stages = overall["lost_stage"].tolist()
default = next((s for s in lost_stages if "cold" in s.lower()), lost_stages[0])
chosen = st.selectbox("Lost stage", lost_stages, index=lost_stages.index(default), key="cold_lost_stage")
cold = queries.lost_rate_by_first_response(chosen)
st.caption(
    f"Share of funnel entries that ended in {chosen}, by how long the entry conversation's first message "
    "waited for a reply (line: number of entries)."
)
st.altair_chart(charts.cold_rate_by_first_response(cold), width="stretch")

st.subheader("Monthly drop-off review")
review = queries.dropoff_review()
if review.empty:
    st.info("No month to review yet.")
else:
    flagged = int(review["is_flagged"].sum())
    st.caption(
        (
            f"{flagged} month × step rows flagged (highlighted): conversion below, or median delay above, the "
            "trailing average by more than the tolerance. Recent months are not final."
        )
        if flagged
        else "No month flagged: every step converts as well and as fast as its trailing average."
    )
    st.altair_chart(charts.dropoff_review(review), width="stretch")
    shown = review[
        [
            "review_month",
            "step",
            "reached_from_count",
            "reached_to_count",
            "conversion_rate",
            "trailing_conversion_rate",
            "median_days_to_next",
            "is_low_rate",
            "is_slow",
            "is_flagged",
        ]
    ].assign(review_month=review["review_month"].dt.strftime("%Y-%m"))
    st.dataframe(
        shown.style.apply(
            lambda row: ["background-color: #fde68a" if row["is_flagged"] else "" for _ in row], axis=1
        ).format(
            {"conversion_rate": "{:.1%}", "trailing_conversion_rate": "{:.1%}", "median_days_to_next": "{:.1f}"},
            na_rep="–",
        ),
        hide_index=True,
        column_config={
            "review_month": "Month",
            "step": "Step",
            "reached_from_count": "Reached first stage",
            "reached_to_count": "Went on",
            "conversion_rate": "Conversion",
            "trailing_conversion_rate": "Trailing average",
            "median_days_to_next": "Median days",
            "is_low_rate": st.column_config.CheckboxColumn("Low rate"),
            "is_slow": st.column_config.CheckboxColumn("Slow"),
            "is_flagged": st.column_config.CheckboxColumn("Flagged"),
        },
    )
