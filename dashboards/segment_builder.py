"""The segment builder's output: a YAML segment file, in the format activation's loader reads.

The builder collects ``filters`` (the same keys and shapes as the ``filters:`` of
``activation/segments/<name>.yml``, documented in :mod:`activation.segments` and docs/activation.md);
:func:`dashboards.queries.builder_count` counts them with the yaml_segment macro's semantics, and
:func:`segment_yaml` writes the file an analytics engineer commits (``lifecycle segments generate`` turns
it into the model ``seg_<name>``). The dashboards may not import :mod:`activation` (the layers), so the
name rule is repeated here and tests/test_dashboards_segments.py checks the output with the real loader.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

# activation.segments._NAME: the file name becomes the model seg_<name>
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,55}$")
# the order of the keys in the format's documentation
FILTER_ORDER = (
    "stage",
    "stage_at_least",
    "lost_stage",
    "channel",
    "consent",
    "reachable",
    "days_since_last_inbound",
    "days_since_last_order",
    "orders",
    "nps",
    "entered_funnel_within_days",
    "campaign",
    "entry_platform",
    "rfm_cell",
    "clv",
    "churn_risk",
)


CHANNEL_LABELS = {"whatsapp": "WhatsApp", "tiktok": "TikTok", "webchat": "Web chat", "sms": "SMS"}


def channel_label(channel: str | None) -> str:
    """``whatsapp`` -> ``WhatsApp``, ``email`` -> ``Email``: how the builder shows a channel."""
    if channel is None:
        return "any channel or none"
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())


def number(value: float) -> int | float:
    """3.0 -> 3, 0.25 -> 0.25 (what a person would write in the file)."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def value_range(low: float | None, high: float | None) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    if low is not None:
        out["min"] = number(low)
    if high is not None:
        out["max"] = number(high)
    return out


def clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Only the filters that were set, in the documented order."""
    out = {}
    for key in FILTER_ORDER:
        value = filters.get(key)
        if value is None or value == [] or value == {}:
            continue
        out[key] = value
    return out


def name_problem(name: str, taken: set[str]) -> str | None:
    """Why ``name`` cannot be the file name (None when it can)."""
    if not NAME_PATTERN.match(name):
        return "Use lower-case letters, digits and underscores, starting with a letter (at most 56 characters)."
    if name in taken:
        return f"A segment named {name} exists already: pick another name."
    return None


def describe(filters: dict[str, Any]) -> str:
    """A one-line description of the filters, as a starting point for the segment's description."""
    parts = []
    stages = list(filters.get("stage") or []) + list(filters.get("lost_stage") or [])
    if stages:
        parts.append("in " + " or ".join(stages))
    if filters.get("channel"):
        parts.append("who wrote on " + " or ".join(filters["channel"]))
    if filters.get("consent"):
        c = filters["consent"]
        parts.append(f"{'opted in' if c.get('require_opt_in') else 'reachable'} on {c['channel']}")
    for key, label in (
        ("days_since_last_inbound", "days since the last message"),
        ("days_since_last_order", "days since the last order"),
        ("clv", "predicted CLV"),
        ("churn_risk", "churn risk"),
    ):
        r = filters.get(key)
        if r:
            parts.append(f"{label} {r.get('min', '…')}–{r.get('max', '…')}")
    if filters.get("rfm_cell"):
        parts.append("RFM cell " + " or ".join(filters["rfm_cell"]))
    if filters.get("campaign"):
        parts.append("entered through campaign " + " or ".join(filters["campaign"]))
    return ("Contacts " + ", ".join(parts) + ".") if parts else ""


def segment_yaml(name: str, description: str, filters: dict[str, Any], today: dt.date | None = None) -> str:
    """The YAML segment file ``activation/segments/<name>.yml`` for these filters."""
    today = today or dt.datetime.now(dt.UTC).date()
    header = (
        f"# activation/segments/{name}.yml, made with the dashboards' segment builder on {today:%Y-%m-%d}.\n"
        "# Commit it, then run `lifecycle segments generate` (writes the model seg_" + name + ").\n"
    )
    body = {"description": " ".join(description.split()), "filters": clean_filters(filters)}
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
