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


# Ticks of duration axes (minutes): readable at a glance, from under a minute to days.
DURATION_TICKS_MINUTES = [0, 1, 5, 15, 60, 240, 1440, 4320, 10080]
DURATION_LABEL_EXPR = (
    "datum.value == 0 ? '0' : datum.value < 60 ? datum.value + ' min' : "
    "datum.value < 1440 ? (datum.value / 60) + ' h' : (datum.value / 1440) + ' d'"
)


def duration_axis(title: str, max_minutes: float) -> alt.Axis:
    """An axis in minutes whose ticks read as durations (1 min, 5 min, 1 h, 4 h, 1 d...), up to the data."""
    ticks = [t for t in DURATION_TICKS_MINUTES if t <= max(max_minutes, 1) * 1.05]
    following = [t for t in DURATION_TICKS_MINUTES if t > max(max_minutes, 1) * 1.05][:1]
    return alt.Axis(title=title, values=ticks + following, labelExpr=DURATION_LABEL_EXPR, grid=True)


def median_p90_bars(
    df: pd.DataFrame,
    category: str,
    title: str,
    median: str = "median_seconds",
    p90: str = "p90_seconds",
    sort: list[str] | None = None,
    unit: str = "hours",
) -> alt.Chart:
    """Median and p90 durations per category side by side. ``unit='hours'``: a linear axis in hours;
    ``unit='duration'``: a symlog axis in minutes with duration ticks (1 min, 5 min, 1 h, 1 d: first
    responses range from seconds to days)."""
    divisor = {"hours": 3600.0, "duration": 60.0}[unit]
    data = df[[category]].copy()
    data["median"] = df[median].astype("float") / divisor
    data["p90"] = df[p90].astype("float") / divisor
    data = data.dropna(subset=["median", "p90"], how="all")
    long = data.melt(id_vars=[category], value_vars=["median", "p90"], var_name="measure", value_name="value")
    long["shown"] = [_duration_text(v * divisor) for v in long["value"]]
    if unit == "duration":
        top = float(long["value"].max()) if not long.empty else 1.0
        x = alt.X(
            "value:Q",
            scale=alt.Scale(type="symlog", constant=1, domain=[0, max([t for t in DURATION_TICKS_MINUTES
                                                                    if t >= top * 1.05] or [top])]),
            axis=duration_axis(title, top),
        )
    else:
        x = alt.X("value:Q", title=title)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=sort or "-x", title=None),
            x=x,
            yOffset=alt.YOffset("measure:N", sort=["median", "p90"]),
            color=alt.Color(
                "measure:N", sort=["median", "p90"], scale=alt.Scale(range=[ACTIVE_COLOR, P90_COLOR]), title=None
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N", title="Of"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("shown:N", title="Time"),
            ],
        )
        .properties(height=alt.Step(14))
    )


