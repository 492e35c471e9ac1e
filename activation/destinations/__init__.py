"""The destinations a sync can send to, by the ``destination.type`` of its YAML file."""

from __future__ import annotations

from activation.destinations.base import Destination


def _registry() -> dict[str, type[Destination]]:
    from activation.destinations.file import FileDestination
    from activation.destinations.hubspot import HubSpotDestination
    from activation.destinations.meta_capi import MetaCapiDestination
    from activation.destinations.respondio import RespondIoDestination
    from activation.destinations.salesforce import SalesforceDestination
    from activation.destinations.tiktok_events import TikTokEventsDestination
    from activation.destinations.webhook import WebhookDestination

    classes = (HubSpotDestination, SalesforceDestination, MetaCapiDestination, TikTokEventsDestination,
               RespondIoDestination, WebhookDestination, FileDestination)
    return {c.kind: c for c in classes}


def destination_class(kind: str) -> type[Destination]:
    registry = _registry()
    if kind not in registry:
        raise KeyError(f"unknown destination (known: {', '.join(sorted(registry))})")
    return registry[kind]


def destination_kinds() -> list[str]:
    return sorted(_registry())


__all__ = ["Destination", "destination_class", "destination_kinds"]
