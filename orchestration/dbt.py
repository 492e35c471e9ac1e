"""Running dbt on the project outside Dagster: the CLI's parse step, the tests and the benchmarks.

Inside Dagster the dbt assets use dagster-dbt's ``DbtCliResource`` (:mod:`orchestration.assets.dbt`)
and the manifest comes from dagster-dbt's preparer (:mod:`orchestration.project`). Tests and
benchmarks build throwaway warehouses side by side, each with its own target path (so manifests and
partial-parse files never collide), so they call :func:`run_dbt`: dbt in a subprocess, because
dbt's in-process runner keeps global state between invocations and is not safe to call concurrently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_TARGET_PATH = DBT_PROJECT_DIR / "target"


class DbtError(RuntimeError):
    """dbt exited non-zero; the message carries the tail of its output."""


# How many models dbt builds at a time (dbt_project/profiles.yml reads it, with the same default).
THREADS_ENV = "LIFECYCLE_DBT_THREADS"
DEFAULT_THREADS = 2


def threads_setting_error(environ: Mapping[str, str] | None = None) -> str | None:
    """What is wrong with ``LIFECYCLE_DBT_THREADS``, or None. dbt itself names a value that is no number,
    but crashes with a thread-pool traceback on 0 or a negative number."""
    raw = (os.environ if environ is None else environ).get(THREADS_ENV, "")
    if raw and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        return (f"{THREADS_ENV}={raw!r} is not a whole number of 1 or more (the models dbt builds at a time; "
                f"unset it for the default, {DEFAULT_THREADS})")
    return None


def dbt_executable() -> str:
    """The dbt of this environment: `dagster dev` starts its code server with the resolved interpreter
    path (outside the venv's bin), so look in the venv prefix first, then beside the interpreter, then PATH."""
    for folder in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        if (folder / "dbt").exists():
            return str(folder / "dbt")
    return shutil.which("dbt") or "dbt"


def dbt_args(command: Sequence[str], target_path: Path | str | None = None,
             vars: Mapping[str, Any] | None = None) -> list[str]:
    tp = Path(target_path) if target_path else DEFAULT_TARGET_PATH
    args = [*command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tp), "--log-path", str(tp / "logs")]
    if vars:
        args += ["--vars", json.dumps(dict(vars))]
    return args


def run_dbt(command: Sequence[str], *, warehouse: Path | str | None = None, target_path: Path | str | None = None,
            vars: Mapping[str, Any] | None = None, target: str | None = None,
            env: Mapping[str, str] | None = None, check: bool = True,
            echo: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <command>`` against the project; raise :class:`DbtError` when it fails (check=True).

    ``warehouse`` is the DuckDB file (passed as the ``warehouse_path`` var the profile reads);
    ``target`` a profile output (``duckdb``, ``postgres``); ``env`` extra variables for dbt (e.g. the
    PostgreSQL connection of the ``postgres`` output).
    """
    all_vars = dict(vars or {})
    if warehouse is not None:
        all_vars["warehouse_path"] = str(Path(warehouse).resolve())
    args = [dbt_executable(), *dbt_args(command, target_path, all_vars)]
    if target:
        args += ["--target", target]


    full_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    problem = threads_setting_error(full_env)
    if problem:
        raise DbtError(problem)
    proc = subprocess.run(args, cwd=PROJECT_ROOT, env=full_env, capture_output=not echo, text=True)
    if check and proc.returncode != 0:
        tail = "\n".join(((proc.stdout or "") + (proc.stderr or "")).splitlines()[-60:])
        raise DbtError(f"dbt {' '.join(command)} failed (exit {proc.returncode}):\n{tail}")
    return proc
