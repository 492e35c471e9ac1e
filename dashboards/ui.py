"""Small presentation helpers shared by the pages: number formats, masking, warnings."""

from __future__ import annotations

import os
import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.warehouse_access import (
    MartMissing,
    MartShapeError,
    WarehouseLocked,
    WarehouseMissing,
    WarehouseUnavailable,
)

RUN_HINT = "Run `lifecycle run` (or `make pipeline`) to build it, then reload this page."


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes
        return False


def fmt_int(value: Any) -> str:
    return "–" if _is_missing(value) else f"{int(value):,}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    return "–" if _is_missing(value) else f"{float(value) * 100:.{digits}f}%"


def fmt_money(value: Any, currency: str = "", digits: int = 0) -> str:
    """``12345.6, 'USD'`` -> ``12,346 USD``."""
    if _is_missing(value):
        return "–"
    return f"{float(value):,.{digits}f}" + (f" {currency}" if currency else "")


def fmt_number(value: Any, digits: int = 0) -> str:
    """A score such as NPS or a CSAT average: ``12.5`` -> ``13`` (digits=0), "–" when undefined."""
    return "–" if _is_missing(value) else f"{float(value):,.{digits}f}"


def fmt_ratio(value: Any, digits: int = 2) -> str:
    """A multiple such as ROAS: ``2.345`` -> ``2.35×``."""
    return "–" if _is_missing(value) else f"{float(value):.{digits}f}×"


def ratio_text(df: pd.DataFrame) -> pd.DataFrame:
    """CPL, CAC (money, 2 digits) and ROAS (a multiple) as text, "–" where undefined (no leads, customers or
    spend), so that tables never show "None"."""
    out = df.copy()
    for column in ("cpl", "cac"):
        if column in out:
            out[column] = out[column].map(lambda v: fmt_money(v, digits=2))
    if "roas" in out:
        out["roas"] = out["roas"].map(fmt_ratio)
    return out


def fmt_duration(seconds: Any) -> str:
    """Seconds as the largest unit that reads well: 45 s, 12.5 min, 3.2 h, 4.1 d."""
    if _is_missing(seconds):
        return "–"
    s = float(seconds)
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    if s < 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def fmt_delta(now: Any, before: Any, kind: str) -> str | None:
    """The change against the previous period, as the KPI cards show it (None: nothing to compare).

    count: '+12 (+8.0%)'; rate: '+1.2 pp'; money: '+5.0%'; ratio: '+0.35×'; duration: '-2.5 min'."""
    if _is_missing(now) or _is_missing(before):
        return None
    now, before = float(now), float(before)
    diff = now - before
    sign = "+" if diff >= 0 else "-"
    relative = f"{sign}{abs(diff) / abs(before) * 100:.1f}%" if before else None
    if kind == "count":
        return f"{sign}{abs(int(round(diff))):,}" + (f" ({relative})" if relative else "")
    if kind == "rate":
        return f"{sign}{abs(diff) * 100:.1f} pp"
    if kind == "money":
        return relative or f"{sign}{abs(diff):,.0f}"
    if kind == "ratio":
        return f"{sign}{abs(diff):.2f}×"
    if kind == "duration":
        return f"{sign}{fmt_duration(abs(diff))}"
    raise ValueError(f"unknown delta kind {kind!r}")


def mask_email(email: Any) -> str:
    """``jane.doe@example.com`` -> ``j•••@e•••.com``: enough to recognise, not to copy."""
    if _is_missing(email) or "@" not in str(email):
        return "–" if _is_missing(email) else "•••"
    local, _, domain = str(email).partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}•••@{host[:1]}•••{dot}{tld}"


def mask_phone(phone: Any) -> str:
    """``+447700900123`` -> ``+44•••••••23``: country code and the last two digits."""
    if _is_missing(phone):
        return "–"
    digits = re.sub(r"\D", "", str(phone))
    if len(digits) <= 4:
        return "•" * len(digits)
    head = "+" + digits[:2] if str(phone).strip().startswith("+") else digits[:2]
    return head + "•" * (len(digits) - 4) + digits[-2:]


def fmt_money(value: Any, currency: str = "") -> str:
    return "–" if _is_missing(value) else f"{float(value):,.2f} {currency}".strip()


def mask_name(name: Any) -> str:
    """``Jane`` -> ``J•••``."""
    if _is_missing(name):
        return "–"
    text = str(name).strip()
    return f"{text[:1]}•••" if text else "–"


# The documented setting (README, "Credentials"): the dashboards mask e-mails, phones, names and other
# personal identifiers unless this variable is 1 / true / yes when the app starts or reruns.
SHOW_PERSONAL_DATA_ENV = "LIFECYCLE_DASHBOARD_SHOW_PERSONAL_DATA"


def personal_data_allowed() -> bool:
    return os.environ.get(SHOW_PERSONAL_DATA_ENV, "").strip().lower() in {"1", "true", "yes"}


# Record ids of the source systems: not personal data on their own, shown as they are.
TECHNICAL_IDENTIFIERS = frozenset({"respondio_contact_id", "hubspot_contact_id", "salesforce_id", "shop_customer_id"})


def mask_identifier(identifier_type: str, value: Any) -> str:
    """Emails and phones masked as such; any other identifier that is not a record id keeps 2+2 characters."""
    if _is_missing(value):
        return "–"
    text = str(value)
    if identifier_type == "email" or "@" in text:
        return mask_email(text)
    if identifier_type == "phone":
        return mask_phone(text)
    if identifier_type in TECHNICAL_IDENTIFIERS:
        return text
    return text[:2] + "•" * max(len(text) - 4, 1) + text[-2:] if len(text) > 4 else "•" * len(text)


def show_unavailable(exc: WarehouseUnavailable) -> None:
    """The warning a page shows instead of a traceback when the warehouse cannot answer."""
    if isinstance(exc, WarehouseMissing):
        st.warning(f"No warehouse found at `{exc.path}`. {RUN_HINT}", icon=":material/database_off:")
    elif isinstance(exc, WarehouseLocked):
        st.warning(
            f"The warehouse `{exc.path}` is locked by a running pipeline (DuckDB allows one writer at a time). "
            "Wait for the run to finish, then retry.",
            icon=":material/lock:",
        )
        if st.button("Retry", key="retry_locked", icon=":material/refresh:"):
            st.cache_data.clear()
            st.rerun()
    elif isinstance(exc, MartMissing):
        st.warning(
            f"The warehouse has not been built yet: {', '.join(f'`{n}`' for n in exc.names)} "
            f"{'is' if len(exc.names) == 1 else 'are'} missing. {RUN_HINT}",
            icon=":material/construction:",
        )
    elif isinstance(exc, MartShapeError):
        st.warning(f"{exc} The warehouse was built by an older version. {RUN_HINT}", icon=":material/construction:")
    else:
        st.warning(f"{exc} {RUN_HINT}")
