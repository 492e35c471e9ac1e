"""The lifecycle engine: dbt unit tests of the stage machine, compile-time validation of the stage
configuration, preset switching, and the planted demo effect (cold-lead rate rises with first-response time).

dbt runs in subprocesses with a target path per test (tests may run side by side under xdist).
"""

from __future__ import annotations

import concurrent.futures

import pytest
import yaml

from orchestration.dbt import PROJECT_ROOT, run_dbt

PRESETS = PROJECT_ROOT / "dbt_project" / "lifecycle_stages"


def test_presets_are_plain_yaml_with_the_documented_stages():
    """The preset files are valid YAML (the Jinja wrapper lives in comments) with the documented stages."""
    respond = yaml.safe_load((PRESETS / "respond_io.yml").read_text())
    assert [s["name"] for s in respond["stages"]] == ["New Lead", "Hot Lead", "Payment", "Customer"]
    assert [s["order"] for s in respond["stages"]] == [1, 2, 3, 4]
    assert [s["name"] for s in respond["lost_stages"]] == ["Cold Lead", "Unqualified", "Lost to Competitor"]
    five = yaml.safe_load((PRESETS / "five_stage.yml").read_text())
    assert [s["name"] for s in five["stages"]] == ["Reach", "Acquisition", "Conversion", "Retention", "Loyalty"]
    # the macro symlinks dbt loads point at these files
    for name in ("respond_io", "five_stage"):
        link = PROJECT_ROOT / "dbt_project" / "macros" / "lifecycle" / "presets" / f"{name}.sql"
        assert link.resolve() == (PRESETS / f"{name}.yml").resolve()


