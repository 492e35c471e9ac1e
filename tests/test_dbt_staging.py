"""The dbt sources and staging layer stay in step with the raw-table registry (ingestion/raw_tables.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingestion import raw_tables
from orchestration.dbt import PROJECT_ROOT, run_dbt

STAGING = PROJECT_ROOT / "dbt_project" / "models" / "staging"
SHORT = raw_tables.STAGING_FOLDERS
# The platform's own run tables (ops.sync_runs, ops.sync_failures: written by the activation engine, not
# loaded from a source system) have a hand-written source and staging views of their own, outside the registry.
OPS = STAGING / "ops"


def test_the_dbt_sources_are_generated_from_the_raw_table_registry_and_current():
    """Every raw column is described once (ingestion/raw_tables.py); the sources files are generated."""
    for schema in raw_tables.SCHEMAS:
        path = raw_tables.sources_yml_path(PROJECT_ROOT / "dbt_project", schema)
        assert path.read_text() == raw_tables.render_sources_yml(schema), (
            f"{path} is stale: run `make docs` (python -m ingestion.raw_tables sources)")
    generated = {raw_tables.sources_yml_path(PROJECT_ROOT / "dbt_project", s) for s in raw_tables.SCHEMAS}
    hand_written = set(STAGING.glob("*/_*__sources.yml")) - generated
    assert hand_written == {OPS / "_ops__sources.yml"}  # no hand-written sources file beside them but ops
    source = yaml.safe_load(raw_tables.render_sources_yml("raw_hubspot"))["sources"][0]
    contacts = next(t for t in source["tables"] if t["name"] == "contacts")
    email = next(c for c in contacts["columns"] if c["name"] == "email")
    assert email["config"]["meta"]["sensitive"] is True and email["data_type"] == "varchar"


def test_every_raw_table_has_one_staging_model_with_docs_and_grain_tests():
    documented = {}
    for path in set(STAGING.glob("*/_*__models.yml")) - set(OPS.glob("*")):
        for model in yaml.safe_load(path.read_text())["models"]:
            documented[model["name"]] = model
    sql_models = {p.stem for p in STAGING.glob("*/stg_*.sql") if p.parent != OPS}
    expected = set()
    for t in raw_tables.RAW_TABLES:
        sql = [m for m in sql_models if m.startswith(f"stg_{SHORT[t.schema]}__")]
        sources = [m for m in sql if f"source('{t.schema}', '{t.name}')" in
                   (STAGING / SHORT[t.schema] / f"{m}.sql").read_text()]
        assert len(sources) == 1, f"{t.qualified_name}: staging models {sources}"
        expected.add(sources[0])
    assert sql_models == expected == set(documented)
    for name, model in documented.items():
        grain = [c for c in model["columns"] if "unique" in (c.get("data_tests") or [])]
        assert len(grain) == 1 and "not_null" in grain[0]["data_tests"], name
        assert all(c.get("description") for c in model["columns"]), name


@pytest.mark.slow
def test_staging_renames_casts_and_keeps_every_row(tmp_path: Path):
    from dbt_helpers import query, write_raw

    wh = tmp_path / "w.duckdb"
    write_raw(wh, {
        "raw_respondio.messages": [
            {"message_id": 1, "conversation_id": 9, "contact_id": 3, "traffic": "INCOMING", "sender_type": "contact",
             "referral_ctwa_clid": "abc", "sent_at": "2025-01-01 10:00:00"},
            {"message_id": 2, "conversation_id": 9, "contact_id": 3, "traffic": "outgoing", "sender_type": "user",
             "sender_user_id": 4, "sent_at": "2025-01-01 10:01:00"},
        ],
        "raw_files.contacts": [
            {"source_system": " Legacy ", "contact_external_id": "x1", "email": "a@b.io", "country_code": "gb"},
            {"source_system": "legacy", "contact_external_id": "x2"},
        ],
        "raw_shop.orders": [{"order_id": 7, "currency": "eur", "subtotal_price": "10.50", "cancelled_at": None}],
    })
    run_dbt(["build", "--select", "stg_respondio__messages stg_files__contacts stg_shop__orders",
             "--indirect-selection", "buildable"],
            warehouse=wh, target_path=tmp_path / "target")
    msgs = query(wh, "select message_id, conversation_id, traffic, ctwa_clid, sender_user_id "
                     "from staging.stg_respondio__messages order by message_id")
    assert msgs == [("1", "9", "incoming", "abc", None), ("2", "9", "outgoing", None, "4")]
    contacts = query(wh, "select contact_key, source_system, country_code from staging.stg_files__contacts "
                         "order by contact_key")
    assert contacts == [("legacy:x1", "legacy", "GB"), ("legacy:x2", "legacy", None)]
    orders = query(wh, "select order_id, currency, subtotal_amount, is_cancelled from staging.stg_shop__orders")
    assert [(o[0], o[1], float(o[2]), o[3]) for o in orders] == [("7", "EUR", 10.5, False)]
