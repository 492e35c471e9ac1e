"""The base of the fake vendor APIs: a real HTTP server on 127.0.0.1 built on pytest-httpserver.

Every fake in this folder (and the destination fakes of reverse ETL) is an :class:`ApiServer`: a
``pytest_httpserver.HTTPServer`` (werkzeug's threaded WSGI server, a free port on 127.0.0.1) whose
routes are the library's request handlers. Connectors talk real HTTP to ``server.url`` through their
real session, retries and timeouts, in-process or in a subprocess (``python -m ingestion.connectors
NAME``). On top of the library this module adds what a vendor contract needs and the library does
not have: routes by method + path regex with the path groups handed to the handler, an auth check
answered with the vendor's own 401 body, scripted faults, a request log of ``(method, path, query,
status)`` tuples, and JSON / streamed replies.

Usage (``from .servers.common import ApiServer, Reply, bearer``)::

    srv = ApiServer(auth=bearer("tok"))                      # 401 unless "Authorization: Bearer tok"
    @srv.route("GET", r"/v2/contacts/(\\d+)")                # regex, full match on the decoded path
    def contact(req):                                        # req: Request (req.groups == ("42",))
        return {"id": int(req.groups[0])}                    # dict/list -> 200 JSON; or Reply(...)
    srv.fault(nth=2, status=429, headers={"Retry-After": "1"})   # the 2nd authorised request -> 429
    srv.fault(nth=1, status=500, path=r"/v2/contacts/\\d+")  # the 1st request to that path -> 500
    srv.fault(when=lambda r: r.arg("page") == "3", sleep=30) # sleep 30 s before answering page 3
    with srv:                                                # starts / stops the server thread
        run_connector(base_url=srv.url)
    srv.log                                                  # [(method, path, query, status), ...]
    srv.hits(r"/v2/contacts/\\d+", status=500)               # -> 1

API
- ``ApiServer(auth=None, unauthorized=None)``: ``auth`` is a predicate ``(Request) -> bool`` checked
  before faults and routes; :func:`bearer`, :func:`header_token` (TikTok's ``Access-Token``, Shopify's
  ``X-Shopify-Access-Token``) and :func:`query_token` (Meta's ``access_token`` parameter) build the
  usual ones. A request that fails it gets ``unauthorized`` (default 401 ``{"message":
  "unauthorized"}``; give the vendor's shape, e.g. HubSpot's ``INVALID_AUTHENTICATION`` body).
- ``route(method, path_regex)`` as a decorator, or ``route(method, path_regex, handler)`` /
  ``add_route(...)``. Routes are tried in the order added. The handler gets a :class:`Request` with
  ``groups`` (and ``params``, the named groups) of the path match, and returns a dict/list (200
  JSON), a :class:`Reply`, or a werkzeug ``Response``. No route -> 404 JSON. A handler that raises
  answers 500 JSON naming the error, and the error is raised again when the ``with`` block ends, so
  a broken fake fails its test instead of passing as a retried 500.
- Handlers run one at a time under ``srv.lock`` (an ``RLock``), so a fake that keeps state (a
  destination that stores upserted contacts) needs no locking of its own; a test reading that state
  while a client may still be sending takes ``with srv.lock:``. Fault sleeps, holds and streamed
  bodies happen outside the lock, so a slow answer never blocks the others.
- ``fault(nth=None, *, path=None, method=None, when=None, status=None, headers=None, body=None,
  respond=None, sleep=0.0, hold=None, times=1) -> Fault``: counts the *authorised* requests that match
  ``path`` (regex, full match) / ``method`` / ``when`` (1-based, per fault, in ``fault.seen``); on
  match number ``nth`` (every match when ``nth`` is None), at most ``times`` times (None = unlimited),
  it fires (``fault.fired``): waits ``sleep`` seconds and until the ``hold`` event is set, then
  answers ``respond(req)`` (any handler result) or ``status`` with ``headers`` and ``body`` (default
  ``{"message": "fault"}``) instead of the route; a fault with neither only delays the route's
  answer. Every matching fault counts every request; when several fire, their sleeps add up and the
  first one added that answers wins. Stopping the server ends every sleep and hold at once.
- ``Reply(status=200, body=None, headers=None)``: ``body`` dict/list -> JSON, str -> text, bytes as is,
  a :class:`Stream` piece by piece; None -> ``{}`` (nothing for 204/304). Helpers: :func:`trickle`
  (a slow body), :func:`redirect`.
- ``Request``: ``method``, ``path`` (decoded), ``query`` (dict of lists), ``arg(name, default=None)``
  (first value), ``headers`` (case-insensitive), ``body`` (bytes), ``json`` (parsed, or None when the
  body is not JSON), ``groups``, ``params``, ``raw`` (the werkzeug request).
- ``log``: every answered request as a :class:`Call` ``(method, path, query, status)``, in the order
  answered; a ``Call`` also carries ``.request`` (so ``.headers``, ``.body``, ``.json`` of what was
  sent). ``calls(path_regex=".*", status=None, method=None)`` filters it, ``hits(...)`` counts it.
  ``requests_seen``: requests received so far, counted on arrival (an answer still sleeping counts).
- ``url``: ``http://127.0.0.1:PORT`` (no trailing slash). ``start()`` / ``stop()`` or ``with srv:``.
- ``httpserver``: the underlying ``pytest_httpserver.HTTPServer``, for the library's own tools
  (``expect_oneshot_request``, ``expect_ordered_request``, ``assert_request_made``); its handlers sit
  behind the auth check and the faults like the routes do.

Destination fakes (reverse ETL) keep the vendor's state and enforce its limits in the handlers, and
answer per-record errors the way the vendor does. A HubSpot batch upsert, 100 inputs per call::

    class HubSpotContacts:
        def __init__(self):
            self.contacts = {}                                    # email -> properties, server side
            self.server = ApiServer(auth=bearer(TOKEN), unauthorized=Reply(401, {
                "status": "error", "category": "INVALID_AUTHENTICATION", "message": "..."}))
            self.server.route("POST", r"/crm/v3/objects/contacts/batch/upsert", self._upsert)

        def _upsert(self, req):                                   # runs under self.server.lock
            inputs = (req.json or {}).get("inputs") or []
            if len(inputs) > 100:                                 # the whole call is refused
                return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                                   "message": f"Batch input size of {len(inputs)} exceeds the limit of 100"})
            results, errors = [], []
            for inp in inputs:
                if "@" not in inp["id"]:                          # one record refused, the rest applied
                    errors.append({"status": "error", "category": "VALIDATION_ERROR",
                                   "message": "Email address is invalid", "context": {"id": [inp["id"]]}})
                    continue
                self.contacts.setdefault(inp["id"], {}).update(inp.get("properties") or {})
                results.append({"id": inp["id"], "properties": self.contacts[inp["id"]]})
            if errors:
                return Reply(207, {"status": "COMPLETE", "results": results, "errors": errors,
                                   "numErrors": len(errors)})
            return {"status": "COMPLETE", "results": results}

    fake.server.fault(nth=3, status=429, headers={"Retry-After": "1"}, body={"policyName": "TEN_SECONDLY_ROLLING"})
    ...; assert fake.contacts == expected; assert [c.json for c in fake.server.calls(r".*/upsert")] == sent

Meta CAPI and TikTok Events follow the same shape (a 1,000-event limit, one invalid event refusing
the whole request, a dedup key kept in a dict); a webhook receiver is a route that appends
``req.json`` to a list and answers whatever status the test scripts.

Hostile servers. A redirect to another host (a second server on 127.0.0.1 stands in for it; its log
shows what reached it, headers included)::

    other = ApiServer()                                      # "another host": nothing routed, 404s
    srv.route("GET", r"/v1/items", lambda req: redirect(other.url + "/collect"))
    with srv, other:
        ...run the connector...
    assert all(TOKEN not in str(dict(c.headers)) + str(c.query) for c in other.log)

A body that trickles one byte every two seconds (a read timeout never fires, only a deadline does)::

    srv.route("GET", r"/v1/items", lambda req: trickle({"items": []}, every=2.0))
    srv.fault(nth=2, respond=lambda req: trickle(b'{"items": []}', every=2.0))  # only the 2nd request

A cursor that never advances (the connector must stop and say so, not loop)::

    srv.route("GET", r"/v1/items", lambda req: {"items": [{"id": 1}], "next": srv.url + "/v1/items?after=A"})
    ...; assert srv.hits(r"/v1/items") <= 3

Test helpers
- :func:`wait_for(predicate, timeout)` polls until ``predicate()`` is truthy.
- :func:`run_cli` / :func:`run_cli_killed_midway`: run ``python -m ingestion.connectors NAME`` in a
  subprocess with the given env (see :func:`connector_env`); the latter kills it with SIGKILL once
  ``ready()`` is true, for restart tests.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pytest_httpserver import HTTPServer, URIPattern
from werkzeug import Request as WerkzeugRequest
from werkzeug import Response

PROJECT_ROOT = Path(__file__).resolve().parents[3]

Handler = Callable[["Request"], Any]
Predicate = Callable[["Request"], bool]


# --------------------------------------------------------------------------------------------------
# What handlers see and return
# --------------------------------------------------------------------------------------------------
class Request:
    """A request as handlers, auth and fault predicates see it (a view of the werkzeug request)."""

    def __init__(self, raw: WerkzeugRequest, match: re.Match[str] | None = None):
        self.raw = raw
        self.groups: tuple[str, ...] = match.groups() if match else ()
        self.params: dict[str, str] = match.groupdict() if match else {}
        self._query: dict[str, list[str]] | None = None

    @property
    def method(self) -> str:
        return self.raw.method

    @property
    def path(self) -> str:
        return self.raw.path

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = {k: list(v) for k, v in self.raw.args.lists()}
        return self._query

    def arg(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def body(self) -> bytes:
        return self.raw.get_data()

    @property
    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


@dataclass
class Stream:
    """A body sent piece by piece, ``every`` seconds apart (the first piece at once).

    ``length`` goes out as ``Content-Length`` when given (otherwise the body is chunked). The pauses
    end early when the server stops, so a test never waits on a trickle it has left behind.
    """

    pieces: Iterable[bytes]
    every: float = 0.0
    content_type: str = "application/octet-stream"
    length: int | None = None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] | None = None


def _encode(body: Any) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body if body is not None else {}).encode(), "application/json"


def trickle(body: Any, every: float = 2.0, size: int = 1, status: int = 200,
            headers: Mapping[str, str] | None = None) -> Reply:
    """``body`` (encoded as a :class:`Reply` body would be) sent ``size`` bytes at a time, ``every`` s apart.

    With ``Content-Length`` set, as a slow but well-formed server would send it: every read on the
    client side gets a byte before its read timeout, so only an overall deadline stops the wait.
    """
    data, ctype = _encode(body)
    pieces = [data[i:i + size] for i in range(0, len(data), size)]
    return Reply(status, Stream(pieces, every=every, content_type=ctype, length=len(data)), headers)


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect to ``location`` (an absolute URL to send the client to another server)."""
    return Reply(status, b"", {"Location": location})


