"""The ``ops`` schema: every table that holds the platform's own state, defined once.

Ingestion cursors and runs, quarantined records, loaded files, sync runs, sync state, per-record sync
results and sync failures all live in the warehouse itself, never in local files. Every writer creates
these tables through :func:`warehouse_io.ensure_ops_tables`; columns added here later are added to a
warehouse from an earlier version on first use.
"""

from __future__ import annotations

from warehouse_io.tables import TS, Column, Table


def _ops(name: str, description: str, pk: tuple[str, ...], cols: list[tuple[str, str, str]],
         sensitive: tuple[str, ...] = ()) -> Table:
    return Table("ops", name, description, tuple(Column(*c) for c in cols), pk, sensitive=frozenset(sensitive))


INGEST_CURSORS = _ops("ingest_cursors", "Where each source's incremental stream resumes.", ("source", "stream"), [
    ("source", "varchar", "Connector name."),
    ("stream", "varchar", "Stream of the source (an endpoint, an object type)."),
    ("cursor_value", "varchar", "Opaque cursor (text or JSON) committed with the page it belongs to."),
    ("updated_at", TS, "When the cursor was stored (UTC)."),
])

INGEST_RUNS = _ops("ingest_runs", "One row per ingestion run of a source.", ("ingest_run_id",), [
    ("ingest_run_id", "varchar", "Run id (uuid)."),
    ("source", "varchar", "Connector name."),
    ("started_at", TS, "Start (UTC)."),
    ("finished_at", TS, "End (UTC); null while running."),
    ("status", "varchar", "running, success, partial, failed or abandoned."),
    ("rows_loaded", "bigint", "Rows merged into raw tables."),
    ("rows_quarantined", "bigint", "Records sent to ops.quarantine."),
    ("detail", "varchar", "Summary or error (never personal data)."),
])

QUARANTINE = _ops("quarantine", "Records a loader rejected, with the reason, kept to be replayed.", ("quarantine_id",), [
    ("quarantine_id", "varchar", "Row id (uuid)."),
    ("source", "varchar", "Connector name."),
    ("entity", "varchar", "Raw table or entity the record was meant for."),
    ("record_ref", "varchar", "Where the record came from (file:line, an API id)."),
    ("reason", "varchar", "Why it was rejected (names the field, never a personal value)."),
    ("record", "varchar", "The record as JSON, so it can be replayed once fixed."),
    ("ingest_run_id", "varchar", "Run that rejected it."),
    ("quarantined_at", TS, "When (UTC)."),
])

FILE_LOADS = _ops("file_loads", "Every file the file drop looked at, with its outcome.", (), [
    ("file_path", "varchar", "Absolute path of the file (inside the drop folder; links are not followed)."),
    ("file_name", "varchar", "Path relative to the drop folder."),
    ("entity", "varchar", "Entity the file holds."),
    ("source_system", "varchar", "Exporting system (the folder name unless the file says otherwise)."),
    ("size_bytes", "bigint", "Size when loaded."),
    ("modified_at", TS, "Modification time when loaded (UTC)."),
    ("sha256", "varchar", "Content hash."),
    ("status", "varchar", "loaded, failed or skipped (a file the drop does not read: unknown format or entity, a link)."),
    ("rows", "bigint", "Rows loaded."),
    ("rows_quarantined", "bigint", "Rows quarantined."),
    ("error", "varchar", "Why the whole file failed."),
    ("ingest_run_id", "varchar", "Run that read it."),
    ("loaded_at", TS, "When (UTC)."),
    ("folder_key", "varchar", "Identity of the drop folder on disk (see ops.file_drop_folders)."),
])

FILE_DROP_FOLDERS = _ops(
    "file_drop_folders", "Each drop folder the file drop has loaded, and the source system its rows carry.",
    ("folder_key",), [
        ("folder_key", "varchar", "The folder's identity on disk (device and inode), kept when the folder is renamed."),
        ("folder_path", "varchar", "The folder's path when last loaded."),
        ("source_system", "varchar", "Source system given to its rows (the folder's name on first load)."),
        ("first_loaded_at", TS, "First load (UTC)."),
        ("last_loaded_at", TS, "Latest load (UTC)."),
    ])