def _duration_text(seconds: float) -> str:
    if seconds is None or pd.isna(seconds):
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def response_distribution(df: pd.DataFrame) -> alt.Chart:
    """Conversations per first-response bucket (fastest first; 'no response' last), with the share on top."""
    order = df.sort_values("dimension_sort")["label"].tolist()
    base = alt.Chart(df).encode(
        x=alt.X("label:N", sort=order, title="Time to first response", axis=alt.Axis(labelAngle=0))
    )
    bars = base.mark_bar(color=ACTIVE_COLOR).encode(
        y=alt.Y("conversations:Q", title="Conversations"),
        tooltip=[
            alt.Tooltip("label:N", title="First response"),
            alt.Tooltip("conversations:Q", title="Conversations", format=","),
            alt.Tooltip("share:Q", title="Share", format=".1%"),
        ],
    )
    labels = base.mark_text(dy=-6).encode(y="conversations:Q", text=alt.Text("share:Q", format=".0%"))
    return (bars + labels).properties(height=280)


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
    """Horizontal bars per category (full labels, never cut off), stacked by ``stack``."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X(f"sum({value}):Q", title=title),
            color=alt.Color(f"{stack}:N", title=stack.replace("_", " ").capitalize()),
            tooltip=[
                alt.Tooltip(f"{category}:N", title="Of"),
                alt.Tooltip(f"{stack}:N", title=stack.replace("_", " ").capitalize()),
                alt.Tooltip(f"{value}:Q", title=title, format=","),
            ],
        )
        .properties(height=alt.Step(22))
    )


def cold_rate_by_first_response(df: pd.DataFrame) -> alt.Chart:
    """Bars: share of leads that went cold, per first-response-time bucket (slowest last); leads as a line."""
    order = df.sort_values("bucket_order")["first_response_bucket"].tolist()
    base = alt.Chart(df).encode(
        x=alt.X("first_response_bucket:N", sort=order, title="Time to first response", axis=alt.Axis(labelAngle=0))
    )
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
            y=alt.Y(f"{category}:N", sort=sort, title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("sum(lost_rate):Q", title="Share of entries lost", axis=alt.Axis(format="%")),
            color=alt.Color("lost_stage:N", title="Lost stage"),
            tooltip=[
                alt.Tooltip(f"{category}:N", title="Of"),
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
MODEL_COLORS = ["#1e3a8a", "#2563eb", "#0891b2", "#16a34a", "#ca8a04", "#9333ea"]


def model_comparison(df: pd.DataFrame, category: str, value: str, title: str, value_format: str = ",.1f") -> alt.Chart:
    """The six attribution models side by side: one bar per model within each category (channel, campaign)."""
    models = df.sort_values("model_order")["model_name"].drop_duplicates().tolist()
    order = df.groupby(category)[value].sum().sort_values(ascending=False).index.tolist()
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("model_name:N", sort=models),
            x=alt.X(f"{value}:Q", title=title),
            color=alt.Color(
                "model_name:N", sort=models, scale=alt.Scale(domain=models, range=MODEL_COLORS), title="Model"
            ),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category.replace("_", " ").capitalize()),
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip(f"{value}:Q", title=title, format=value_format),
            ],
        )
        .properties(height=alt.Step(7))
    )


def spend_and_revenue(df: pd.DataFrame, currency: str) -> alt.Chart:
    """Spend next to the revenue credited by the selected model, per campaign (ROAS in the tooltip)."""
    long = df.melt(
        id_vars=["campaign_name", "roas"], value_vars=["spend", "revenue"], var_name="measure", value_name="amount"
    )
    long["measure"] = long["measure"].map({"spend": "Spend", "revenue": "Attributed revenue"})
    order = df.sort_values("spend", ascending=False)["campaign_name"].tolist()
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("campaign_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("measure:N", sort=["Spend", "Attributed revenue"]),
            x=alt.X("amount:Q", title=f"Amount ({currency})", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "measure:N",
                sort=["Spend", "Attributed revenue"],
                scale=alt.Scale(range=[LOST_COLOR, ACTIVE_COLOR]),
                title=None,
            ),
            tooltip=[
                alt.Tooltip("campaign_name:N", title="Campaign"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("amount:Q", title=currency, format=",.0f"),
                alt.Tooltip("roas:Q", title="ROAS", format=",.2f"),
            ],
        )
        .properties(height=alt.Step(12))
    )


def campaign_funnel_heatmap(df: pd.DataFrame) -> alt.Chart:
    """Campaigns (rows) x active stages (columns): share of the campaign's funnel entries that reached the stage."""
    stages = df.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    campaigns = df.groupby("campaign_name")["funnel_entries"].max().sort_values(ascending=False).index.tolist()
    base = alt.Chart(df).encode(
        x=alt.X("stage_name:N", sort=stages, title="Stage reached", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("campaign_name:N", sort=campaigns, title=None, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "reached_rate:Q",
            title="Reached",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("campaign_name:N", title="Campaign"),
            alt.Tooltip("stage_name:N", title="Stage"),
            alt.Tooltip("funnel_entries:Q", title="Conversations started (funnel entries)", format=","),
            alt.Tooltip("reached_count:Q", title="Reached the stage", format=","),
            alt.Tooltip("reached_rate:Q", title="Share reached", format=".1%"),
        ],
    )
    labels = base.mark_text(baseline="middle").encode(
        text=alt.Text("reached_rate:Q", format=".0%"),
        color=alt.condition("datum.reached_rate > 0.5", alt.value("white"), alt.value("black")),
    )
    return (cells + labels).properties(height=alt.Step(28))


# --------------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------------
# Where each RFM cell sits on the lifecycle map (Omnisend's layout): x = days since the last order (recent on
# the left), y = repeat buying and value (top = repeat buyers). Cells that span several bands span them here.
RECENCY_BANDS = ["< 40 days", "40–90 days", "90–180 days", "180+ days"]
RFM_CELL_BOXES = {
    "Champions": (0, 1, 1, 2),
    "Recent customers": (0, 1, 0, 1),
    "Loyalists": (1, 2, 1, 2),
    "High potential": (1, 2, 0.5, 1),
    "Need nurturing": (1, 2, 0, 0.5),
    "At risk": (2, 3, 0, 2),
    "About to lose": (3, 4, 0, 2),
}
CHURN_BAND_COLORS = {"low": "#16a34a", "medium": "#ca8a04", "high": LOST_COLOR, "not predicted": "#9ca3af"}


def rfm_grid(df: pd.DataFrame, selected: str | None = None) -> alt.Chart:
    """The RFM lifecycle map as a grid: one box per cell, placed by recency and repeat buying, coloured by its
    share of customers, labelled with its name and count; the selected cell outlined."""
    data = df.copy()
    boxes = data["rfm_cell"].map(RFM_CELL_BOXES)
    data = data[boxes.notna()].copy()
    boxes = boxes[boxes.notna()]
    data["x0"], data["x1"], data["y0"], data["y1"] = zip(*boxes, strict=True)
    data["xc"] = (data["x0"] + data["x1"]) / 2
    data["yc"] = (data["y0"] + data["y1"]) / 2
    data["label"] = data["rfm_cell"]
    data["count_label"] = data["customers"].map(lambda n: f"{int(n):,} customer{'' if int(n) == 1 else 's'}")
    data["is_selected"] = data["rfm_cell"] == selected
    x = alt.X(
        "x0:Q",
        title="Days since the last order",
        scale=alt.Scale(domain=[0, 4]),
        axis=alt.Axis(
            values=[0.5, 1.5, 2.5, 3.5],
            labelExpr="".join(f"datum.value == {i + 0.5} ? '{b}' : " for i, b in enumerate(RECENCY_BANDS)) + "''",
            grid=False,
        ),
    )
    y = alt.Y(
        "y0:Q",
        title=None,
        scale=alt.Scale(domain=[0, 2]),
        axis=alt.Axis(
            values=[0.5, 1.5],
            labelExpr="datum.value == 1.5 ? 'Repeat buyers' : 'One order in the window'",
            grid=False,
        ),
    )
    boxes_chart = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=3)
        .encode(
            x=x,
            x2="x1:Q",
            y=y,
            y2="y1:Q",
            color=alt.Color(
                "share_of_customers:Q",
                title="Share of customers",
                scale=alt.Scale(scheme="blues", domainMin=0),
                legend=alt.Legend(format="%"),
            ),
            tooltip=[
                alt.Tooltip("rfm_cell:N", title="Cell"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("share_of_customers:Q", title="Share", format=".1%"),
                alt.Tooltip("lifetime_revenue:Q", title="Lifetime revenue", format=",.0f"),
                alt.Tooltip("aov:Q", title="AOV", format=",.2f"),
                alt.Tooltip("customers_new:Q", title="New this month", format=","),
                alt.Tooltip("customers_moved_in:Q", title="Moved in", format=","),
                alt.Tooltip("customers_moved_out:Q", title="Moved out", format=","),
            ],
        )
    )
    outline = (
        alt.Chart(data[data["is_selected"]])
        .mark_rect(fillOpacity=0, stroke="#111827", strokeWidth=3)
        .encode(x="x0:Q", x2="x1:Q", y="y0:Q", y2="y1:Q")
    )
    names = (
        alt.Chart(data)
        .mark_text(fontWeight="bold", dy=-7)
        .encode(
            x="xc:Q",
            y="yc:Q",
            text="label:N",
            color=alt.condition("datum.share_of_customers > 0.2", alt.value("white"), alt.value("black")),
        )
    )
    counts = (
        alt.Chart(data)
        .mark_text(dy=8)
        .encode(
            x="xc:Q",
            y="yc:Q",
            text="count_label:N",
            color=alt.condition("datum.share_of_customers > 0.2", alt.value("white"), alt.value("black")),
        )
    )
    return alt.layer(boxes_chart, outline, names, counts).properties(height=360)