# --------------------------------------------------------------------------------------------------
# Auth predicates
# --------------------------------------------------------------------------------------------------
def bearer(token: str) -> Predicate:
    return lambda req: req.headers.get("Authorization") == f"Bearer {token}"


def header_token(header: str, token: str) -> Predicate:
    return lambda req: req.headers.get(header) == token


def query_token(param: str, token: str) -> Predicate:
    return lambda req: req.arg(param) == token


# --------------------------------------------------------------------------------------------------
# Faults and the log
# --------------------------------------------------------------------------------------------------
@dataclass
class Fault:
    nth: int | None
    path: str | None = None
    method: str | None = None
    when: Predicate | None = None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None
    respond: Handler | None = None
    sleep: float = 0.0
    hold: threading.Event | None = None
    times: int | None = 1
    seen: int = 0
    fired: int = 0

    def matches(self, req: Request) -> bool:
        if self.method and req.method != self.method.upper():
            return False
        if self.path and not re.fullmatch(self.path, req.path):
            return False
        return not (self.when and not self.when(req))

    def answers(self) -> bool:
        return self.respond is not None or self.status is not None


class _CallFields(NamedTuple):
    method: str
    path: str
    query: dict[str, list[str]]
    status: int


class Call(_CallFields):
    """One answered request: unpacks as ``(method, path, query, status)``; ``.request`` is what was sent."""

    request: Request

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def body(self) -> bytes:
        return self.request.body

    @property
    def json(self) -> Any:
        return self.request.json


