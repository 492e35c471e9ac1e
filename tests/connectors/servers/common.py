"""A small, reusable fake-API server base for connector tests (stable API; helper B imports it).

It is a real ``ThreadingHTTPServer`` on 127.0.0.1 (free port), so connectors talk real HTTP through
their real session, retries and timeouts; connectors run in-process or in a subprocess
(``python -m ingestion.connectors NAME``) against ``server.url``.

Usage (from a test module in ``tests/connectors/``: ``from .servers.common import ApiServer, Reply``)::

    srv = ApiServer(auth=bearer("tok"))                      # 401 unless "Authorization: Bearer tok"
    @srv.route("GET", r"/v2/things")                         # regex, full match on the path
    def things(req):                                         # req: Request
        return {"items": [...], "next": None}                # dict/list -> 200 JSON; or Reply(...)
    srv.fault(nth=2, status=429, headers={"Retry-After": "1"})   # the 2nd authorised request -> 429
    srv.fault(nth=1, status=500, path=r"/v2/things")         # the 1st request to that path -> 500
    srv.fault(when=lambda r: r.arg("page") == "3", sleep=30) # sleep 30 s before answering page 3
    with srv:                                                # starts / stops the thread
        run_connector(base_url=srv.url)
    srv.log                                                  # [(method, path, query dict, status), ...]

API
- ``ApiServer(auth=None)``: ``auth`` is a callable ``(Request) -> bool``; helpers :func:`bearer`,
  :func:`header_token` (e.g. TikTok's ``Access-Token``, Shopify's ``X-Shopify-Access-Token``) and
  :func:`query_token` (Meta's ``access_token`` query parameter). Unauthorised -> 401 JSON
  ``{"message": "unauthorized"}`` (override with ``unauthorized=Reply(...)``).
- ``route(method, path_regex)`` decorator or ``add_route(method, path_regex, handler)``. Path groups
  are passed as ``req.groups`` (tuple). No route -> 404.
- ``fault(nth=None, *, path=None, method=None, when=None, status=None, headers=None, body=None,
  sleep=0.0, times=1)``: counts the authorised requests that match ``path``/``method``/``when``
  (1-based, per fault); on match number ``nth`` (or on every match when ``nth`` is None) it sleeps
  ``sleep`` seconds, then answers ``status`` (with ``body``, default ``{"message": "fault"}``)
  instead of the route, or proceeds to the route when ``status`` is None. ``times`` bounds how often
  a fault fires (None = unlimited). Faults are checked in the order they were added; the first
  firing fault with a status wins.
- ``Reply(status=200, body=None, headers=None)``: ``body`` dict/list -> JSON; str/bytes as is.
- ``Request``: ``method``, ``path``, ``query`` (dict of lists), ``arg(name, default=None)`` (first
  value), ``headers``, ``body`` (bytes), ``json`` (parsed or None), ``groups``.
- ``log``: every request as ``(method, path, query, status)``; ``hits(path_regex)`` counts them;
  ``requests_seen`` = number of requests received.
- ``url``: ``http://127.0.0.1:PORT`` (no trailing slash). Also usable as ``start()`` / ``stop()``.

Test helpers
- :func:`wait_for(predicate, timeout)` polls until ``predicate()`` is truthy.
- :func:`run_cli_killed_midway` / :func:`run_cli`: run ``python -m ingestion.connectors NAME`` in a
  subprocess with the given env, kill it with SIGKILL once ``ready()`` is true, for restart tests.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] | None = None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    groups: tuple[str, ...] = ()

    def arg(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default

    @property
    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Fault:
    nth: int | None
    path: str | None = None
    method: str | None = None
    when: Callable[[Request], bool] | None = None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None
    sleep: float = 0.0
    times: int | None = 1
    seen: int = 0
    fired: int = 0

    def matches(self, req: Request) -> bool:
        if self.method and req.method != self.method.upper():
            return False
        if self.path and not re.fullmatch(self.path, req.path):
            return False
        return not (self.when and not self.when(req))


def bearer(token: str) -> Callable[[Request], bool]:
    return lambda req: req.headers.get("Authorization") == f"Bearer {token}"


def header_token(header: str, token: str) -> Callable[[Request], bool]:
    return lambda req: req.headers.get(header) == token


def query_token(param: str, token: str) -> Callable[[Request], bool]:
    return lambda req: req.arg(param) == token


class ApiServer:
    def __init__(self, auth: Callable[[Request], bool] | None = None,
                 unauthorized: Reply | None = None):
        self.auth = auth
        self.unauthorized = unauthorized or Reply(401, {"message": "unauthorized"})
        self.routes: list[tuple[str, str, Callable[[Request], Any]]] = []
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, dict[str, list[str]], int]] = []
        self.requests_seen = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # configuration -------------------------------------------------------------------------------
    def add_route(self, method: str, path_regex: str, handler: Callable[[Request], Any]) -> None:
        self.routes.append((method.upper(), path_regex, handler))

    def route(self, method: str, path_regex: str) -> Callable[[Callable[[Request], Any]], Callable[[Request], Any]]:
        def deco(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
            self.add_route(method, path_regex, fn)
            return fn
        return deco

    def fault(self, nth: int | None = None, *, path: str | None = None, method: str | None = None,
              when: Callable[[Request], bool] | None = None, status: int | None = None,
              headers: Mapping[str, str] | None = None, body: Any = None, sleep: float = 0.0,
              times: int | None = 1) -> Fault:
        f = Fault(nth, path, method, when, status, headers, body, sleep, times)
        self.faults.append(f)
        return f

    def hits(self, path_regex: str, status: int | None = None) -> int:
        return sum(1 for m, p, _q, s in list(self.log)
                   if re.fullmatch(path_regex, p) and (status is None or s == status))

    # lifecycle -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> ApiServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling ----------------------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = Request(h.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                      {k: v for k, v in h.headers.items()}, body)
        with self._lock:
            self.requests_seen += 1
        reply = self._answer(req)
        self._send(h, req, reply)

    def _answer(self, req: Request) -> Reply:
        if self.auth is not None and not self.auth(req):
            return self.unauthorized
        sleep = 0.0
        fault_reply: Reply | None = None
        with self._lock:
            for f in self.faults:
                if not f.matches(req):
                    continue
                f.seen += 1
                if f.times is not None and f.fired >= f.times:
                    continue
                if f.nth is not None and f.seen != f.nth:
                    continue
                f.fired += 1
                sleep += f.sleep
                if f.status is not None and fault_reply is None:
                    fault_reply = Reply(f.status, f.body if f.body is not None else {"message": "fault"},
                                        f.headers)
        if sleep:
            time.sleep(sleep)
        if fault_reply is not None:
            return fault_reply
        for method, pattern, handler in self.routes:
            if method != req.method:
                continue
            m = re.fullmatch(pattern, req.path)
            if not m:
                continue
            req.groups = m.groups()
            try:
                out = handler(req)
            except Exception as exc:  # noqa: BLE001 - a broken fixture answers 500, visibly
                return Reply(500, {"message": f"test server handler error: {type(exc).__name__}: {exc}"})
            return out if isinstance(out, Reply) else Reply(200, out)
        return Reply(404, {"message": f"no route for {req.method} {req.path}"})

    def _send(self, h: BaseHTTPRequestHandler, req: Request, reply: Reply) -> None:
        body = reply.body
        ctype = "application/json"
        if isinstance(body, (dict, list)) or body is None:
            data = json.dumps(body if body is not None else {}).encode()
        elif isinstance(body, bytes):
            data, ctype = body, "application/octet-stream"
        else:
            data, ctype = str(body).encode(), "text/plain"
        with self._lock:
            self.log.append((req.method, req.path, req.query, reply.status))
        try:
            h.send_response(reply.status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            for k, v in (reply.headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # client went away (killed run)
            pass


# --------------------------------------------------------------------------------------------------
# Test helpers
# --------------------------------------------------------------------------------------------------
def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            val = predicate()
        except Exception:  # noqa: BLE001 - e.g. the DuckDB file is locked by the writer
            val = None
        if val:
            return val
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout} s")


def connector_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The current environment plus ``extra``, with the project root importable and a 2 s Retry-After cap."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("LIFECYCLE_HTTP_MAX_RETRY_AFTER", "2")
    env.update(extra)
    return env


def run_cli(name: str, warehouse: Path, env: Mapping[str, str], *args: str,
            timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ingestion.connectors NAME --warehouse W`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "ingestion.connectors", name, "--warehouse", str(warehouse), *args],
        env=connector_env(env), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )


def run_cli_killed_midway(name: str, warehouse: Path, env: Mapping[str, str],
                          ready: Callable[[], Any], *args: str, timeout: float = 60.0) -> int:
    """Start the connector in a subprocess, wait until ``ready()`` is truthy, SIGKILL it.

    ``ready`` typically reads the cursor table via a *separate* process-safe check, e.g. the
    server log shows the slow page was requested (the previous page is then committed). Returns
    the subprocess return code (``-SIGKILL`` when the kill landed while it was running).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingestion.connectors", name, "--warehouse", str(warehouse), *args],
        env=connector_env(env), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: ready() or proc.poll() is not None, timeout=timeout)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode
