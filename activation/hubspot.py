"""HubSpot CRM v3 contact upserts.

Contract (HubSpot CRM v3 batch upsert): POST /crm/v3/objects/contacts/batch/upsert with
``{"inputs": [{"id", "idProperty", "properties"}]}``, at most 100 records a call. Contacts are upserted
by ``email`` (HubSpot's unique contact property), so a row without a usable email is skipped with
that reason. ``lifecyclestage`` only moves forward in HubSpot; this sync only ever sets the stage a
contact has reached in the platform, mapped onto HubSpot's internal values below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from activation.sync import Record, Request, SyncDefinition

UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
BATCH_SIZE = 100

# Platform stage -> HubSpot internal lifecyclestage value.
LIFECYCLESTAGE_BY_STAGE = {
    "New Lead": "lead",
    "Hot Lead": "salesqualifiedlead",
    "Payment": "opportunity",
    "Customer": "customer",
    "Reach": "subscriber",
    "Acquisition": "lead",
    "Conversion": "customer",
    "Retention": "customer",
    "Loyalty": "evangelist",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def contact_record(row: dict[str, Any]) -> Record:
    key = str(row["contact_id"])
    email = _clean(row.get("email"))
    if email is None:
        return Record(key, None, "no email: HubSpot upserts contacts by email")
    email = email.lower()
    if not _EMAIL.match(email):
        return Record(key, None, "email is not a valid address")
    properties: dict[str, str] = {"email": email}
    for prop, col in (("firstname", "first_name"), ("lastname", "last_name"), ("phone", "phone")):
        value = _clean(row.get(col))
        if value is not None:
            properties[prop] = value
    stage = _clean(row.get("current_stage"))
    if stage in LIFECYCLESTAGE_BY_STAGE:
        properties["lifecyclestage"] = LIFECYCLESTAGE_BY_STAGE[stage]
    return Record(key, {"id": email, "idProperty": "email", "properties": properties})


def upsert_requests(records: Sequence[Record]) -> list[Request]:
    return [
        Request("POST", UPSERT_PATH, {"inputs": [r.payload for r in records[i:i + BATCH_SIZE]]})
        for i in range(0, len(records), BATCH_SIZE)
    ]


HOT_LEADS_TO_HUBSPOT = SyncDefinition(
    name="hubspot_hot_leads",
    destination="hubspot",
    model="marts.seg_hot_leads",
    key_column="contact_id",
    build_record=contact_record,
    build_requests=upsert_requests,
    description="Hot leads upserted into HubSpot contacts by email with their lifecycle stage.",
)
