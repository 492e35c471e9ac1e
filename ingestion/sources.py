"""Every source that loads raw tables: the API connectors and the file drop, by name.

The demo generator (:mod:`ingestion.demo`) writes the same raw tables; it is not a source of its own
but the local stand-in for the API sources (see ``orchestration/resources.py``).
"""

from __future__ import annotations

from ingestion.connectors import hubspot, meta_ads, respondio, salesforce, shopify, tiktok_ads
from ingestion.file_drop import loader as file_drop
from ingestion.runs import ConnectorSpec

SOURCES: dict[str, ConnectorSpec] = {
    spec.name: spec
    for spec in (respondio.SPEC, hubspot.SPEC, salesforce.SPEC, file_drop.SPEC, meta_ads.SPEC, tiktok_ads.SPEC,
                 shopify.SPEC)
}
API_SOURCES: dict[str, ConnectorSpec] = {name: spec for name, spec in SOURCES.items() if name != file_drop.SOURCE}


def get(name: str) -> ConnectorSpec:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(SOURCES))}") from None
