"""Keeping personal values out of messages: reasons, log lines, errors, run details.

Our own messages name fields and kinds of problems, never values (:mod:`ingestion.parsing`). Text we
do not write ourselves can still carry personal data: an API's error body that echoes the rejected
email, a database error quoting the value it could not convert, an exception's ``str()``. Every such
text passes through :func:`redact` before it is stored in an ``ops`` table or logged: email addresses
and phone-like numbers become ``<email>`` and ``<phone>``.

Previews of personal rows (``lifecycle segments preview``, the dry-run preview, the dashboards' segment
previews) show each personal value's shape, not the value, with :func:`mask` / :func:`mask_row`: one
masking for every surface.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# seven or more digits, optionally with +, spaces, dots, dashes, slashes or parentheses between them
# (phone numbers in any national or international format); shorter numbers (codes, counts, years) stay.
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d(?:[\d \-./()]{5,}\d)(?![\w])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match[str], international_only: bool = False) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or _DATE_PREFIX.match(text):  # short numbers, dates and timestamps stay
        return text
    if international_only and not text.startswith("+"):
        return text
    return "<phone>"


def redact(text: object, limit: int | None = None, *, international_only: bool = False) -> str:
    """``text`` with email addresses and phone numbers replaced, control characters escaped, cut to ``limit``.

    ``international_only`` replaces only ``+``-prefixed numbers: for texts whose long digit runs are
    our own ids and line numbers (record refs), where only a value in the wrong place looks like ``+49...``.
    """
    out = _EMAIL.sub("<email>", str(text))
    out = _PHONE.sub(lambda m: _phone(m, international_only), out)
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", out)
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 3)] + "..."
    return out


def safe_error(exc: BaseException, limit: int = 500) -> str:
    """``TypeName: message`` of an exception, redacted and on one line (for run details and logs)."""
    text = " ".join(str(exc).split())
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, limit)


# --------------------------------------------------------------------------------------------------
# Masking rows for previews (shared by activation's previews and the dashboards)
# --------------------------------------------------------------------------------------------------
_HEX64 = re.compile(r"^[a-f0-9]{64}$")

# column names that hold personal data even where no dbt meta says so
PERSONAL_COLUMNS = frozenset({
    "email", "phone", "first_name", "last_name", "name", "full_name", "identities", "em", "ph", "fn", "ln",
    "ctwa_clid", "fbc", "fbp", "ttclid", "click_id", "ip", "client_ip_address", "client_user_agent",
    "user_agent", "address", "street", "city", "zip", "zp", "ct", "db", "birthday",
})


def mask(value: Any) -> Any:
    """The shape of a value without the value: ``j***@e***.com``, ``+44*******23``, ``A***``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return "***"
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, Mapping):
        return {k: mask(v) for k, v in value.items()}
    text = str(value)
    if not text:
        return text
    if _HEX64.match(text):  # already hashed: show that it is a hash, not the hash
        return text[:6] + "…(sha256)"
    if "@" in text:
        local, _, domain = text.partition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{(host or tld)[:1]}***{dot}{tld if host else ''}"
    if text.startswith("+") and text[1:].replace(" ", "").isdigit():
        return text[:3] + "*" * max(len(text) - 5, 3) + text[-2:]
    if len(text) <= 2:
        return "*" * len(text)
    return text[:1] + "***"


def mask_row(row: Mapping[str, Any], sensitive: Iterable[str]) -> dict[str, Any]:
    """``row`` with the columns in ``sensitive`` and the known personal column names masked."""
    hidden = set(sensitive) | PERSONAL_COLUMNS
    return {k: (mask(v) if k in hidden else v) for k, v in row.items()}
