"""Exit codes of ``lifecycle run`` and ``python -m ingestion.connectors`` (documented in the README).

====  =====================================================================================
0     success
1     the run failed (the last line says why)
2     usage or configuration error (a bad option, a missing variable)
3     partial: the run finished, but some input was not loaded (a file failed, or was
      skipped for a reason to fix); the last line names the files
75    busy: another run holds the warehouse's writer lock (EX_TEMPFAIL: try again later)
====  =====================================================================================

A scheduler treats anything but 0 as "look at this run": a partial run loaded the good data and
built the models, but something the user meant to load was not.
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUSY = 75