class _PathRegex(URIPattern):
    def __init__(self, pattern: str):
        self.regex = re.compile(pattern)

    def match(self, uri: str) -> bool:
        return self.regex.fullmatch(uri) is not None

    def __repr__(self) -> str:
        return f"path~{self.regex.pattern!r}"


def _json_response(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class _Server(HTTPServer):
    """pytest-httpserver's server with the owner's auth check and faults in front of its handlers."""

    def __init__(self, owner: ApiServer):
        super().__init__(host="127.0.0.1", port=0, threaded=True)
        self.owner = owner

    def thread_target(self) -> None:
        # werkzeug polls for shutdown every 0.5 s by default; every test stops a server or two
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)

    def dispatch(self, request: WerkzeugRequest) -> Response:
        return self.owner._dispatch(request, super().dispatch)

    def respond_nohandler(self, request: WerkzeugRequest, extra_message: str = "") -> Response:
        return _json_response(404, {"message": f"no route for {request.method} {request.path}"})


# --------------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------------
class ApiServer:
    def __init__(self, auth: Predicate | None = None, unauthorized: Reply | None = None):
        self.auth = auth
        self.unauthorized = unauthorized or Reply(401, {"message": "unauthorized"})
        self.faults: list[Fault] = []
        self.requests_seen = 0
        self.lock = threading.RLock()
        self.httpserver = _Server(self)
        self._stopping = threading.Event()
        self._calls: list[Call] = []
        self._log_lock = threading.Lock()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log (Meta's token is in URLs)

    # configuration -------------------------------------------------------------------------------
    def add_route(self, method: str, path_regex: str, handler: Handler) -> Handler:
        pattern = re.compile(path_regex)

        def respond(raw: WerkzeugRequest) -> Response:
            req = Request(raw, pattern.fullmatch(raw.path))
            try:
                with self.lock:
                    out = handler(req)
            except Exception as exc:  # noqa: BLE001 - a broken fake answers 500 and fails its test at exit
                self.httpserver.handler_errors.append(exc)
                return _json_response(500, {"message": f"test server handler error: {type(exc).__name__}: {exc}"})
            return self._response(out)

        self.httpserver.expect_request(_PathRegex(path_regex), method=method.upper()).respond_with_handler(respond)
        return handler

    def route(self, method: str, path_regex: str, handler: Handler | None = None) -> Any:
        """``route(m, p, handler)`` registers ``handler``; ``@route(m, p)`` does the same as a decorator."""
        if handler is not None:
            return self.add_route(method, path_regex, handler)
        return lambda fn: self.add_route(method, path_regex, fn)

    def fault(self, nth: int | None = None, *, path: str | None = None, method: str | None = None,
              when: Predicate | None = None, status: int | None = None, headers: Mapping[str, str] | None = None,
              body: Any = None, respond: Handler | None = None, sleep: float = 0.0,
              hold: threading.Event | None = None, times: int | None = 1) -> Fault:
        f = Fault(nth, path, method, when, status, headers, body, respond, sleep, hold, times)
        with self.lock:
            self.faults.append(f)
        return f

    # the log -------------------------------------------------------------------------------------
    @property
    def log(self) -> list[Call]:
        with self._log_lock:  # the library appends (request, response) pairs; they are converted once
            for raw, response in self.httpserver.log[len(self._calls):]:
                req = Request(raw)
                call = Call(req.method, req.path, req.query, response.status_code)
                call.request = req
                self._calls.append(call)
            return list(self._calls)

    def calls(self, path_regex: str = ".*", status: int | None = None, method: str | None = None) -> list[Call]:
        return [c for c in self.log if re.fullmatch(path_regex, c.path)
                and (status is None or c.status == status) and (method is None or c.method == method.upper())]

    def hits(self, path_regex: str = ".*", status: int | None = None, method: str | None = None) -> int:
        return len(self.calls(path_regex, status, method))

    # lifecycle -----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.httpserver.is_running(), "server not started"
        return f"http://127.0.0.1:{self.httpserver.port}"

    def start(self) -> ApiServer:
        self._stopping.clear()
        self.httpserver.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends fault sleeps, holds and trickles still under way
        if self.httpserver.is_running():
            self.httpserver.stop()

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if exc_type is None:
            self.httpserver.check_handler_errors()

    # request handling ----------------------------------------------------------------------------
    def _dispatch(self, raw: WerkzeugRequest, route: Callable[[WerkzeugRequest], Response]) -> Response:
        req = Request(raw)
        with self.lock:
            self.requests_seen += 1
        if self.auth is not None and not self.auth(req):
            return self._response(self.unauthorized)
        fired: list[Fault] = []
        with self.lock:
            for f in self.faults:
                if not f.matches(req):
                    continue
                f.seen += 1
                if f.times is not None and f.fired >= f.times:
                    continue
                if f.nth is not None and f.seen != f.nth:
                    continue
                f.fired += 1
                fired.append(f)
        for f in fired:
            if f.sleep:
                self._stopping.wait(f.sleep)
            if f.hold is not None:
                while not (f.hold.is_set() or self._stopping.is_set()):
                    f.hold.wait(0.05)
        answer = next((f for f in fired if f.answers()), None)
        if answer is None:
            return route(raw)
        if answer.respond is not None:
            with self.lock:
                return self._response(answer.respond(req))
        body = answer.body if answer.body is not None else {"message": "fault"}
        return self._response(Reply(answer.status or 500, body, answer.headers))

    def _response(self, out: Any) -> Response:
        if isinstance(out, Response):
            return out
        reply = out if isinstance(out, Reply) else Reply(200, out)
        headers = dict(reply.headers or {})
        ctype = next((headers.pop(k) for k in list(headers) if k.lower() == "content-type"), None)
        if isinstance(reply.body, Stream):
            stream = reply.body
            if stream.length is not None:
                headers.setdefault("Content-Length", str(stream.length))
            return Response(self._paced(stream), status=reply.status, headers=headers,
                            content_type=ctype or stream.content_type)
        if reply.body is None and (reply.status in (204, 304) or reply.status < 200):
            return Response(b"", status=reply.status, headers=headers)
        data, default_ctype = _encode(reply.body)
        return Response(data, status=reply.status, headers=headers, content_type=ctype or default_ctype)

    def _paced(self, stream: Stream) -> Iterator[bytes]:
        for i, piece in enumerate(stream.pieces):
            if i and stream.every and self._stopping.wait(stream.every):
                return
            yield piece


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

    ``ready`` is typically ``lambda: slow_fault.fired``: the slow page was requested, so the pages
    before it are committed. Returns the subprocess return code (``-SIGKILL`` when the kill landed
    while it was running).
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
