"""What a person sees: `streamlit run` on the test warehouse, driven by Debian's Chromium via playwright.

Needs /usr/bin/chromium (the CI script installs Debian's package); playwright's own browser download
is never used.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from dashboard_helpers import APP, PROJECT_ROOT, dashboard_warehouse_fixture, expected_kpis, fmt_int  # noqa: F401

from dashboards import ui

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("dashboards")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"streamlit did not become healthy in {seconds} s:\n{log.read_text()[-3000:]}")


def _settle(page) -> None:
    """Wait until the script run is over (Streamlit's status widget shows while a run is in progress)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="hidden", timeout=TIMEOUT_MS)


@pytest.fixture
def dashboard_server(dashboard_warehouse, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "LIFECYCLE_WAREHOUSE": str(dashboard_warehouse)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed")
def test_overview_kpis_and_navigation_in_a_real_browser(dashboard_server, dashboard_warehouse, tmp_path):
    from playwright.sync_api import sync_playwright

    expected = expected_kpis(dashboard_warehouse)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.goto(dashboard_server, timeout=TIMEOUT_MS)
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=TIMEOUT_MS)
            page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=TIMEOUT_MS)
            labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
            values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
            shown = {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
            assert shown["Contacts"] == fmt_int(expected["contacts"])
            assert shown["Customers"] == fmt_int(expected["customers"])
            assert shown["Lost"] == fmt_int(expected["lost"])
            assert shown["In funnel"] == fmt_int(expected["in_funnel"])
            assert shown["Conversion entry → won"] == ui.fmt_pct(expected["conversion_rate"])
            assert shown["Median first response"] == ui.fmt_duration(expected["median_first_response_seconds"])
            assert page.locator('[data-testid="stException"]').count() == 0
            _settle(page)
            page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

            page.get_by_role("link", name="Response times").click()
            page.wait_for_selector('h1:has-text("Response times")', timeout=TIMEOUT_MS)
            page.wait_for_selector('h3:has-text("By hour of day")', timeout=TIMEOUT_MS)
            page.locator('[data-testid="stVegaLiteChart"]').nth(2).wait_for(timeout=TIMEOUT_MS)
            assert "response-times" in page.url
            answered = page.locator('[data-testid="stMetric"]', has_text="Answered")
            shown_answered = answered.locator('[data-testid="stMetricValue"]').inner_text().strip()
            assert shown_answered == fmt_int(expected["answered_conversations"])
            assert page.locator('[data-testid="stException"]').count() == 0
            _settle(page)
            page.screenshot(path=str(tmp_path / "response_times.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "overview.png").stat().st_size > 10_000
