"""Segments for people who do not write SQL: the catalog (list, preview, export) and YAML segment definitions.

**Reading.** Every read of a segment for a person (``lifecycle segments list | preview | export``) goes
through :func:`segment_reader`, one small function: today it opens the warehouse read-only; pointing
it at a published read-only serving copy changes that one function.

**YAML segments.** A marketer's segment is a YAML file in ``activation/segments/`` (the no-SQL builder
of the dashboards writes the same format); ``lifecycle segments generate`` turns each into a dbt model
``dbt_project/models/segments/from_yaml/seg_<name>.sql`` (one line calling the ``yaml_segment`` macro)
plus its documented, contract-enforced properties, and a test fails when the generated files are not
current. The format::

    description: Repeat customers we can reach on WhatsApp.   # required
    filters:                        # all given filters must hold (AND)
      stage: [hot_lead_stage]       # current active stage: names of the preset, or first_stage,
                                    # hot_lead_stage, won_stage (these work with every preset)
      stage_at_least: won_stage     # current active stage at or after this one
      lost_stage: [Cold Lead]       # current lost stage (or `any`); with `stage`: either one
      channel: [whatsapp]           # has written to us on one of these channels
      consent: {channel: whatsapp, require_opt_in: false}  # reachable there: never opted out (opted in if required)
      reachable: true               # reachable on at least one channel
      days_since_last_inbound: {min: 0, max: 30}
      days_since_last_order: {min: 60}
      orders: {min: 2}
      nps: {min: 9}
      entered_funnel_within_days: 7
      campaign: [spring_sale]       # campaign id or utm_campaign of the contact's first touchpoint
      entry_platform: [meta, tiktok]
      rfm_cell: [Champions]         # needs the customer-value mart (fct_customer_value)
      clv: {min: 500}               # predicted customer lifetime value (fct_customer_value)
      churn_risk: {max: 0.3}        # predicted churn risk 0-1 (fct_customer_value)

Structure and types are checked here (errors name the file, the key and the value); stage names are
checked when dbt compiles the model, against the preset in use, with the same kind of message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from activation.config import format_validation_error
from activation.masking import mask_row
from warehouse_io import Db, WarehouseTarget

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS_DIR = Path(__file__).resolve().parent / "segments"
DBT_PROJECT_DIR = ROOT / "dbt_project"
GENERATED_DIR = DBT_PROJECT_DIR / "models" / "segments" / "from_yaml"
SCHEMA = "segments"
CUSTOMER_VALUE_MODEL = "fct_customer_value"
CUSTOMER_VALUE_COLUMNS = {"rfm_cell": "rfm_cell", "clv": "predicted_clv", "churn_risk": "churn_risk"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,55}$")


# ------------------------------------------------------------------------------------------------
# Reading segments (the one place readers open the warehouse)
# ------------------------------------------------------------------------------------------------
@contextmanager
def segment_reader(target: WarehouseTarget) -> Iterator[Db]:
    """A read-only connection for reading segments (point this at the serving copy when it exists)."""
    with target.open(read_only=True) as db:
        yield db


@dataclass
class SegmentInfo:
    name: str
    relation: str
    rows: int
    columns: list[str]
    description: str = ""


def manifest_info(manifest: Path | None) -> dict[str, dict[str, Any]]:
    """Descriptions and sensitive columns of the segment models, from dbt's manifest (when there is one)."""
    if manifest is None or not Path(manifest).exists():
        return {}
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for node in data.get("nodes", {}).values():
        if node.get("resource_type") != "model" or not node.get("name", "").startswith("seg_"):
            continue
        sensitive = {name for name, col in (node.get("columns") or {}).items()
                     if ((col.get("config") or {}).get("meta") or col.get("meta") or {}).get("sensitive")}
        out[node["name"]] = {"description": " ".join((node.get("description") or "").split()),
                             "sensitive": sensitive}
    return out


