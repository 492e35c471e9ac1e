"""Every dbt var is validated, with an error naming the var and the bad value.

Most cases run in one dbt call on a small project that shares the real macros (and so the one rules
table, project_var_rules()); the full project shows that a bad value stops `dbt parse` naming the var
(not "Table with name pass_final does not exist" deep in the SQL), and that on-run-start validates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from orchestration.dbt import DBT_PROJECT_DIR, dbt_executable, run_dbt

RULES_FILE = DBT_PROJECT_DIR / "macros" / "common" / "project_vars.sql"
pytestmark = pytest.mark.xdist_group("dbt_vars")


def declared_vars() -> dict:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def rule_names() -> set[str]:
    body = RULES_FILE.read_text().split("macro project_var_rules", 1)[1].split("endmacro", 1)[0]
    return set(re.findall(r"'([a-z_]+)':\s*\{'kind'", body))


def test_every_declared_var_has_a_rule_and_is_read_through_it():
    assert set(declared_vars()) <= rule_names(), (
        f"vars without a line in project_var_rules(): {sorted(set(declared_vars()) - rule_names())}")
    # models and macros read vars through project_var(), so a bad value fails at parse, named
    direct = []
    for path in [*DBT_PROJECT_DIR.glob("models/**/*.sql"), *DBT_PROJECT_DIR.glob("macros/**/*.sql")]:
        for name in re.findall(r"\bvar\('([a-z_]+)'", path.read_text()):
            if name not in rule_names():
                direct.append(f"{path.name}: {name}")
    assert not direct, f"vars read without a rule: {direct}"
    hooks = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["on-run-start"]
    assert any("validate_project_vars()" in h for h in hooks)


@pytest.fixture(scope="module")
def mini_project(tmp_path_factory) -> Path:
    """A project with no models, the real macros and the real vars: parsing it takes seconds."""
    root = tmp_path_factory.mktemp("vars_project")
    (root / "macros").symlink_to(DBT_PROJECT_DIR / "macros", target_is_directory=True)
    (root / "models").mkdir()
    (root / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": "vars_check", "version": "1.0", "config-version": 2, "profile": "vars_check",
        "macro-paths": ["macros"], "model-paths": ["models"], "vars": declared_vars()}))
    (root / "profiles.yml").write_text(yaml.safe_dump({"vars_check": {"target": "dev", "outputs": {"dev": {
        "type": "duckdb", "path": ":memory:",
        "settings": {"autoload_known_extensions": False, "autoinstall_known_extensions": False}}}}}))
    return root


def dbt_in(project: Path, *args: str):
    import subprocess

    return subprocess.run([dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(project / "target"), "--log-path", str(project / "logs")],
                          cwd=project, capture_output=True, text=True, timeout=600)


# (var, bad value, what the message must say): one case per kind of bad value
BAD_VALUES = [
    ("lifecycle_refinement_rounds", "two", "expected a whole number from 1 to 10, got 'two'"),
    ("lifecycle_refinement_rounds", -1, "expected a whole number from 1 to 10, got '-1'"),
    ("lifecycle_refinement_rounds", 2.5, "expected a whole number from 1 to 10, got '2.5'"),
    ("lifecycle_refinement_rounds", True, "expected a whole number from 1 to 10, got 'True'"),
    ("identity_max_iterations", 1000000, "expected a whole number from 1 to 64, got '1000000'"),
    ("lifecycle_dropoff_tolerance", "a lot", "expected a number from 0 to 10, got 'a lot'"),
    ("lifecycle_dropoff_tolerance", -0.5, "expected a number from 0 to 10, got '-0.5'"),
    ("lifecycle_dropoff_trailing_months", None, "a value is required (got null)"),
    ("conversation_session_gap_hours", "24h", "expected a number from 0.25 to 8760, got '24h'"),
    ("default_country_calling_code", "+49", "expected 1 to 3 digits, got '+49'"),
    ("default_country_calling_code", "12345", "expected 1 to 3 digits, got '12345'"),
    ("lifecycle_preset", "respondio", "expected one of five_stage, respond_io, got 'respondio'"),
    ("identity_junk_emails", "test@test.com", "expected a list of text values, got 'test@test.com'"),
    ("identity_junk_emails", ["ok@x.com", 7], "item 1: expected non-empty text, got '7'"),
    ("identity_junk_phones", ["+1'; drop table x; --"], "item 0: expected text matching"),
    ("identity_junk_email_domains", ["bad domain.com"], "item 0: expected text matching"),
    ("sources_enabled", "all", "expected a mapping of respondio, hubspot, salesforce, shop, files"),
    ("sources_enabled", {"hubspot": "yes"}, "key 'hubspot': expected true or false, got 'yes'"),
    ("sources_enabled", {"zendesk": True}, "unknown key 'zendesk'"),
    ("lifecycle_as_of", "yesterday", "expected a UTC time 'YYYY-MM-DD HH:MM:SS', got 'yesterday'"),
    ("lifecycle_as_of", "9999-12-31 23:00:00", "expected a UTC time from 1970 to 2099"),
    ("lifecycle_as_of", "2024-02-30 25:00:00", "expected a UTC time from 1970 to 2099"),
    ("lifecycle_config", "just text", "expected a mapping, got 'just text'"),
    ("warehouse_path", 42, "expected text, got '42'"),
    ("attribution_include_purchases", "yes", "expected true or false, got 'yes'"),
    ("churn_risk_band_thresholds", [0.7, 0.3], "expected numbers in ascending order"),
    ("churn_risk_band_thresholds", [0.3], "expected 2 numbers"),
    ("rfm_recency_days", [40, "ninety", 180], "item 1: expected a number from 1 to 3650, got 'ninety'"),
    ("ad_platforms", ["meta_ads", "google_ads"], "item 1: expected one of meta_ads, tiktok_ads, files"),
    ("reporting_currency", "US dollars", "expected text matching [A-Za-z]{3}"),
    ("segment_promoter_min_nps", 11, "expected a whole number from 0 to 10, got '11'"),
    ("a_var_nobody_declared", 1, "has no validation rule: add its line to project_var_rules()"),
]
GOOD_VALUES = [
    ("lifecycle_refinement_rounds", 3), ("lifecycle_dropoff_tolerance", 0.35), ("lifecycle_dropoff_tolerance", 1),
    ("default_country_calling_code", "44"), ("default_country_calling_code", 49), ("lifecycle_as_of", None),
    ("lifecycle_as_of", "2024-03-01 00:00:00"), ("sources_enabled", {"hubspot": False}),
    ("lifecycle_config", {"inactivity_days": 30}), ("identity_junk_phones", ["+1234567890"]),
    ("churn_risk_band_thresholds", [0.2, 0.8]), ("rfm_recency_days", [30, 60, 120]), ("reporting_currency", "eur"),
    ("ad_platforms", ["files"]), ("customer_value_observation_end", "2026-06-30"),
]


def test_each_kind_of_bad_value_is_named_with_the_var(mini_project):
    cases = [[name, value] for name, value, _ in BAD_VALUES] + [[n, v] for n, v in GOOD_VALUES]
    proc = dbt_in(mini_project, "run-operation", "check_project_vars", "--args", json.dumps({"cases": cases}))
    assert proc.returncode == 0, proc.stdout[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("PROJECT_VAR_PROBLEMS "))
    problems = json.loads(line.split(" ", 1)[1])
    for (name, value, expected), problem in zip(BAD_VALUES, problems, strict=False):
        assert problem is not None, f"{name}={value!r} was accepted"
        assert problem.startswith(f"var '{name}'") and expected in problem, problem
    assert problems[len(BAD_VALUES):] == [None] * len(GOOD_VALUES)


def test_the_run_start_check_stops_on_any_bad_var_and_on_a_bad_stage_config(mini_project):
    proc = dbt_in(mini_project, "run-operation", "validate_project_vars",
                  "--vars", json.dumps({"lifecycle_dropoff_tolerance": "a lot", "identity_max_iterations": 0}))
    assert proc.returncode != 0
    assert "var 'lifecycle_dropoff_tolerance': expected a number from 0 to 10, got 'a lot'" in proc.stdout
    assert "var 'identity_max_iterations': expected a whole number from 1 to 64, got '0'" in proc.stdout
    proc = dbt_in(mini_project, "run-operation", "validate_project_vars",
                  "--vars", json.dumps({"lifecycle_config": {"inactivity_days": 1000000000}}))
    assert proc.returncode != 0
    assert "key 'inactivity_days': expected a whole number of days from 1 to 3650, got '1000000000'" in proc.stdout
    assert dbt_in(mini_project, "run-operation", "validate_project_vars").returncode == 0


@pytest.mark.slow
def test_a_bad_var_stops_the_real_project_at_parse_naming_it(tmp_path):
    proc = run_dbt(["parse"], warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target",
                   vars={"lifecycle_refinement_rounds": "two"}, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "var 'lifecycle_refinement_rounds': expected a whole number from 1 to 10, got 'two'" in out
    assert "pass_final" not in out


def test_the_number_of_models_built_at_a_time_comes_from_lifecycle_dbt_threads(tmp_path):
    from orchestration.dbt import THREADS_ENV

    def concurrency(env: dict[str, str]) -> str:
        proc = run_dbt(["seed", "-s", "country_calling_codes"], warehouse=tmp_path / "w.duckdb",
                       target_path=tmp_path / "target", env=env)
        return re.search(r"Concurrency: (\d+) threads", proc.stdout).group(1)

    assert concurrency({THREADS_ENV: "1"}) == "1"
    assert concurrency({THREADS_ENV: ""}) == "2"  # unset or empty: the default


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", " 3"])
def test_a_thread_count_that_is_no_whole_number_of_one_or_more_is_refused_naming_the_variable(value, tmp_path):
    from orchestration.dbt import THREADS_ENV, DbtError, threads_setting_error

    # dbt would name "two" itself, but crash with a thread-pool traceback on 0 or -1
    with pytest.raises(DbtError, match=rf"LIFECYCLE_DBT_THREADS='{re.escape(value)}' is not a whole number of 1"):
        run_dbt(["seed"], warehouse=tmp_path / "w.duckdb", target_path=tmp_path / "target", env={THREADS_ENV: value})
    assert not (tmp_path / "w.duckdb").exists()  # refused before dbt started
    assert threads_setting_error({THREADS_ENV: "3"}) is None and threads_setting_error({THREADS_ENV: ""}) is None
