"""Running dbt on the project: one place that sets the warehouse, profile and target paths.

Callers that may run side by side (tests under xdist, helpers) pass their own ``target_path`` so
that manifests and partial-parse files never collide. dbt runs in a subprocess: dbt's in-process
runner is not safe to call concurrently and keeps global state between invocations.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifecycle.warehouse import PROJECT_ROOT, WAREHOUSE_ENV, warehouse_path

DBT_PROJECT_DIR = PROJECT_ROOT
DEFAULT_TARGET_PATH = PROJECT_ROOT / "target"


class DbtError(RuntimeError):
    """dbt exited non-zero; the message carries the tail of its output."""


def dbt_executable() -> str:
    """The dbt of this environment: `dagster dev` starts its code server with the resolved interpreter
    path (outside the venv's bin), so look in the venv prefix first, then beside the interpreter, then PATH."""
    for folder in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        if (folder / "dbt").exists():
            return str(folder / "dbt")
    return shutil.which("dbt") or "dbt"


def dbt_env(warehouse: Path | str | None = None, target: str | None = None,
            extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[WAREHOUSE_ENV] = str(Path(warehouse).resolve() if warehouse else warehouse_path())
    env["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if target:
        env["LIFECYCLE_DBT_TARGET"] = target
    if extra_env:
        env.update(extra_env)
    return env


def dbt_args(command: Sequence[str], target_path: Path | str | None = None,
             vars: Mapping[str, Any] | None = None) -> list[str]:
    tp = Path(target_path) if target_path else DEFAULT_TARGET_PATH
    args = [*command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(tp), "--log-path", str(tp / "logs")]
    if vars:
        args += ["--vars", json.dumps(dict(vars))]
    return args


def run_dbt(command: Sequence[str], *, warehouse: Path | str | None = None, target_path: Path | str | None = None,
            vars: Mapping[str, Any] | None = None, target: str | None = None,
            extra_env: Mapping[str, str] | None = None, check: bool = True,
            echo: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <command>`` against the project; raise :class:`DbtError` when it fails (check=True)."""
    args = [dbt_executable(), *dbt_args(command, target_path, vars)]
    proc = subprocess.run(args, cwd=PROJECT_ROOT, env=dbt_env(warehouse, target, extra_env),
                          capture_output=not echo, text=True)
    if check and proc.returncode != 0:
        tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).splitlines()[-60:])
        raise DbtError(f"dbt {' '.join(command)} failed (exit {proc.returncode}):\n{tail}")
    return proc


def manifest_path(target_path: Path | str | None = None) -> Path:
    return (Path(target_path) if target_path else DEFAULT_TARGET_PATH) / "manifest.json"


def _newest_source_mtime() -> float:
    newest = (PROJECT_ROOT / "dbt_project.yml").stat().st_mtime
    for path in (PROJECT_ROOT / "dbt_project").rglob("*"):
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(target_path: Path | str | None = None, vars: Mapping[str, Any] | None = None) -> Path:
    """`dbt parse` when the manifest is missing or older than any file of the dbt project."""
    manifest = manifest_path(target_path)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # Several processes (xdist workers, the CLI beside `dagster dev`) may ask at once: parse once.
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime() or vars:
            run_dbt(["parse"], target_path=target_path, vars=vars)
    return manifest
