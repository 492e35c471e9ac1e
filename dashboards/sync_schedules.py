"""The syncs of ``activation/syncs/`` as the Activation health page needs them, and when each is overdue.

The dashboards do not import :mod:`activation` (the layers stay apart, README), so this reads the few keys
it shows straight from the sync files: description, destination type, source model, schedule, enabled.
A file it cannot read is listed with its problem instead of failing the page (``lifecycle sync list``
validates the files for real).

A scheduled sync is **overdue** when one of its scheduled times passed more than :data:`GRACE` ago and no
run of it finished (success or partial) since: its schedule is stopped, the Dagster daemon is down, or
its runs fail. A sync that has never run is reported apart (schedules are created stopped, so a fresh
warehouse has such syncs by design). Cron expressions have 5 fields (minute hour day-of-month month
day-of-week, in UTC) with ``*``, lists, ranges and steps, as Dagster reads them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

SYNCS_DIR = Path(__file__).resolve().parent.parent / "activation" / "syncs"
SYNCS_DIR_ENV = "LIFECYCLE_SYNCS_DIR"
GRACE = dt.timedelta(hours=1)  # a scheduled run may start late and take a while
_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_SEARCH_DAYS = 5 * 366  # "0 0 29 2 *" fires once in four years


@dataclass(frozen=True)
class SyncInfo:
    name: str
    description: str = ""
    destination: str = ""
    source_model: str = ""
    schedule: str | None = None
    enabled: bool = True
    problem: str | None = None


def syncs_dir() -> Path:
    folder = os.environ.get(SYNCS_DIR_ENV)
    return Path(folder) if folder else SYNCS_DIR


def load_syncs(folder: Path | None = None) -> list[SyncInfo]:
    """Every ``*.yml`` of the syncs folder, sorted by name (an unreadable file keeps its name and problem)."""
    out = []
    for path in sorted((folder or syncs_dir()).glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            source = data.get("source") or {}
            destination = data.get("destination") or {}
            schedule = data.get("schedule")
            if schedule is not None:
                schedule = str(schedule).strip()
                cron_fields(schedule)  # a bad expression is a problem of this file, shown as such
            out.append(
                SyncInfo(
                    path.stem,
                    str(data.get("description") or ""),
                    str(destination.get("type") or ""),
                    str(source.get("model") or ""),
                    schedule or None,
                    bool(data.get("enabled", True)),
                )
            )
        except (OSError, yaml.YAMLError, ValueError, AttributeError, TypeError) as exc:
            out.append(SyncInfo(path.stem, problem=f"{type(exc).__name__}: {str(exc)[:200]}"))
    return out


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            start, end = (int(x) for x in body.split("-", 1))
        else:
            start = int(body)
            end = high if step_text else start
        top = 7 if high == 6 else high  # day of week: 0 and 7 are both Sunday
        if step < 1 or not low <= start <= end <= top:
            raise ValueError(f"cron field {text!r} is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(v % 7 if high == 6 else v for v in values)


def cron_fields(expression: str) -> tuple[frozenset[int], ...]:
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"expected 5 cron fields, got {expression!r}")
    return tuple(_field(p, lo, hi) for p, (lo, hi) in zip(parts, _FIELDS, strict=True))


def previous_fire(expression: str, at_or_before: dt.datetime) -> dt.datetime | None:
    """The latest scheduled time of ``expression`` at or before ``at_or_before`` (naive UTC), within 5 years."""
    minutes, hours, doms, months, dows = cron_fields(expression)
    dom_any, dow_any = expression.split()[2] in ("*", "?"), expression.split()[4] in ("*", "?")
    times = sorted(((h, m) for h in hours for m in minutes), reverse=True)
    limit = at_or_before.replace(second=0, microsecond=0)
    for back in range(_SEARCH_DAYS):
        day = limit.date() - dt.timedelta(days=back)
        if day.month not in months:
            continue
        dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
        # cron: when both day fields are restricted, either one matching is enough
        if not ((dom_ok or dow_ok) if not (dom_any or dow_any) else (dom_ok and dow_ok)):
            continue
        for h, m in times:
            fire = dt.datetime.combine(day, dt.time(h, m))
            if fire <= limit:
                return fire
    return None


def overdue_since(schedule: str, last_finished_at: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The scheduled time a sync missed (more than GRACE ago, no finished run since), or None.

    A sync that never finished a run is not overdue here: the page lists it as never run."""
    if last_finished_at is None:
        return None
    missed = previous_fire(schedule, now - GRACE)
    return missed if missed is not None and missed > last_finished_at else None
