"""The file-drop schemas: which columns each entity file must have, and what each value may be.

The column names and types come from the ``raw_files.*`` tables of :mod:`ingestion.raw_tables`
(the single raw-table contract); this module adds what a loader of hand-made exports needs on top:
which columns are required, which values are accepted, and which entities name a contact.
``docs/sources/files.md`` is generated from this module and the raw-table registry:
``python -m ingestion.file_drop.schemas > docs/sources/files.md`` (a test checks it is current).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from ingestion import raw_tables
from ingestion.raw_tables import RawTable

IDENTIFIERS = ("contact_external_id", "email", "phone")
# Columns the loader fills itself (source_system may also come from the file).
LOADER_COLUMNS = ("source_system", "_source_file")

CHANNELS = ("whatsapp", "instagram", "messenger", "tiktok", "email", "webchat", "web", "sms", "telegram", "line",
            "viber", "call", "other")


@dataclass(frozen=True)
class Rule:
    """What a column of an entity file must hold.

    required: the column must be in the file and every row must have a value.
    accepted: the value (lower-cased, trimmed) must be one of these.
    check: an extra format check: email, phone, currency, country, slug.
    minimum/maximum: bounds for numbers.
    """

    required: bool = False
    accepted: tuple[str, ...] = ()
    check: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: str | None = None


@dataclass(frozen=True)
class EntitySchema:
    entity: str
    rules: dict[str, Rule] = field(default_factory=dict)
    needs_contact: bool = True  # at least one of contact_external_id, email, phone per row
    must_exist: tuple[str, ...] = ()  # columns that must be in the file even if a value may be empty
    notes: str = ""

    @property
    def table(self) -> RawTable:
        return raw_tables.table(f"raw_files.{self.entity}")

    def rule(self, column: str) -> Rule:
        return self.rules.get(column, Rule())

    @property
    def required_columns(self) -> list[str]:
        return [c for c in self.table.column_names if self.rule(c).required] + list(self.must_exist)

    @property
    def file_columns(self) -> list[str]:
        """Columns a file may carry (every raw column except ``_source_file``)."""
        return [c for c in self.table.column_names if c != "_source_file"]


_ID = {"email": Rule(check="email"), "phone": Rule(check="phone")}
_MONEY = Rule(minimum=0)
_CURRENCY = Rule(check="currency")

SCHEMAS: dict[str, EntitySchema] = {s.entity: s for s in [
    EntitySchema("contacts", {
        **_ID,
        "channel": Rule(accepted=CHANNELS),
        "country_code": Rule(check="country"),
    }, notes="When `contact_external_id` is empty the loader derives it from the email "
             "(`email:<lower-cased email>`) or else the phone (`phone:<digits>`), so a plain list of "
             "leads works."),
    EntitySchema("conversations", {
        **_ID,
        "conversation_id": Rule(required=True),
        "channel": Rule(accepted=CHANNELS),
        "source": Rule(accepted=("ad_referral", "organic", "broadcast_reply")),
        "assignee_type": Rule(accepted=("human", "ai_agent")),
        "opened_at": Rule(required=True),
    }),
    EntitySchema("messages", {
        **_ID,
        "message_id": Rule(required=True),
        "channel": Rule(accepted=CHANNELS),
        "direction": Rule(required=True, accepted=("inbound", "outbound")),
        "sender_type": Rule(accepted=("contact", "human", "ai_agent", "automation", "broadcast")),
        "sent_at": Rule(required=True),
    }),
    EntitySchema("lifecycle_events", {
        **_ID,
        "event_id": Rule(required=True),
        "changed_by_type": Rule(accepted=("human", "ai_agent", "automation", "crm")),
        "changed_at": Rule(required=True),
    }, must_exist=("stage",),
        notes="`stage` is the stage label as the exporting system writes it (e.g. `Hot Lead`); an empty "
              "value means the stage was cleared. The column itself is required."),
    EntitySchema("orders", {
        **_ID,
        "order_id": Rule(required=True),
        "status": Rule(accepted=("paid", "refunded", "cancelled", "pending")),
        "currency": _CURRENCY,
        "revenue": Rule(required=True, minimum=0),
        "refunded_amount": _MONEY,
        "ordered_at": Rule(required=True),
    }),
    EntitySchema("ad_performance", {
        "date_day": Rule(required=True),
        "platform": Rule(required=True, accepted=("meta", "tiktok", "google", "other")),
        "ad_id": Rule(default=""),
        "currency": _CURRENCY,
        "spend": Rule(required=True, minimum=0),
        "impressions": Rule(minimum=0),
        "clicks": Rule(minimum=0),
        "conversations_started": Rule(minimum=0),
    }, needs_contact=False,
        notes="One row per day, platform and ad; leave `ad_id` empty (or omit the column) for "
              "campaign-level rows."),
    EntitySchema("touchpoints", {
        **_ID,
        "touchpoint_id": Rule(required=True),
        "touchpoint_type": Rule(required=True, accepted=(
            "ad_click", "ctm_referral", "email_click", "broadcast_click", "web_form", "organic")),
        "platform": Rule(accepted=("meta", "tiktok", "google", "email", "web", "other")),
        "occurred_at": Rule(required=True),
    }, notes="`marketing_channel` is optional: when set (e.g. `Paid Social`, `Email`) it is the touchpoint's "
             "channel in attribution; when empty the channel comes from the `channel_grouping` seed (touchpoint "
             "type, platform, utm_source, utm_medium)."),
    EntitySchema("conversion_events", {
        **_ID,
        "event_id": Rule(required=True),
        "event_name": Rule(required=True, check="slug"),
        "value": _MONEY,
        "currency": _CURRENCY,
        "occurred_at": Rule(required=True),
    }, notes="`event_name` is lower-case snake case; the models know qualified, quote_sent, add_to_cart, "
             "checkout_started, checkout_completed, payment, purchase, review, referral (others are kept "
             "and can be used in stage rules)."),
    EntitySchema("surveys", {
        **_ID,
        "response_id": Rule(required=True),
        "survey_type": Rule(required=True, accepted=("nps", "csat")),
        "score": Rule(required=True, minimum=0, maximum=10),
        "answered_at": Rule(required=True),
    }, notes="`score` is 0-10 for nps and 1-5 for csat."),
    EntitySchema("consents", {
        **_ID,
        "consent_id": Rule(required=True),
        "channel": Rule(required=True, accepted=CHANNELS),
        "status": Rule(required=True, accepted=("opted_in", "opted_out")),
        "changed_at": Rule(required=True),
    }),
]}

assert set(SCHEMAS) == {t.name for t in raw_tables.tables_in("raw_files")}, "file schemas out of step with raw_files"

TYPE_LABELS = {
    "varchar": "text",
    "timestamp": "timestamp (UTC)",
    "date": "date",
    "bigint": "integer",
    "integer": "integer",
    raw_tables.MONEY: "decimal (2 places)",
    "boolean": "boolean",
}


def _accepted(rule: Rule) -> str:
    parts = []
    if rule.accepted:
        parts.append(", ".join(f"`{v}`" for v in rule.accepted))
    if rule.check == "email":
        parts.append("an email address")
    elif rule.check == "phone":
        parts.append("a phone number (E.164 preferred)")
    elif rule.check == "currency":
        parts.append("ISO 4217 code, e.g. `EUR`")
    elif rule.check == "country":
        parts.append("ISO 3166-1 alpha-2, e.g. `DE`")
    elif rule.check == "slug":
        parts.append("lower-case snake case")
    if rule.minimum is not None and rule.maximum is not None:
        parts.append(f"{rule.minimum:g} to {rule.maximum:g}")
    elif rule.minimum is not None:
        parts.append(f">= {rule.minimum:g}")
    return "; ".join(parts)


DOC_HEAD = """# File drop (CSV, Parquet, JSONL)

