"""Shared fixtures, and the suite-wide check that no planted personal value reaches a message.

``demo_warehouse``: the demo business (small, fixed seed and end date) run through dbt build once per
test session and shared by every xdist worker (built under a file lock in the session's common temp
folder). Tests only read it; a test that writes copies it first (``writable_demo_warehouse``).

Personal-data check: every log record of the session (the project's loggers at DEBUG), the output of
every subprocess a test runs (``Popen.communicate``, which ``subprocess.run`` uses) and each test's
captured stdout, stderr and log are searched for the personal values the tests plant in their inputs
(:mod:`planted`). A test whose output holds one fails, naming where (not the value).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path

import planted
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


# --------------------------------------------------------------------------------------------------
# No planted personal value in any log line or message
# --------------------------------------------------------------------------------------------------
PROJECT_LOGGERS = ("ingestion", "activation", "dashboards", "orchestration", "warehouse_io", "lifecycle")
_heard: list[tuple[str, str]] = []  # (where, text) since the current test started
_heard_lock = threading.Lock()


def _hear(where: str, text: str) -> None:
    with _heard_lock:
        _heard.append((where, text))


class _HearEverything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still has its raw text
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        _hear(f"log record of {record.name}", text)


_original_communicate = subprocess.Popen.communicate


def _communicate_and_hear(self, *args, **kwargs):
    out, err = _original_communicate(self, *args, **kwargs)
    for name, part in (("stdout", out), ("stderr", err)):
        if part:
            text = part if isinstance(part, str) else part.decode("utf-8", "replace")
            _hear(f"{name} of subprocess {os.path.basename(str(self.args[0] if isinstance(self.args, list) else self.args))}",
                  text)
    return out, err


def pytest_configure(config):
    handler = _HearEverything(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    subprocess.Popen.communicate = _communicate_and_hear


def pytest_collection_modifyitems(config, items):
    """Start the tests marked ``long_running`` first (in file order), the rest after them as collected.

    With ``--dist loadgroup`` and ``--no-loadscope-reorder`` (``make test``) xdist hands out work in this
    order, so the two or three tests of several minutes each start at once and the short ones fill the
    other worker beside them, instead of the long ones starting last and running alone at the end.
    """
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


def pytest_runtest_setup(item):
    with _heard_lock:
        _heard.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if getattr(item, "_planted_leak_reported", False):
        return
    with _heard_lock:
        heard = list(_heard)
    heard += [(f"captured {name}", text) for name, text in report.sections]
    leaks = [(where, value) for where, text in heard for value in planted.leaks(text)]
    if leaks and report.outcome != "failed":
        shown = "; ".join(sorted({f"{planted.masked(v)} in {where}" for where, v in leaks}))
        item._planted_leak_reported = True
        report.outcome = "failed"
        report.longrepr = (f"personal values planted in this test's inputs reached a log line or message "
                           f"({call.when}): {shown}")
