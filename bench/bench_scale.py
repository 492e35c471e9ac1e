"""The scale benchmark: the demo business at N contacts, built, synced and read, as ratios to a floor.

    python bench/bench_scale.py [--contacts 1000000] [--threads N] [--json out.json] [--markdown BENCHMARKS.md] [--keep]
    make bench CONTACTS=100000

Every step runs in a process of its own, so each step's peak memory is its own (the issue's target is
"under 8 GB in every process"):

1. **generate**: the demo generator writes the raw tables at N contacts (about 17 messages a contact);
2. **floor**: one ordered window pass over the messages into a table
   (``row_number() over (partition by contact_id order by sent_at)``), the least work any build does;
3. **build**: the full ``dbt build`` (models and data tests; no unit tests, as in a pipeline run): wall time,
   peak memory and the ten slowest models from dbt's run_results.json;
   then the **empty build**: the same ``dbt build`` on a warehouse whose raw tables are empty, the project's
   fixed cost (dbt's own work for each node): about the least any build of the project, incremental or not, takes;
4. **append** one more day through the ingestion path (``merge_rows``, which stamps ``_loaded_at``): the
   last day's respond.io messages again, a day later, with new ids; then **incremental**: the same
   ``dbt build`` again, where the incremental models (identity resolution, the messages, conversations,
   lifecycle signals and stage moves, touchpoints: docs/incremental.md) recompute only what has new evidence;
   reported against the full build, with those models' own times in both builds. Each timed build starts
   from the partial-parse file a Dagster run starts with;
5. **activation**: ``bench_activation.py`` (HubSpot, Meta CAPI, the 1M-row diff);
6. **dashboards**: ``bench_dashboards.py --warehouse`` on the built warehouse, every page's queries.

Ratios to the floor measured in the same run are printed first; absolute times drift on shared machines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
END_DATE = dt.date(2026, 11, 23)  # fixed, so two runs of the same size build the same business
# the dbt build of a pipeline run (orchestration/assets/dbt.py): models, seeds and data tests; dbt's unit tests
# check the models' logic on fixed inputs, so they run in the test suite, not in the nightly build measured here
PIPELINE_BUILD = ["build", "--exclude-resource-type", "unit_test"]
FLOOR_SQL = ("create or replace table bench_floor as select *, row_number() over "
             "(partition by contact_id order by sent_at) as message_number from raw_respondio.messages")


def _run_step(name: str, args: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> dict:
    """Run one step as its own process; its wall time, peak resident memory and output.

    ``ok``: exit codes that are results, not failures (a benchmark exits 1 when it misses a target)."""
    began = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - began
    if proc.returncode not in ok:
        raise SystemExit(f"step {name} failed (exit {proc.returncode}):\n{output[-4000:]}")
    step = {"step": name, "seconds": round(seconds, 2), "peak_mb": round(usage.ru_maxrss / 1024), "output": output}
    print(f"{name}: {step['seconds']} s, peak {step['peak_mb']:,} MB", flush=True)
    return step


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown") \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "commit": commit, "date": dt.date.today().isoformat()}


def _slowest_models(target: Path, floor: float, n: int = 10) -> list[dict]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    models.sort(key=lambda r: -r["execution_time"])
    return [{"model": r["unique_id"].split(".")[-1], "seconds": round(r["execution_time"], 2),
             "x_floor": round(r["execution_time"] / floor, 1)} for r in models[:n]]


INCREMENTAL_MODELS = ("int_identity__record_identifiers", "int_identity__components", "int_identity__contact_map",
                      "int_identity__identifiers", "int_contacts__profile", "int_messages", "fct_conversations",
                      "int_lifecycle__signals", "int_lifecycle__stage_moves", "int_touchpoints")


def _model_times(target: Path) -> dict[str, float]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
            if r["unique_id"].startswith("model.")}


def _nodes_by_kind(target: Path) -> dict:
    """A build's nodes by kind (model, test, seed...) from its run_results.json: how many, and their summed
    execution time."""
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for r in json.loads((target / "run_results.json").read_text())["results"]:
        kind = r["unique_id"].split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
        seconds[kind] = seconds.get(kind, 0.0) + r["execution_time"]
    return {"nodes": counts, "node_seconds": {k: round(v, 1) for k, v in seconds.items()}}


def measure(contacts: int, folder: Path, *, activation: bool, dashboards: bool, threads: int | None = None) -> dict:
    warehouse = folder / "lifecycle.duckdb"
    target = folder / "dbt_target"
    steps = []
    steps.append(_run_step("generate", _python(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import datetime as dt, warehouse_io
        from ingestion import raw_tables
        from ingestion.demo import DemoConfig, write_demo
        with warehouse_io.connect({str(warehouse)!r}) as con:
            raw_tables.ensure_raw_tables(con)
            write_demo(con, DemoConfig(n_contacts={contacts}, seed=42, end_date=dt.date.fromisoformat({END_DATE.isoformat()!r})))
            print(con.execute("select count(*) from raw_respondio.messages").fetchone()[0])
    """)))
    messages = int(steps[-1]["output"].strip().splitlines()[-1])
    steps.append(_run_step("floor", _python(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import time, warehouse_io
        with warehouse_io.connect({str(warehouse)!r}) as con:
            began = time.perf_counter()
            con.execute({FLOOR_SQL!r})
            print(time.perf_counter() - began)
            con.execute("drop table bench_floor")
    """)))
    floor = float(steps[-1]["output"].strip().splitlines()[-1])
    from orchestration.dbt import DEFAULT_THREADS, THREADS_ENV, dbt_args, dbt_executable

    # the profile's thread count (LIFECYCLE_DBT_THREADS, checked in main()) unless --threads says otherwise
    threads = threads or int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)
    dbt_env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", THREADS_ENV: str(threads)}
    def dbt_build(name: str, target_path: Path, warehouse_file: Path) -> dict:
        """One timed ``dbt build`` as a Dagster run starts it: with the partial-parse file of the code location's
        parse (orchestration/project.py), which dagster-dbt copies into every run's target folder, so dbt
        re-parses only what changed. That parse runs once per code location, not per run, so it is not timed."""
        dbt_vars = {"warehouse_path": str(warehouse_file)}
        parsed = subprocess.run([dbt_executable(), *dbt_args(["parse", "--quiet"], folder / "parse", dbt_vars)],
                                cwd=ROOT, env={**os.environ, **dbt_env}, capture_output=True, text=True)
        if parsed.returncode != 0:
            raise SystemExit(f"dbt parse before {name} failed:\n{(parsed.stdout + parsed.stderr)[-4000:]}")
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "parse" / "partial_parse.msgpack", target_path / "partial_parse.msgpack")
        return _run_step(name, [dbt_executable(), *dbt_args(PIPELINE_BUILD, target_path, dbt_vars)], env=dbt_env)

    build = dbt_build("build", target, warehouse)
    steps.append(build)
    # the project's fixed cost: the same build on a warehouse whose raw tables are empty. It measures dbt's own work
    # for every node (compile, the materialization's statements, the artifacts) and the queries' set-up, no rows
    import warehouse_io
    from ingestion import raw_tables

    empty = folder / "empty"
    empty.mkdir()
    with warehouse_io.connect(empty / "lifecycle.duckdb") as con:
        raw_tables.ensure_raw_tables(con)
    steps.append(dbt_build("empty build", empty / "dbt_target", empty / "lifecycle.duckdb"))
    fixed = steps[-1]["seconds"]
    out: dict = {"contacts": contacts, "messages": messages, "floor_seconds": round(floor, 2),
                 "machine": _machine(), "dbt_threads": threads, "build": {
                     "seconds": build["seconds"], "x_floor": round(build["seconds"] / floor, 1),
                     "peak_mb": build["peak_mb"], **_nodes_by_kind(target),
                     "slowest_models": _slowest_models(target, floor)},
                 "empty_build": {"seconds": fixed, "pct_of_full": round(100 * fixed / build["seconds"], 1),
                                 **_nodes_by_kind(empty / "dbt_target")}}
    steps.append(_run_step("append", _python(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import warehouse_io
        from ingestion import raw_tables
        with warehouse_io.connect({str(warehouse)!r}) as con:
            last, top = con.execute("select max(sent_at), max(message_id) from raw_respondio.messages").fetchone()
            day = con.execute(
                "select * exclude (_loaded_at) replace (message_id + ? as message_id, sent_at + interval 1 day as sent_at) "
                "from raw_respondio.messages where sent_at > ? - interval 1 day", [top, last]).df()
            print(warehouse_io.merge_rows(con, raw_tables.table("raw_respondio.messages"), day))
    """)))
    appended = int(steps[-1]["output"].strip().splitlines()[-1])
    inc_target = folder / "dbt_target_incremental"
    steps.append(dbt_build("incremental", inc_target, warehouse))
    inc = steps[-1]
    full_times, inc_times = _model_times(target), _model_times(inc_target)
    out["incremental"] = {
        "appended_messages": appended, "appended_pct": round(100 * appended / messages, 2),
        "seconds": inc["seconds"], "pct_of_full": round(100 * inc["seconds"] / build["seconds"], 1),
        "x_floor": round(inc["seconds"] / floor, 1), "peak_mb": inc["peak_mb"],
        "node_seconds": _nodes_by_kind(inc_target)["node_seconds"],
        "models": [{"model": m, "full_seconds": full_times.get(m), "incremental_seconds": inc_times.get(m)}
                   for m in INCREMENTAL_MODELS],
        "slowest_models": _slowest_models(inc_target, floor, 5)}
    if activation:
        steps.append(_run_step("activation", [sys.executable, str(ROOT / "bench" / "bench_activation.py")], ok=(0, 1)))
        out["activation"] = [line for line in steps[-1]["output"].splitlines()
                             if line.split(" ", 1)[0] in ("hubspot", "capi", "diff")]
    if dashboards:
        steps.append(_run_step("dashboards", [sys.executable, str(ROOT / "bench" / "bench_dashboards.py"),
                                              "--warehouse", str(warehouse), "--contacts", str(contacts)]))
        lines = steps[-1]["output"].splitlines()  # the table, without Streamlit's bare-mode warnings
        start = next((i for i, line in enumerate(lines) if line.split()[:2] == ["contacts", "page"]), len(lines))
        out["dashboards"] = lines[start:]
    out["steps"] = [{k: v for k, v in s.items() if k != "output"} for s in steps]
    peak = max(out["steps"], key=lambda s: s["peak_mb"])
    out["peak"] = {"step": peak["step"], "peak_mb": peak["peak_mb"], "target_mb": 8192,
                   "met": peak["peak_mb"] < 8192}
    return out


