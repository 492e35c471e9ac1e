"""Altair charts. Each function takes the DataFrame a query in :mod:`dashboards.queries` returns."""

from __future__ import annotations

import altair as alt
import pandas as pd

ACTIVE_COLOR = "#2563eb"
LOST_COLOR = "#dc2626"
P90_COLOR = "#93c5fd"


def _hours(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        out[c.replace("_seconds", "_hours")] = out[c].astype("float") / 3600.0
    return out


def stage_funnel(df: pd.DataFrame) -> alt.Chart:
    """Horizontal bars, one per stage in stage order: contacts that reached it, with share of entries."""
    order = df.sort_values("stage_order")["stage_name"].tolist()
    base = alt.Chart(df).encode(
        y=alt.Y("stage_name:N", sort=order, title=None),
        x=alt.X("contacts_reached:Q", title="Funnel entries that reached the stage"),
        tooltip=[
            alt.Tooltip("stage_name:N", title="Stage"),
            alt.Tooltip("contacts_reached:Q", title="Contacts", format=","),
            alt.Tooltip("share_of_entered:Q", title="Share of entries", format=".1%"),
        ],
    )
    bars = base.mark_bar(color=ACTIVE_COLOR)
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("share_of_entered:Q", format=".0%"))
    return (bars + labels).properties(height=max(160, 48 * len(order)))


def cohort_conversion(df: pd.DataFrame) -> alt.Chart:
    """Share of each cohort (funnel-entry week or month) that reached each stage."""
    order = df.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("cohort_start:T", title="Funnel-entry cohort"),
            y=alt.Y("share_of_cohort:Q", title="Share of the cohort that reached the stage", axis=alt.Axis(format="%")),
            color=alt.Color("stage_name:N", sort=order, title="Stage"),
            tooltip=[
                alt.Tooltip("cohort_start:T", title="Cohort"),
                alt.Tooltip("stage_name:N", title="Stage"),
                alt.Tooltip("contacts_reached:Q", title="Reached", format=","),
                alt.Tooltip("share_of_cohort:Q", title="Share of cohort", format=".1%"),
                alt.Tooltip("step_conversion_rate:Q", title="From previous stage", format=".1%"),
            ],
        )
        .properties(height=320)
    )


def median_p90_bars(
    df: pd.DataFrame,
    category: str,
    title: str,
    median: str = "median_seconds",
    p90: str = "p90_seconds",
    sort: list[str] | None = None,
    unit: str = "hours",
) -> alt.Chart:
    """Median and p90 durations per category side by side, in hours or minutes (minutes on a log scale:
    first responses range from seconds to days)."""
    divisor = {"hours": 3600.0, "minutes": 60.0}[unit]
    data = df[[category]].copy()
    data["median"] = df[median].astype("float") / divisor
    data["p90"] = df[p90].astype("float") / divisor
    long = data.melt(id_vars=[category], value_vars=["median", "p90"], var_name="measure", value_name="value")
    scale = alt.Scale(type="symlog") if unit == "minutes" else alt.Scale()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=sort or "-x", title=None),
            x=alt.X("value:Q", title=title, scale=scale),
            yOffset=alt.YOffset("measure:N", sort=["median", "p90"]),
            color=alt.Color(
                "measure:N", sort=["median", "p90"], scale=alt.Scale(range=[ACTIVE_COLOR, P90_COLOR]), title=None
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("value:Q", title=unit, format=",.1f"),
            ],
        )
        .properties(height=alt.Step(14))
    )


def stage_snapshot_area(df: pd.DataFrame) -> alt.Chart:
    """Contacts in each stage at the end of every day, stacked."""
    order = df.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    return (
        alt.Chart(df)
        .mark_area()
        .encode(
            x=alt.X("snapshot_date:T", title=None),
            y=alt.Y("contacts:Q", stack=True, title="Contacts in stage"),
            color=alt.Color("stage_name:N", sort=order, title="Stage"),
            order=alt.Order("stage_order:Q"),
            tooltip=[
                alt.Tooltip("snapshot_date:T", title="Day"),
                alt.Tooltip("stage_name:N", title="Stage"),
                alt.Tooltip("contacts:Q", format=","),
            ],
        )
        .properties(height=320)
    )


def stacked_bars(
    df: pd.DataFrame, category: str, stack: str, value: str = "contacts", title: str = "Contacts"
) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            x=alt.X(f"sum({value}):Q", title=title),
            color=alt.Color(f"{stack}:N", title=stack.replace("_", " ").capitalize()),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{stack}:N"), alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(height=alt.Step(22))
    )


def cold_rate_by_first_response(df: pd.DataFrame) -> alt.Chart:
    """Bars: share of leads that went cold, per first-response-time bucket (slowest last); leads as a line."""
    order = df.sort_values("bucket_order")["first_response_bucket"].tolist()
    base = alt.Chart(df).encode(x=alt.X("first_response_bucket:N", sort=order, title="Time to first response"))
    bars = base.mark_bar(color=LOST_COLOR, opacity=0.85).encode(
        y=alt.Y("cold_rate:Q", title="Went cold", axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("first_response_bucket:N", title="First response"),
            alt.Tooltip("leads:Q", title="Leads", format=","),
            alt.Tooltip("cold_leads:Q", title="Went cold", format=","),
            alt.Tooltip("cold_rate:Q", title="Cold-lead rate", format=".1%"),
        ],
    )
    line = base.mark_line(point=True, color="#6b7280").encode(y=alt.Y("leads:Q", title="Leads"))
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=300)


def dropoff_review(df: pd.DataFrame) -> alt.Chart:
    """Conversion to the next stage by month, one line per step; flagged months drawn as large red points."""
    base = alt.Chart(df).encode(
        x=alt.X("review_month:T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y("conversion_rate:Q", title="Went on to the next stage", axis=alt.Axis(format="%")),
        color=alt.Color("step:N", title="Step"),
    )
    lines = base.mark_line()
    points = base.mark_point(filled=True).encode(
        size=alt.condition("datum.is_flagged", alt.value(160), alt.value(30)),
        stroke=alt.condition("datum.is_flagged", alt.value(LOST_COLOR), alt.value(None)),
        strokeWidth=alt.condition("datum.is_flagged", alt.value(3), alt.value(0)),
        tooltip=[
            alt.Tooltip("review_month:T", title="Month", format="%b %Y"),
            alt.Tooltip("step:N", title="Step"),
            alt.Tooltip("reached_from_count:Q", title="Reached first stage", format=","),
            alt.Tooltip("conversion_rate:Q", title="Conversion", format=".1%"),
            alt.Tooltip("trailing_conversion_rate:Q", title="Trailing average", format=".1%"),
            alt.Tooltip("median_days_to_next:Q", title="Median days to next", format=",.1f"),
            alt.Tooltip("is_flagged:N", title="Flagged"),
        ],
    )
    return alt.layer(lines, points).properties(height=320)


def lost_rate_bars(df: pd.DataFrame, category: str, sort: list[str] | str = "-x") -> alt.Chart:
    """Lost rate per category (share of that slice's funnel entries that ended in each lost stage)."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=sort, title=None),
            x=alt.X("sum(lost_rate):Q", title="Share of entries lost", axis=alt.Axis(format="%")),
            color=alt.Color("lost_stage:N", title="Lost stage"),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip("lost_stage:N", title="Lost stage"),
                alt.Tooltip("funnel_entries:Q", title="Entries", format=","),
                alt.Tooltip("lost_count:Q", title="Lost", format=","),
                alt.Tooltip("lost_rate:Q", title="Lost rate", format=".1%"),
            ],
        )
        .properties(height=alt.Step(22))
    )


def hours_trend(df: pd.DataFrame, x: str, value: str, title: str) -> alt.Chart:
    """A median-hours measure over time, one line per stage."""
    order = df.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    data = df.assign(hours=df[value].astype("float"))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y("hours:Q", title=title),
            color=alt.Color("stage_name:N", sort=order, title="Stage"),
            tooltip=[alt.Tooltip(f"{x}:T"), alt.Tooltip("stage_name:N"), alt.Tooltip("hours:Q", format=",.1f")],
        )
        .properties(height=280)
    )


def response_by_hour(df: pd.DataFrame) -> alt.Chart:
    """Median first response per hour of day of the first inbound message, with conversation counts."""
    data = _hours(df, "median_seconds")
    data["median_minutes"] = data["median_hours"] * 60
    base = alt.Chart(data).encode(x=alt.X("hour_of_day:O", title="Hour of first inbound message (UTC)"))
    bars = base.mark_bar(color=ACTIVE_COLOR).encode(
        y=alt.Y("median_minutes:Q", title="Median first response (min)"),
        tooltip=[
            alt.Tooltip("hour_of_day:O", title="Hour"),
            alt.Tooltip("conversations:Q", format=","),
            alt.Tooltip("median_minutes:Q", title="Median (min)", format=",.1f"),
        ],
    )
    return bars.properties(height=280)


def share_within(df: pd.DataFrame, category: str) -> alt.Chart:
    """Share answered within 5 min, 1 h and 24 h per category."""
    long = df.melt(
        id_vars=[category],
        value_vars=["share_within_5m", "share_within_1h", "share_within_24h"],
        var_name="threshold",
        value_name="share",
    )
    long["threshold"] = long["threshold"].map(
        {"share_within_5m": "≤ 5 min", "share_within_1h": "≤ 1 h", "share_within_24h": "≤ 24 h"}
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=None),
            yOffset=alt.YOffset("threshold:N", sort=["≤ 5 min", "≤ 1 h", "≤ 24 h"]),
            x=alt.X(
                "share:Q",
                title="Share of conversations answered",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("threshold:N", sort=["≤ 5 min", "≤ 1 h", "≤ 24 h"], title="Answered within"),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip("threshold:N"), alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=alt.Step(12))
    )


# --------------------------------------------------------------------------------------------------
# Campaigns and attribution
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------------


def segment_sizes(df: pd.DataFrame) -> alt.Chart:
    """Horizontal bars, one per segment, largest first: contacts in the segment now."""
    data = df.dropna(subset=["contacts"]).assign(
        defined_in=df["definition_kind"].map({"yaml": "YAML file", "sql": "SQL model"})
    )
    order = data.sort_values(["contacts", "segment_name"], ascending=[False, True])["segment_name"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("segment_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("contacts:Q", title="Contacts in the segment", axis=alt.Axis(format=",d")),
        tooltip=[
            alt.Tooltip("segment_name:N", title="Segment"),
            alt.Tooltip("contacts:Q", title="Contacts", format=","),
            alt.Tooltip("defined_in:N", title="Defined in"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("defined_in:N", title="Defined in", scale=alt.Scale(range=[ACTIVE_COLOR, P90_COLOR]))
    )
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("contacts:Q", format=","))
    return (bars + labels).properties(height=max(160, 26 * len(order)))


# --------------------------------------------------------------------------------------------------
# Activation health
# --------------------------------------------------------------------------------------------------
