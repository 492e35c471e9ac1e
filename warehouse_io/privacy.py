"""Keeping personal values out of messages: reasons, log lines, errors, run details.

Our own messages name fields and kinds of problems, never values (:mod:`ingestion.parsing`). Text we
do not write ourselves can still carry personal data: an API's error body that echoes the rejected
email, a database error quoting the value it could not convert, an exception's ``str()``. Every such
text passes through :func:`redact` before it is stored in an ``ops`` table or logged: email addresses
and phone-like numbers become ``<email>`` and ``<phone>``.
"""

from __future__ import annotations

import re

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
