"""The layers' import direction: warehouse_io <- ingestion | activation | dashboards <- orchestration.

The contract lives in pyproject.toml ([tool.importlinter]); import-linter checks it. The second test
shows the check fails when a module imports against the direction.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warehouse_io", "ingestion", "activation", "dashboards", "orchestration")
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(folder)})


def test_imports_flow_one_way():
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize(("module", "bad_import"), [
    ("warehouse_io/connection.py", "from ingestion import raw_tables"),   # shared package importing a layer
    ("dashboards/charts.py", "import activation.sync"),                  # one layer importing its sibling
    ("ingestion/parsing.py", "from orchestration import cli"),           # a layer importing the assembler
])
def test_an_import_against_the_direction_fails_the_check(tmp_path, module, bad_import):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{bad_import}  # against the direction\n")
    proc = _lint(tmp_path)
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout and module.replace("/", ".").removesuffix(".py") in proc.stdout


# PostgreSQL cuts identifiers at 63 bytes and dbt refuses longer relation names: a unit test's name
# becomes a relation too. DuckDB has no such limit, so only this check (or the PostgreSQL build) sees it.
POSTGRES_IDENTIFIER_LIMIT = 63


def test_dbt_names_fit_postgres_identifiers():
    import yaml

    project = ROOT / "dbt_project"
    names = {p.stem: p for folder in ("models", "seeds", "snapshots") for p in (project / folder).rglob("*.sql")}
    names.update({p.stem: p for p in (project / "seeds").rglob("*.csv")})
    for spec in (project / "models").rglob("*.yml"):
        for unit_test in (yaml.safe_load(spec.read_text()) or {}).get("unit_tests") or []:
            names[unit_test["name"]] = spec
    too_long = sorted(f"{name} ({path.relative_to(project)}): {len(name)}"
                      for name, path in names.items() if len(name) > POSTGRES_IDENTIFIER_LIMIT)
    assert not too_long, "names longer than PostgreSQL's 63-character identifiers:\n" + "\n".join(too_long)
