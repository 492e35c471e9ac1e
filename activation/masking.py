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

# mask / mask_row / PERSONAL_COLUMNS live in warehouse_io.privacy, shared with the dashboards' previews
from warehouse_io.privacy import PERSONAL_COLUMNS, mask, mask_row

__all__ = ["PERSONAL_COLUMNS", "mask", "mask_payload", "mask_row", "redact"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w-])(?:\+\d[\d .()-]{5,}\d|\d{9,})(?![\w-])")


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
