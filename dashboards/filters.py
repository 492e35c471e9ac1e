"""The filter bar of the lifecycle pages (Overview, Funnel, Response times): date range, channel, ad platform,
campaign.

Widgets only; the options come from :func:`dashboards.queries.filter_options` (the KPI mart's values, with
campaign names). Each page passes its own key prefix so its filters keep their state apart.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboards import queries

ALL = "All"


def _choice(label: str, options: list[tuple[str, str]], key: str) -> str | None:
    labels = {value: shown for value, shown in options}
    picked = st.selectbox(
        label,
        [None, *labels],
        format_func=lambda v: ALL if v is None else str(labels.get(v, v)),
        key=key,
    )
    return picked


FUNNEL_ENTRY_HELP = "Leads are counted on the day they entered the funnel; spend and revenue on their own day."


def filter_bar(
    prefix: str,
    first_day: dt.date,
    last_day: dt.date,
    *,
    date_label: str = "Funnel entry between",
    date_help: str = FUNNEL_ENTRY_HELP,
    default_days: int | None = 30,
) -> tuple[dt.date, dt.date, queries.Filters]:
    """Date range (default: the last ``default_days`` days of data, None: all of it) and the three filters;
    returns (start, end, filters)."""
    options = queries.filter_options()
    default_start = first_day if default_days is None else max(first_day, last_day - dt.timedelta(days=default_days - 1))
    cols = st.columns([2, 1, 1, 2])
    with cols[0]:
        picked = st.date_input(
            date_label,
            value=(default_start, last_day),
            min_value=first_day,
            max_value=last_day,
            key=f"{prefix}_range",
            help=date_help,
        )
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else (default_start, last_day)
    with cols[1]:
        channel = _choice("Channel", options["channel"], f"{prefix}_channel")
    with cols[2]:
        platform = _choice("Ad platform", options["platform"], f"{prefix}_platform")
    with cols[3]:
        campaign = _choice("Campaign", options["campaign"], f"{prefix}_campaign")
    return start, end, queries.Filters(channel=channel, platform=platform, campaign_id=campaign)