Generated from `ingestion/file_drop/schemas.py` and `ingestion/raw_tables.py` by
`python -m ingestion.file_drop.schemas > docs/sources/files.md`; do not edit by hand.

Module: `ingestion/file_drop/loader.py` · run: `python -m ingestion.connectors files --warehouse PATH`
(folder from `LIFECYCLE_FILES_DIR`) or, from Python, `load_folder(folder, warehouse)`.

Exports and history that no API connector covers (another inbox, a CRM export, a spreadsheet of
orders, ad spend from a platform without a connector, survey tools) are dropped as files into a
folder. Each file holds one entity; every entity has one canonical schema, the `raw_files.*` tables.
Example folders: `examples/file_drop/` (a consistent data set for every entity) and
`examples/file_drop_bad/` (deliberate mistakes, to see what quarantine looks like).

## Which file holds which entity

- The file name starts with the entity name, followed by the end of the name or by `_`, `-` or `.`:
  `contacts.csv`, `contacts_2024-05.csv`, `orders-may.parquet`, `messages.jsonl` (case does not matter).
- Or the file sits in a subfolder named after the entity, at any depth below it:
  `touchpoints/2024-05.csv`, `orders/2024/06.parquet`. Files in other subfolders are reported as skipped.
- Formats by extension: `.csv` (UTF-8, or UTF-16 with a byte-order mark; a header line; `,`, `;`, tab
  or `|` separated, detected from the header), `.jsonl` / `.ndjson` (one JSON object per line),
  `.parquet`. Header names and JSON keys are matched without regard to case, surrounding spaces and
  `-` or spaces inside (`First Name` is `first_name`).
