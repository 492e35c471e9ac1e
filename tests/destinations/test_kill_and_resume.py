"""A sync killed with SIGKILL in the middle of a run, then run again, ends with the destination equal to the
segment: nothing missing, no event or contact twice, and only the batch that was in flight sent again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from warehouse_io import WarehouseTarget

from .helpers import ops, write_segment
from .hubspot import TOKEN as HUBSPOT_TOKEN
from .hubspot import HubSpotServer
from .meta_capi import DATASET, MetaCapiServer
from .meta_capi import TOKEN as META_TOKEN

LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")
NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _run(args, env, wait=True):
    full = {**os.environ, **env}
    if wait:
        return subprocess.run([LIFECYCLE, *args], env=full, capture_output=True, text=True, timeout=300)
    return subprocess.Popen([LIFECYCLE, *args], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


CASES = {
    "meta_capi": dict(
        server=MetaCapiServer, env={"META_CAPI_ACCESS_TOKEN": META_TOKEN, "META_CAPI_DATASET_ID": DATASET},
        model="seg_kill_events", key="event_id", n=3000,
        types={"event_id": "varchar", "event_name": "varchar", "event_time": "timestamp", "email": "varchar"},
        row=lambda i: {"event_id": f"lead:{i}", "event_name": "Lead", "event_time": NOW - timedelta(hours=1),
                       "email": f"p{i}@example.com"},
        destination={"type": "meta_capi"}, mode="append",
        mapping={"event_id": "event_id", "event_name": "event_name", "event_time": "event_time", "em": "email"}),
    "hubspot": dict(
        server=HubSpotServer, env={"HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN},
        model="seg_kill_leads", key="contact_id", n=3000,
        types={"contact_id": "varchar", "email": "varchar", "first_name": "varchar"},
        row=lambda i: {"contact_id": f"c{i:05d}", "email": f"p{i}@example.com", "first_name": "Ann"},
        destination={"type": "hubspot"}, mode="upsert", mapping={"email": "email", "firstname": "first_name"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_sync_killed_mid_run_resumes_to_the_same_state_without_duplicates(case, tmp_path):
    spec = CASES[case]
    wh_file = tmp_path / "w.duckdb"
    target = WarehouseTarget.duckdb(wh_file)
    rows = [spec["row"](i) for i in range(spec["n"])]
    write_segment(target, spec["model"], rows, spec["types"])
    with spec["server"]() as srv:
        syncs = tmp_path / "syncs"
        syncs.mkdir()
        (syncs / "kill_test.yml").write_text(yaml.safe_dump({
            "source": {"model": spec["model"], "key": spec["key"]},
            "destination": {**spec["destination"], "base_url": srv.url}, "mode": spec["mode"],
            "mapping": spec["mapping"], "batch_size": 100, "concurrency": 1, "commit_every": 300}))
        env = {**spec["env"], "LIFECYCLE_WAREHOUSE": str(wh_file), "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox")}

        gate = srv.block_after(13)   # the 14th request (in the 5th chunk) hangs until the process is dead
        proc = _run(["sync", "--syncs", str(syncs), "run", "kill_test"], env, wait=False)
        try:
            assert _wait_for(lambda: srv.requests_seen >= 14), "the sync never reached the 14th request"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        gate.set()                   # the destination applies the in-flight batch nobody will acknowledge
        _wait_for(lambda: len(srv.log) >= 14, 10)
        committed = ops(target, "select count(*) from ops.sync_state")[0][0]
        assert 0 < committed < spec["n"] and committed % 300 == 0  # whole chunks, acknowledged ones only

        done = _run(["sync", "--syncs", str(syncs), "run", "kill_test"], env)
        assert done.returncode == 0, done.stdout + done.stderr

        state = srv.state()
        if case == "meta_capi":
            assert set(state) == {r["event_id"] for r in rows}
            assert max(srv.received.values()) <= 2                         # Meta deduplicates the resent ones...
            resent = sum(n - 1 for n in srv.received.values())
            assert resent <= 14 * 100 - committed                           # ...and only uncommitted ones were resent
        else:
            assert set(state) == {r["email"] for r in rows} and len(state) == spec["n"]  # no contact twice
            assert srv.writes - spec["n"] <= 14 * 100 - committed
        runs = dict(ops(target, "select status, count(*) from ops.sync_runs group by status"))
        assert runs == {"abandoned": 1, "success": 1}
        assert ops(target, "select count(*) from ops.sync_state") == [(spec["n"],)]
        last = ops(target, "select rows_sent, rows_unchanged from ops.sync_runs where status = 'success'")[0]
        assert last == (spec["n"] - committed, committed)
