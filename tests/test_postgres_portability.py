"""The same dbt project on a real PostgreSQL server gives the same marts as on DuckDB."""

from __future__ import annotations

import datetime as dt

import pg_server  # noqa: E402  (tests/ is on sys.path)
import pytest
from mart_compare import compare_schemas, duckdb_columns
from portability import BTYD_SUMS, COMPARED

import warehouse_io
from ingestion.postgres_copy import copy_raw_to_postgres
from orchestration.dbt import run_dbt
from orchestration.python_fallbacks import DOWNSTREAM_SELECTION, run_python_fallbacks

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# the BTYD fits: money computed by two engines differs in the last bits, and a six-month history leaves
# the dropout likelihood flat, so the fitted values agree to about 1e-3, not to the last digit
BTYD_TOLERANCES = {c: 1e-3 for c in ("p_alive", "predicted_clv", "predicted_purchases", "expected_order_value")}


def pg_fetch(cur, sql: str) -> list[tuple]:
    cur.execute(sql)
    return cur.fetchall()


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    if pg_server.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed (.ci/run installs them)")
    server = pg_server.PgServer.start(tmp_path_factory.mktemp("pg"))
    yield server
    server.stop()


def test_dbt_build_on_postgres_matches_duckdb(postgres, demo_warehouse, tmp_path):
    import psycopg2

    # a database that sorts text by ICU's en-US collation, not by code point as DuckDB does: contact ids and
    # every tie-break must not depend on the engine's text order
    postgres.create_database("lifecycle", icu_locale="en-US")
    copied = copy_raw_to_postgres(demo_warehouse, postgres.dsn("lifecycle"))
    assert copied["raw_respondio.contacts"] > 0

    run_dbt(["build"], target="postgres", target_path=tmp_path / "target",
            env=postgres.env("lifecycle"))
    # dbt-postgres has no Python models: the Dagster asset's function computes the Markov and BTYD steps
    # over the tables dbt built, then the fallback models and their descendants are rebuilt
    pg = psycopg2.connect(postgres.dsn("lifecycle"))
    try:
        written = run_python_fallbacks(pg)
    finally:
        pg.close()
    assert written["int_attribution__markov_removal_effects"] > 0 and written["int_customer_value__predictions"] > 0
    run_dbt(["build", "--select", *DOWNSTREAM_SELECTION], target="postgres", target_path=tmp_path / "target",
            env=postgres.env("lifecycle"))

    pg = psycopg2.connect(postgres.dsn("lifecycle"))
    try:
        with warehouse_io.connect(demo_warehouse, read_only=True) as duck, pg.cursor() as cur:
            for table, sql in COMPARED.items():
                expected = duck.execute(sql.format(t=table)).fetchone()
                cur.execute(sql.format(t=table))
                got = cur.fetchone()
                assert tuple(float(x or 0) for x in got) == pytest.approx(tuple(float(x or 0) for x in expected)), table
            # every table and view of the marts and segments, row for row
            differing = compare_schemas(
                ("marts", "segments"), lambda schema: duckdb_columns(duck, schema),
                lambda sql: duck.execute(sql).fetchall(), lambda sql: pg_fetch(cur, sql),
                tolerances=BTYD_TOLERANCES)
            assert not differing, "\n".join(p for problems in differing.values() for p in problems)
            # the BTYD fits agree to about 1e-3 (see portability.BTYD_SUMS)
            expected = duck.execute(BTYD_SUMS).fetchone()
            cur.execute(BTYD_SUMS)
            assert tuple(map(float, cur.fetchone())) == pytest.approx(tuple(map(float, expected)), rel=1e-3)
    finally:
        pg.close()

    # an incremental round on PostgreSQL: one more message in an existing conversation, loaded now; the
    # incremental models (custom strategy replace_contacts) recompute that contact only (the signals also
    # diff the other evidence and check the open inactivity signals, in PostgreSQL's SQL)
    pg = psycopg2.connect(postgres.dsn("lifecycle"))
    try:
        with pg, pg.cursor() as cur:
            cur.execute("""
                insert into raw_respondio.messages (message_id, conversation_id, contact_id, channel_id, channel_type,
                    traffic, sender_type, sender_user_id, message_type, referral_source_type, referral_ad_id,
                    referral_ctwa_clid, sent_at, _loaded_at)
                select message_id + 1000000000000, conversation_id, contact_id, channel_id, channel_type, traffic,
                    sender_type, sender_user_id, message_type, referral_source_type, referral_ad_id,
                    referral_ctwa_clid, sent_at + interval '1 minute', (now() at time zone 'utc')
                from raw_respondio.messages where traffic = 'incoming' order by message_id limit 1""")
            cur.execute("select count(*), sum(inbound_messages) from marts.fct_conversations")
            conversations, inbound = cur.fetchone()
            cur.execute("select count(*) from intermediate.int_messages")
            (messages,) = cur.fetchone()
            # and a respond.io contact that is a person of its own has its email edited at the source: its
            # identity record is recomputed (strategy replace_records, by fingerprint), no other record is, and
            # nobody's contact changes
            cur.execute("""select min(cast(record_id as bigint)) from intermediate.int_identity__contact_map
                where record_source = 'respondio_contact' and contact_id in (
                    select contact_id from intermediate.int_identity__contact_map
                    group by contact_id having count(*) = 1)""")
            (new_contact,) = cur.fetchone()
            cur.execute("""update raw_respondio.contacts set email = 'edited.address@example.org',
                _loaded_at = (now() at time zone 'utc') where contact_id = %s""", (new_contact,))
            other_records = f"""select count(*) from intermediate.int_identity__record_identifiers
                where not (record_source = 'respondio_contact' and record_id = '{new_contact}')"""
            cur.execute(other_records)
            (identity_rows,) = cur.fetchone()
        run_dbt(["run", "--select", "int_identity__raw_identifiers", "int_identity__record_identifiers",
                 "int_identity__graph_edges", "int_identity__components",
                 "int_identity__contact_map", "int_messages", "fct_conversations",
                 "int_lifecycle__signals", "int_lifecycle__stage_moves", "int_touchpoints"],
                target="postgres", target_path=tmp_path / "target", env=postgres.env("lifecycle"),
                vars={"incremental_lookback_minutes": 0})
        with pg, pg.cursor() as cur:
            cur.execute(other_records)
            assert cur.fetchone() == (identity_rows,)
            cur.execute("""select identifier_value from intermediate.int_identity__record_identifiers
                where record_source = 'respondio_contact' and record_id = %s and identifier_type = 'email'""",
                        (str(new_contact),))
            assert cur.fetchall() == [("edited.address@example.org",)]
            cur.execute("select count(*) from intermediate.int_messages")
            assert cur.fetchone() == (messages + 1,)
            cur.execute("select count(*), sum(inbound_messages) from marts.fct_conversations")
            assert cur.fetchone() == (conversations, inbound + 1)
            cur.execute("select _built_at, count(distinct contact_id) from marts.fct_conversations "
                        "group by 1 order by 1")
            runs = cur.fetchall()
            assert len(runs) == 2 and runs[-1][1] == 1, runs  # one contact recomputed
            # the signals and the stage machine recompute that contact only, under the same configuration
            for model in ("int_lifecycle__signals", "int_lifecycle__stage_moves"):
                cur.execute(f"select _built_at, count(distinct contact_id), count(distinct _config_key) "
                            f"from intermediate.{model} group by 1 order by 1")
                runs = cur.fetchall()
                assert len(runs) == 2 and runs[-1][1:] == (1, 1), (model, runs)
            # so do the touchpoints (they also diff the storefront touchpoints, in PostgreSQL's SQL)
            cur.execute("select _built_at, count(distinct contact_id) from intermediate.int_touchpoints "
                        "group by 1 order by 1")
            runs = cur.fetchall()
            assert len(runs) == 2 and runs[-1][1] == 1, runs
    finally:
        pg.close()


