"""What a person sees: `streamlit run` on the test warehouse, driven by Debian's Chromium via playwright.

Every page of ``PAGES`` in dashboards/app.py (read from the app's source, so pages added later are covered
without editing this file) is opened by its URL; none may show an exception or an error / warning box, and
each is saved as a full-page PNG screenshot: into $LIFECYCLE_SCREENSHOT_DIR when set (CI or a developer
keeps that folder), else into ``<pytest basetemp>/screenshots/`` (pytest keeps the last three basetemps,
e.g. /tmp/pytest-of-root/pytest-current/screenshots*/). The path of each PNG is printed.

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
from dashboard_helpers import (  # noqa: F401
    APP,
    PROJECT_ROOT,
    app_pages,
    dashboard_warehouse_fixture,
    expected_kpis,
    expected_overview,
    fmt_int,
)

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


SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _settle(page, quiet_ms: int = 800) -> None:
    """Wait until the script run is over (the app root says ``notRunning``) and the page has stopped
    changing: the number of rendered elements has stayed the same for ``quiet_ms`` and every chart is drawn."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_selector(SCRIPT_DONE, timeout=TIMEOUT_MS)
        count = page.locator('[data-testid="stElementContainer"]').count()
        charts = page.locator('[data-testid="stVegaLiteChart"]').count()
        drawn = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').count()
        if count != last or drawn < charts:
            last, stable_since = count, time.monotonic()
        elif (time.monotonic() - stable_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the page did not settle in time")


def _screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport grows to its height first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(max(int(height) + 80, 800), 16000)})
    _settle(page, quiet_ms=300)
    page.screenshot(path=str(path), full_page=True)


@pytest.fixture(scope="module")
def dashboard_server(dashboard_warehouse, tmp_path_factory):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
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


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory) -> Path:
    chosen = os.environ.get("LIFECYCLE_SCREENSHOT_DIR")
    if chosen:
        folder = Path(chosen)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


PAGES = app_pages()


@pytest.mark.parametrize("app_page", PAGES, ids=[p.url_path or "overview" for p in PAGES])
def test_every_page_opens_without_an_error_box(dashboard_server, browser, screenshot_dir, app_page):
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{dashboard_server}/{app_page.url_path}", timeout=TIMEOUT_MS)
        page.wait_for_selector(f'h1:has-text("{app_page.title}")', timeout=TIMEOUT_MS)
        _settle(page)
        shot = screenshot_dir / f"{app_page.url_path or 'overview'}.png"
        _screenshot(page, shot)
        print(f"screenshot: {shot}")
        exceptions = page.locator('[data-testid="stException"]').all_inner_texts()
        assert not exceptions, f"{app_page.title}: exception shown: {exceptions}"
        boxes = page.locator('[data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]')
        assert boxes.count() == 0, f"{app_page.title}: error/warning box: {boxes.all_inner_texts()}"
        assert not errors, f"{app_page.title}: JavaScript errors: {errors}"
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


def test_overview_kpis_and_navigation_in_a_real_browser(dashboard_server, browser, dashboard_warehouse):
    """The numbers a person reads on the Overview are the marts' (over the default range), and the
    sidebar navigates to another page."""
    expected = expected_overview(dashboard_warehouse)
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    try:
        page.goto(dashboard_server, timeout=TIMEOUT_MS)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=TIMEOUT_MS)
        _settle(page)
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        shown = {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
        assert shown["New leads"] == fmt_int(expected["new_leads"])
        assert shown["Customers"] == fmt_int(expected["customers"])

        page.get_by_role("link", name="Response times").click()
        page.wait_for_selector('h1:has-text("Response times")', timeout=TIMEOUT_MS)
        page.wait_for_selector('h3:has-text("By hour of day")', timeout=TIMEOUT_MS)
        assert "response-times" in page.url
        answered = page.locator('[data-testid="stMetric"]', has_text="Answered")
        shown_answered = answered.locator('[data-testid="stMetricValue"]').inner_text().strip()
        assert shown_answered == fmt_int(expected_kpis(dashboard_warehouse)["answered_conversations"])
    finally:
        page.close()
