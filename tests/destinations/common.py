"""The base of the destination test servers: a real HTTP server on 127.0.0.1 (pytest-httpserver,
threaded, keep-alive) with server-side state, authentication, injected faults and a request log.

Each destination server (``hubspot.py``, ``meta_capi.py``...) subclasses :class:`ContractServer`,
registers its routes with :meth:`ContractServer.route` and keeps the state the vendor would keep
(contacts, events, tags), enforcing the vendor's batch limits and answering with the vendor's
per-record errors and whole-batch rejections.

Faults, checked in the order they were added, fire on the n-th matching request (or every match)::

    srv.fault(nth=2, status=429, headers={"Retry-After": "1"})     # the 2nd request -> 429
    srv.fault(nth=None, status=503, times=3, path=r".*/events")     # the next 3 event posts -> 503
    srv.fault(when=lambda req: ..., sleep=0.5)                      # slow, then the real answer
    srv.fault(nth=2, sleep_after=2)                                 # applied, but the answer comes too late
    srv.block_after(5)                                              # requests after the 5th wait until released

A faulted request is answered without touching the state, as a real server failing before it
processes the batch would.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Fault:
    nth: int | None
    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None
    path: str | None = None
    method: str | None = None
    when: Callable[[Req], bool] | None = None
    sleep: float = 0.0
    sleep_after: float = 0.0  # apply the request, then answer late (the client may have given up)
    times: int | None = 1
    seen: int = 0
    fired: int = 0

    def matches(self, req: Req) -> bool:
        if self.method and req.method != self.method:
            return False
        if self.path and not re.fullmatch(self.path, req.path):
            return False
        return not (self.when and not self.when(req))


@dataclass
class Logged:
    method: str
    path: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def reply(status: int = 200, body: Any = None, headers: Mapping[str, str] | None = None) -> WResponse:
    if body is None:
        data = b""
    elif isinstance(body, (bytes, str)):
        data = body if isinstance(body, bytes) else body.encode()
    else:
        data = json.dumps(body).encode()
    return WResponse(data, status=status, headers=dict(headers or {}),
                     content_type="application/json" if not isinstance(body, (bytes, str)) else "text/plain")


class ContractServer:
    """A vendor's API on 127.0.0.1: subclasses add routes and state."""

    def __init__(self, auth: Callable[[Req], bool] | None = None, unauthorized: WResponse | None = None):
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.auth = auth
        self.unauthorized = unauthorized
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.keep_bodies = True
        self._gate: threading.Event | None = None
        self._gate_after: int | None = None
        self.requests_seen = 0

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ContractServer:
        self.server.start()
        return self

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.set()
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    # --- configuration ---------------------------------------------------------------------------
    def route(self, method: str, path_regex: str, handler: Callable[[Req], WResponse]) -> None:
        self.server.expect_request(re.compile(f"^{path_regex}$"), method=method).respond_with_handler(
            self._wrap(handler))

    def fault(self, nth: int | None = None, **kw: Any) -> Fault:
        f = Fault(nth, **kw)
        with self.lock:
            self.faults.append(f)
        return f

    def block_after(self, n: int) -> threading.Event:
        """Requests after the n-th wait until the returned event is set (for kill-mid-run tests)."""
        self._gate = threading.Event()
        self._gate_after = n
        return self._gate

    def hits(self, path_regex: str = ".*", status: int | None = None) -> int:
        return sum(1 for entry in self.log if re.fullmatch(path_regex, entry.path)
                   and (status is None or entry.status == status))

    # --- dispatch --------------------------------------------------------------------------------
    def _wrap(self, handler: Callable[[Req], WResponse]) -> Callable[[WRequest], WResponse]:
        def respond(wreq: WRequest) -> WResponse:
            req = Req(wreq.method, wreq.path, {k: v for k, v in wreq.args.items()},
                      {k: v for k, v in wreq.headers.items()}, wreq.get_data())
            with self.lock:
                self.requests_seen += 1
                n = self.requests_seen
            if self._gate is not None and self._gate_after is not None and n > self._gate_after:
                self._gate.wait(timeout=120)
            resp, late = self._respond(req, handler)
            with self.lock:
                self.log.append(Logged(req.method, req.path, resp.status_code, req.body if self.keep_bodies else b"",
                                       req.headers if self.keep_bodies else {}))
            if late:
                time.sleep(late)
            return resp
        return respond

    def _respond(self, req: Req, handler: Callable[[Req], WResponse]) -> tuple[WResponse, float]:
        if self.auth is not None and not self.auth(req):
            return self.unauthorized or reply(401, {"message": "unauthorized"}), 0.0
        chosen: Fault | None = None
        with self.lock:
            for f in self.faults:
                if not f.matches(req) or (f.times is not None and f.fired >= f.times):
                    continue
                f.seen += 1
                if f.nth is None or f.seen == f.nth:
                    f.fired += 1
                    if chosen is None:
                        chosen = f
        if chosen is not None:
            if chosen.sleep:
                time.sleep(chosen.sleep)
            if chosen.status is not None:
                return reply(chosen.status, chosen.body if chosen.body is not None else {"message": "fault"},
                             chosen.headers), 0.0
        with self.lock:
            resp = handler(req)
        return resp, (chosen.sleep_after if chosen is not None else 0.0)


def bearer(token: str) -> Callable[[Req], bool]:
    return lambda req: req.headers.get("Authorization") == f"Bearer {token}"
