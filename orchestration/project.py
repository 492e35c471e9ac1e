"""The dbt project as Dagster sees it.

dagster-dbt needs the manifest before the definitions load. Under ``dagster dev``, ``prepare_if_dev()``
parses the project on every reload; ``lifecycle`` commands and the tests call
:func:`prepare_dbt_project` first; when nothing prepared it (a fresh clone imported directly), it
runs once here.

Why not ``dbt_project.preparer.prepare()``: the library's preparer runs the ``dbt`` found on ``PATH``,
and ``.venv/bin/lifecycle`` or ``make test`` run without the virtual environment on ``PATH``. So the
parse runs through dagster-dbt's ``DbtCliResource`` with this environment's dbt, under a file lock
(xdist workers and the CLI beside ``dagster dev`` may ask at once).

Readers never take that lock: a Dagster code location, `dagster schedule list` or `lifecycle segments`
load ``target/manifest.json`` while another process may be parsing. dbt writes its manifest in place,
so a reader could load half a file (CI once failed on exactly that: "unexpected end of data"). So the
parse writes into a folder of its own, ``target/.parse``, and the finished files are then published
into ``target/`` by a rename, which readers see as either the old file or the new one, whole.

dbt parses partially only from a partial-parse file of the same vars and profile, and the profile holds
the warehouse's path: one parse for another warehouse (a second project, the tests beside each other)
made the next run on this one parse the whole project again (about 12 s, against 4 s). So each parse
also keeps its partial-parse file under ``target/.parse_cache``, by a hash of its arguments and of the
variables the profile reads, and the next parse with the same ones starts from it. dbt still checks
the file's vars, profile and project files itself: the cache can only save a full parse, never make a
wrong one.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
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


PARSE_FOLDER = ".parse"
PUBLISHED_FILES = ("partial_parse.msgpack", "manifest.json")  # the manifest last: its rename says "ready"
PARSE_CACHE_FOLDER = ".parse_cache"
PARSE_CACHE_SIZE = 8  # partial-parse files kept (about 3 MB each), the most recently used


def _profile_environment() -> list[str]:
    """The environment variables profiles.yml reads (its target, the warehouse path, the servers), read from it;
    not a password: it does not change the parse, and no secret goes into a file name, even hashed."""
    text = (dbt_project.profiles_dir / "profiles.yml").read_text(encoding="utf-8")
    return sorted({name for name in re.findall(r"env_var\(\s*['\"](\w+)['\"]", text)
                   if not re.search(r"PASSWORD|SECRET|TOKEN", name)})


def _parse_cache_file(target: Path, args: list[str]) -> Path:
    """Where the partial-parse file of a parse with these arguments is kept (a hash: no path or value in the name)."""
    environment = [f"{name}={os.environ.get(name, '')}" for name in _profile_environment()]
    key = hashlib.sha256("\0".join([*args, *environment]).encode()).hexdigest()[:20]
    return target / PARSE_CACHE_FOLDER / f"{key}.msgpack"


def _prune_parse_cache(folder: Path) -> None:
    kept = sorted(folder.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in kept[PARSE_CACHE_SIZE:]:
        stale.unlink(missing_ok=True)


def _publish(source: Path, destination: Path) -> None:
    """Copy ``source`` over ``destination`` so that no reader ever sees part of it: a copy beside the
    destination (same file system, with dbt's file mode), renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(fd)
    try:
        shutil.copy(source, tmp)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_dbt_project(warehouse: Path | None = None) -> None:
    """`dbt parse` (partial parsing makes a repeat cheap), one process at a time.

    ``warehouse``: the DuckDB file the next build writes (:func:`warehouse_vars`), so that build parses
    partially; without it the parse has no vars (the Dagster UI, tests that build elsewhere).
    """
    target = dbt_project.project_dir / dbt_project.target_path
    parse_target = target / PARSE_FOLDER
    parse_target.mkdir(parents=True, exist_ok=True)
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
        args = ["parse", "--quiet", *(warehouse_vars(warehouse) if warehouse is not None else [])]
        cached = _parse_cache_file(target, args)
        if cached.exists():  # the last parse with these arguments: dbt re-parses only what changed since
            shutil.copy(cached, parse_target / "partial_parse.msgpack")
        dbt.cli(args, target_path=parse_target).wait()
        if (parse_target / "partial_parse.msgpack").exists():
            cached.parent.mkdir(exist_ok=True)
            _publish(parse_target / "partial_parse.msgpack", cached)
            _prune_parse_cache(cached.parent)
        # the partial-parse file too: dagster-dbt copies target/partial_parse.msgpack into each run's
        # own target folder, and a half-copied one would make that build parse from scratch or fail
        for name in PUBLISHED_FILES:
            if (parse_target / name).exists():
                _publish(parse_target / name, target / name)


dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    prepare_dbt_project()