def cohort_heatmap(df: pd.DataFrame, grain: str) -> alt.Chart:
    """Acquisition cohorts (rows) x periods since the first order (columns): share of the cohort that ordered."""
    data = df.assign(cohort_label=df["cohort_start"].dt.strftime("%b %Y" if grain == "month" else "%Y-%m"))
    cohorts = data.sort_values("cohort_start")["cohort_label"].drop_duplicates().tolist()
    base = alt.Chart(data).encode(
        x=alt.X("period_number:O", title=f"{grain.capitalize()}s since the first order", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort_label:N", sort=cohorts, title=f"First-order {grain}"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "retention_rate:Q",
            title="Ordered again",
            scale=alt.Scale(scheme="greens", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("cohort_label:N", title="Cohort"),
            alt.Tooltip("period_number:O", title=f"{grain.capitalize()}s since"),
            alt.Tooltip("cohort_customers:Q", title="Customers in cohort", format=","),
            alt.Tooltip("active_customers:Q", title="Ordered in the period", format=","),
            alt.Tooltip("retention_rate:Q", title="Retention", format=".1%"),
            alt.Tooltip("revenue:Q", title="Revenue", format=",.0f"),
        ],
    )
    labels = base.mark_text(baseline="middle").encode(
        text=alt.Text("retention_rate:Q", format=".0%"),
        color=alt.condition("datum.retention_rate > 0.5", alt.value("white"), alt.value("black")),
    )
    return (cells + labels).properties(height=alt.Step(26))


def clv_histogram(df: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """How many customers have each level of CLV (binned), coloured by churn-risk band."""
    data = df.dropna(subset=[column]).assign(band=lambda d: d["churn_risk_band"].fillna("not predicted"))
    bands = [b for b in CHURN_BAND_COLORS if b in set(data["band"])]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{column}:Q", bin=alt.Bin(maxbins=30), title=title, axis=alt.Axis(format=",.0f")),
            y=alt.Y("count():Q", title="Customers", stack=True),
            color=alt.Color(
                "band:N",
                sort=bands,
                scale=alt.Scale(domain=bands, range=[CHURN_BAND_COLORS[b] for b in bands]),
                title="Churn risk",
            ),
            tooltip=[
                alt.Tooltip(f"{column}:Q", bin=alt.Bin(maxbins=30), title=title, format=",.0f"),
                alt.Tooltip("band:N", title="Churn risk"),
                alt.Tooltip("count():Q", title="Customers", format=","),
            ],
        )
        .properties(height=280)
    )


