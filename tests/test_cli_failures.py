"""`lifecycle run` ends an expected failure in one clear line naming the source, the request and the
problem, with a documented exit code and no traceback (Python's or Dagster's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from connectors.hostile import VENDORS, Hostile, Server

LIFECYCLE = str(Path(sys.executable).parent / "lifecycle")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_TOKEN", "_BASE_URL", "_INSTANCE_URL", "_SHOP_URL", "_ACCOUNT_IDS", "_ADVERTISER_IDS"))}
    env.update({"LIFECYCLE_WAREHOUSE": str(tmp_path / "w.duckdb"), "LIFECYCLE_OUTBOX_DIR": str(tmp_path / "outbox"),
                "LIFECYCLE_HTTP_MAX_RETRY_AFTER": "1"}, **extra)
    return env


@pytest.mark.slow
def test_an_api_answering_html_ends_the_run_in_one_line(tmp_path):
    api, other = Server().start(), Server().start()
    try:
        Hostile(VENDORS["hubspot"], "html", api, other).install()
        env = clean_env(tmp_path, **VENDORS["hubspot"].settings(api.url))
        proc = subprocess.run([LIFECYCLE, "run", "--source", "api"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=900)
    finally:
        api.stop()
        other.stop()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "Traceback" not in out and "Stack Trace" not in out
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("lifecycle run failed: hubspot: POST /crm/v3/objects/contacts/search returned an HTML "
                           "page (HTTP 200, text/html)"), last
    assert "hubspot: hubspot:" not in last


def test_exit_codes_are_documented_where_a_user_looks():
    from orchestration import exit_codes

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for code in (exit_codes.EXIT_OK, exit_codes.EXIT_FAILED, exit_codes.EXIT_USAGE, exit_codes.EXIT_PARTIAL,
                 exit_codes.EXIT_BUSY):
        assert f"| {code} |" in readme, f"exit code {code} is not in the README's table"
