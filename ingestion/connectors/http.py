"""One HTTP session per connector: timeouts, retries that honour ``Retry-After``, clear errors.

Why plain ``requests`` + urllib3 ``Retry`` rather than dlt (or Airbyte/Singer taps)
-----------------------------------------------------------------------------------
The raw-table contract (:mod:`ingestion.raw_tables`) is fixed: every loader writes exactly those
tables, with primary-key merges, a cursor committed in the *same* DuckDB transaction as the page it
belongs to (:func:`warehouse_io.merge_rows`), and bad records sent to ``ops.quarantine``.
dlt would bring its own schema inference, its own state tables (``_dlt_pipeline_state``), its own
normalisation of nested records into child tables and its own load packages; we would then have to
map its output back onto our tables and keep two notions of state in step. The connectors here are
small (a few endpoints each), and what makes them robust is exactly what urllib3 already does well:
bounded retries with exponential backoff, ``Retry-After`` honoured on 429/503, retries on 5xx and
on timeouts, also for the POST endpoints that some APIs use for reads (respond.io ``/contact/list``,
HubSpot ``/search``). Keeping that in one ~200-line module also keeps the dependency surface to
``requests`` + ``urllib3`` (already needed for activation), with no extra state to migrate.

What this module guarantees
- One :class:`requests.Session` per :class:`ApiClient`, with (connect, read) timeouts on every call.
- Credentials go only to the configured host. Redirects are never followed by ``requests``: a redirect
  to the same origin (scheme, host, port) is followed here (at most 5 hops), a redirect to any other
  host is an :class:`ApiError`, and so is a next-page URL that points elsewhere (:meth:`ApiClient.url`,
  :meth:`ApiClient.check_same_origin`). ``requests`` would strip ``Authorization`` on such a redirect
  but forward custom token headers (TikTok's ``Access-Token``) and load the other host's data.
- Deadlines that a slow or trickling server cannot stretch: the read timeout only bounds the wait for
  each chunk, so a server sending one byte a second would hold a call forever. Every call therefore
  has an overall deadline (``request_deadline``, env ``LIFECYCLE_HTTP_REQUEST_DEADLINE``, default
  300 s, retries and their waits included), enforced by a watchdog that shuts the call's socket down;
  and every client has a run deadline (``run_deadline``, env ``LIFECYCLE_HTTP_RUN_DEADLINE``, default
  6 h) after which no further call starts. Both end in an :class:`ApiError` that says which.
- :class:`CursorGuard`: a paging loop stops with an :class:`ApiError` when the server hands back a
  cursor it already gave (a cursor that never advances would page forever).
- urllib3 ``Retry``: ``total`` attempts, exponential backoff, ``status_forcelist`` 429/500/502/503/504,
  ``Retry-After`` respected (capped by ``max_retry_after`` so a misbehaving server cannot park a run
  for an hour, and tests stay fast; env ``LIFECYCLE_HTTP_MAX_RETRY_AFTER``), POST included in
  ``allowed_methods``, read timeouts and connection errors retried.
- Any final 4xx/5xx raises :class:`ApiError` naming the source, method, endpoint path (no query
  string: queries can hold tokens, SOQL filters or emails) and status, plus the API's own error
  message when it gives one (HubSpot ``message``/``category``, Salesforce ``[{errorCode, message}]``,
  respond.io ``message``). Secrets registered with the client are scrubbed from every error text.
- Nothing is logged but method, path, status and timing (debug level). Error texts from the API pass
  through :func:`warehouse_io.redact` (an error body may echo the rejected email or phone).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from warehouse_io import redact

RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT = (10.0, 60.0)
DEFAULT_MAX_RETRY_AFTER = 120.0
DEFAULT_REQUEST_DEADLINE = 300.0
DEFAULT_RUN_DEADLINE = 6 * 3600.0
MAX_RETRY_AFTER_ENV = "LIFECYCLE_HTTP_MAX_RETRY_AFTER"
REQUEST_DEADLINE_ENV = "LIFECYCLE_HTTP_REQUEST_DEADLINE"
RUN_DEADLINE_ENV = "LIFECYCLE_HTTP_RUN_DEADLINE"
USER_AGENT = "lifecycle-platform/0.1"

_log = logging.getLogger("ingestion.connectors.http")


class ApiError(RuntimeError):
    """A request failed for good (4xx, or 5xx/429/timeouts after all retries, a refused redirect, a deadline).

    ``str(err)`` is one line naming source, method, endpoint path and the problem; never the token,
    the query string or a personal value.
    """

    def __init__(self, message: str, *, source: str, method: str, endpoint: str,
                 status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.source = source
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.detail = detail


# ------------------------------------------------------------------------------------------------
# Deadlines: a watchdog that shuts the socket of an overdue call down
# ------------------------------------------------------------------------------------------------
class _DeadlinePassed(Exception):
    """Raised inside urllib3 when a call's deadline has passed (ends the call and its retries)."""


class _CallState:
    def __init__(self, deadline: float):
        self.deadline = deadline
        self.expired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self.lock:
            if not any(s is sock for s in self.sockets):
                self.sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            socks = list(self.sockets)
        for sock in socks:  # kept by reference: http.client drops conn.sock while the body is still read
            _shutdown(sock)

    def check(self) -> None:
        if self.expired or time.monotonic() >= self.deadline:
            self.expired = True
            raise _DeadlinePassed()


_current = threading.local()


def _state() -> _CallState | None:
    return getattr(_current, "call", None)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # a blocked recv returns at once
    except OSError:
        pass


def _watch(conn: HTTPConnection, *, before: bool) -> None:
    """Before a connect or a request: stop if the call is overdue; after: remember the socket."""
    st = _state()
    if st is None:
        return
    if before:
        st.check()
    st.add(getattr(conn, "sock", None))


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _watch(self, before=True)
        super().connect()
        _watch(self, before=False)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self, before=True)
        super().request(*args, **kwargs)
        _watch(self, before=False)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _watch(self, before=True)
        super().connect()
        _watch(self, before=False)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self, before=True)
        super().request(*args, **kwargs)
        _watch(self, before=False)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class CappedRetry(Retry):
    """urllib3 Retry whose ``Retry-After`` wait is capped at ``max_retry_after`` seconds, and that never
    sleeps past the deadline of the call it retries."""

    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def new(self, **kw: Any) -> CappedRetry:
        new = super().new(**kw)
        new.max_retry_after = self.max_retry_after
        return new

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            seconds = float(retry_after.strip())  # urllib3 only takes integers; Shopify sends "2.0"
        except ValueError:
            try:
                seconds = super().parse_retry_after(retry_after)  # HTTP-date form
            except Exception:  # unparsable header: fall back to backoff rather than failing the run
                return 0.0
        return max(0.0, min(float(seconds), float(self.max_retry_after)))

    def sleep(self, response: Any = None) -> None:
        st = _state()
        if st is not None:
            wait = self.get_backoff_time()
            if self.respect_retry_after_header and response is not None:
                after = self.get_retry_after(response)
                if after is not None:
                    wait = after
            st.check()
            if time.monotonic() + wait >= st.deadline:
                st.expired = True
                raise _DeadlinePassed()
        super().sleep(response)


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def _max_retry_after_default() -> float:
    return _env_seconds(MAX_RETRY_AFTER_ENV, DEFAULT_MAX_RETRY_AFTER)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _host_label(url: str) -> str:
    scheme, host, port = _origin(url)
    default = {"http": 80, "https": 443}.get(scheme)
    return host + (f":{port}" if port not in (None, default) else "") if host else "an unnamed host"


def _error_detail(resp: requests.Response) -> str:
    """The API's own error message, short; understands the shapes of the APIs we call."""
    text = resp.text or ""
    try:
        body = resp.json()
    except ValueError:
        ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype in ("text/html", "application/xhtml+xml") or text.lstrip()[:1] == "<":
            return f"an HTML page ({ctype or 'no content type'}), not the API's JSON"
        return " ".join(text.split())[:300]
    parts: list[str] = []
    items = body if isinstance(body, list) else [body]
    for item in items[:3]:
        if not isinstance(item, Mapping):
            continue
        err = item.get("error")
        if isinstance(err, Mapping):  # Meta {"error": {"message", "type", "code"}}
            item = {**item, **err}
        elif isinstance(err, str):
            parts.append(err)
        for key in ("errorCode", "category", "policyName", "code", "type", "message", "msg", "error_description"):
            val = item.get(key)
            if val not in (None, "", 0) and not isinstance(val, (Mapping, list)):
                parts.append(f"{key}={val}")
    return ("; ".join(parts) or " ".join(text.split()))[:300]


class ApiClient:
    """A session bound to one API: base URL, auth headers, timeouts, retries, deadlines, clear errors.

    ``secrets`` are strings scrubbed from any error text (the token is added automatically when
    passed as ``bearer_token``). ``requests`` counts HTTP calls made (retries included).
    ``request_deadline`` bounds one call (retries included), ``run_deadline`` the client's life:
    ``None`` reads ``LIFECYCLE_HTTP_REQUEST_DEADLINE`` / ``LIFECYCLE_HTTP_RUN_DEADLINE`` (seconds)
    when the client is created, i.e. when the run starts.
    """

    def __init__(self, source: str, base_url: str, *, bearer_token: str | None = None,
                 headers: Mapping[str, str] | None = None, secrets: Iterable[str] = (),
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = 6,
                 backoff_factor: float = 0.5, backoff_max: float = 60.0,
                 max_retry_after: float | None = None, request_deadline: float | None = None,
                 run_deadline: float | None = None, log: logging.Logger | None = None):
        self.source = source
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.log = log or _log
        self.requests = 0
        self._secrets = [s for s in (*secrets, bearer_token or "") if s and len(s) >= 4]
        self.request_deadline = request_deadline or _env_seconds(REQUEST_DEADLINE_ENV, DEFAULT_REQUEST_DEADLINE)
        self.run_deadline = run_deadline or _env_seconds(RUN_DEADLINE_ENV, DEFAULT_RUN_DEADLINE)
        self._run_ends = time.monotonic() + self.run_deadline
        retry = CappedRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0, redirect=0,
            backoff_factor=backoff_factor, backoff_max=backoff_max,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}),
            respect_retry_after_header=True, raise_on_status=False, raise_on_redirect=False,
        )
        retry.max_retry_after = _max_retry_after_default() if max_retry_after is None else max_retry_after
        self.retry = retry
        self.session = requests.Session()
        adapter = _WatchedAdapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if bearer_token:
            self.session.headers["Authorization"] = f"Bearer {bearer_token}"
        for k, v in (headers or {}).items():
            self.session.headers[k] = v

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path_or_url: str, *, method: str = "GET") -> str:
        """A path joined to the base URL, or an absolute URL (a next-page link) on the same origin."""
        if path_or_url.startswith(("http://", "https://")) or path_or_url.startswith("//"):
            return self.check_same_origin(urljoin(self.base_url, path_or_url), method=method)
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def check_same_origin(self, url: str, *, method: str = "GET", what: str = "a next-page URL") -> str:
        """``url`` itself when it is on the configured host; else :class:`ApiError` (credentials stay home)."""
        if _origin(url) != _origin(self.base_url):
            endpoint = self._endpoint(url)
            raise ApiError(
                f"{self.source}: {what} points to another host ({_host_label(url)}, not "
                f"{_host_label(self.base_url)}); credentials go only to the configured host, so it is not requested",
                source=self.source, method=method, endpoint=endpoint)
        return url

    def scrub(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    def clean(self, text: str, limit: int = 300) -> str:
        """Foreign text (an API's error message) made safe for logs and errors: no secret, no personal value."""
        return redact(self.scrub(text), limit)

    def _endpoint(self, url: str) -> str:
        return redact(self.scrub(urlsplit(url).path or "/"), 200, international_only=True)

    def pause(self, seconds: float, *, method: str = "GET", endpoint: str = "/") -> None:
        """Sleep between attempts of a connector's own retry loop, never past the run's deadline."""
        remaining = self._run_ends - time.monotonic()
        if seconds >= remaining:
            raise self._run_deadline_error(method, endpoint)
        time.sleep(max(0.0, seconds))

    def _run_deadline_error(self, method: str, endpoint: str) -> ApiError:
        return ApiError(
            f"{self.source}: the run reached its deadline of {self.run_deadline:g} s ({RUN_DEADLINE_ENV}) "
            f"before {method} {endpoint}; it stops here and resumes from the last committed page next time",
            source=self.source, method=method, endpoint=endpoint)

    # -- requests --------------------------------------------------------------------------------
    def _send(self, method: str, url: str, endpoint: str, *, params: Mapping[str, Any] | None,
              json_body: Any) -> requests.Response:
        """One call (urllib3 retries included) under the call's deadline, redirects not followed."""
        now = time.monotonic()
        if now >= self._run_ends:
            raise self._run_deadline_error(method, endpoint)
        run_limited = self._run_ends < now + self.request_deadline
        st = _CallState(min(now + self.request_deadline, self._run_ends))
        _current.call = st
        timer = threading.Timer(max(0.0, st.deadline - now), st.expire)
        timer.daemon = True
        timer.start()
        self.requests += 1

        def overdue() -> ApiError:
            if run_limited:
                return self._run_deadline_error(method, endpoint)
            return ApiError(
                f"{self.source}: {method} {endpoint} did not complete within {self.request_deadline:g} s "
                f"({REQUEST_DEADLINE_ENV}; retries included): the server is too slow or trickles its answer",
                source=self.source, method=method, endpoint=endpoint)

        try:
            resp = self.session.request(method, url, params=params, json=json_body, timeout=self.timeout,
                                        allow_redirects=False)
        except (requests.RequestException, _DeadlinePassed) as exc:
            if st.expired or isinstance(exc, _DeadlinePassed):
                raise overdue() from None
            kind = type(exc).__name__  # retries exhausted on timeouts / connection errors
            raise ApiError(
                f"{self.source}: {method} {endpoint} failed after retries ({kind})",
                source=self.source, method=method, endpoint=endpoint,
            ) from None
        finally:
            timer.cancel()
            _current.call = None
        if st.expired:  # the watchdog cut the body short: what arrived is not the answer
            resp.close()
            raise overdue()
        return resp

    def request(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None, ok_statuses: Iterable[int] = ()) -> requests.Response:
        """One call with retries; raises :class:`ApiError` unless the final status is 2xx or in ``ok_statuses``.

        A redirect to the same origin is followed (at most :data:`MAX_REDIRECTS` hops); a redirect to
        another host raises, and nothing is sent there.
        """
        url = self.url(path_or_url, method=method)
        endpoint = self._endpoint(url)
        started = time.monotonic()
        resp = self._send(method, url, endpoint, params=params, json_body=json_body)
        hops = 0
        while resp.status_code in REDIRECT_STATUSES or 300 <= resp.status_code < 400 and "Location" in resp.headers:
            location = resp.headers.get("Location")
            status = resp.status_code
            resp.close()
            if not location:
                raise ApiError(f"{self.source}: {method} {endpoint} returned HTTP {status} without a Location",
                               source=self.source, method=method, endpoint=endpoint, status=status)
            target = urljoin(url, location)
            if _origin(target) != _origin(self.base_url):
                raise ApiError(
                    f"{self.source}: {method} {endpoint} was redirected (HTTP {status}) to another host "
                    f"({_host_label(target)}); credentials go only to {_host_label(self.base_url)}, so the "
                    "redirect is not followed", source=self.source, method=method, endpoint=endpoint, status=status)
            hops += 1
            if hops > MAX_REDIRECTS:
                raise ApiError(f"{self.source}: {method} {endpoint} redirected more than {MAX_REDIRECTS} times",
                               source=self.source, method=method, endpoint=endpoint, status=status)
            if status in (301, 302, 303) and method != "GET":
                method, json_body = "GET", None
            url, params = target, None
            resp = self._send(method, url, endpoint, params=None, json_body=json_body)
        elapsed = time.monotonic() - started
        self.log.debug("%s %s %s -> %s in %.2fs", self.source, method, endpoint, resp.status_code, elapsed)
        if resp.status_code >= 300 and resp.status_code not in set(ok_statuses):
            detail = self.clean(_error_detail(resp))
            after = " after retries" if resp.status_code in RETRY_STATUSES else ""
            raise ApiError(
                f"{self.source}: {method} {endpoint} returned HTTP {resp.status_code}{after}"
                + (f": {detail}" if detail else ""),
                source=self.source, method=method, endpoint=endpoint, status=resp.status_code, detail=detail,
            )
        return resp

    def json(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
             json_body: Any = None) -> Any:
        resp = self.request(method, path_or_url, params=params, json_body=json_body)
        return self.parse_json(resp, method)

    def parse_json(self, resp: requests.Response, method: str = "GET") -> Any:
        """The body of ``resp`` as JSON, or an :class:`ApiError` saying what came instead."""
        try:
            return resp.json()
        except ValueError:
            endpoint = self._endpoint(resp.url or self.base_url)
            ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip() or "no content type"
            what = "an HTML page" if ctype in ("text/html", "application/xhtml+xml") else "a body that is not JSON"
            raise ApiError(f"{self.source}: {method} {endpoint} returned {what} (HTTP {resp.status_code}, "
                           f"{ctype}) instead of the API's JSON", source=self.source, method=method,
                           endpoint=endpoint, status=resp.status_code) from None

    def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.json("GET", path_or_url, params=params)

    def post_json(self, path_or_url: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self.json("POST", path_or_url, params=params, json_body=body if body is not None else {})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CursorGuard:
    """Stops a paging loop whose server hands back a cursor it already gave.

    ``check(cursor)`` before following a next-page cursor (any JSON-able value: a token, a URL, a
    ``(since, after)`` pair); the second time a value comes, it raises :class:`ApiError` naming the
    request and how many pages were read. The pages before stay committed.
    """

    def __init__(self, api: ApiClient, method: str, path: str, what: str = "cursor"):
        self.api = api
        self.method = method
        self.endpoint = api._endpoint(api.url(path) if not path.startswith(("http://", "https://")) else path)
        self.what = what
        self.pages = 0
        self._seen: set[str] = set()

    def check(self, cursor: Any) -> None:
        self.pages += 1
        if cursor is None or cursor == "":
            return
        key = json.dumps(cursor, sort_keys=True, default=str)
        if key in self._seen:
            raise ApiError(
                f"{self.api.source}: {self.method} {self.endpoint} returned a next-page {self.what} it had already "
                f"returned (after {self.pages} pages): the server is paging in a loop, so the run stops here",
                source=self.api.source, method=self.method, endpoint=self.endpoint)
        self._seen.add(key)


def dumps_compact(value: Any) -> str:
    """JSON for list-valued raw columns (stable key order, no spaces)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