def list_segments(target: WarehouseTarget, manifest: Path | None = None) -> list[SegmentInfo]:
    info = manifest_info(manifest)
    out = []
    with segment_reader(target) as db:
        for name in db.relations(SCHEMA, prefix="seg_"):
            rows = int(db.query_one(f"select count(*) from {SCHEMA}.{name}")[0])
            cols = [c for c, _ in db.relation_columns(SCHEMA, name)]
            out.append(SegmentInfo(name, f"{SCHEMA}.{name}", rows, cols, info.get(name, {}).get("description", "")))
    return out


def _relation(db: Db, name: str) -> str:
    model = name if name.startswith("seg_") else f"seg_{name}"
    if not db.relation_exists(SCHEMA, model):
        known = ", ".join(db.relations(SCHEMA, prefix="seg_")) or "none: run the pipeline first"
        raise LookupError(f"no segment {name!r} in the warehouse (segments: {known})")
    return f"{SCHEMA}.{model}"


def read_segment(target: WarehouseTarget, name: str, limit: int | None = None) -> pa.Table:
    with segment_reader(target) as db:
        relation = _relation(db, name)
        key = db.relation_columns(*relation.split("."))[0][0]
        sql = f"select * from {relation} order by {key}" + (f" limit {int(limit)}" if limit else "")
        return db.query_arrow(sql)


def preview(target: WarehouseTarget, name: str, limit: int = 10, show_personal: bool = False,
            manifest: Path | None = None) -> tuple[int, list[dict[str, Any]]]:
    """The segment's size and its first rows, personal columns masked unless ``show_personal``."""
    with segment_reader(target) as db:
        relation = _relation(db, name)
        total = int(db.query_one(f"select count(*) from {relation}")[0])
    rows = read_segment(target, name, limit).to_pylist()
    if not show_personal:
        sensitive = manifest_info(manifest).get(relation.split(".")[1], {}).get("sensitive", set())
        rows = [mask_row(r, sensitive) for r in rows]
    return total, rows


def export(target: WarehouseTarget, name: str, path: Path, fmt: Literal["csv", "parquet"]) -> int:
    """Write the whole segment to a CSV or Parquet file (atomically); returns the row count."""
    import os

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = read_segment(target, name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "parquet":
        pq.write_table(table, tmp)
    else:
        pacsv.write_csv(table, tmp)
    os.replace(tmp, path)
    return table.num_rows


# ------------------------------------------------------------------------------------------------
# YAML segment definitions
# ------------------------------------------------------------------------------------------------
class SegmentDefinitionError(ValueError):
    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _order(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Consent(_Strict):
    channel: str
    require_opt_in: bool = False

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        if not re.match(r"^[a-z_]+$", v):
            raise ValueError("expected a channel name like whatsapp or email")
        return v


def _names(v: Any) -> list[str]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v or not all(isinstance(x, str) and x.strip() for x in v):
        raise ValueError("expected a name or a non-empty list of names")
    return [x.strip() for x in v]


class Filters(_Strict):
    stage: list[str] | None = None
    stage_at_least: str | None = None
    lost_stage: list[str] | None = None
    channel: list[str] | None = None
    consent: Consent | None = None
    reachable: bool | None = None
    days_since_last_inbound: Range | None = None
    days_since_last_order: Range | None = None
    orders: Range | None = None
    nps: Range | None = None
    entered_funnel_within_days: int | None = Field(default=None, gt=0)
    campaign: list[str] | None = None
    entry_platform: list[str] | None = None
    rfm_cell: list[str] | None = None
    clv: Range | None = None
    churn_risk: Range | None = None

    @field_validator("stage", "lost_stage", "channel", "campaign", "entry_platform", "rfm_cell", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> list[str] | None:
        return None if v is None else _names(v)

    @model_validator(mode="after")
    def _something(self) -> Filters:
        if not self.model_dump(exclude_none=True):
            raise ValueError("at least one filter is needed (an empty segment definition would select everyone)")
        return self

    def uses_customer_value(self) -> list[str]:
        return [k for k in CUSTOMER_VALUE_COLUMNS if getattr(self, k) is not None]


class SegmentDefinition(_Strict):
    name: str
    file: str
    description: str = Field(min_length=1)
    filters: Filters

    @property
    def model(self) -> str:
        return f"seg_{self.name}"


def parse_definition(data: Any, file: Path | str) -> SegmentDefinition:
    path = Path(file)
    if not isinstance(data, dict):
        raise SegmentDefinitionError([f"{path}: (file): expected a mapping with description and filters"])
    if not _NAME.match(path.stem):
        raise SegmentDefinitionError([f"{path}: (file name): {path.stem!r}: expected lower-case letters, digits and "
                                      "underscores (it becomes the model seg_<name>)"])
    declared = data.get("name")
    if declared is not None and declared != path.stem:
        raise SegmentDefinitionError([f"{path}: name: {declared!r}: must equal the file name ({path.stem!r})"])
    try:
        return SegmentDefinition.model_validate({**data, "name": path.stem, "file": str(path)})
    except ValidationError as exc:
        raise SegmentDefinitionError([f"{path}: {p}" for p in format_validation_error(exc)]) from None


def load_definitions(folder: Path | None = None, dbt_project: Path | None = None) -> list[SegmentDefinition]:
    """Every ``*.yml`` of the folder, validated; all problems reported at once."""
    folder = Path(folder) if folder else DEFINITIONS_DIR
    dbt_dir = Path(dbt_project) if dbt_project else DBT_PROJECT_DIR
    defs, problems = [], []
    if not folder.is_dir():
        return []
    customer_value = _customer_value_columns(dbt_dir)
    hand_written = {p.stem for p in (dbt_dir / "models" / "segments").glob("seg_*.sql")}
    for path in sorted(folder.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            d = parse_definition(data, path)
        except yaml.YAMLError as exc:
            problems.append(f"{path}: (file): not valid YAML ({getattr(exc, 'problem', exc)})")
            continue
        except SegmentDefinitionError as exc:
            problems += exc.problems
            continue
        if d.model in hand_written:
            problems.append(f"{path}: (file name): {path.stem!r}: seg_{path.stem} is a hand-written segment model")
        for key in d.filters.uses_customer_value():
            if customer_value is None:
                problems.append(f"{path}: filters.{key}: {getattr(d.filters, key)!r}: needs the customer-value mart "
                                f"{CUSTOMER_VALUE_MODEL}, which this project does not have yet")
            elif CUSTOMER_VALUE_COLUMNS[key] not in customer_value:
                problems.append(f"{path}: filters.{key}: {getattr(d.filters, key)!r}: {CUSTOMER_VALUE_MODEL} has no "
                                f"column {CUSTOMER_VALUE_COLUMNS[key]}")
        defs.append(d)
    if problems:
        raise SegmentDefinitionError(problems)
    return defs


def _customer_value_columns(dbt_dir: Path) -> set[str] | None:
    """Columns the customer-value mart documents, or None when the project has no such model."""
    models = dbt_dir / "models"
    if not any(models.rglob(f"{CUSTOMER_VALUE_MODEL}.sql")):
        return None
    cols: set[str] = set()
    for yml in models.rglob("*.yml"):
        try:
            doc = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for m in doc.get("models") or []:
            if isinstance(m, dict) and m.get("name") == CUSTOMER_VALUE_MODEL:
                cols |= {c.get("name") for c in m.get("columns") or [] if isinstance(c, dict)}
    return cols


def _jinja(value: Any) -> str:
    """A Python value as a Jinja literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_jinja(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_jinja(k)}: {_jinja(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as a Jinja literal")


def _relpath(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def render_model(d: SegmentDefinition) -> str:
    spec = {"name": d.name, "file": _relpath(d.file), "filters": d.filters.model_dump(exclude_none=True)}
    return (f"-- Generated by `lifecycle segments generate` from {_relpath(d.file)}: edit the YAML file, not this one.\n"
            f"-- {' '.join(d.description.split())}\n"
            f"{{{{ yaml_segment({_jinja(spec)}) }}}}\n")


BASE_COLUMNS = [
    ("contact_id", "varchar", "{{ doc('col_contact_id') }}", False),
    ("email", "varchar", "Normalised e-mail.", True),
    ("phone", "varchar", "Phone in E.164.", True),
    ("first_name", "varchar", "First name.", True),
    ("last_name", "varchar", "Last name.", True),
    ("country_code", "varchar", "ISO 3166-1 alpha-2 country.", False),
    ("current_stage", "varchar", "Current stage (active or lost).", False),
    ("current_stage_entered_at", "timestamp", "When the contact entered its current stage (UTC).", False),
    ("funnel_entry_at", "timestamp", "Start of the current funnel episode (UTC).", False),
    ("preferred_channel", "varchar", "Reachable channel the contact wrote on most recently, else email.", False),
    ("reachable_channels", "varchar", "Channels the contact can be messaged on (no opt-out), comma list.", False),
    ("opted_out_channels", "varchar", "Channels whose latest consent is an opt-out, comma list.", False),
    ("as_of_at", "timestamp", "The \"as of\" time of the windows (UTC).", False),
    ("orders", "integer", "Non-cancelled orders.", False),
    ("revenue", "decimal(18,2)", "Revenue of those orders.", False),
    ("last_order_at", "timestamp", "Last non-cancelled order (UTC).", False),
    ("days_since_last_order", "integer", "Days from the last order to as_of_at.", False),
    ("last_inbound_at", "timestamp", "Last message from the contact (UTC).", False),
    ("days_since_last_inbound", "integer", "Days from the last inbound message to as_of_at.", False),
    ("latest_nps_score", "integer", "Latest NPS answer (0-10).", False),
    ("entry_platform", "varchar", "Platform of the contact's first touchpoint.", False),
    ("entry_campaign", "varchar", "Campaign id or utm_campaign of the first touchpoint.", False),
]
VALUE_COLUMNS = [("rfm_cell", "varchar", "RFM lifecycle-map cell (fct_customer_value).", False),
                 ("predicted_clv", "double precision", "Predicted customer lifetime value (fct_customer_value).", False),
                 ("churn_risk", "double precision", "Predicted churn risk 0-1 (fct_customer_value).", False)]


def _plain(value: Any) -> Any:
    """Whole floats as ints (``{min: 3}``, not ``{min: 3.0}``), for the filters shown in docs and dashboards."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def render_properties(defs: Sequence[SegmentDefinition]) -> str:
    models = []
    for d in defs:
        cols = list(BASE_COLUMNS)
        if d.filters.uses_customer_value():
            cols += VALUE_COLUMNS
        columns = []
        for name, dtype, desc, sensitive in cols:
            col: dict[str, Any] = {"name": name, "data_type": dtype, "description": desc}
            if name == "contact_id":
                col["data_tests"] = ["unique", "not_null"]
            if sensitive:
                col["config"] = {"meta": {"sensitive": True}}
            columns.append(col)
        models.append({"name": d.model, "description": f"{' '.join(d.description.split())} (YAML segment "
                                                       f"{_relpath(d.file)}; one row per contact)",
                       "config": {"contract": {"enforced": True},
                                  "meta": {"owner": "activation", "source_yaml": _relpath(d.file),
                                           "filters": _plain(d.filters.model_dump(exclude_none=True))}},
                       "columns": columns})
    header = ("# Generated by `lifecycle segments generate` from activation/segments/*.yml: edit those files,\n"
              "# not this one (tests/test_segments.py fails when this file is not current).\n")
    return header + yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, width=120)


def generated_files(defs: Sequence[SegmentDefinition]) -> dict[str, str]:
    files = {f"{d.model}.sql": render_model(d) for d in defs}
    if defs:
        files["_from_yaml__models.yml"] = render_properties(defs)
    return files


def generate(folder: Path | None = None, out_dir: Path | None = None, dbt_project: Path | None = None,
             check: bool = False) -> list[str]:
    """Write (or with ``check``, compare) the generated models; returns the files that changed (or differ)."""
    out = Path(out_dir) if out_dir else GENERATED_DIR
    files = generated_files(load_definitions(folder, dbt_project))
    changed = []
    existing = {p.name for p in out.glob("*")} if out.is_dir() else set()
    for name, text in files.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(name)
            if not check:
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    for stale in sorted(existing - set(files)):
        if stale.endswith((".sql", ".yml")):
            changed.append(stale)
            if not check:
                (out / stale).unlink()
    return changed
