"""int_identity__components is incremental by component: after any change to the identity graph its table
equals a full refresh, row for row.

The model reads only int_identity__graph_edges, so each test writes that table itself (built from a plain
node -> identifiers dict by the same rules: nodes numbered in key order, each with a self edge, identifiers
numbered in value order and hashed) and runs dbt on the components alone. That reaches every case the
incremental path has to handle, on graphs small enough to check by hand: new, changed and gone nodes, a
component that splits, unchanged components that merge through a new node (and lose their key to a smaller
one), and random rounds of all of these.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt import run_dbt

pytestmark = [pytest.mark.slow]

MODEL = "intermediate.int_identity__components"
COLUMNS = "node_key, component_key, is_converged, _edges_fingerprint, _config_key"


def _write_graph(path: Path, graph: dict[str, set[str]]) -> None:
    """int_identity__graph_edges for ``graph`` (node key -> linking identifier values)."""
    nodes = {key: num for num, key in enumerate(sorted(graph, key=lambda k: k.encode()), start=1)}
    identifiers = {value: num for num, value in enumerate(sorted({i for ids in graph.values() for i in ids}), 1)}
    rows = [(key, nodes[key], -nodes[key], None) for key in graph]
    rows += [(key, nodes[key], identifiers[value],
              int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big"))
             for key, ids in graph.items() for value in ids]
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists intermediate")
        con.execute("""create or replace table intermediate.int_identity__graph_edges (
            node_key varchar, node_num bigint, identifier_num bigint, identifier_hash ubigint)""")
        if rows:
            con.executemany("insert into intermediate.int_identity__graph_edges values (?, ?, ?, ?)", rows)
    finally:
        con.close()


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    """One dbt target folder for the module's runs, so that dbt parses the project once (a run with another
    warehouse path, a var, would parse it again: the full refreshes swap files at the same path instead)."""
    return tmp_path_factory.mktemp("components_target")


@pytest.fixture
def path(target) -> Path:
    path = target / "graph.duckdb"
    path.unlink(missing_ok=True)
    return path


def _run(path: Path, target: Path, *extra: str) -> None:
    run_dbt(["run", "-s", "int_identity__components", *extra], warehouse=path, target_path=target)


def _column(path: Path, column: str) -> dict[str, object]:
    """node_key -> the column, from the components table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dict(con.execute(f"select node_key, {column} from {MODEL}").fetchall())
    finally:
        con.close()


def _components(path: Path) -> dict[str, str]:
    return _column(path, "component_key")


def _changed_at(path: Path) -> dict[str, object]:
    return _column(path, "_changed_at")


def _expected(graph: dict[str, set[str]]) -> dict[str, str]:
    """Connected components by union-find, keyed by the smallest node key (in byte order)."""
    parent = {key: key for key in graph}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    holders: dict[str, str] = {}
    for key, ids in graph.items():
        for value in ids:
            if value in holders:
                a, b = find(key), find(holders[value])
                if a != b:
                    parent[max(a, b, key=str.encode)] = min(a, b, key=str.encode)
            else:
                holders[value] = key
    return {key: find(key) for key in graph}


def _assert_equal_to_a_full_refresh(path: Path, target: Path, graph: dict[str, set[str]]) -> None:
    assert _components(path) == _expected(graph)
    incremental = path.with_suffix(".incremental")
    full = path.with_suffix(".full")
    shutil.copy(path, incremental)
    _run(path, target, "--full-refresh")
    shutil.move(path, full)
    shutil.move(incremental, path)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{path}' as inc (read_only)")
        con.execute(f"attach '{full}' as ful (read_only)")
        only_inc = con.execute(f"select {COLUMNS} from inc.{MODEL} except all "
                               f"select {COLUMNS} from ful.{MODEL}").fetchall()
        only_full = con.execute(f"select {COLUMNS} from ful.{MODEL} except all "
                                f"select {COLUMNS} from inc.{MODEL}").fetchall()
        assert not only_inc and not only_full, (only_inc[:3], only_full[:3])
    finally:
        con.close()


def test_merges_splits_and_gone_nodes_equal_a_full_refresh(path, target):
    graph = {
        "b1": {"i1"}, "b2": {"i1"},                      # B
        "c1": {"i2"}, "c2": {"i2", "i3"}, "c3": {"i3"},  # C, a chain: c2 holds it together
        "d1": set(),                                     # D, alone
        "e1": {"i4"}, "e2": {"i4"},                      # E
    }
    _write_graph(path, graph)
    _run(path, target)
    assert _components(path) == _expected(graph)
    first = _changed_at(path)

    # a new node with the smallest key joins the unchanged component B (whose key becomes a0), and another
    # new node merges the unchanged components C and E
    graph |= {"a0": {"i1"}, "x1": {"i3", "i4"}}
    _write_graph(path, graph)
    _run(path, target)
    assert _components(path)["b2"] == "a0" and _components(path)["e2"] == "c1"
    _assert_equal_to_a_full_refresh(path, target, graph)
    # D kept its component: its row was not rewritten
    assert _changed_at(path)["d1"] == first["d1"]
    assert _changed_at(path)["b1"] > first["b1"]

    # C's middle node goes, and the merging node x1 loses i3: C splits into c1 and c3
    del graph["c2"]
    graph["x1"] = {"i4"}
    _write_graph(path, graph)
    _run(path, target)
    assert "c2" not in _components(path)
    assert _components(path)["c1"] == "c1" and _components(path)["c3"] == "c3"
    assert _components(path)["e1"] == "e1"
    assert _components(path) == _expected(graph)

    # nothing changed: nothing rewritten
    before = _changed_at(path)
    _run(path, target)
    assert _changed_at(path) == before
    _assert_equal_to_a_full_refresh(path, target, graph)


def test_random_rounds_equal_a_full_refresh(path, target):
    rng = random.Random(11)
    values = [f"v{n:02d}" for n in range(40)]
    graph = {f"n{n:03d}": set(rng.sample(values, rng.choice([0, 1, 1, 2]))) for n in range(80)}
    _write_graph(path, graph)
    _run(path, target)
    next_node = 80
    for _round in range(4):
        for key in rng.sample(sorted(graph), 4):      # gone
            del graph[key]
        for key in rng.sample(sorted(graph), 6):      # changed
            graph[key] = set(rng.sample(values, rng.choice([0, 1, 2])))
        for _ in range(4):                            # new, some with keys smaller than their component's
            graph[f"n{rng.randrange(next_node):03d}x"] = set(rng.sample(values, rng.choice([1, 2])))
        next_node += 10
        _write_graph(path, graph)
        _run(path, target)
        assert _components(path) == _expected(graph)
    _assert_equal_to_a_full_refresh(path, target, graph)


def test_an_empty_graph_and_a_table_from_an_earlier_version(path, target):
    _write_graph(path, {})
    _run(path, target)
    assert _components(path) == {}
    graph = {"a": {"i"}, "b": {"i"}, "c": set()}
    _write_graph(path, graph)
    _run(path, target)
    assert _components(path) == _expected(graph)
    # a table built before the model kept state: no bookkeeping columns, and a node that is gone
    con = duckdb.connect(str(path))
    try:
        con.execute(f"create or replace table {MODEL} as select node_key, component_key, is_converged from {MODEL}")
        con.execute(f"insert into {MODEL} values ('gone', 'gone', true)")
    finally:
        con.close()
    _run(path, target)
    assert "gone" not in _components(path)
    _assert_equal_to_a_full_refresh(path, target, graph)
