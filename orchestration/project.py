"""The dbt project as Dagster sees it.

dagster-dbt needs the manifest before definitions load; `lifecycle.dbt.ensure_manifest()` runs
`dbt parse` when it is missing or stale (the CLI and the tests call it first), and under
`dagster dev` `prepare_if_dev()` does the same.
"""

from dagster_dbt import DbtProject

from lifecycle.dbt import DEFAULT_TARGET_PATH, ensure_manifest
from lifecycle.warehouse import PROJECT_ROOT

dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT, target_path=DEFAULT_TARGET_PATH)
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    ensure_manifest()
