"""Small presentation helpers shared by the pages: number formats, masking, warnings."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import personal_data
from dashboards.warehouse_access import (
    MartMissing,
    MartShapeError,
    WarehouseLocked,
    WarehouseMissing,
    WarehouseUnavailable,
)
from warehouse_io.privacy import mask

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
    """``jane.doe@example.com`` -> ``j***@e***.com``: enough to recognise, not to copy (the masking of every
    surface, :func:`warehouse_io.privacy.mask`)."""
    return "–" if _is_missing(email) else str(mask(str(email)))


def mask_phone(phone: Any) -> str:
    """``+447700900123`` -> ``+44********23``: country code and the last two digits."""
    return "–" if _is_missing(phone) else str(mask(str(phone)))


def mask_name(name: Any) -> str:
    """``Jane`` -> ``J***``."""
    if _is_missing(name) or not str(name).strip():
        return "–"
    return str(mask(str(name).strip()))


# The one documented setting (README, "Credentials"; dashboards/personal_data.py).
SHOW_PERSONAL_DATA_ENV = personal_data.SETTING


def personal_data_allowed() -> bool:
    return personal_data.allowed()


# Record ids of the source systems: not personal data on their own, shown as they are.
TECHNICAL_IDENTIFIERS = frozenset({"respondio_contact_id", "hubspot_contact_id", "salesforce_id", "shop_customer_id"})


def mask_identifier(identifier_type: str, value: Any) -> str:
    """E-mails, phones and every other identifier that is not a source system's record id, masked."""
    if _is_missing(value):
        return "–"
    text = str(value)
    if identifier_type in TECHNICAL_IDENTIFIERS and "@" not in text:
        return text
    return str(mask(text))


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