def _incremental_lines(r: dict) -> list[str]:
    i = r["incremental"]
    met = "met" if i["pct_of_full"] <= 10 else "**missed**"
    lines = [f"Incremental build after one more day ({i['appended_messages']:,} messages appended, "
             f"{i['appended_pct']}% of the messages): **{i['seconds']} s**, {i['pct_of_full']}% of the full build "
             f"(target within 10%: {met}), {i['x_floor']}x the floor, peak {i['peak_mb']:,} MB.", "",
             "| incremental model | full build (s) | incremental build (s) |", "|---|---|---|"]
    lines += [f"| {m['model']} | {m['full_seconds']} | {m['incremental_seconds']} |" for m in i["models"]]
    lines += ["", "Slowest models of the incremental build: "
              + ", ".join(f"{x['model']} {x['seconds']} s" for x in i["slowest_models"]) + "."]
    if e := r.get("empty_build"):
        lines += ["", f"The project's fixed cost: the same `dbt build` on a warehouse whose raw tables are empty took "
                  f"**{e['seconds']} s**, {e['pct_of_full']}% of the full build (the 10% target is "
                  f"{r['build']['seconds'] / 10:.1f} s). That is dbt's own work for each of its "
                  f"{sum(n for k, n in e['nodes'].items() if k != 'exposure')} nodes, with no rows to read.", "",
                  "| dbt's run time by kind of node (s) | full build | incremental build | empty warehouse |",
                  "|---|---|---|---|"]
        for kind in sorted(e["node_seconds"]):
            lines.append(f"| {kind}s | {r['build'].get('node_seconds', {}).get(kind, '')} | "
                         f"{i.get('node_seconds', {}).get(kind, '')} | {e['node_seconds'][kind]} |")
    return lines


