"""Funnel: cohorts by funnel-entry week or month, time to and in stage, and the daily stage snapshot."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.FUNNEL_MARTS)

grain = (
    st.segmented_control(
        "Cohort", ["week", "month"], default="month", key="funnel_grain", format_func=lambda g: f"By {g}"
    )
    or "month"
)
cohorts = queries.cohort_funnel(grain)
if cohorts.empty:
    st.info("No contact has entered the funnel yet.")
    st.stop()

st.subheader(f"Reached per stage, by funnel-entry {grain}")
st.caption("A stage counts as reached when the entry got to it or past it (skips included).")
st.altair_chart(charts.cohort_conversion(cohorts), width="stretch")
stage_names = cohorts.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
table = cohorts.pivot_table(index="cohort_start", columns="stage_name", values="contacts_reached", aggfunc="sum")
table = table[stage_names]
table.insert(0, "Entered", cohorts.groupby("cohort_start")["contacts_entered"].max())
table["Entry → won"] = cohorts.groupby("cohort_start")["entry_to_won_rate"].max()
table.index = table.index.strftime("%Y-%m-%d")
table.index.name = "Cohort"
st.dataframe(table, column_config={"Entry → won": st.column_config.NumberColumn(format="percent")})

st.subheader("Step conversion and time to stage (all entries)")
by_stage = queries.stage_conversion()
left, right = st.columns(2)
with left:
    shown = by_stage[
        ["stage_name", "contacts_reached", "step_conversion_rate", "median_seconds_to_stage", "p90_seconds_to_stage"]
    ]
    st.dataframe(
        shown.assign(
            median_seconds_to_stage=shown["median_seconds_to_stage"].map(ui.fmt_duration),
            p90_seconds_to_stage=shown["p90_seconds_to_stage"].map(ui.fmt_duration),
        ),
        hide_index=True,
        column_config={
            "stage_name": "Stage",
            "contacts_reached": st.column_config.NumberColumn("Entries reached", format="localized"),
            "step_conversion_rate": st.column_config.NumberColumn("From previous stage", format="percent"),
            "median_seconds_to_stage": "Median time from entry",
            "p90_seconds_to_stage": "p90 time from entry",
        },
    )
with right:
    timed = by_stage.dropna(subset=["median_seconds_to_stage"])
    if not timed.empty:
        st.altair_chart(
            charts.median_p90_bars(
                timed,
                "stage_name",
                "Hours from funnel entry",
                median="median_seconds_to_stage",
                p90="p90_seconds_to_stage",
                sort=timed["stage_name"].tolist(),
            ),
            width="stretch",
        )
st.caption(f"Median hours from entry to each stage, by {grain} cohort")
st.altair_chart(
    charts.hours_trend(
        cohorts.assign(median_hours=cohorts["median_seconds_to_stage"] / 3600),
        "cohort_start",
        "median_hours",
        "Median hours to reach",
    ),
    width="stretch",
)

st.subheader("Time in stage")
in_stage = queries.time_in_stage()
left, right = st.columns(2)
with left:
    st.altair_chart(
        charts.median_p90_bars(
            in_stage, "stage_name", "Hours in stage (completed spells)", sort=in_stage["stage_name"].tolist()
        ),
        width="stretch",
    )
with right:
    monthly = queries.time_in_stage_monthly()
    if not monthly.empty:
        st.altair_chart(
            charts.hours_trend(monthly, "entered_month", "median_hours", "Median hours in stage, by month entered"),
            width="stretch",
        )

st.subheader("Contacts per stage, day by day")
snapshot = queries.stage_snapshot()
with_lost = st.toggle("Include lost stages", value=False, key="snapshot_with_lost")
if not with_lost:
    snapshot = snapshot[~snapshot["is_lost_stage"]]
if snapshot.empty:
    st.info("No daily snapshot yet.")
else:
    st.altair_chart(charts.stage_snapshot_area(snapshot), width="stretch")
