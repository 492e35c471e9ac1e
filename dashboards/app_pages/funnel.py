"""Funnel: the stage funnel over a date range, entry cohorts, time to convert, time in stage, monthly review."""

import streamlit as st

from dashboards import charts, queries, ui
from dashboards.filters import filter_bar

queries.require(*queries.FUNNEL_MARTS)

first_day, last_day = queries.funnel_entry_bounds()
if first_day is None:
    st.info("No contact has entered the funnel yet.")
    st.stop()

st.subheader("Stage funnel")
start, end, filters = filter_bar("funnel", first_day, last_day)
funnel = queries.stage_funnel(start, end, filters)
if funnel.empty:
    st.info("No contact entered the funnel in this date range with these filters: widen the range or clear a filter.")
else:
    entered = int(funnel["contacts_entered"].max())
    won = funnel.loc[funnel["is_won_stage"], "contacts_reached"]
    st.caption(
        f"How far did the {ui.fmt_int(entered)} funnel entries between {start:%d %b %Y} and {end:%d %b %Y} get? "
        f"{ui.fmt_pct(won.sum() / entered if entered and not won.empty else None)} reached the won stage. "
        "A stage counts as reached when the entry got to it or past it (skips included)."
    )
    st.altair_chart(charts.stage_funnel(funnel), width="stretch")
    first_stage = funnel["stage_order"].min()
    st.dataframe(
        funnel.assign(
            step_conversion=[
                "entry stage" if order == first_stage else ui.fmt_pct(rate)
                for order, rate in zip(funnel["stage_order"], funnel["step_conversion_rate"], strict=True)
            ]
        )[["stage_name", "contacts_reached", "share_of_entered", "step_conversion"]],
        hide_index=True,
        column_config={
            "stage_name": "Stage",
            "contacts_reached": st.column_config.NumberColumn("Entries reached", format="localized"),
            "share_of_entered": st.column_config.NumberColumn("Share of entries", format="percent"),
            "step_conversion": "From previous stage",
        },
    )

st.subheader("Entry cohorts")
grain = (
    st.segmented_control(
        "Cohort", ["week", "month"], default="month", key="funnel_grain", format_func=lambda g: f"By {g}"
    )
    or "month"
)
cohorts = queries.cohort_funnel(grain)
if cohorts.empty:
    st.info("No entry cohort yet.")
else:
    st.caption(f"Do newer cohorts convert better? Share of each funnel-entry {grain} that reached each stage.")
    st.altair_chart(charts.cohort_conversion(cohorts), width="stretch")
    stage_names = cohorts.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    table = cohorts.pivot_table(index="cohort_start", columns="stage_name", values="contacts_reached", aggfunc="sum")
    table = table[stage_names]
    table.insert(0, "Entered", cohorts.groupby("cohort_start")["contacts_entered"].max())
    table["Entry → won"] = cohorts.groupby("cohort_start")["entry_to_won_rate"].max()
    table.index = table.index.strftime("%Y-%m-%d")
    table.index.name = "Cohort"
    st.dataframe(
        table, column_config={"Entry → won": st.column_config.NumberColumn(format="percent")}
    )

durations = queries.stage_durations()
st.subheader("Time to convert")
to_stage = durations[~durations["is_lost_stage"]].dropna(subset=["median_seconds_to_stage"])
to_stage = to_stage[to_stage["stage_order"] > to_stage["stage_order"].min()] if not to_stage.empty else to_stage
if to_stage.empty:
    st.info("No entry has moved past its first stage yet.")
else:
    left, right = st.columns(2)
    with left:
        st.caption("How long after entering the funnel do entries reach each stage? (median and p90, all entries)")
        st.altair_chart(
            charts.median_p90_bars(
                to_stage,
                "stage_name",
                "Time from funnel entry",
                median="median_seconds_to_stage",
                p90="p90_seconds_to_stage",
                sort=to_stage["stage_name"].tolist(),
                unit="duration",
            ),
            width="stretch",
        )
    with right:
        st.caption(f"Is converting getting faster? Median hours from entry to each stage, by {grain} cohort.")
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
in_stage = durations.dropna(subset=["median_seconds"])
if in_stage.empty:
    st.info("No stage spell has ended yet.")
else:
    left, right = st.columns(2)
    with left:
        st.caption("Where do contacts wait longest? Median and p90 time in each stage (completed spells).")
        st.altair_chart(
            charts.median_p90_bars(
                in_stage, "stage_name", "Time in stage", sort=in_stage["stage_name"].tolist(), unit="duration"
            ),
            width="stretch",
        )
    with right:
        st.dataframe(
            in_stage.assign(
                median_seconds=in_stage["median_seconds"].map(ui.fmt_duration),
                p90_seconds=in_stage["p90_seconds"].map(ui.fmt_duration),
            )[["stage_name", "completed_spell_count", "open_spell_count", "median_seconds", "p90_seconds"]],
            hide_index=True,
            column_config={
                "stage_name": "Stage",
                "completed_spell_count": st.column_config.NumberColumn("Completed spells", format="localized"),
                "open_spell_count": st.column_config.NumberColumn("Still in stage", format="localized"),
                "median_seconds": "Median",
                "p90_seconds": "p90",
            },
        )
    monthly = queries.time_in_stage_monthly()
    if not monthly.empty:
        st.caption("Is time in stage changing? Median hours in each active stage, by month the spell started.")
        st.altair_chart(
            charts.hours_trend(monthly, "entered_month", "median_hours", "Median hours in stage"), width="stretch"
        )

st.subheader("Monthly drop-off review")
review = queries.dropoff_review()
if review.empty:
    st.info("No month to review yet.")
else:
    flagged = int(review["is_flagged"].sum())
    st.caption(
        (
            f"Which steps got worse? {flagged} month × step rows flagged (large points, highlighted rows): "
            "conversion below, or median delay above, the trailing average by more than the tolerance. "
            "Recent months are not final."
        )
        if flagged
        else "Which steps got worse? None: every step converts as well and as fast as its trailing average."
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
    ].assign(
        review_month=review["review_month"].dt.strftime("%Y-%m"),
        conversion_rate=review["conversion_rate"].map(ui.fmt_pct),
        trailing_conversion_rate=review["trailing_conversion_rate"].map(ui.fmt_pct),
        median_days_to_next=review["median_days_to_next"].map(lambda d: "–" if d is None or d != d else f"{d:.1f}"),
    )
    st.dataframe(
        shown.style.apply(lambda row: ["background-color: #fde68a" if row["is_flagged"] else "" for _ in row], axis=1),
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

st.subheader("Contacts per stage, day by day")
snapshot = queries.stage_snapshot()
with_lost = st.toggle("Include lost stages", value=False, key="snapshot_with_lost")
if not with_lost:
    snapshot = snapshot[~snapshot["is_lost_stage"]]
if snapshot.empty:
    st.info("No daily snapshot yet.")
else:
    st.caption("How many contacts sit in each stage at the end of each day?")
    st.altair_chart(charts.stage_snapshot_area(snapshot), width="stretch")
