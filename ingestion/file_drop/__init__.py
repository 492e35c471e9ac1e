"""File drop: CSV, Parquet and JSONL exports in a folder, loaded into the ``raw_files.*`` tables.

:mod:`ingestion.file_drop.schemas` says what each entity file must hold; :mod:`ingestion.file_drop.loader`
loads a folder. Users read ``docs/sources/files.md``.
"""
