"""AppTest runs of every dashboard page against a real built warehouse, and the missing-warehouse case."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dashboard_helpers import APP, dashboard_warehouse_fixture, expected_kpis, fmt_int, sample_contact  # noqa: F401
from streamlit.testing.v1 import AppTest

from dashboards import ui

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards")]

PAGES = [
    "app_pages/overview.py",
    "app_pages/funnel.py",
    "app_pages/lost_stages.py",
    "app_pages/response_times.py",
    "app_pages/contacts.py",
    "app_pages/segments.py",
]


def _app(monkeypatch, warehouse) -> AppTest:
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    return at


def _no_trouble(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_kpis_match_the_marts(monkeypatch, dashboard_warehouse):
    at = _app(monkeypatch, dashboard_warehouse)
    _no_trouble(at)
    expected = expected_kpis(dashboard_warehouse)
    shown = _metrics(at)
    assert shown["Contacts"] == fmt_int(expected["contacts"])
    assert shown["In funnel"] == fmt_int(expected["in_funnel"])
    assert shown["Customers"] == fmt_int(expected["customers"])
    assert shown["Lost"] == fmt_int(expected["lost"])
    assert shown["Conversion entry → won"] == ui.fmt_pct(expected["conversion_rate"])
    assert shown["Median first response"] == ui.fmt_duration(expected["median_first_response_seconds"])
    # the demo business has a real funnel: something in every bucket
    assert min(expected["in_funnel"], expected["customers"], expected["lost"]) > 0

    # the funnel table over the whole entry range: first stage = every entry, won stage = entries that won
    funnel = at.dataframe[0].value
    assert int(funnel["contacts_reached"].iloc[0]) == expected["entries"]
    won_row = funnel[funnel["stage_name"] == expected["won_stage"]]
    assert int(won_row["contacts_reached"].iloc[0]) == expected["reached_won"]
    assert funnel["contacts_reached"].is_monotonic_decreasing


def test_overview_date_filter_narrows_the_funnel(monkeypatch, dashboard_warehouse):
    at = _app(monkeypatch, dashboard_warehouse)
    date_input = at.date_input(key="overview_entry_range")
    first, last = date_input.value
    all_entered = int(at.dataframe[0].value["contacts_reached"].iloc[0])
    middle = first + (last - first) / 2
    date_input.set_value((first, middle)).run()
    _no_trouble(at)
    narrowed = int(at.dataframe[0].value["contacts_reached"].iloc[0])
    assert 0 < narrowed < all_entered


@pytest.mark.parametrize("page", PAGES[1:])
def test_every_page_renders(monkeypatch, dashboard_warehouse, page):
    at = _app(monkeypatch, dashboard_warehouse)
    at.switch_page(page).run()
    _no_trouble(at)
    if page.endswith("contacts.py"):
        assert at.text_input(key="contact_id").value == ""
    else:
        assert len(at.get("vega_lite_chart")) >= 1


def test_funnel_cohorts_by_week_and_month(monkeypatch, dashboard_warehouse):
    at = _app(monkeypatch, dashboard_warehouse)
    at.switch_page("app_pages/funnel.py").run()
    _no_trouble(at)
    months = len(at.dataframe[0].value)
    at.segmented_control(key="funnel_grain").set_value("week").run()
    _no_trouble(at)
    weeks = len(at.dataframe[0].value)
    assert 2 <= months < weeks  # the demo spans several months


def test_response_times_match_the_conversations(monkeypatch, dashboard_warehouse):
    at = _app(monkeypatch, dashboard_warehouse)
    at.switch_page("app_pages/response_times.py").run()
    _no_trouble(at)
    expected = expected_kpis(dashboard_warehouse)
    assert _metrics(at)["Answered"] == fmt_int(expected["answered_conversations"])
    assert _metrics(at)["Median first response"] == ui.fmt_duration(expected["median_first_response_seconds"])
    by_channel = at.dataframe[0].value
    assert by_channel["answered_conversations"].sum() == expected["answered_conversations"]
    at.segmented_control(key="response_dimension").set_value("Human vs AI").run()
    _no_trouble(at)
    assert set(at.dataframe[0].value["label"]) <= {"human", "ai_agent"}


def test_contact_lookup_shows_history_and_masks_pii(monkeypatch, dashboard_warehouse):
    contact_id, n_spells, email = sample_contact(dashboard_warehouse)
    at = _app(monkeypatch, dashboard_warehouse)
    at.switch_page("app_pages/contacts.py").run()
    at.text_input(key="contact_id").input(contact_id).run()
    _no_trouble(at)
    history = at.dataframe[0].value
    assert len(history) == n_spells
    rendered = " ".join(
        [str(m.value) for m in at.markdown]
        + [str(c.value) for c in at.caption]
        + [df.value.to_csv() for df in at.dataframe]
    )
    if email:
        assert email not in rendered
        assert ui.mask_email(email) in rendered

    at.text_input(key="contact_id").input("no-such-contact").run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["No contact with this id."]


@pytest.mark.parametrize("page", PAGES)
def test_missing_warehouse_shows_a_warning(monkeypatch, tmp_path, page):
    at = _app(monkeypatch, tmp_path / "absent.duckdb")
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception
    assert len(at.warning) == 1
    assert "lifecycle run" in at.warning[0].value


def test_unbuilt_warehouse_names_the_missing_marts(monkeypatch, tmp_path):
    import duckdb

    path = tmp_path / "raw_only.duckdb"
    duckdb.connect(str(path)).close()
    at = _app(monkeypatch, path)
    assert not at.exception
    assert "marts.dim_contacts" in at.warning[0].value and "lifecycle run" in at.warning[0].value


LOCK_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_locked_warehouse_offers_a_retry(monkeypatch, tmp_path):
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        at = _app(monkeypatch, path)
        assert not at.exception
        assert "locked by a running pipeline" in at.warning[0].value
        retry = at.button(key="retry_locked")
    finally:
        holder.kill()
        holder.wait()
    retry.click().run()  # the pipeline is done: the page reads the (still empty) warehouse again
    assert not at.exception
    assert "marts.dim_contacts" in at.warning[0].value


def test_ui_masks():
    assert ui.mask_email("jane.doe@example.com") == "j•••@e•••.com"
    assert ui.mask_phone("+447700900123") == "+44••••••••23"
    assert ui.fmt_duration(90) == "1.5 min"
    assert ui.fmt_pct(0.1234) == "12.3%"
