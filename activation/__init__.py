"""Reverse ETL: stage-based segments synced back to CRMs, conversion APIs and broadcast lists."""

from activation.hubspot import HOT_LEADS_TO_HUBSPOT
from activation.sync import SyncDefinition, SyncResult, run_sync

SYNCS: dict[str, SyncDefinition] = {s.name: s for s in (HOT_LEADS_TO_HUBSPOT,)}

__all__ = ["SYNCS", "SyncDefinition", "SyncResult", "run_sync"]
