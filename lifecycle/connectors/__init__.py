"""API and file connectors that load the raw tables (see ``lifecycle.raw_schema``).

``CONNECTORS`` maps a connector name to its :class:`~lifecycle.connectors.base.ConnectorSpec`.
Each module registers itself on import; modules that are not there (yet) or fail to import are
skipped here and listed in ``UNAVAILABLE`` with the reason, so the package always imports.

Run one from the command line: ``python -m lifecycle.connectors <name> --warehouse PATH``.
"""

from __future__ import annotations

import importlib

from lifecycle.connectors.base import CONNECTORS, ConnectorSpec, IngestResult, register

# module name -> connector it registers; order is the display order.
_MODULES = (
    "respondio",
    "hubspot",
    "salesforce",
    "files",
    "meta_ads",
    "tiktok_ads",
    "shopify",
)

UNAVAILABLE: dict[str, str] = {}

for _mod in _MODULES:
    try:
        importlib.import_module(f"{__name__}.{_mod}")
    except ModuleNotFoundError as _exc:  # module not written yet (or an optional dependency missing)
        if _exc.name == f"{__name__}.{_mod}":
            UNAVAILABLE[_mod] = "module not present"
        else:
            UNAVAILABLE[_mod] = f"import failed: {_exc}"
    except Exception as _exc:  # noqa: BLE001 - one broken connector must not break the others
        UNAVAILABLE[_mod] = f"import failed: {type(_exc).__name__}: {_exc}"


def get(name: str) -> ConnectorSpec:
    try:
        return CONNECTORS[name]
    except KeyError:
        raise KeyError(f"unknown connector {name!r}; known: {sorted(CONNECTORS)}") from None


def configured() -> list[ConnectorSpec]:
    """Connectors whose credentials are all set in the environment."""
    return [spec for spec in CONNECTORS.values() if spec.is_configured()]


__all__ = ["CONNECTORS", "UNAVAILABLE", "ConnectorSpec", "IngestResult", "configured", "get", "register"]
