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

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.dbt import DBT_PROJECT_DIR, DEFAULT_TARGET_PATH, dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DEFAULT_TARGET_PATH)


def prepare_dbt_project() -> None:
    """`dbt parse` (partial parsing makes a repeat cheap), one process at a time."""
    target = dbt_project.project_dir / dbt_project.target_path
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
        dbt.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    prepare_dbt_project()