SYNC_RUNS = _ops("sync_runs", "One row per activation sync run.", ("sync_run_id",), [
    ("sync_run_id", "varchar", "Run id (uuid)."),
    ("sync_name", "varchar", "Sync name (its YAML file in activation/syncs/)."),
    ("destination", "varchar", "Destination kind (hubspot, meta_capi...)."),
    ("mode", "varchar", "dry_run or live."),
    ("started_at", TS, "Start (UTC)."),
    ("finished_at", TS, "End (UTC)."),
    ("status", "varchar", "running, success, partial (some rows failed), failed or abandoned (the process died)."),
    ("rows_total", "bigint", "Rows of the segment: rows_sent + rows_unchanged + rows_skipped + rows_failed."),
    ("rows_sent", "bigint", "Rows the destination acknowledged (or that a dry run would send)."),
    ("rows_unchanged", "bigint", "Rows identical to what the destination last acknowledged."),
    ("rows_skipped", "bigint", "Rows skipped with a reason."),
    ("rows_failed", "bigint", "Rows the destination rejected (kept in ops.sync_failures, retried next run)."),
    ("requests", "bigint", "HTTP requests made (or that a dry run would make), retries included."),
    ("outbox_path", "varchar", "Dry run: file with the exact requests."),
    ("error", "varchar", "Why the run failed (never personal data)."),
    ("rows_removed", "bigint", "Rows that left the segment and were removed from the destination (mirror mode)."),
    ("rows_left", "bigint", "Rows that left the segment and were left as they are in the destination."),
    ("detail", "varchar", "JSON: counts per skip and failure reason, retries, batches split."),
    ("heartbeat_at", TS, "Last time the run committed progress (UTC)."),
    ("source_relation", "varchar", "The segment the run read (schema.model, e.g. segments.seg_hot_leads)."),
])

SYNC_STATE = _ops("sync_state", "What the destination last acknowledged, per sync and record.",
                  ("sync_name", "record_key"), [
    ("sync_name", "varchar", "Sync name."),
    ("record_key", "varchar", "Key of the segment row."),
    ("payload_hash", "varchar", "md5 of the row's mapped fields (and the sync settings that shape the payload)."),
    ("synced_at", TS, "When the destination acknowledged it (UTC)."),
    ("sync_run_id", "varchar", "Run that sent it."),
    ("destination_id", "varchar", "The record's id at the destination (HubSpot id, Salesforce id, identifier)."),
    ("destination_state", "varchar", "JSON the destination needs on the next run (e.g. the lifecycle stage it holds)."),
], sensitive=("destination_id", "destination_state"))

SYNC_RECORDS = _ops("sync_records", "Every segment row of every sync run, accounted for.", (), [
    ("sync_run_id", "varchar", "Run id."),
    ("sync_name", "varchar", "Sync name."),
    ("record_key", "varchar", "Key of the segment row."),
    ("status", "varchar", "sent, would_send, unchanged, skipped, failed, removed, would_remove or left."),
    ("reason", "varchar", "Why skipped, failed or left (the destination's reason for failures)."),
    ("payload_hash", "varchar", "Hash of the mapped fields."),
    ("recorded_at", TS, "When (UTC)."),
])

SYNC_FAILURES = _ops("sync_failures", "Rows a destination rejected, retried on the next run until they succeed.",
                     ("sync_name", "record_key"), [
    ("sync_name", "varchar", "Sync name."),
    ("record_key", "varchar", "Key of the segment row."),
    ("reason", "varchar", "The destination's reason."),
    ("attempts", "bigint", "Runs that tried this row and failed."),
    ("first_failed_at", TS, "First failure (UTC)."),
    ("last_failed_at", TS, "Latest failure (UTC)."),
    ("sync_run_id", "varchar", "Latest run that failed it."),
])

SYNC_LOCKS = _ops("sync_locks", "The run holding each sync, so two runs of one sync never overlap.", ("sync_name",), [
    ("sync_name", "varchar", "Sync name."),
    ("sync_run_id", "varchar", "Run holding the lock."),
    ("holder", "varchar", "host:pid of the process running it (a dead process's lock is taken over)."),
    ("acquired_at", TS, "When the run took the lock (UTC)."),
    ("heartbeat_at", TS, "Last progress of the run (UTC); a lock without a heartbeat for the lease is stale."),
])

OPS_TABLES: tuple[Table, ...] = (INGEST_CURSORS, INGEST_RUNS, QUARANTINE, FILE_LOADS, FILE_DROP_FOLDERS, SYNC_RUNS,
                                 SYNC_STATE, SYNC_RECORDS, SYNC_FAILURES, SYNC_LOCKS)
SYNC_TABLES: tuple[Table, ...] = (SYNC_RUNS, SYNC_STATE, SYNC_RECORDS, SYNC_FAILURES, SYNC_LOCKS)
BY_NAME: dict[str, Table] = {t.qualified_name: t for t in OPS_TABLES}
