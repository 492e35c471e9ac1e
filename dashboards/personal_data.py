"""Personal data in the dashboards: masked unless the person serving them allows it.

Rows of contacts (segment previews, the segment builder's preview, their CSV downloads, the Contact and
Customers pages) show each
e-mail, phone and name masked (``j***@e***.com``, ``+44*******23``, ``A***``), with the masking the CLI
previews use (:func:`warehouse_io.privacy.mask_row`): the columns dbt tags ``meta: {sensitive: true}``
and the known personal column names. Whoever runs the dashboards for people allowed to see personal data
sets ``LIFECYCLE_DASHBOARD_SHOW_PERSONAL_DATA=1`` (or true / yes) in their environment (the dashboards' counterpart of
``lifecycle segments preview --show-personal-data``); anything else keeps the masks. The setting is read
when a page runs, never at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from warehouse_io.privacy import mask_row

SETTING = "LIFECYCLE_DASHBOARD_SHOW_PERSONAL_DATA"


def allowed() -> bool:
    """True when the environment allows showing personal data unmasked."""
    return os.environ.get(SETTING, "").strip().lower() in {"1", "true", "yes"}


def masked(df: pd.DataFrame, sensitive: Iterable[str] = ()) -> pd.DataFrame:
    """``df`` with personal columns masked (the tagged ``sensitive`` ones and the known personal names)."""
    if df.empty:
        return df
    hidden = set(sensitive)
    rows = [
        mask_row({k: (None if _missing(v) else v) for k, v in r.items()}, hidden) for r in df.to_dict(orient="records")
    ]
    return pd.DataFrame(rows, columns=df.columns)


def for_display(df: pd.DataFrame, sensitive: Iterable[str] = ()) -> pd.DataFrame:
    """What a page may show or offer as a download: unmasked only when :func:`allowed`."""
    return df if allowed() else masked(df, sensitive)


def csv_bytes(df: pd.DataFrame, sensitive: Iterable[str] = (), show: bool | None = None) -> bytes:
    """What a CSV download holds: masked unless ``show`` (default: :func:`allowed`)."""
    allowed_now = allowed() if show is None else show
    return (df if allowed_now else masked(df, sensitive)).to_csv(index=False).encode("utf-8")


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
