"""Activation health and Contact pages: AppTest runs against a demo warehouse whose syncs really ran.

The activation warehouse is a copy of the session's demo warehouse on which the real engine ran: the
cold-leads webhook sync live against the test receiver of tests/destinations (some rows rejected with
two reasons, then a second run with one reason fixed and some rows gone from the segment), every
enabled sync as a dry run, and the HubSpot sync live without a token (a failed run). Then the serving
copy is published as the Dagster sync asset does. Expected numbers come from the test's own SQL over
the ops tables, never from the marts or dashboards.queries.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from dashboard_helpers import (  # noqa: F401
    PROJECT_ROOT,
    dashboard_warehouse_fixture,
    fmt_int,
    frame,
    metrics,
    no_trouble,
    open_app,
    sql_rows,
)
from destinations.webhook import SECRET, WebhookServer

import warehouse_io
from dashboards import queries, sync_schedules, ui

PAGE = "app_pages/activation_health.py"
CONTACT_PAGE = "app_pages/contacts.py"
EXPOSURES = PROJECT_ROOT / "dbt_project" / "models" / "exposures"
REASON_DOMAIN = "email domain not allowed"
REASON_PHONE = "phone number is invalid"

# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------
def _keys(path: Path, sql: str) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute(sql).fetchall()]
    finally:
        con.close()


def _run_syncs(path: Path, outbox: Path) -> None:
    from activation import DestinationError, load_syncs, run_sync

    target = warehouse_io.WarehouseTarget.duckdb(path)
    syncs = load_syncs()
    cold = _keys(path, "select contact_id from segments.seg_cold_leads order by contact_id")
    assert len(cold) > 20, "the demo needs cold leads for this test"
    webhook = syncs["webhook_cold_leads"]
    with WebhookServer() as srv:
        url = srv.url + "/hooks/lifecycle"
        srv.reject = {k: REASON_DOMAIN for k in cold[:3]} | {k: REASON_PHONE for k in cold[3:5]}
        run_sync(webhook, warehouse=target, dry_run=False, credentials={"secret": SECRET}, base_url=url)
        # the receiver accepts phones now; 10 contacts leave the segment (mirror: removed at the destination)
        srv.reject = {k: REASON_DOMAIN for k in cold[:3]}
        with warehouse_io.connect(path) as con:
            con.execute("delete from segments.seg_cold_leads where contact_id in (select unnest(?))", [cold[-10:]])
        run_sync(webhook, warehouse=target, dry_run=False, credentials={"secret": SECRET}, base_url=url)
    for _name, sync in sorted(syncs.items()):
        if sync.enabled:
            run_sync(sync, warehouse=target, dry_run=True, outbox_dir=outbox)
    with pytest.raises(DestinationError):  # live without HUBSPOT_ACCESS_TOKEN: a failed run
        run_sync(syncs["hubspot_hot_leads"], warehouse=target, dry_run=False, credentials={})


@pytest.fixture(scope="module")
def activation_warehouse(demo_warehouse, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("activation_health")
    path = folder / "warehouse.duckdb"
    shutil.copy(demo_warehouse, path)
    _run_syncs(path, folder / "outbox")
    assert warehouse_io.publish_serving(path) is not None  # as the Dagster sync asset does after a run
    return path


def _expected_totals(path: Path, where: str = "true", params: list | None = None) -> dict[str, int]:
    row = sql_rows(
        path,
        "select count(*), count(*) filter (where status = 'failed'), sum(rows_sent), sum(rows_unchanged), "
        f"sum(rows_removed), sum(rows_skipped), sum(rows_failed) from ops.sync_runs where {where}",
        params,
    )[0]
    keys = ["Runs", "Failed runs", "Rows sent", "Unchanged", "Removed", "Skipped", "Failed rows"]
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


# --------------------------------------------------------------------------------------------------
# Activation health
# --------------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_activation_health_numbers_equal_the_ops_tables(monkeypatch, activation_warehouse):
    at = open_app(monkeypatch, activation_warehouse, PAGE)
    no_trouble(at)  # respondio_winback (scheduled) just ran: nothing is overdue
    expected = _expected_totals(activation_warehouse)
    shown = metrics(at)
    assert {k: shown[k] for k in expected} == {k: fmt_int(v) for k, v in expected.items()}
    # the runs did everything the page shows: sends, unchanged rows, removals, skips, rejections, a failure
    assert min(expected.values()) > 0, expected
    assert len(at.get("vega_lite_chart")) == 3

    # the last successful run per sync
    status = frame(at, "last_success_at").set_index("sync_name")
    last_success = dict(
        sql_rows(activation_warehouse, "select sync_name, max(started_at) from ops.sync_runs where status = 'success' "
                 "group by sync_name")
    )
    for name, at_time in last_success.items():
        assert status.loc[name, "last_success_at"].to_pydatetime() == at_time, name
    assert status.loc["hubspot_hot_leads", "last_run"] == "Failed"
    assert status.loc["respondio_winback", "schedule"] == "0 8 * * *"
    assert set(status.index) == {s.name for s in sync_schedules.load_syncs()}

    # failure reasons with counts, as ops.sync_failures holds them
    failures = frame(at, "failure_reason")
    shown_reasons = {(r.sync_name, r.failure_reason): r.failing_rows for r in failures.itertuples()}
    expected_reasons = {
        (s, r): n
        for s, r, n in sql_rows(
            activation_warehouse, "select sync_name, reason, count(*) from ops.sync_failures group by all"
        )
    }
    assert shown_reasons == expected_reasons
    assert expected_reasons == {("webhook_cold_leads", REASON_DOMAIN): 3}  # the phones were accepted on the retry
    assert int(status.loc["webhook_cold_leads", "failing_rows"]) == 3


@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_activation_filters_change_the_numbers(monkeypatch, activation_warehouse):
    at = open_app(monkeypatch, activation_warehouse, PAGE)
    everything = metrics(at)["Runs"]
    at.segmented_control(key="activation_mode").set_value("live").run()
    no_trouble(at)
    live = _expected_totals(activation_warehouse, "mode = 'live'")
    assert {k: metrics(at)[k] for k in live} == {k: fmt_int(v) for k, v in live.items()}
    assert metrics(at)["Runs"] != everything

    at.multiselect(key="activation_syncs").select("webhook_cold_leads").run()
    no_trouble(at)
    webhook_live = _expected_totals(activation_warehouse, "mode = 'live' and sync_name = ?", ["webhook_cold_leads"])
    assert {k: metrics(at)[k] for k in webhook_live} == {k: fmt_int(v) for k, v in webhook_live.items()}
    assert webhook_live["Runs"] == 2 and webhook_live["Removed"] == 10

    # a filter that leaves nothing: the file export never ran live
    at.multiselect(key="activation_syncs").unselect("webhook_cold_leads").select("file_winback_export").run()
    assert not at.exception and not at.error
    assert any("No sync run matches these filters" in i.value for i in at.info)
    assert not at.metric


@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_a_scheduled_sync_that_missed_its_schedule_is_flagged(monkeypatch, activation_warehouse, tmp_path):
    path = tmp_path / "overdue.duckdb"
    shutil.copy(activation_warehouse, path)
    with warehouse_io.connect(path) as con:  # respondio_winback last ran three days ago
        con.execute(
            "update ops.sync_runs set started_at = started_at - interval 3 day, "
            "finished_at = finished_at - interval 3 day where sync_name = 'respondio_winback'"
        )
    warehouse_io.publish_serving(path)
    at = open_app(monkeypatch, path, PAGE)
    assert not at.exception and not at.error
    assert len(at.warning) == 1
    assert "respondio_winback" in at.warning[0].value and "0 8 * * *" in at.warning[0].value
    status = frame(at, "overdue").set_index("sync_name")
    assert status["overdue"].to_dict() == {name: name == "respondio_winback" for name in status.index}


@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_activation_health_without_any_run_says_so(monkeypatch, dashboard_warehouse):
    at = open_app(monkeypatch, dashboard_warehouse, PAGE)
    no_trouble(at)
    infos = " ".join(i.value for i in at.info)
    assert "No sync has run yet" in infos
    assert "respondio_winback" in infos  # scheduled but never run: said, not warned (schedules start stopped)
    assert not at.metric and not at.get("vega_lite_chart")


def test_overdue_schedules():
    at = dt.datetime(2026, 12, 2, 10, 30)
    assert sync_schedules.previous_fire("0 8 * * *", at) == dt.datetime(2026, 12, 2, 8, 0)
    assert sync_schedules.previous_fire("15 * * * *", at) == dt.datetime(2026, 12, 2, 10, 15)
    assert sync_schedules.previous_fire("0 9 * * 1-5", dt.datetime(2026, 12, 6, 12)) == dt.datetime(2026, 12, 4, 9)
    assert sync_schedules.previous_fire("*/20 1-3 1,15 * 0", at) == dt.datetime(2026, 12, 1, 3, 40)
    # ran at 08:05 today: fine; ran yesterday: today's 08:00 run is missing; within the hour of grace: fine
    assert sync_schedules.overdue_since("0 8 * * *", dt.datetime(2026, 12, 2, 8, 5), at) is None
    assert sync_schedules.overdue_since("0 8 * * *", dt.datetime(2026, 12, 1, 8, 5), at) == dt.datetime(2026, 12, 2, 8)
    assert sync_schedules.overdue_since("0 10 * * *", dt.datetime(2026, 12, 1, 10, 5), at) is None
    assert sync_schedules.overdue_since("0 8 * * *", None, at) is None  # never ran: reported apart
    with pytest.raises(ValueError):
        sync_schedules.cron_fields("61 * * * *")


# --------------------------------------------------------------------------------------------------
# Exposures: every sync and both pages declared in dbt, in step with the code
# --------------------------------------------------------------------------------------------------
def _exposures(file: str) -> dict[str, dict]:
    data = yaml.safe_load((EXPOSURES / file).read_text(encoding="utf-8"))
    return {e["name"]: e for e in data["exposures"]}


def test_every_sync_is_an_exposure_on_its_source_model():
    from activation import load_syncs

    exposures = _exposures("_activation__syncs.yml")
    syncs = load_syncs()
    assert set(exposures) == set(syncs), "activation/syncs/*.yml and _activation__syncs.yml list different syncs"
    for name, sync in syncs.items():
        exposure = exposures[name]
        assert exposure["type"] == "application", name
        assert exposure["depends_on"] == [f"ref('{sync.source.table_name}')"], name
        assert exposure["owner"].get("name"), name
        assert exposure["meta"] == {
            "sync_file": f"activation/syncs/{name}.yml",
            "destination": sync.destination_type,
            "mode": sync.mode,
            "schedule": sync.schedule,
            "enabled": sync.enabled,
        }, name


def test_page_exposures_list_the_marts_the_pages_require():
    exposures = _exposures("_dashboards__operations.yml")
    for name, marts, url_path in [
        ("dashboard_activation_health", queries.ACTIVATION_MARTS, "activation"),
        ("dashboard_contact", queries.CONTACT_MARTS, "contacts"),
    ]:
        exposure = exposures[name]
        assert exposure["type"] == "dashboard"
        assert exposure["depends_on"] == [f"ref('{m}')" for m in marts], name
        assert exposure["url"].endswith("/" + url_path)
        assert f'url_path="{url_path}"' in (PROJECT_ROOT / "dashboards" / "app.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Contact
# --------------------------------------------------------------------------------------------------
def _rich_contact(path: Path) -> str:
    """A contact with conversations, orders, touches and at least one segment."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select v.contact_id from marts.fct_customer_value as v "
            "join marts.fct_touchpoints as t on t.contact_id = v.contact_id "
            "join marts.fct_conversations as c on c.contact_id = v.contact_id "
            "join segments.seg_winback_dormant as s on s.contact_id = v.contact_id "
            "group by v.contact_id order by count(distinct c.conversation_id) desc, v.contact_id limit 1"
        ).fetchone()[0]
    finally:
        con.close()


