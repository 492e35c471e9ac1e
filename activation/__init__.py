"""Reverse ETL: segments synced to CRMs, conversion APIs, broadcast lists, files and webhooks.

- :mod:`activation.config`: one YAML file per sync in ``activation/syncs/``, validated on load.
- :mod:`activation.engine`: :func:`run_sync`, the diff-based, resumable sync of one segment.
- :mod:`activation.state`: sync state, run log, accounting and failures in the warehouse (DuckDB or PostgreSQL).
- :mod:`activation.destinations`: HubSpot, Salesforce, Meta CAPI, TikTok Events API, respond.io, webhook, file.
- :mod:`activation.segments`: the segment catalog (list, preview, export) and YAML segment definitions.
"""

from activation.config import SyncConfig, SyncConfigError, load_sync, load_syncs
from activation.engine import SegmentMissing, SyncResult, run_sync
from activation.http import DestinationError
from activation.state import SyncAlreadyRunning

__all__ = ["DestinationError", "SegmentMissing", "SyncAlreadyRunning", "SyncConfig", "SyncConfigError",
           "SyncResult", "load_sync", "load_syncs", "run_sync"]
