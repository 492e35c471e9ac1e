"""Local HTTP servers that speak the real APIs' contracts, for the connector tests."""
