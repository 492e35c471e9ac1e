"""Segments for marketers: YAML segment definitions -> dbt models, and the catalog (list, preview, export)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from activation import segments
from orchestration.dbt import DbtError, run_dbt
from warehouse_io import WarehouseTarget

ROOT = Path(__file__).resolve().parent.parent


def test_generated_segment_models_are_current():
    stale = segments.generate(check=True)
    assert stale == [], f"run `lifecycle segments generate` (stale: {stale})"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name, text, expected", [
    ("unknown_key", "description: x\nfilters:\n  stage: [hot_lead_stage]\n  colour: blue\n",
     "unknown_key.yml: filters.colour: unknown key (value 'blue')"),
    ("bad_range", "description: x\nfilters:\n  orders: {min: 5, max: 2}\n",
     "bad_range.yml: filters.orders: {'min': 5, 'max': 2}: min 5.0 is above max 2.0"),
    ("not_number", "description: x\nfilters:\n  nps: {min: high}\n",
     "not_number.yml: filters.nps.min: 'high': Input should be a valid number"),
    ("no_filters", "description: x\nfilters: {}\n", "no_filters.yml: filters: {}: at least one filter is needed"),
    ("no_description", "filters:\n  reachable: true\n", "no_description.yml: description: missing (required)"),
    ("rfm", "description: x\nfilters:\n  rfm_cell: [Champions]\n",
     "rfm.yml: filters.rfm_cell: ['Champions']: needs the customer-value mart fct_customer_value"),
    ("Bad-Name", "description: x\nfilters:\n  reachable: true\n", "Bad-Name.yml: (file name): 'Bad-Name'"),
    ("hot_leads", "description: x\nfilters:\n  reachable: true\n",
     "hot_leads.yml: (file name): 'hot_leads': seg_hot_leads is a hand-written segment model"),
])
def test_yaml_segment_errors_name_the_file_key_and_value(tmp_path, name, text, expected):
    _write(tmp_path, name, text)
    empty_dbt = tmp_path / "dbt"
    (empty_dbt / "models" / "segments").mkdir(parents=True)
    (empty_dbt / "models" / "segments" / "seg_hot_leads.sql").write_text("select 1")
    with pytest.raises(segments.SegmentDefinitionError) as info:
        segments.load_definitions(tmp_path, empty_dbt)
    assert expected in str(info.value)


def test_a_definition_becomes_a_model_calling_the_macro_and_a_contract(tmp_path):
    _write(tmp_path, "vip", "description: VIPs on WhatsApp.\nfilters:\n  stage_at_least: won_stage\n"
                           "  orders: {min: 3}\n  consent: {channel: whatsapp, require_opt_in: true}\n")
    defs = segments.load_definitions(tmp_path)
    files = segments.generated_files(defs)
    assert set(files) == {"seg_vip.sql", "_from_yaml__models.yml"}
    assert "{{ yaml_segment({'name': 'vip'" in files["seg_vip.sql"]
    assert "'consent': {'channel': 'whatsapp', 'require_opt_in': true}" in files["seg_vip.sql"]
    assert "enforced: true" in files["_from_yaml__models.yml"]
    out = tmp_path / "generated"
    assert segments.generate(tmp_path, out) == ["seg_vip.sql", "_from_yaml__models.yml"]
    assert segments.generate(tmp_path, out) == []            # idempotent
    (tmp_path / "vip.yml").unlink()
    assert segments.generate(tmp_path, out, check=True) == ["_from_yaml__models.yml", "seg_vip.sql"]


@pytest.mark.slow
def test_an_unknown_stage_stops_dbt_naming_the_file_key_and_value(tmp_path):
    spec = ("{{ yaml_segment({'name': 'x', 'file': 'activation/segments/x.yml', "
            "'filters': {'stage': ['hot_lead_stage', 'Hott Lead']}}) }}")
    with pytest.raises(DbtError) as info:
        run_dbt(["compile", "--inline", spec], warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target")
    assert ("segment activation/segments/x.yml: key 'filters.stage[1]': 'Hott Lead': not a stage of preset "
            "respond_io (New Lead, Hot Lead, Payment, Customer)") in str(info.value)
    ok = run_dbt(["compile", "--inline", spec.replace("'Hott Lead'", "'won_stage'")],
                 warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target", vars={"lifecycle_preset": "five_stage"})
    assert "('Acquisition', 'Conversion')" in ok.stdout


# --- the catalog ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_list_preview_and_export_read_the_segments(demo_warehouse, tmp_path):
    target = WarehouseTarget.duckdb(demo_warehouse)
    listed = {s.name: s for s in segments.list_segments(target)}
    assert {"seg_hot_leads", "seg_winback_dormant", "seg_conversion_events"} <= set(listed)
    assert listed["seg_hot_leads"].rows > 0 and listed["seg_hot_leads"].columns[0] == "contact_id"

    total, rows = segments.preview(target, "hot_leads", limit=3)
    assert total == listed["seg_hot_leads"].rows and len(rows) == 3
    assert all("@" not in str(r["email"]) or "***" in str(r["email"]) for r in rows)
    _, clear = segments.preview(target, "seg_hot_leads", limit=3, show_personal=True)
    assert any("@" in str(r["email"]) and "***" not in str(r["email"]) for r in clear)

    n = segments.export(target, "hot_leads", tmp_path / "hot.parquet", "parquet")
    assert n == total and pq.read_table(tmp_path / "hot.parquet").num_rows == total
    with pytest.raises(LookupError, match="no segment 'nope'"):
        segments.preview(target, "nope")