def report(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"# Scale benchmark: {r['contacts']:,} contacts ({r['messages']:,} messages)",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; commit {m['commit']}; "
        f"{m['date']}. Produced by `python bench/bench_scale.py --contacts {r['contacts']}"
        f" --threads {r.get('dbt_threads', 2)}` (dbt builds {r.get('dbt_threads', 2)} model(s) at a time: "
        f"`LIFECYCLE_DBT_THREADS`, see docs/warehouses.md).",
        "",
        f"Floor (one ordered window pass over the messages into a table): **{r['floor_seconds']} s**.",
        "",
        "| step | seconds | x floor | peak memory | target |",
        "|---|---|---|---|---|",
    ]
    for s in r["steps"]:
        target = ""
        if s["step"] == "build":
            target = "within 10x the floor: " + ("met" if r["build"]["x_floor"] <= 10 else "**missed**")
        elif s["step"] == "incremental":
            target = "within 10% of the build: " + ("met" if r["incremental"]["pct_of_full"] <= 10 else "**missed**")
        lines.append(f"| {s['step']} | {s['seconds']} | {s['seconds'] / r['floor_seconds']:.1f} | "
                     f"{s['peak_mb']:,} MB | {target} |")
    lines += ["", f"Highest peak: {r['peak']['step']}, {r['peak']['peak_mb']:,} MB (target under 8 GB in every "
              f"process: {'met' if r['peak']['met'] else '**missed**'}).", "",
              *_incremental_lines(r), "",
              f"dbt build (as a pipeline run builds: `dbt {' '.join(PIPELINE_BUILD)}`): "
              f"{', '.join(f'{n} {k}s' for k, n in sorted(r['build']['nodes'].items()))}. "
              "Ten slowest models:", "", "| model | seconds | x floor |", "|---|---|---|"]
    lines += [f"| {x['model']} | {x['seconds']} | {x['x_floor']} |" for x in r["build"]["slowest_models"]]
    if r.get("activation"):
        lines += ["", "Activation (`bench_activation.py`, fixed sizes, independent of the contacts above):", "",
                  "```", *r["activation"], "```"]
    if r.get("dashboards"):
        lines += ["", "Dashboards (`bench_dashboards.py` on this warehouse; cold query cache, fastest of 3 runs):", "",
                  "```", *r["dashboards"], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--json", type=Path, help="write the figures here as JSON")
    p.add_argument("--markdown", type=Path, help="write the report here (BENCHMARKS.md)")
    p.add_argument("--no-activation", action="store_true", help="skip the activation benchmark")
    p.add_argument("--no-dashboards", action="store_true", help="skip the dashboards' page queries")
    p.add_argument("--keep", action="store_true", help="keep the warehouse folder and print where it is")
    p.add_argument("--threads", type=int, default=None,
                   help="models dbt builds at a time (default: $LIFECYCLE_DBT_THREADS, else 2)")
    args = p.parse_args()
    if args.contacts < 1:
        p.error("--contacts must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    from orchestration.dbt import threads_setting_error

    if args.threads is None and (problem := threads_setting_error()):
        p.error(problem)
    folder = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        result = measure(args.contacts, folder, activation=not args.no_activation, dashboards=not args.no_dashboards,
                         threads=args.threads)
    finally:
        if args.keep:
            print(f"warehouse kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    text = report(result)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
