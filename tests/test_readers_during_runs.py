"""Readers never stop the pipeline: three readers poll the warehouse during repeated `lifecycle run`s.

Before the serving copy, a dashboard open on the warehouse made runs fail with DuckDB's "Could not
set lock on file" (3 of 10 file-drop runs with readers polling). Here three reader processes poll
for the whole time, the way the dashboards read (the dashboards' own handle, and a reader that keeps
its connection open between queries), while ten pipeline runs (``LIFECYCLE_SOAK_RUNS`` for a longer
soak) go through the real command line:

- every run finishes and publishes (exit 0; run 3 is given a file that cannot load and exits 3,
  partial, with its good data published all the same); the last two runs start together with
  ``--wait``, so the second waits for the first; a third started then without ``--wait`` refuses at
  once with one line (exit 75);
- every reader query sees a complete, consistent set of marts: every mart the dashboards read is
  there, every table holds exactly the rows the publication's manifest says, all from one publication;
- each run adds one contact, and the readers see the counts of several publications, in order.

The drop folder also holds rows at the edges of the accepted time range (1970-01-01, 2099-12-31) and
rows outside it: the accepted ones must not break the models (every run's dbt build passes its tests).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "file_drop"
LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")
# ten runs, as the hardening issue asks (the lock failures this guards against hit 3 of 10 runs)
RUNS = int(os.environ.get("LIFECYCLE_SOAK_RUNS", "10"))
# seconds between a reader's queries: a dashboard refreshes far less often, and a tighter loop only takes the
# CPU from the runs on a 2-core machine (0.05 s made each run twice as slow), while reads still overlap every
# step of every run
POLL = float(os.environ.get("LIFECYCLE_SOAK_POLL", "0.5"))
DASHBOARD_MARTS = ("dim_contacts", "fct_lifecycle_funnel_entries", "rpt_lifecycle_funnel", "fct_conversations",
                   "fct_lifecycle_stage_spells", "rpt_lifecycle_time_in_stage", "rpt_lifecycle_stage_daily",
                   "rpt_lifecycle_lost", "rpt_lifecycle_dropoff_review", "rpt_first_response_times", "seg_hot_leads")

READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import warehouse_io
    from dashboards.warehouse_access import ReadOnlyWarehouse

    wh, stop, out, style = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    marts = sys.argv[5].split(",")
    serving = warehouse_io.serving_path(wh)
    POLL = float(sys.argv[6])
    result = {"queries": 0, "errors": [], "inconsistent": [], "publications": []}
    handle = ReadOnlyWarehouse(wh)
    held, held_inode = None, None

    def check(rows, counts):
        pubs = {r[0] for r in rows}
        if len(pubs) != 1:
            result["inconsistent"].append(f"a manifest of several publications: {sorted(pubs)}")
        missing = [m for m in marts if f"marts.{m}" not in counts and f"segments.{m}" not in counts]
        if missing:
            result["inconsistent"].append(f"publication {rows[0][0]} misses {missing}")
        pub, n = rows[0][0], counts.get("marts.dim_contacts")
        if not result["publications"] or result["publications"][-1][0] != pub:
            result["publications"].append([pub, n])

    def read_in(con):
        rows = con.execute("select publication_id, table_schema, table_name, row_count from serving.manifest").fetchall()
        counts = {}
        for _, schema, table, expected in rows:
            actual = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            counts[f"{schema}.{table}"] = actual
            if actual != expected:
                result["inconsistent"].append(f"{schema}.{table}: {actual} rows, the manifest says {expected}")
        check(rows, counts)

    while not stop.exists():
        if not serving.exists():
            time.sleep(0.2)
            continue
        try:
            if style == "dashboard":  # the dashboards' own handle: one short connection per query
                rows = handle.query("select publication_id, table_schema, table_name, row_count "
                                    "from serving.manifest").values.tolist()
                check(rows, {f"{s}.{t}": n for _, s, t, n in rows})
                handle.query("select count(*) from marts.rpt_lifecycle_funnel")
            elif style == "holding":  # keeps its connection; re-opens when a new copy was swapped in
                inode = serving.stat().st_ino
                if held is None or inode != held_inode:
                    if held is not None:
                        held.close()
                    held, held_inode = warehouse_io.open_duckdb(serving, read_only=True), inode
                read_in(held)
                time.sleep(1.0)
            else:  # opens, reads everything, closes
                con = warehouse_io.open_duckdb(serving, read_only=True)
                try:
                    read_in(con)
                finally:
                    con.close()
            result["queries"] += 1
        except Exception as exc:
            result["errors"].append(f"{type(exc).__name__}: {str(exc)[:300]}")
        time.sleep(POLL)
    out.write_text(json.dumps(result))
""")


EXTREMES_CONTACTS = ("contact_external_id,email,created_at,channel\n"
                     "X1970,x1970@example.com,1970-01-01T00:00:00Z,email\n"
                     "X2099,x2099@example.com,2099-12-31T23:59:59Z,email\n"
                     "X0001,x0001@example.com,0001-01-01T00:30:00+01:00,email\n"
                     "X9999,x9999@example.com,9999-12-31T23:00:00-05:00,email\n")