def churn_band_bars(df: pd.DataFrame, value: str, title: str, value_format: str = ",") -> alt.Chart:
    """One bar per churn-risk band (low, medium, high, not predicted)."""
    bands = df["churn_risk_band"].tolist()
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("churn_risk_band:N", sort=bands, title="Churn-risk band", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", title=title),
            color=alt.Color(
                "churn_risk_band:N",
                sort=bands,
                scale=alt.Scale(domain=bands, range=[CHURN_BAND_COLORS.get(b, "#9ca3af") for b in bands]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("churn_risk_band:N", title="Band"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("predicted_clv:Q", title="Predicted CLV", format=",.0f"),
                alt.Tooltip("average_churn_risk:Q", title="Mean churn risk", format=".1%"),
            ],
        )
        .properties(height=260)
    )


def monthly_score(
    df: pd.DataFrame,
    value: str,
    title: str,
    answers: str,
    value_format: str = ",.1f",
    domain: tuple[float, float] | None = None,
) -> alt.Chart:
    """A satisfaction score by answer month (line) over the number of answers it rests on (bars)."""
    base = alt.Chart(df).encode(x=alt.X("answer_month:T", title=None, axis=alt.Axis(format="%b %Y")))
    bars = base.mark_bar(color="#e5e7eb").encode(y=alt.Y(f"{answers}:Q", title="Answers"))
    line = base.mark_line(point=True, color=ACTIVE_COLOR).encode(
        y=alt.Y(f"{value}:Q", title=title, scale=alt.Scale(domain=list(domain)) if domain else alt.Scale()),
        tooltip=[
            alt.Tooltip("answer_month:T", title="Month", format="%b %Y"),
            alt.Tooltip(f"{value}:Q", title=title, format=value_format),
            alt.Tooltip(f"{answers}:Q", title="Answers", format=","),
        ],
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)


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
SYNC_STATUS_LABELS = {
    "success": "Success",
    "partial": "Partial (rows rejected)",
    "failed": "Failed",
    "abandoned": "Abandoned",
    "running": "Running",
}
SYNC_STATUS_COLORS = {
    "Success": "#16a34a",
    "Partial (rows rejected)": "#f59e0b",
    "Failed": LOST_COLOR,
    "Abandoned": "#6b7280",
    "Running": ACTIVE_COLOR,
}
SYNC_OUTCOME_COLORS = {
    "Sent": ACTIVE_COLOR,
    "Unchanged": P90_COLOR,
    "Removed": "#7c3aed",
    "Skipped": "#9ca3af",
    "Failed": LOST_COLOR,
}


def sync_runs_over_time(runs: pd.DataFrame) -> alt.Chart:
    """Sync runs per day, stacked by status."""
    data = runs.assign(status_label=runs["status"].map(SYNC_STATUS_LABELS).fillna(runs["status"]))
    labels = list(SYNC_STATUS_COLORS)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(started_date):T", title=None, axis=alt.Axis(format="%d %b")),
            y=alt.Y("count():Q", title="Sync runs", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "status_label:N",
                title="Status",
                sort=labels,
                scale=alt.Scale(domain=labels, range=[SYNC_STATUS_COLORS[s] for s in labels]),
            ),
            tooltip=[
                alt.Tooltip("yearmonthdate(started_date):T", title="Day"),
                alt.Tooltip("status_label:N", title="Status"),
                alt.Tooltip("count():Q", title="Runs"),
            ],
        )
        .properties(height=260)
    )


