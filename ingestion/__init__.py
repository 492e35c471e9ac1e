"""Ingestion: everything that writes the raw tables.

- :mod:`ingestion.raw_tables`: the raw-table registry, the one contract every writer follows;
- :mod:`ingestion.connectors`: the vendor API connectors; :mod:`ingestion.file_drop`: export files;
- :mod:`ingestion.demo`: the generated demo business (same tables, same shape);
- :mod:`ingestion.parsing` and :mod:`ingestion.runs`: the value parsers and run bookkeeping they share;
- :mod:`ingestion.sources`: every source by name.

Imports only :mod:`warehouse_io` from the other layers.
"""