def build_on_both_engines(postgres, tmp_path, duck_file, database: str, models: str, sql: str
                          ) -> tuple[list[tuple], list[tuple]]:
    """Copy the raw tables of ``duck_file`` to a new ICU en-US database, build ``models`` (a selector) on both
    engines, and return ``sql``'s rows from DuckDB and from PostgreSQL, sorted."""
    import psycopg2

    postgres.create_database(database, icu_locale="en-US")
    copy_raw_to_postgres(duck_file, postgres.dsn(database))
    select = ["build", "--select", models, "--exclude", "test_type:unit", "--indirect-selection", "buildable"]
    run_dbt(select, warehouse=duck_file, target_path=tmp_path / "duck_target")
    run_dbt(select, target="postgres", target_path=tmp_path / "pg_target", env=postgres.env(database))
    with warehouse_io.connect(duck_file, read_only=True) as duck:
        duckdb_rows = sorted(duck.execute(sql).fetchall())
    pg = psycopg2.connect(postgres.dsn(database))
    try:
        with pg.cursor() as cur:
            postgres_rows = sorted(pg_fetch(cur, sql))
    finally:
        pg.close()
    return duckdb_rows, postgres_rows


def test_contact_ids_do_not_depend_on_the_engines_text_collation(postgres, tmp_path):
    """A contact's id comes from the smallest record key of its component in byte order on every engine.

    Salesforce ids are case-sensitive: by code point `00QB...` sorts before `00Qa...`, by ICU's en-US
    collation after it; `files_contact:` and `files:` differ by a `_` that sorts before `:` in ICU only.
    """
    from dbt_helpers import md5, write_raw

    at = dt.datetime(2025, 3, 1, 10)
    duck_file = tmp_path / "w.duckdb"
    write_raw(duck_file, {
        "raw_salesforce.leads": [
            {"id": "00QaZZ", "email": "one@corp.io", "created_date": at},
            {"id": "00QBZZ", "email": "one@corp.io", "phone": "+1 415 555 0111", "created_date": at},
        ],
        "raw_salesforce.contacts": [
            {"id": "003b", "email": "two@corp.io", "created_date": at},
            {"id": "003C", "email": "two@corp.io", "created_date": at},
        ],
    })
    expected, got = build_on_both_engines(
        postgres, tmp_path, duck_file, "collation", "+int_identity__contact_map",
        "select record_source, record_id, contact_id from intermediate.int_identity__contact_map")
    assert got == expected
    ids = {(source, record): contact for source, record, contact in expected}
    assert ids[("salesforce_lead", "00QaZZ")] == ids[("salesforce_lead", "00QBZZ")] == md5("salesforce_lead:00QBZZ")
    assert ids[("salesforce_contact", "003b")] == md5("salesforce_contact:003C")


