"""Turning source values into warehouse values: one set of parsers for the connectors and the file drop.

Every parser takes the raw value and the field's name, returns the parsed value (``None`` for an empty
value unless ``required``) and raises :class:`BadValue` otherwise. The message names the field and the
kind of problem, never the value: a value can be personal data (an email in a swapped column), and
these messages end up in ``ops.quarantine`` and in logs.

Timestamps become naive UTC ``datetime`` objects (the warehouse convention) and must fall in
:data:`PLAUSIBLE_FROM` .. :data:`PLAUSIBLE_UNTIL`: a year-0001 or year-9999 value is a placeholder or
a typo, and letting it through breaks the models downstream (age, recency and report windows).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

PLAUSIBLE_FROM = datetime(1970, 1, 1)
PLAUSIBLE_UNTIL = datetime(2100, 1, 1)
BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1
MONEY_LIMIT = Decimal(10) ** 16  # decimal(18,2)

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$",
    re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+(\.0+)?$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


class BadRecord(ValueError):
    """A record that cannot be loaded; the message is the quarantine reason (never a personal value)."""


class BadValue(BadRecord):
    """One field of a record holds a value of the wrong kind: ``field`` plus ``problem`` ("is not a timestamp")."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def is_empty(value: Any) -> bool:
    """None, NaN, or text that is only whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _missing(field: str, required: bool) -> None:
    if required:
        raise BadValue(field, "is missing")
    return None


# ------------------------------------------------------------------------------------------------
# Timestamps and dates
# ------------------------------------------------------------------------------------------------
def _from_iso_text(text: str, field: str) -> datetime:
    m = _TIMESTAMP.match(text.strip())
    if not m:
        raise BadValue(field, "is not a timestamp")
    day, hhmm, seconds, fraction, zone = m.groups()
    iso = f"{day}T{hhmm or '00:00'}:{seconds or '00'}"
    if fraction:
        iso += "." + fraction[:6].ljust(6, "0")
    if zone:
        zone = zone.upper()
        if zone == "Z":
            zone = "+00:00"
        elif len(zone) == 3:
            zone += ":00"
        elif ":" not in zone:
            zone = zone[:3] + ":" + zone[3:]
        iso += zone
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        raise BadValue(field, "is not a timestamp") from None


def _from_epoch(number: float, field: str) -> datetime:
    if not math.isfinite(number):
        raise BadValue(field, "is not a timestamp")
    if abs(number) > 1e11:  # milliseconds
        number /= 1000.0
    try:
        return datetime(1970, 1, 1) + timedelta(seconds=number)
    except OverflowError:
        raise BadValue(field, "is out of the plausible range") from None


def parse_ts(value: Any, field: str = "timestamp", *, required: bool = False, epoch: bool = True) -> datetime | None:
    """Any timestamp -> naive UTC ``datetime``.

    Accepts ISO 8601 with ``T`` or a space, ``Z`` or an offset (``+00``, ``+0000``, ``+00:00``), up to nine
    fraction digits; a date alone (midnight UTC); ``datetime`` / ``date`` objects; and, with ``epoch``
    (API values), epoch seconds or milliseconds as numbers or digit strings. Values outside the
    plausible range are rejected.
    """
    if is_empty(value):
        return _missing(field, required)
    if isinstance(value, bool):
        raise BadValue(field, "is not a timestamp")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, (int, float)):
        if not epoch:
            raise BadValue(field, "is not a timestamp")
        dt = _from_epoch(float(value), field)
    elif isinstance(value, str):
        text = value.strip()
        if epoch and text.isdigit():
            dt = _from_epoch(float(text), field)
        else:
            dt = _from_iso_text(text, field)
    else:
        raise BadValue(field, "is not a timestamp")
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise BadValue(field, "is out of the plausible range") from None
    if not PLAUSIBLE_FROM <= dt < PLAUSIBLE_UNTIL:
        raise BadValue(field, f"is out of the plausible range ({PLAUSIBLE_FROM:%Y} to {PLAUSIBLE_UNTIL.year - 1})")
    return dt


def parse_date(value: Any, field: str = "date", *, required: bool = False) -> date | None:
    """``YYYY-MM-DD`` (or the date part of a timestamp string / object) -> ``date``."""
    if is_empty(value):
        return _missing(field, required)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        head = text[:10]
        if _DATE.match(head) and (len(text) == 10 or text[10] in "T "):
            try:
                parsed = date.fromisoformat(head)
            except ValueError:
                raise BadValue(field, "is not a date (YYYY-MM-DD)") from None
            if not PLAUSIBLE_FROM.date() <= parsed < PLAUSIBLE_UNTIL.date():
                raise BadValue(field, "is out of the plausible range")
            return parsed
    raise BadValue(field, "is not a date (YYYY-MM-DD)")


def ts_iso(dt: datetime | None) -> str | None:
    """Naive UTC datetime -> ISO string with Z (what cursors store)."""
    return None if dt is None else dt.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def day_start(d: date | None) -> datetime | None:
    return None if d is None else datetime.combine(d, time())


def day_end_exclusive(d: date | None) -> datetime | None:
    """``end`` arguments are inclusive days; the exclusive bound is the next midnight."""
    return None if d is None else datetime.combine(d + timedelta(days=1), time())


# ------------------------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------------------------
def parse_int(value: Any, field: str = "id", *, required: bool = False, maximum: int = BIGINT_MAX) -> int | None:
    """Whole numbers: ints, integral floats / decimals, digit strings (``"12"``, ``"-3"``, ``"7.0"``)."""
    if is_empty(value):
        return _missing(field, required)
    if isinstance(value, bool):
        raise BadValue(field, "is not an integer")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        n = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        n = int(value.strip().split(".")[0])
    else:
        raise BadValue(field, "is not an integer")
    if abs(n) > maximum:
        raise BadValue(field, "is out of range")
    return n


def to_decimal(value: Any, field: str = "amount") -> Decimal:
    """A number -> ``Decimal`` rounded half-up to cents, within ``decimal(18,2)``."""
    if isinstance(value, bool):
        raise BadValue(field, "is not a decimal number")
    if isinstance(value, str) and not _DECIMAL.match(value.strip()):
        raise BadValue(field, "is not a decimal number (use '.' and no thousands separator)")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadValue(field, "is not a decimal number") from None
    if not d.is_finite():
        raise BadValue(field, "is not a decimal number")
    d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(d) >= MONEY_LIMIT:
        raise BadValue(field, "is out of range")
    return d


def parse_decimal(value: Any, field: str = "amount", *, required: bool = False) -> str | None:
    """Money as canonical text with two decimals (DuckDB casts it to ``decimal(18,2)`` exactly)."""
    if is_empty(value):
        return _missing(field, required)
    return f"{to_decimal(value, field):.2f}"


# ------------------------------------------------------------------------------------------------
# Booleans and text
# ------------------------------------------------------------------------------------------------
def parse_bool(value: Any, field: str = "flag", *, required: bool = False) -> bool | None:
    if is_empty(value):
        return _missing(field, required)
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise BadValue(field, "is not a boolean")


def check_text(text: str, field: str = "value") -> str:
    """``text`` itself, unless it holds a NUL character or a lone UTF-16 surrogate (not storable text)."""
    bad = _BAD_TEXT.search(text)
    if bad is not None:
        if bad.group(0) == "\x00":
            raise BadValue(field, "contains a NUL character")
        raise BadValue(field, "is not valid Unicode text (it holds a lone UTF-16 surrogate)")
    return text


def parse_str(value: Any, field: str = "value") -> str | None:
    """A scalar as text (None stays None); objects, lists, NUL characters and lone surrogates are rejected."""
    if value is None:
        return None
    if isinstance(value, (Mapping, list, dict)):
        raise BadValue(field, "is not a scalar")
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return check_text(bytes(value).decode("utf-8"), field)
        except UnicodeDecodeError:
            raise BadValue(field, "is not UTF-8 text") from None
    return check_text(str(value), field)


def require(record: Mapping[str, Any], key: str) -> Any:
    if not isinstance(record, Mapping):
        raise BadRecord("record is not an object")
    value = record.get(key)
    if value is None or value == "":
        raise BadValue(key, "is missing")
    return value