def sync_rows_over_time(runs: pd.DataFrame, outcomes: dict[str, str]) -> alt.Chart:
    """Rows per day by outcome (sent, unchanged, removed, skipped, failed), stacked; ``outcomes`` maps the
    run columns to their labels."""
    long = runs.melt(id_vars=["started_date"], value_vars=list(outcomes), var_name="outcome", value_name="rows")
    long["outcome"] = long["outcome"].map(outcomes)
    labels = list(outcomes.values())
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(started_date):T", title=None, axis=alt.Axis(format="%d %b")),
            y=alt.Y("sum(rows):Q", title="Rows", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "outcome:N",
                title="Outcome",
                sort=labels,
                scale=alt.Scale(domain=labels, range=[SYNC_OUTCOME_COLORS.get(o, "#6b7280") for o in labels]),
            ),
            order=alt.Order("outcome_order:Q"),
            tooltip=[
                alt.Tooltip("yearmonthdate(started_date):T", title="Day"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("sum(rows):Q", title="Rows", format=","),
            ],
        )
        .transform_calculate(outcome_order=f"indexof({labels!r}, datum.outcome)")
        .properties(height=260)
    )


def sync_failure_reasons(failures: pd.DataFrame) -> alt.Chart:
    """Rows the destinations reject now, per reason, coloured by sync."""
    return (
        alt.Chart(failures)
        .mark_bar(color=LOST_COLOR)
        .encode(
            y=alt.Y("failure_reason:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
            x=alt.X("sum(failing_rows):Q", title="Rows rejected (retried on the next run)", axis=alt.Axis(format=",d")),
            color=alt.Color("sync_name:N", title="Sync"),
            tooltip=[
                alt.Tooltip("failure_reason:N", title="Reason"),
                alt.Tooltip("sync_name:N", title="Sync"),
                alt.Tooltip("failing_rows:Q", title="Rows", format=","),
                alt.Tooltip("max_attempts:Q", title="Most attempts"),
            ],
        )
        .properties(height=alt.Step(24))
    )


# Contact page (kept after the Activation health charts so the page areas merge apart)
def contact_stage_timeline(spells: pd.DataFrame, until: pd.Timestamp) -> alt.Chart:
    """One bar per stage spell from entry to exit (the current spell runs to ``until``), one row per stage;
    lost stages in red."""
    data = spells.copy()
    data["entered_at"] = pd.to_datetime(data["entered_at"])
    data["shown_until"] = pd.to_datetime(data["exited_at"]).fillna(until)
    data["shown_until"] = data[["entered_at", "shown_until"]].max(axis=1)
    data["kind"] = data["is_lost_stage"].map({True: "Lost stage", False: "Active stage"})
    order = data.drop_duplicates("stage_name")["stage_name"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("stage_name:N", sort=order, title=None),
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=["Active stage", "Lost stage"], range=[ACTIVE_COLOR, LOST_COLOR]),
        ),
        tooltip=[
            alt.Tooltip("stage_name:N", title="Stage"),
            alt.Tooltip("entered_at:T", title="Entered (UTC)", format="%Y-%m-%d %H:%M"),
            alt.Tooltip("exited_at:T", title="Exited (UTC)", format="%Y-%m-%d %H:%M"),
            alt.Tooltip("entered_by_signal:N", title="Moved by"),
        ],
    )
    bars = base.mark_bar(height=14).encode(x=alt.X("entered_at:T", title=None), x2="shown_until:T")
    starts = base.mark_point(filled=True, size=60).encode(x="entered_at:T")
    return (bars + starts).properties(height=max(120, 36 * len(order)))
