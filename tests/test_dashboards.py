"""AppTest runs of every dashboard page against a real built warehouse, and the missing-warehouse case."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dashboard_helpers import (  # noqa: F401
    app_pages,
    dashboard_warehouse_fixture,
    no_trouble,
    open_app,
    sample_contact,
)

from dashboards import ui

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboards")]

PAGES = [
    "app_pages/overview.py",
    "app_pages/funnel.py",
    "app_pages/lost_stages.py",
    "app_pages/response_times.py",
    "app_pages/contacts.py",
    "app_pages/campaigns.py",
    "app_pages/customers.py",
    "app_pages/activation_health.py",
    "app_pages/segments.py",
]


def test_every_app_page_is_listed_here():
    """PAGES above must follow dashboards/app.py (the browser test reads the app's list itself)."""
    assert sorted(PAGES) == sorted(p.file for p in app_pages())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(monkeypatch, dashboard_warehouse, page):
    at = open_app(monkeypatch, dashboard_warehouse, page)
    no_trouble(at)
    if page.endswith("contacts.py"):
        assert at.text_input(key="contact_lookup").value == ""
    elif page.endswith("activation_health.py"):  # the demo build runs no sync: the page says so
        assert any("No sync has run yet" in i.value for i in at.info)
    else:
        assert len(at.get("vega_lite_chart")) + len(at.metric) >= 1


def test_contact_lookup_shows_history_and_masks_pii(monkeypatch, dashboard_warehouse):
    contact_id, n_spells, email = sample_contact(dashboard_warehouse)
    at = open_app(monkeypatch, dashboard_warehouse, "app_pages/contacts.py")
    at.text_input(key="contact_lookup").input(contact_id).run()
    no_trouble(at)
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

    at.text_input(key="contact_lookup").input("no-such-contact").run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["No contact with this id, e-mail or phone."]


def test_contact_lookup_by_email_or_phone_finds_the_contact(monkeypatch, dashboard_warehouse):
    import duckdb

    con = duckdb.connect(str(dashboard_warehouse), read_only=True)
    try:
        # a contact whose e-mail and phone are its own (no other contact shares them)
        contact_id, email, phone, spells = con.execute(
            "select c.contact_id, c.email, c.phone, count(*) from marts.dim_contacts as c "
            "join marts.fct_lifecycle_stage_spells as s on s.contact_id = c.contact_id "
            "where c.email is not null and c.phone is not null "
            "and (select count(*) from marts.dim_contacts as o where o.phone = c.phone or o.email = c.email) = 1 "
            "group by all order by c.contact_id limit 1"
        ).fetchone()
    finally:
        con.close()
    at = open_app(monkeypatch, dashboard_warehouse, "app_pages/contacts.py")
    spaced_phone = f"{phone[:3]} {phone[3:7]}-{phone[7:]}"
    for lookup in (email.upper(), f"  {email} ", spaced_phone):
        at.text_input(key="contact_lookup").input(lookup).run()
        no_trouble(at)
        assert not at.warning, lookup
        assert len(at.dataframe[0].value) == spells, lookup
    # a partial e-mail finds nothing: the page never lists contacts by a fragment
    at.text_input(key="contact_lookup").input(email[: len(email) // 2]).run()
    assert [w.value for w in at.warning] == ["No contact with this id, e-mail or phone."]


@pytest.mark.parametrize("page", PAGES)
def test_missing_warehouse_shows_a_warning(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "absent.duckdb", page)
    assert not at.exception
    assert len(at.warning) == 1
    assert "lifecycle run" in at.warning[0].value


def test_unbuilt_warehouse_names_the_missing_marts(monkeypatch, tmp_path):
    import duckdb

    path = tmp_path / "raw_only.duckdb"
    duckdb.connect(str(path)).close()
    at = open_app(monkeypatch, path)
    assert not at.exception
    assert "marts.rpt_lifecycle_kpis_daily" in at.warning[0].value and "lifecycle run" in at.warning[0].value


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
        at = open_app(monkeypatch, path)
        assert not at.exception
        assert "locked by a running pipeline" in at.warning[0].value
        retry = at.button(key="retry_locked")
    finally:
        holder.kill()
        holder.wait()
    retry.click().run()  # the pipeline is done: the page reads the (still empty) warehouse again
    assert not at.exception
    assert "marts.rpt_lifecycle_kpis_daily" in at.warning[0].value


def test_ui_masks():
    assert ui.mask_email("jane.doe@example.com") == "j***@e***.com"
    assert ui.mask_phone("+447700900123") == "+44********23"
    assert ui.fmt_duration(90) == "1.5 min"
    assert ui.fmt_pct(0.1234) == "12.3%"
    assert ui.fmt_delta(110, 100, "count") == "+10 (+10.0%)"
    assert ui.fmt_delta(0.25, 0.3, "rate") == "-5.0 pp"
    assert ui.fmt_delta(600, 720, "duration") == "-2.0 min"
    assert ui.fmt_delta(None, 3, "ratio") is None
    assert ui.fmt_money(12345.6, "USD") == "12,346 USD"
