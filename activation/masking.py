"""Masking personal data for previews, and redacting it from reasons and errors.

- :func:`mask` shows the shape of a value without the value: ``j***@e***.com``, ``+44*******23``,
  ``A***``. Previews (``lifecycle segments preview``, the dry-run preview) mask the columns dbt tags
  ``meta: {sensitive: true}`` and the destination's personal fields, unless asked not to.
- :func:`redact` replaces e-mail addresses and phone-like numbers in free text (a destination's
  rejection reason may quote the value it rejected) before the text is stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w-])(?:\+\d[\d .()-]{5,}\d|\d{9,})(?![\w-])")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")

# column names that hold personal data even where no dbt meta says so
PERSONAL_COLUMNS = frozenset({
    "email", "phone", "first_name", "last_name", "name", "full_name", "identities", "em", "ph", "fn", "ln",
    "ctwa_clid", "fbc", "fbp", "ttclid", "click_id", "ip", "client_ip_address", "client_user_agent",
    "user_agent", "address", "street", "city", "zip", "zp", "ct", "db", "birthday",
})


def mask(value: Any) -> Any:
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
    hidden = set(sensitive) | PERSONAL_COLUMNS
    return {k: (mask(v) if k in hidden else v) for k, v in row.items()}


def mask_payload(payload: Any, personal: Iterable[str] = ()) -> Any:
    """A payload with personal fields masked, at any depth (keys in ``personal`` or known personal names)."""
    hidden = set(personal) | PERSONAL_COLUMNS
    if isinstance(payload, Mapping):
        return {k: (mask(v) if k in hidden else mask_payload(v, hidden)) for k, v in payload.items()}
    if isinstance(payload, list):
        return [mask_payload(v, hidden) for v in payload]
    return payload


def redact(text: str) -> str:
    """Free text with e-mail addresses and phone-like numbers replaced."""
    return _PHONE.sub("<number>", _EMAIL.sub("<email>", text))