def test_tie_breaks_between_equal_times_do_not_depend_on_the_engines_text_collation(postgres, tmp_path):
    """Two agents answer in the same second: the first responder (the derived conversation's assignee) is the
    message whose id is smaller in byte order on every engine. WhatsApp message ids are mixed case: by code
    point `wamid.HBgLAbz` sorts before `wamid.HBgLabc`, by ICU's en-US collation after it."""
    from dbt_helpers import write_raw

    at = dt.datetime(2025, 3, 1, 10)
    contact = {"source_system": "inbox", "contact_external_id": "C1", "email": "c1@corp.io"}
    message = {**contact, "conversation_id": "conv-1", "channel": "whatsapp"}
    duck_file = tmp_path / "w.duckdb"
    write_raw(duck_file, {
        "raw_files.contacts": [{**contact, "channel": "whatsapp", "created_at": at}],
        "raw_files.messages": [
            {**message, "message_id": "wamid.HBgLin", "direction": "inbound", "sender_type": "contact", "sent_at": at},
            {**message, "message_id": "wamid.HBgLAbz", "direction": "outbound", "sender_type": "human",
             "sender_id": "agent-upper", "sent_at": at + dt.timedelta(seconds=30)},
            {**message, "message_id": "wamid.HBgLabc", "direction": "outbound", "sender_type": "human",
             "sender_id": "agent-lower", "sent_at": at + dt.timedelta(seconds=30)},
        ],
    })
    expected, got = build_on_both_engines(
        postgres, tmp_path, duck_file, "tie_breaks", "+fct_conversations",
        "select conversation_id, assignee_type, assignee_id, first_response_seconds from marts.fct_conversations")
    assert expected == [("inbox:conv-1", "human", "agent-upper", 30)]
    assert got == expected