@pytest.mark.slow
def test_engine_unit_tests_pass(tmp_path):
    """Every YAML unit test of the engine (skips, ties, both modes, lost and re-entry, presets...)."""
    import warehouse_io as wh
    from ingestion import raw_tables

    warehouse = tmp_path / "unit.duckdb"
    with wh.connect(warehouse) as con:
        raw_tables.ensure_raw_tables(con)
    proc = run_dbt(["build", "--select", "+int_lifecycle__stage_moves", "--exclude", "test_type:data", "--empty"],
                   warehouse=warehouse,
                   target_path=tmp_path / "target", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    passed = out.count("PASS int_lifecycle__stage_moves::")
    assert passed >= 10, out[-4000:]
    # inactivity boundary and merged-contact signal derivations
    assert out.count("PASS int_lifecycle__signals::") >= 2, out[-4000:]


BAD_CONFIGS = {
    "unknown signal": (
        {"stages": [{"name": "New Lead", "order": 1, "rules": [{"signal": "first_inbound"}]}]},
        ["stages[0].rules[0].signal", "first_inbound"],
    ),
    "duplicate stage": (
        {"stages": [{"name": "New Lead", "order": 1}, {"name": "new lead", "order": 2}]},
        ["stages[1].name", "duplicate stage"],
    ),
    "duplicate order": (
        {"stages": [{"name": "New Lead", "order": 1}, {"name": "Hot Lead", "order": 1}]},
        ["stages[1].order", "already used"],
    ),
    "bad order": (
        {"stages": [{"name": "New Lead", "order": "first"}]},
        ["stages[0].order", "first"],
    ),
    "while_in not a prefix": (
        {"lost_stages": [{"name": "Cold Lead", "rules": [{"signal": "inactivity", "while_in": ["Hot Lead"]}]}]},
        ["lost_stages[0].rules[0].while_in", "New Lead"],
    ),
}


@pytest.mark.slow
def test_bad_configurations_fail_at_compile_time_naming_the_key(tmp_path):
    def compile_with(name: str):
        config = BAD_CONFIGS[name][0]
        vars_ = {"lifecycle_config": config}
        folder = tmp_path / name.replace(" ", "_")
        # the configuration is read while dbt renders the models, so parsing is enough to fail
        return name, run_dbt(["parse"], warehouse=folder / "w.duckdb",
                             target_path=folder / "target", vars=vars_, check=False)

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        results = dict(pool.map(compile_with, BAD_CONFIGS))
    for name, proc in results.items():
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, f"{name}: compiled although the config is bad"
        for needle in BAD_CONFIGS[name][1]:
            assert needle in out, f"{name}: error does not name {needle!r}:\n{out[-2000:]}"


def _cold_rates(con) -> dict[str, tuple[int, float]]:
    """Cold Lead rate per first-response group (fast < 5 min, medium 5-60 min, slow >= 1 h) from the report."""
    rows = con.execute(
        "select dimension_value, funnel_entries, lost_count from marts.rpt_lifecycle_lost "
        "where dimension = 'first_response_bucket' and lost_stage = 'Cold Lead'"
    ).fetchall()
    groups = {"< 5 min": "fast", "5-60 min": "medium", "1-4 h": "slow", "4-24 h": "slow", "> 24 h": "slow"}
    totals: dict[str, list[int]] = {}
    for value, entries, lost in rows:
        if value in groups:
            acc = totals.setdefault(groups[value], [0, 0])
            acc[0] += entries
            acc[1] += lost
    return {g: (entries, lost / entries) for g, (entries, lost) in totals.items() if entries}


@pytest.mark.slow
def test_demo_cold_lead_rate_rises_with_first_response_time(demo_warehouse):
    """The demo generator plants: slower first replies -> more leads never write again. The lost-stage
    report must recover it: the Cold Lead rate rises from fast to medium to slow first replies."""
    import warehouse_io

    with warehouse_io.connect(demo_warehouse, read_only=True) as con:
        rates = _cold_rates(con)
        stage_names = {r[0] for r in con.execute("select stage_name from intermediate.int_lifecycle__stages").fetchall()}
    assert {"New Lead", "Hot Lead", "Payment", "Customer", "Cold Lead"} <= stage_names
    assert set(rates) == {"fast", "medium", "slow"}, rates
    assert all(entries >= 30 for entries, _ in rates.values()), rates
    fast, medium, slow = rates["fast"][1], rates["medium"][1], rates["slow"][1]
    assert fast < medium < slow, rates
    assert slow - fast > 0.1, rates


@pytest.mark.slow
def test_switching_preset_and_adding_a_stage_changes_every_mart(demo_warehouse, tmp_path):
    """`dbt build --vars` with the five-stage preset, then with a custom stage added: the stages flow into
    every mart with no SQL edit."""
    import shutil

    import warehouse_io

    def build(vars_: dict, name: str) -> dict[str, set[str]]:
        copy = tmp_path / f"{name}.duckdb"
        shutil.copy(demo_warehouse, copy)
        # everything downstream of the configuration: the config models and the signals (which read
        # inactivity_days); the engine inlines the configuration, so it is downstream of the signals
        run_dbt(["build", "--select", "int_lifecycle__stages+", "int_lifecycle__signals+", "--exclude", "test_type:unit"],
                warehouse=copy,
                target_path=tmp_path / f"target_{name}", vars=vars_)
        with warehouse_io.connect(copy, read_only=True) as con:
            def stages(sql: str) -> set[str]:
                return {r[0] for r in con.execute(sql).fetchall()}
            return {
                "spells": stages("select distinct stage from marts.fct_lifecycle_stage_spells"),
                "funnel": stages("select distinct stage from marts.rpt_lifecycle_funnel"),
                "daily": stages("select distinct stage from marts.rpt_lifecycle_stage_daily"),
                "time": stages("select distinct stage from marts.rpt_lifecycle_time_in_stage"),
                "dropoff": stages("select distinct from_stage from marts.rpt_lifecycle_dropoff_review"),
                "dim": stages("select distinct current_stage from marts.dim_contacts where current_stage is not null"),
                "hot_leads": stages("select distinct current_stage from segments.seg_hot_leads"),
                "empty_segments": {t for (t,) in con.execute(
                    "select table_name from information_schema.tables where table_schema = 'segments'").fetchall()
                    if con.execute(f"select count(*) from segments.{t}").fetchone()[0] == 0},
                "segments": stages("select table_name from information_schema.tables where table_schema = 'segments'"),
            }

    five = build({"lifecycle_preset": "five_stage"}, "five")
    five_names = {"Reach", "Acquisition", "Conversion", "Retention", "Loyalty"}
    assert five["funnel"] == five_names
    assert five_names - {"Loyalty"} <= five["dropoff"]
    for mart in ("spells", "daily", "time", "dim"):
        assert five[mart] & five_names, mart
        assert not five[mart] & {"New Lead", "Hot Lead", "Payment", "Customer"}, mart
    assert five["hot_leads"] == {"Acquisition"}  # the preset's hot-lead stage: the segment is not empty
    # every segment works with the five-stage preset's names (hot-lead, won and cold stages come from it)
    assert {"seg_hot_leads", "seg_winback_dormant", "seg_cold_leads", "seg_conversion_events",
            "seg_quiet_leads_from_ads", "seg_whatsapp_repeat_customers"} <= five["segments"]
    assert five["empty_segments"] <= {"seg_hot_leads_awaiting_reply"}, five["empty_segments"]
    # and every dashboard page renders with the five-stage preset's names
    from dashboard_helpers import page_problems

    assert page_problems(tmp_path / "five.duckdb") == {}

    respond = yaml.safe_load((PRESETS / "respond_io.yml").read_text())
    stages = respond["stages"] + [{"name": "Repeat Customer", "order": 5, "rules": [{"signal": "repeat_purchase"}]}]
    added = build({"lifecycle_config": {"stages": stages}}, "added")
    assert added["hot_leads"] == {"Hot Lead"}  # replaced stages that keep Hot Lead keep the preset's choice
    assert "Repeat Customer" in added["funnel"]
    assert "Repeat Customer" in added["spells"]
    assert "Repeat Customer" in added["daily"]
    assert "Customer" in added["dropoff"]
