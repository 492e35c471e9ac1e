"""Activation health: did the syncs run, what did they send, what did the destinations reject."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.ACTIVATION_MARTS)

MODE_LABELS = {"all": "All runs", "live": "Live", "dry_run": "Dry runs"}

# ---- every sync: latest run, latest successful run, schedule -------------------------------------
st.subheader("Syncs")
status = queries.sync_status()
for row in status[status["overdue_since"].notna()].itertuples():
    st.warning(
        f"Sync **{row.sync_name}** is scheduled (`{row.schedule}`, UTC) but has not run since "
        f"{row.last_finished_at:%d %b %Y %H:%M} UTC: its {row.overdue_since:%d %b %H:%M} run is missing. "
        "Is its schedule started in Dagster (`make dagster`, Automation) and the daemon running?",
        icon=":material/schedule:",
    )
never = status[status["never_ran"] & status["schedule"].notna() & status["enabled"]]
if not never.empty:
    st.info(
        "Scheduled but never run: "
        + ", ".join(f"**{n}** (`{s}`)" for n, s in zip(never["sync_name"], never["schedule"], strict=True))
        + ". Schedules are created stopped: start them in Dagster (`make dagster`) or run the pipeline.",
        icon=":material/schedule:",
    )
for row in status[status["config_problem"].notna()].itertuples():
    st.info(f"`{row.sync_name}.yml` could not be read ({row.config_problem}); `lifecycle sync list` says why.")

table = status.assign(
    schedule=status["schedule"].fillna("with the pipeline"),
    last_run=[
        charts.SYNC_STATUS_LABELS.get(s, s) if isinstance(s, str) else "never" for s in status["last_run_status"]
    ],
    last_run_mode=status["last_run_mode"].map(MODE_LABELS),
    overdue=status["overdue_since"].notna(),
)
st.dataframe(
    table[
        [
            "sync_name",
            "destination",
            "segment",
            "schedule",
            "enabled",
            "last_run",
            "last_run_mode",
            "last_run_at",
            "last_success_at",
            "runs",
            "failed_runs",
            "failing_rows",
            "overdue",
        ]
    ],
    hide_index=True,
    column_config={
        "sync_name": "Sync",
        "destination": "Destination",
        "segment": "Segment",
        "schedule": "Schedule (cron, UTC)",
        "enabled": st.column_config.CheckboxColumn("Enabled"),
        "last_run": "Latest run",
        "last_run_mode": "Mode",
        "last_run_at": st.column_config.DatetimeColumn("Latest run (UTC)", format="YYYY-MM-DD HH:mm"),
        "last_success_at": st.column_config.DatetimeColumn("Last successful run (UTC)", format="YYYY-MM-DD HH:mm"),
        "runs": st.column_config.NumberColumn("Runs", format="%d"),
        "failed_runs": st.column_config.NumberColumn("Failed runs", format="%d"),
        "failing_rows": st.column_config.NumberColumn("Rows rejected now", format="%d"),
        "overdue": st.column_config.CheckboxColumn("Overdue"),
    },
)
st.caption(
    "Is every sync running? One row per sync file in activation/syncs/. A scheduled sync is overdue when a "
    "scheduled time passed more than an hour ago with no finished run since; a successful run rejected no row."
)

# ---- runs over time ---------------------------------------------------------------------------------
first_day, last_day = queries.sync_run_bounds()
if first_day is None:
    st.info("No sync has run yet. `lifecycle run` runs every enabled sync (as a dry run unless switched live).")
    st.stop()

filters = st.columns([2, 2, 3])
picked = filters[0].date_input(
    "Runs started between",
    value=(first_day, last_day),
    min_value=first_day,
    max_value=last_day,
    key="activation_range",
)
start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (first_day, last_day)
mode = (
    filters[1].segmented_control(
        "Mode",
        options=list(MODE_LABELS),
        format_func=MODE_LABELS.get,
        default="all",
        key="activation_mode",
    )
    or "all"
)
chosen = filters[2].multiselect(
    "Syncs", options=status["sync_name"].tolist(), key="activation_syncs", placeholder="All syncs"
)
runs = queries.sync_runs(start, end, mode, tuple(chosen))
if runs.empty:
    st.info("No sync run matches these filters. Widen the date range, pick another mode or clear the syncs.")
    st.stop()

totals = queries.sync_run_totals(runs)
cards = st.columns(7)
cards[0].metric("Runs", ui.fmt_int(totals["runs"]), border=True)
cards[1].metric("Failed runs", ui.fmt_int(totals["failed_runs"]), border=True, help="Runs that stopped with an error.")
cards[2].metric(
    "Rows sent",
    ui.fmt_int(totals["rows_sent"]),
    border=True,
    help="Acknowledged by the destination (dry runs: would send).",
)
cards[3].metric(
    "Unchanged", ui.fmt_int(totals["rows_unchanged"]), border=True, help="Identical to what was sent before."
)
cards[4].metric("Removed", ui.fmt_int(totals["rows_removed"]), border=True, help="Left the segment; removed (mirror).")
cards[5].metric("Skipped", ui.fmt_int(totals["rows_skipped"]), border=True, help="Not sent, with a reason.")
cards[6].metric("Failed rows", ui.fmt_int(totals["rows_failed"]), border=True, help="Rejected by the destination.")

left, right = st.columns(2)
with left:
    st.altair_chart(charts.sync_runs_over_time(runs), width="stretch")
    st.caption("Did the syncs run every day, and did they succeed? Sync runs per day by status.")
with right:
    st.altair_chart(charts.sync_rows_over_time(runs, queries.SYNC_ROW_OUTCOMES), width="stretch")
    st.caption("What did the runs do with the segments' rows? Rows per day by outcome.")

# ---- failure reasons ----------------------------------------------------------------------------------
st.subheader("Rows the destinations reject")
failures = queries.sync_failures(tuple(chosen))
if failures.empty:
    st.info("No destination rejects a row now (dry runs send nothing, so they reject nothing).")
else:
    st.altair_chart(charts.sync_failure_reasons(failures), width="stretch")
    st.caption(
        "Why do destinations reject rows? Rows rejected now, by the destination's reason; each is retried on "
        "the next run until it succeeds or leaves the segment."
    )
    st.dataframe(
        failures,
        hide_index=True,
        column_config={
            "sync_name": "Sync",
            "failure_reason": "Reason",
            "failing_rows": st.column_config.NumberColumn("Rows", format="%d"),
            "max_attempts": st.column_config.NumberColumn("Most attempts", format="%d"),
            "first_failed_at": st.column_config.DatetimeColumn("First failed (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_failed_at": st.column_config.DatetimeColumn("Last failed (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )

st.subheader("Runs")
st.dataframe(
    runs.assign(
        status=runs["status"].map(charts.SYNC_STATUS_LABELS).fillna(runs["status"]),
        run_mode=runs["run_mode"].map(MODE_LABELS),
        duration_seconds=runs["duration_seconds"].map(ui.fmt_duration),
    )[
        [
            "started_at",
            "sync_name",
            "destination",
            "run_mode",
            "status",
            "rows_total",
            "rows_sent",
            "rows_unchanged",
            "rows_removed",
            "rows_skipped",
            "rows_failed",
            "requests",
            "duration_seconds",
            "error_message",
        ]
    ],
    hide_index=True,
    column_config={
        "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "sync_name": "Sync",
        "destination": "Destination",
        "run_mode": "Mode",
        "status": "Status",
        "rows_total": st.column_config.NumberColumn("Rows", format="%d"),
        "rows_sent": st.column_config.NumberColumn("Sent", format="%d"),
        "rows_unchanged": st.column_config.NumberColumn("Unchanged", format="%d"),
        "rows_removed": st.column_config.NumberColumn("Removed", format="%d"),
        "rows_skipped": st.column_config.NumberColumn("Skipped", format="%d"),
        "rows_failed": st.column_config.NumberColumn("Failed", format="%d"),
        "requests": st.column_config.NumberColumn("Requests", format="%d"),
        "duration_seconds": "Took",
        "error_message": "Error",
    },
)
st.caption("Every run in the filters, newest first: each row of the segment sent, unchanged, skipped or failed.")
