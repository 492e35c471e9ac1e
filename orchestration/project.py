"""The dbt project as Dagster sees it.

dagster-dbt needs the manifest before the definitions load. Under ``dagster dev``, ``prepare_if_dev()``
parses the project on every reload; ``lifecycle`` commands and the tests call
:func:`prepare_dbt_project` first; when nothing prepared it (a fresh clone imported directly), it
runs once here.

Why not ``dbt_project.preparer.prepare()``: the library's preparer runs the ``dbt`` found on ``PATH``,
and ``.venv/bin/lifecycle`` or ``make test`` run without the virtual environment on ``PATH``. So the
parse runs through dagster-dbt's ``DbtCliResource`` with this environment's dbt, under a file lock
(xdist workers and the CLI beside ``dagster dev`` may ask at once).
"""

import fcntl
import json
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.dbt import DBT_PROJECT_DIR, DEFAULT_TARGET_PATH, dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DEFAULT_TARGET_PATH)


def warehouse_vars(warehouse: Path) -> list[str]:
    """The ``--vars`` of a dbt command on this DuckDB file, the same string for the parse and the build.

    dbt keeps its partial-parse file only while the command-line vars are the same as the last parse's
    (it compares their text), so the parse of `lifecycle run` and the build of the dbt asset must pass
    exactly these arguments: the build then reuses the parse (about 4 s) instead of parsing the whole
    project again (about 12 s), and a second run on the same warehouse parses partially too.
    """
    return ["--vars", json.dumps({"warehouse_path": str(warehouse)})]


def prepare_dbt_project(warehouse: Path | None = None) -> None:
    """`dbt parse` (partial parsing makes a repeat cheap), one process at a time.

    ``warehouse``: the DuckDB file the next build writes (:func:`warehouse_vars`), so that build parses
    partially; without it the parse has no vars (the Dagster UI, tests that build elsewhere).
    """
    target = dbt_project.project_dir / dbt_project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
        args = ["parse", "--quiet", *(warehouse_vars(warehouse) if warehouse is not None else [])]
        dbt.cli(args, target_path=dbt_project.target_path).wait()


dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    prepare_dbt_project()
