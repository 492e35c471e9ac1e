"""The bad-input corpus through the file drop, for every entity (tests/file_drop_corpus.py builds it).

Per case: the good rows load (by key), the bad rows are quarantined as ``file:line`` with a reason
that holds no personal value and the record (or the raw line) kept for a replay, nothing else is
lost (loaded + quarantined = the file's data rows), and no exception escapes (the file is loaded,
not failed). The corpus is loaded once per module; its load logs are searched for the planted
values too (tests/conftest.py).
"""

from __future__ import annotations

import json

import duckdb
import planted
import pytest
from file_drop_corpus import CASES, EXTENSIONS, Kit, build_corpus

from ingestion.file_drop.loader import load_folder
from ingestion.file_drop.schemas import SCHEMAS

pytestmark = pytest.mark.xdist_group("file_drop_corpus")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    folder = base / "legacy_crm"
    plan = build_corpus(folder)
    wh = base / "w.duckdb"
    result = load_folder(folder, wh)  # must not raise, whatever the files hold
    outcomes = {f.name: f for f in result.files}
    with duckdb.connect(str(wh), read_only=True) as con:
        loaded: dict[str, set[tuple]] = {}
        for schema in SCHEMAS.values():
            key = [k for k in schema.table.primary_key if k != "source_system"]
            for row in con.execute(f"select _source_file, {', '.join(key)} from {schema.table.qualified_name}"
                                   ).fetchall():
                loaded.setdefault(row[0], set()).add(tuple(str(v) for v in row[1:]))
        quarantined: dict[str, list[tuple[str, str, str | None]]] = {}
        for ref, reason, record in con.execute("select record_ref, reason, record from ops.quarantine").fetchall():
            quarantined.setdefault(ref.rsplit(":", 1)[0], []).append((ref, reason, record))
    return {p.file: p for p in plan}, outcomes, loaded, quarantined, result


def _cases() -> list[tuple[str, str]]:
    """(entity, file) of every case, without writing anything (the test ids)."""
    ids = []
    for entity, schema in SCHEMAS.items():
        kit = Kit(schema)
        for case in CASES:
            if case.applies(kit):
                ids.append((entity, f"{entity}_{case.name}.{EXTENSIONS[case.fmt]}"))
    return ids


CASE_FILES = _cases()


def test_the_corpus_covers_every_entity_and_many_cases():
    entities = {e for e, _ in CASE_FILES}
    assert entities == set(SCHEMAS)
    assert len(CASE_FILES) >= 300  # about forty classes of bad input, for ten entities


@pytest.mark.parametrize(("entity", "file"), CASE_FILES, ids=[f for _, f in CASE_FILES])
def test_bad_input_case(corpus, entity, file):
    plan, outcomes, loaded, quarantined, _ = corpus
    planned = plan[file]
    outcome = outcomes[file]

    # no exception escaped: the file was read and loaded (the bad rows are quarantined, not fatal)
    assert outcome.status == "loaded", outcome.describe()

    # the good rows load
    got = loaded.get(file, set())
    assert got == planned.expected_keys, f"loaded {sorted(got)}, expected {sorted(planned.expected_keys)}"

    # the bad rows are quarantined with file:line, a reason, and the record kept for a replay
    rows = quarantined.get(file, [])
    assert sorted(int(ref.rsplit(":", 1)[1]) for ref, _, _ in rows) == planned.built.bad_lines
    for ref, reason, record in rows:
        assert ref.startswith(f"{file}:") and reason
        assert not planted.leaks(reason), f"{ref}: the reason shows a personal value"
        assert record is not None and json.loads(record), f"{ref}: nothing kept to replay"
    assert [line for line, _ in outcome.bad_lines] == planned.built.bad_lines

    # nothing else is lost: every data row is loaded or quarantined
    assert len(got) + len(rows) == planned.built.rows


def test_the_corpus_summary_names_files_and_lines_without_personal_values(corpus):
    _, _, _, _, result = corpus
    summary = result.summary()
    assert not planted.leaks(summary)
    assert not result.failed