- Files and folders whose names start with `.`, `_` or `~` are ignored: write a file under a temporary
  name (`.contacts.csv.tmp`) and rename it when complete, so a half-written file is never loaded.
- Every other file is accounted for, once (in `ops.file_loads`, status `skipped`): a data file whose
  name names no entity is reported as skipped; a file with another extension (`orders.xlsx`,
  `contacts.txt`) is reported as a format the drop does not read, and when its name names an entity
  the run is `partial` (you meant it to load).
- Only what is inside the folder is read: symbolic links (to files or folders) are not followed but
  reported (the run is `partial`), and so are pipes and devices. The recorded path is the path inside
  the folder, never a link's target.
- Files load in the order of their path, so `contacts_2024-06.csv` overrides rows of
  `contacts_2024-05.csv` with the same key.

Entities: `contacts`, `conversations`, `messages`, `lifecycle_events`, `orders`, `ad_performance`,
`touchpoints`, `conversion_events`, `surveys`, `consents`.

## Values

- `source_system` (every entity): the exporting system. A `source_system` column wins per row;
  otherwise `LIFECYCLE_FILES_SOURCE_SYSTEM` when set, else the name of the drop folder on its first
  load (`/data/drops/legacy_crm` -> `legacy_crm`). The folder's identity on disk and that name are kept
  in `ops.file_drop_folders`: renaming or moving the folder keeps its source system (and its files,
  unchanged, are not loaded again), so nothing is counted twice. A file whose content was already
  loaded under another source system (a copied folder) fails with a message saying so, rather than
  doubling its rows; set `LIFECYCLE_FILES_SOURCE_SYSTEM` to load it as the same system.
- Contacts are named by `contact_external_id` (the id in the exporting system) and/or `email` and/or
  `phone`: every row of a contact-bearing entity needs at least one of them. Identity resolution in
  dbt links them to one contact across sources.
- Timestamps: ISO 8601, `2024-05-01T10:00:00`, `2024-05-01 10:00`, with optional fractions of a
  second. An offset (`+02:00`, `+0200`, `+02`, `Z`) is honoured and the value converted to UTC; **a
  timestamp without an offset is taken as UTC**; a bare date `2024-05-01` means midnight UTC.
  Other formats (`01/05/2024`, `yesterday`, epoch numbers) are rejected. Parquet timestamp columns
  (with or without a time zone) are read as such. Timestamps and dates must fall between 1970-01-01
  and 2099-12-31 (after conversion to UTC): placeholders such as `0001-01-01` or `9999-12-31` are
  quarantined, because they break every age, recency and report window downstream.
- Dates: `YYYY-MM-DD`. Integers: digits (`12`, `12.0`). Decimals: `.` as decimal separator, no
  thousands separator, rounded to 2 places.
- Enumerations are matched case-insensitively and stored lower-case; currency and country codes are
  stored upper-case. Empty strings are nulls. Extra columns are ignored and named in the summary.

## What happens to bad data