EXTREMES_ORDERS = ("order_id,contact_external_id,status,currency,revenue,ordered_at\n"
                   "XO1,X1970,paid,EUR,10.00,1970-01-01T00:00:00Z\n"
                   "XO2,X2099,paid,EUR,10.00,2099-12-31T23:59:59Z\n"
                   "XO3,X0001,paid,EUR,10.00,0001-01-01T00:30:00+01:00\n")


def run(tmp_path: Path, drop: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(tmp_path / "w.duckdb"),
           "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox")}
    return subprocess.Popen([LIFECYCLE, "run", "--source", "files", "--files", str(drop), *extra], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 1800) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def add_contact(drop: Path, k: int) -> None:
    (drop / f"contacts_run{k:02d}.csv").write_text(
        f"contact_external_id,email,created_at,channel\nR{k:02d},run{k}@example.com,2024-05-{k:02d}T10:00:00Z,email\n")


@pytest.mark.slow
@pytest.mark.long_running
def test_readers_never_block_ten_pipeline_runs_and_always_see_consistent_marts(tmp_path):
    drop = tmp_path / "file_drop"
    shutil.copytree(EXAMPLE, drop)
    (drop / "contacts_extremes.csv").write_text(EXTREMES_CONTACTS)
    (drop / "orders_extremes.csv").write_text(EXTREMES_ORDERS)
    wh = tmp_path / "w.duckdb"
    stop = tmp_path / "stop"
    readers = []
    for i, style in enumerate(("dashboard", "holding", "fresh")):
        out = tmp_path / f"reader{i}.json"
        readers.append((out, subprocess.Popen(
            [sys.executable, "-c", READER, str(wh), str(stop), str(out), style, ",".join(DASHBOARD_MARTS), str(POLL)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})))

    codes: list[int] = []
    try:
        for k in range(1, RUNS - 1):
            add_contact(drop, k)
            if k == 3:  # a file that cannot load: the run is partial, its good data still published
                (drop / "surveys_broken.csv").write_text("response_id,survey_type\nS1,nps\n")
            code, out, err = finish(run(tmp_path, drop))
            codes.append(code)
            assert code == (3 if k == 3 else 0), f"run {k} exited {code}:\n{err[-3000:]}"
            assert "Traceback" not in out + err
            if k == 3:
                assert err.strip().splitlines()[-1].startswith("lifecycle run partial: some input was not loaded")
                assert "surveys_broken.csv: failed: missing required column(s)" in err
        # the last two runs start together: the second waits for the first, a third one refuses
        add_contact(drop, RUNS - 1)
        first = run(tmp_path, drop, "--wait", "1800")
        lock = wh.with_name(wh.name + ".lock")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (lock.exists() and str(first.pid) in lock.read_text()):
            time.sleep(0.2)
        add_contact(drop, RUNS)
        second = run(tmp_path, drop, "--wait", "1800")
        refused_code, _, refused_err = finish(run(tmp_path, drop), timeout=300)
        assert refused_code == 75 and "is busy" in refused_err and "Traceback" not in refused_err
        for proc in (first, second):
            code, out, err = finish(proc)
            codes.append(code)
            assert code == 0, err[-3000:]
    finally:
        stop.touch()
        results = []
        for out, proc in readers:
            proc.wait(timeout=120)
            results.append(json.loads(out.read_text()) if out.exists() else {"errors": ["reader died"]})

    assert len(codes) == RUNS
    for i, r in enumerate(results):
        assert r["errors"] == [], f"reader {i}: {r['errors'][:5]}"
        assert r["inconsistent"] == [], f"reader {i}: {r['inconsistent'][:5]}"
        assert r["queries"] >= RUNS
        counts = [n for _, n in r["publications"]]
        assert len(counts) >= 2 and counts == sorted(counts), r["publications"]
    # the readers saw the last publication: every run's contact is in it (the extremes: 2 of 4 load)
    import warehouse_io

    with warehouse_io.connect(warehouse_io.serving_path(wh), read_only=True) as con:
        ids = {r[0] for r in con.execute("select contact_external_id from marts.dim_contacts "
                                         "where contact_external_id like 'R%' or contact_external_id like 'X%'"
                                         ).fetchall()} if _has_column(con) else None
        total = con.execute("select count(*) from marts.dim_contacts").fetchone()[0]
    assert max(n for r in results for _, n in r["publications"]) == total
    if ids is not None:
        assert {f"R{k:02d}" for k in range(1, RUNS + 1)} | {"X1970", "X2099"} <= ids


def _has_column(con) -> bool:
    return bool(con.execute("select 1 from information_schema.columns where table_schema = 'marts' "
                            "and table_name = 'dim_contacts' and column_name = 'contact_external_id'").fetchall())
