"""API connectors: one module per vendor API, each writing its ``raw_<source>`` tables.

Each module defines ``run(...)`` and ``SPEC``; :mod:`ingestion.sources` lists them with the file drop.
Run one from the command line: ``python -m ingestion.connectors <name> --warehouse PATH``.
"""