def _expected_contact(path: Path, contact_id: str) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:

        def one(sql: str):
            return con.execute(sql, [contact_id]).fetchone()[0]

        segments = []
        for (table,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'segments' "
            "and column_name = 'contact_id' order by table_name"
        ).fetchall():
            if con.execute(f"select count(*) from segments.{table} where contact_id = ?", [contact_id]).fetchone()[0]:
                segments.append(table)
        return {
            "spells": one("select count(*) from marts.fct_lifecycle_stage_spells where contact_id = ?"),
            "conversations": one("select count(*) from marts.fct_conversations where contact_id = ?"),
            "touches": one("select count(*) from marts.fct_touchpoints where contact_id = ?"),
            "orders": one(
                "select count(*) from intermediate.int_orders where contact_id = ? and not coalesce(is_cancelled, false)"
            ),
            "email": one("select email from marts.dim_contacts where contact_id = ?"),
            "segments": segments,
        }
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_contact_page_shows_one_contact_from_the_marts(monkeypatch, dashboard_warehouse):
    contact_id = _rich_contact(dashboard_warehouse)
    expected = _expected_contact(dashboard_warehouse, contact_id)
    at = open_app(monkeypatch, dashboard_warehouse, CONTACT_PAGE)
    at.text_input(key="contact_lookup").input(contact_id).run()
    no_trouble(at)
    assert len(frame(at, "stage_name")) == expected["spells"]
    assert len(frame(at, "conversation_id")) == expected["conversations"]
    assert len(frame(at, "touchpoint_type")) == expected["touches"]
    assert metrics(at)["Orders"] == fmt_int(expected["orders"])
    assert frame(at, "segment")["segment"].tolist() == expected["segments"]
    assert len(at.get("vega_lite_chart")) == 1  # the stage timeline

    rendered = " ".join([str(c.value) for c in at.caption] + [df.value.to_csv() for df in at.dataframe])
    assert expected["email"] and expected["email"] not in rendered
    assert ui.mask_email(expected["email"]) in rendered

    # another contact: other numbers
    other = sql_rows(
        dashboard_warehouse,
        "select contact_id from marts.dim_contacts where contact_id <> ? and contact_id not in "
        "(select contact_id from marts.fct_customer_value) order by contact_id limit 1",
        [contact_id],
    )[0][0]
    at.text_input(key="contact_lookup").input(other).run()
    no_trouble(at)
    assert "Orders" not in metrics(at)
    assert any("has not ordered" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.xdist_group("dashboards")
def test_contact_page_shows_personal_data_only_when_allowed(monkeypatch, dashboard_warehouse):
    contact_id = _rich_contact(dashboard_warehouse)
    email = _expected_contact(dashboard_warehouse, contact_id)["email"]
    monkeypatch.setenv(ui.SHOW_PERSONAL_DATA_ENV, "1")
    at = open_app(monkeypatch, dashboard_warehouse, CONTACT_PAGE)
    at.text_input(key="contact_lookup").input(contact_id).run()
    no_trouble(at)
    rendered = " ".join([str(c.value) for c in at.caption] + [df.value.to_csv() for df in at.dataframe])
    assert email in rendered