- A bad row (missing required value, bad timestamp, wrong type, value not accepted, no contact
  identifier, invalid JSON line) goes to `ops.quarantine` with `source = 'files'`, the entity, the
  record ref `<file>:<line>` (CSV: the header is line 1; JSONL: the file's line; Parquet: the row
  number, 1-based) and a reason naming the column and the problem, e.g. `created_at is not a
  timestamp`. Reasons and logs never show a value, whatever its column: a phone number can sit in a
  `channel` column when columns are swapped. The full row is kept in the quarantine's `record` column
  for a replay once fixed; a line that could not be read at all is kept as its raw text
  (`{"_raw_line": ...}`, or `_raw_line_base64` for bytes that are not UTF-8). The good rows of the
  file still load.
- Rows a strict CSV reader flags are bad rows, and reading goes on with the next line: a row with
  more or fewer fields than the header (another delimiter, a line of only a NUL byte), a quote inside
  an unquoted value or text after a closing quote, a line that is not UTF-8, a value holding a NUL
  character. A quoted value may span lines, unless a line it would swallow is itself a complete row:
  then the quote was left open by mistake, the line that opened it is quarantined and the rows after
  it load as they are. In JSON lines, `NaN`/`Infinity`, a lone UTF-16 surrogate (`"\\ud800"`) or a key
  repeated in another case make the line bad; U+2028/U+2029 inside a string are fine (they are not
  line breaks). In Parquet, strings stored as plain binary are read as UTF-8 text.
- A file that cannot be read, or lacks a required column (or, for contact-bearing entities, has none
  of the identifier columns), fails as a whole: nothing of it is loaded, the error names the file and
  the column, and the other files go on. An empty file (no bytes, or a header only) is a normal input
  and loads nothing. `result.check()` raises if any file failed or was skipped for a reason to fix;
  the run is logged in `ops.ingest_runs` with status `partial`, and `lifecycle run` and
  `python -m ingestion.connectors files` exit with code 3.
- Each file is one transaction: its good rows (merged on the key below), its quarantine rows and its
  row in `ops.file_loads` commit together. Re-loading a file replaces its earlier quarantine rows.
- The summary names each file: `contacts.csv: 4 rows loaded into raw_files.contacts, 2 rows
  quarantined (line 4: created_at is not a timestamp; line 7: no contact identifier ...)`.

## New files and re-loads

`ops.file_loads(file_path, file_name, entity, source_system, size_bytes, modified_at, sha256, status,
rows, rows_quarantined, error, ingest_run_id, loaded_at, folder_key)` records every load in the warehouse (no
state in the folder). `list_new_files(folder, warehouse)` (for a sensor; read-only) and
`load_folder(...)` treat a file as new unless the same file (its path, or its name inside the same
folder, renamed or not) was seen with the same size and modification time, or loaded with the same
SHA-256 (a touched but unchanged file is not new). A failed file
is not retried until it changes. `load_folder(..., force=True)` re-loads every file: rows merge on the
key, so nothing is duplicated.

## Schemas

"""


def render_markdown() -> str:
    """docs/sources/files.md: the rules above plus one table per entity."""
    lines: list[str] = [DOC_HEAD.rstrip("\n"), ""]
    for s in SCHEMAS.values():
        t = s.table
        key = ", ".join(f"`{k}`" for k in t.primary_key)
        lines += [f"### `{s.entity}` → `{t.qualified_name}`", "", t.description, "",
                  f"Key: {key} (re-loading a row with the same key replaces it)."]
        if s.needs_contact:
            lines.append("Each row needs at least one of `contact_external_id`, `email`, `phone`.")
        if s.notes:
            lines.append(s.notes)
        lines += ["", "| column | type | required | description | accepted values |", "|---|---|---|---|---|"]
        for c in t.columns:
            if c.name == "_source_file":
                continue
            rule = s.rule(c.name)
            if c.name == "source_system":
                req = "no (folder name)"
            elif rule.required:
                req = "yes"
            elif c.name in s.must_exist:
                req = "column yes, value no"
            elif s.needs_contact and c.name in IDENTIFIERS:
                req = "one of the ids"
            else:
                req = "no"
            sens = " *personal data*" if c.name in t.sensitive else ""
            lines.append(f"| `{c.name}` | {TYPE_LABELS.get(c.type, c.type)} | {req} | {c.description}{sens} "
                         f"| {_accepted(rule)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
