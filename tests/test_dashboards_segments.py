"""The Segments page: the catalog (sizes, definitions, last sync per destination, masked preview) and the
segment builder, whose live count must equal the model the YAML file it writes generates.

Expected numbers are computed here with their own SQL on the warehouse (not with dashboards.queries); the
builder's semantics are checked against the real thing: every YAML segment of activation/segments/ counted
by the builder's SQL equals its built dbt model, and one builder output is generated and built with dbt.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml
from dashboard_helpers import PROJECT_ROOT, metrics, no_trouble, open_app, sql_rows, sql_value
from streamlit.testing.v1 import AppTest

from activation import load_syncs, run_sync, segments
from dashboards import personal_data, queries
from orchestration.dbt import dbt_executable
from warehouse_io import WarehouseTarget

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards")]

SYNC = "webhook_cold_leads"  # a dry run of it records a run in ops.sync_runs
PAGE = "app_pages/segments.py"
EMPTIED = "seg_hot_leads_awaiting_reply"  # emptied in this module's warehouse: the empty-segment case
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@pytest.fixture(scope="module")
def segments_warehouse(demo_warehouse, tmp_path_factory) -> Path:
    """A copy of the demo warehouse with one dry-run sync and one emptied segment, before any serving copy."""
    folder = tmp_path_factory.mktemp("segments_page")
    path = folder / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    run_sync(load_syncs()[SYNC], warehouse=WarehouseTarget.duckdb(path), dry_run=True, outbox_dir=folder / "outbox")
    con = duckdb.connect(str(path))
    try:
        con.execute(f"delete from segments.{EMPTIED}")
    finally:
        con.close()
    return path


def _live_count(at: AppTest) -> int:
    return int(metrics(at)["Contacts in the segment"].replace(",", ""))


# --- the catalog ---------------------------------------------------------------------------------
def test_every_segment_with_its_size_definition_and_last_sync(monkeypatch, segments_warehouse):
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    no_trouble(at)
    models = [r[0] for r in sql_rows(segments_warehouse, "select table_name from information_schema.tables "
                                                        "where table_schema = 'segments' order by table_name")]
    catalog = at.dataframe[0].value
    assert sorted("seg_" + n for n in catalog["segment_name"]) == models
    assert metrics(at)["Segments"] == str(len(models))
    for name, shown in zip(catalog["segment_name"], catalog["contacts"], strict=True):
        assert int(shown) == sql_value(segments_warehouse, f"select count(*) from segments.seg_{name}"), name
    # definitions: the YAML segments' file, the hand-written models' description from their yml
    by_name = catalog.set_index("segment_name")
    assert by_name.loc["whatsapp_repeat_customers", "definition_kind"] == "YAML file"
    assert by_name.loc["hot_leads", "definition_kind"] == "SQL model"
    assert by_name.loc["hot_leads", "description"].startswith("Hot leads")

    # last sync per destination: the dry run of the fixture, as ops.sync_runs has it
    run = sql_rows(segments_warehouse, "select rows_total, rows_sent, status from ops.sync_runs where sync_name = ?",
                  [SYNC])
    assert len(run) == 1
    syncs = at.dataframe[1].value
    assert len(syncs) == 1
    row = syncs.iloc[0]
    assert (row["segment"], row["destination"], row["sync_name"], row["mode"]) == ("cold_leads", "Webhook", SYNC,
                                                                                    "dry run")
    assert (int(row["rows_total"]), int(row["rows_sent"]), row["last_status"]) == run[0]
    assert by_name.loc["cold_leads", "destinations"] == "Webhook"
    assert metrics(at)["Synced segments"] == "1"


def test_preview_is_masked_and_shows_the_yaml_definition(monkeypatch, segments_warehouse):
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    at.selectbox(key="segment_preview").set_value("whatsapp_repeat_customers").run()
    no_trouble(at)
    shown_yaml = yaml.safe_load(at.code[0].value)["filters"]
    on_file = yaml.safe_load((PROJECT_ROOT / "activation/segments/whatsapp_repeat_customers.yml").read_text())
    assert segments.parse_definition({"description": "x", "filters": shown_yaml}, "x.yml").filters == \
        segments.parse_definition(on_file, "x.yml").filters

    at.selectbox(key="segment_preview").set_value("cold_leads").run()
    no_trouble(at)
    preview = at.dataframe[2].value
    total = sql_value(segments_warehouse, "select count(*) from segments.seg_cold_leads")
    assert len(preview) == min(total, queries.SEGMENT_PREVIEW_ROWS) > 0
    raw = sql_rows(segments_warehouse, "select email, phone, first_name, last_name from segments.seg_cold_leads "
                                      "order by contact_id limit ?", [queries.SEGMENT_PREVIEW_ROWS])
    assert set(preview["contact_id"]) == {r[0] for r in sql_rows(
        segments_warehouse, "select contact_id from segments.seg_cold_leads order by contact_id limit ?",
        [queries.SEGMENT_PREVIEW_ROWS])}
    text = preview.to_csv()
    personal = {v for r in raw for v in r if v and len(v) > 2}
    assert personal and not [v for v in personal if v in text]
    assert EMAIL.findall(text) == []
    assert all(str(e).count("***") for e in preview["email"].dropna())
    assert len(at.get("download_button")) == 1
    assert personal_data.SETTING in " ".join(c.value for c in at.caption)

    # allowed by the documented setting: the same rows, unmasked
    monkeypatch.setenv(personal_data.SETTING, "1")
    at.run()
    no_trouble(at)
    shown = at.dataframe[2].value.to_csv()
    assert any(v in shown for v in personal)


def test_the_csv_download_is_masked_unless_allowed(monkeypatch, segments_warehouse):
    """The whole segment as the Download CSV button builds it when clicked: every row, masked like the preview."""
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(segments_warehouse))
    monkeypatch.delenv(personal_data.SETTING, raising=False)
    rows = queries.segment_rows("seg_cold_leads")
    raw = sql_rows(segments_warehouse, "select email, phone, first_name, last_name from segments.seg_cold_leads")
    personal = {v for r in raw for v in r if v and len(v) > 2}
    masked = personal_data.csv_bytes(rows).decode("utf-8")
    assert len(masked.strip().splitlines()) == len(raw) + 1  # every row and the header
    assert personal and not [v for v in personal if v in masked]
    assert EMAIL.findall(masked) == []
    assert personal_data.csv_bytes(rows, show=True).decode("utf-8").count("@") >= len([r for r in raw if r[0]])
    monkeypatch.setenv(personal_data.SETTING, "1")
    assert any(v in personal_data.csv_bytes(rows).decode("utf-8") for v in personal)


def test_an_empty_segment_and_an_empty_catalog_show_info(monkeypatch, segments_warehouse, tmp_path):
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    at.selectbox(key="segment_preview").set_value(EMPTIED.removeprefix("seg_")).run()
    no_trouble(at)
    assert "Nobody is in this segment right now." in [i.value for i in at.info]

    no_segments = tmp_path / "no_segments.duckdb"
    shutil.copy(segments_warehouse, no_segments)
    con = duckdb.connect(str(no_segments))
    con.execute("delete from marts.dim_segments")
    con.close()
    at = open_app(monkeypatch, no_segments, PAGE)
    no_trouble(at)
    assert any(i.value.startswith("No segment models yet") for i in at.info)


def test_builder_filters_nobody_passes_show_info(monkeypatch, segments_warehouse, tmp_path):
    silent = tmp_path / "silent.duckdb"
    shutil.copy(segments_warehouse, silent)
    con = duckdb.connect(str(silent))
    con.execute("update marts.dim_contact_segment_facts set inbound_channels = null")  # nobody ever wrote
    con.close()
    at = open_app(monkeypatch, silent, PAGE)
    at.multiselect(key="builder_channel").set_value(["whatsapp"]).run()
    no_trouble(at)
    assert _live_count(at) == 0
    assert "No contact matches all these filters: widen a range or drop a filter." in [i.value for i in at.info]
    assert len(at.dataframe) == 3  # the catalog, the last syncs and the segment preview; no builder preview


# --- the builder ---------------------------------------------------------------------------------
def _independent_count(path: Path, stages: list[str], channel: str | None = None,
                       inbound_days: tuple[int, int] | None = None) -> int:
    """Straight from dim_contacts and the intermediate segment facts (not the mart the builder reads)."""
    sql = ("select count(*) from marts.dim_contacts as c join intermediate.int_segments__contact_facts as f "
           "using (contact_id) where list_contains(?, c.current_stage) and c.current_lost_stage is null")
    params: list = [stages]
    if channel:
        sql += " and list_contains(string_split(f.inbound_channels, ','), ?)"
        params.append(channel)
    if inbound_days:
        sql += " and f.days_since_last_inbound between ? and ?"
        params += list(inbound_days)
    return sql_value(path, sql, params)


def test_builder_live_count_follows_the_filters(monkeypatch, segments_warehouse, tmp_path):
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    no_trouble(at)
    assert "Pick at least one filter to see who is in the segment." in [i.value for i in at.info]

    at.multiselect(key="builder_stage").set_value(["Hot Lead", "Payment"]).run()
    no_trouble(at)
    by_stage = _live_count(at)
    assert by_stage == _independent_count(segments_warehouse, ["Hot Lead", "Payment"]) > 0

    at.multiselect(key="builder_channel").set_value(["whatsapp"]).run()
    at.toggle(key="builder_inbound_on").set_value(True).run()
    at.slider(key="builder_inbound_days").set_value((0, 20)).run()
    no_trouble(at)
    narrowed = _live_count(at)
    assert narrowed == _independent_count(segments_warehouse, ["Hot Lead", "Payment"], "whatsapp", (0, 20))
    assert 0 < narrowed < by_stage
    preview = at.dataframe[-1].value
    assert len(preview) == min(narrowed, queries.SEGMENT_PREVIEW_ROWS)
    assert not any(EMAIL.fullmatch(str(e)) for e in preview["email"].dropna())  # masked

    # the YAML file it writes is accepted by activation's loader, with the same filters
    at.text_input(key="builder_name").set_value("whatsapp_hot_leads_active").run()
    text = at.code[-1].value
    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "whatsapp_hot_leads_active.yml").write_text(text)
    (definition,) = segments.load_definitions(folder)
    assert definition.filters.model_dump(exclude_none=True) == {
        "stage": ["Hot Lead", "Payment"], "channel": ["whatsapp"],
        "days_since_last_inbound": {"min": 0.0, "max": 20.0}}
    assert definition.description



def test_builder_rejects_a_taken_or_bad_file_name(monkeypatch, segments_warehouse):
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    at.multiselect(key="builder_stage").set_value(["Hot Lead"]).run()
    at.text_input(key="builder_name").set_value("hot_leads").run()
    no_trouble(at)
    assert any("exists already" in i.value for i in at.info)
    at.text_input(key="builder_name").set_value("Hot-Leads").run()
    assert any("lower-case letters" in i.value for i in at.info)


def _resolve_roles(filters: dict, path: Path) -> dict:
    """first_stage / hot_lead_stage / won_stage as the names of the preset the warehouse was built with."""
    preset = yaml.safe_load((PROJECT_ROOT / "dbt_project/lifecycle_stages/respond_io.yml").read_text())
    first = sql_value(path, "select stage_name from intermediate.int_lifecycle__stages where stage_order = 1")
    roles = {"first_stage": first, "hot_lead_stage": preset["hot_lead_stage"], "won_stage": preset["won_stage"]}
    out = dict(filters)
    if "stage" in out:
        out["stage"] = [roles.get(s, s) for s in out["stage"]]
    if "stage_at_least" in out:
        out["stage_at_least"] = roles.get(out["stage_at_least"], out["stage_at_least"])
    return out


def test_builder_sql_counts_every_yaml_segment_like_its_model(monkeypatch, segments_warehouse):
    """The builder's SQL (builder_where) against the yaml_segment macro, filter kind by filter kind: each
    YAML segment of activation/segments/ counted by the builder equals its built model."""
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(segments_warehouse))
    queries.clear_caches()
    definitions = segments.load_definitions()
    assert len(definitions) >= 5
    for d in definitions:
        filters = _resolve_roles(d.filters.model_dump(exclude_none=True), segments_warehouse)
        expected = sql_value(segments_warehouse, f"select count(*) from segments.{d.model}")
        assert queries.builder_count(filters) == expected, d.name


def test_builder_yaml_generates_a_model_with_the_live_count(monkeypatch, segments_warehouse, tmp_path):
    """The builder's YAML, generated by `lifecycle segments generate` and built by dbt on a copy of the
    warehouse, holds exactly the contacts the builder counted."""
    at = open_app(monkeypatch, segments_warehouse, PAGE)
    at.multiselect(key="builder_lost_stage").set_value(["Cold Lead"]).run()
    at.multiselect(key="builder_stage").set_value(["Payment", "Customer"]).run()
    at.selectbox(key="builder_consent_channel").set_value("email").run()
    campaigns = [r[0] for r in sql_rows(segments_warehouse, "select distinct entry_campaign from intermediate."
                                       "int_segments__contact_facts where entry_campaign is not null")]
    at.multiselect(key="builder_campaign").set_value(campaigns).run()  # values; the options show names
    at.toggle(key="builder_order_on").set_value(True).run()
    at.slider(key="builder_order_days").set_value((0, 120)).run()
    at.multiselect(key="builder_rfm").set_value(at.multiselect(key="builder_rfm").options[:4]).run()
    at.toggle(key="builder_churn_on").set_value(True).run()
    at.slider(key="builder_churn").set_value((0.0, 0.9)).run()
    at.text_input(key="builder_name").set_value("builder_check").run()
    no_trouble(at)
    live = _live_count(at)
    assert live > 0
    text = at.code[-1].value
    assert {"stage", "lost_stage", "consent", "campaign", "days_since_last_order", "rfm_cell", "churn_risk"} == set(
        yaml.safe_load(text)["filters"])

    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "builder_check.yml").write_text(text)
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"))
    assert segments.generate(folder, project / "models/segments/from_yaml", project)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(segments_warehouse, warehouse)
    proc = subprocess.run(
        [dbt_executable(), "build", "-s", "seg_builder_check", "--project-dir", str(project), "--profiles-dir",
         str(project), "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
         "--vars", json.dumps({"warehouse_path": str(warehouse)})],
        cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert sql_value(warehouse, "select count(*) from segments.seg_builder_check") == live


def test_the_exposure_lists_the_marts_the_page_requires():
    doc = yaml.safe_load((PROJECT_ROOT / "dbt_project/models/exposures/_dashboards__segments.yml").read_text())
    (exposure,) = doc["exposures"]
    assert exposure["type"] == "dashboard" and exposure["url"].endswith("/segments")
    refs = {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposure["depends_on"]}
    assert refs == set(queries.SEGMENT_MARTS) | set(queries.BUILDER_MARTS)
