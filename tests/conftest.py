"""Shared fixtures.

``demo_warehouse``: the demo business (small, fixed seed and end date) run through dbt build once per
test session and shared by every xdist worker (built under a file lock in the session's common temp
folder). Tests only read it; a test that writes copies it first (``writable_demo_warehouse``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from pathlib import Path

import pytest

DEMO_CONTACTS = int(os.environ.get("LIFECYCLE_TEST_DEMO_CONTACTS", "1500"))
DEMO_SEED = 7
DEMO_END_DATE = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test may touch the developer's warehouse or outbox by accident."""
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("LIFECYCLE_OUTBOX_DIR", str(tmp_path / "outbox"))


def _shared_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has basetemp/popen-gwN; the parent is common to the session
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_demo_warehouse(folder: Path, n_contacts: int = DEMO_CONTACTS, seed: int = DEMO_SEED,
                         end_date: dt.date = DEMO_END_DATE, vars: dict | None = None) -> Path:
    import warehouse_io
    from ingestion import raw_tables
    from ingestion.demo import DemoConfig, write_demo
    from orchestration.dbt import run_dbt

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.duckdb"
    with warehouse_io.connect(path) as con:
        raw_tables.ensure_raw_tables(con)
        write_demo(con, DemoConfig(n_contacts=n_contacts, seed=seed, end_date=end_date))
    run_dbt(["build"], warehouse=path, target_path=folder / "target", vars=vars)
    return path


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    shared = _shared_dir(tmp_path_factory) / "demo_warehouse"
    shared.mkdir(parents=True, exist_ok=True)
    done = shared / "done.json"
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            path = build_demo_warehouse(shared)
            done.write_text(json.dumps({"path": str(path)}))
    return Path(json.loads(done.read_text())["path"])


@pytest.fixture
def writable_demo_warehouse(demo_warehouse, tmp_path) -> Path:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy
