"""One keep-alive HTTP session per destination: timeouts, a rate limiter, retries that honour Retry-After.

- One :class:`requests.Session` per :class:`HttpClient` (one client per destination per run): the TCP
  and TLS connections are reused across batches, never one connection (or TLS context) per batch.
  The connection pool is sized to the sync's concurrency.
- :class:`RateLimiter`: a token bucket shared by the sync's concurrent senders; a 429 pauses every
  sender until its ``Retry-After`` has passed (capped by ``max_retry_after``).
- Retries: 429, 5xx, connection errors and timeouts, with exponential backoff and jitter, or the
  server's ``Retry-After``; a destination may also declare a 200 response transient (TikTok answers
  rate limiting with HTTP 200 and ``code: 40100``). Other 4xx answers are returned, not retried: the
  destination decides whether they reject one record, the whole batch, or the run.
- Nothing personal or secret is logged: method, path (never the query, which may carry a token),
  status and timing only. Secret values are scrubbed from every error message.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger("activation.http")
USER_AGENT = "lifecycle-platform-activation/0.1"
DEFAULT_MAX_RETRY_AFTER = 120.0


class DestinationError(RuntimeError):
    """The destination failed the run (auth, configuration, or still unavailable after every retry)."""


@dataclass(frozen=True)
class Request:
    """One HTTP request exactly as sent (and as a dry run writes it to the outbox).

    ``path`` holds the path and any query that is not secret; credentials are added by the client
    (headers or query) and never appear here. ``keys`` are the record keys the request carries.
    """

    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    keys: tuple[str, ...] = ()
    phase: str = "send"

    def outbox_line(self) -> dict[str, Any]:
        line: dict[str, Any] = {"phase": self.phase, "method": self.method, "path": self.path,
                                "headers": dict(self.headers), "content_type": self.content_type,
                                "records": len(self.keys)}
        try:
            line["body"] = None if self.body is None else self.body.decode("utf-8")
        except UnicodeDecodeError:  # binary (a Parquet file): base64, still exact
            import base64

            line["body_base64"] = base64.b64encode(self.body).decode("ascii")
        return line


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    attempts: int = 1

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def text(self, limit: int = 300) -> str:
        return " ".join(self.body.decode("utf-8", "replace").split())[:limit]


class RateLimiter:
    """Token bucket: at most ``requests`` per ``per_seconds``, shared by threads; 429 pauses everyone."""

    def __init__(self, requests_: int | None, per_seconds: float | None, sleep: Callable[[float], None] = time.sleep):
        self.capacity = float(requests_) if requests_ else None
        self.rate = (requests_ / per_seconds) if requests_ and per_seconds else None
        self.tokens = self.capacity or 0.0
        self.updated = time.monotonic()
        self.not_before = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def acquire(self) -> float:
        """Wait for a token; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                pause = self.not_before - now
                if pause <= 0 and self.rate is None:
                    return waited
                if pause <= 0:
                    self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                    self.updated = now
                    if self.tokens >= 1:
                        self.tokens -= 1
                        return waited
                    pause = (1 - self.tokens) / self.rate
            self._sleep(pause)
            waited += pause

    def pause_until(self, seconds_from_now: float) -> None:
        with self._lock:
            self.not_before = max(self.not_before, time.monotonic() + seconds_from_now)


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **kw: float) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)


def parse_retry_after(value: str | None, cap: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


class HttpClient:
    """The destination's session. ``send`` returns the final response or raises :class:`DestinationError`."""

    def __init__(self, destination: str, base_url: str, *, auth_headers: Mapping[str, str] | None = None,
                 auth_query: Mapping[str, str] | None = None, secrets: Sequence[str] = (),
                 timeout: float = 60.0, connect_timeout: float = 10.0, max_retries: int = 5,
                 backoff: float = 0.5, max_backoff: float = 30.0, max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
                 limiter: RateLimiter | None = None, pool_size: int = 4,
                 transient: Callable[[Response], float | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.destination = destination
        self.base_url = base_url.rstrip("/")
        self.auth_headers = dict(auth_headers or {})
        self.auth_query = dict(auth_query or {})
        self.secrets = [s for s in secrets if s]
        self.timeout = (connect_timeout, timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.limiter = limiter or RateLimiter(None, None)
        self.transient = transient
        self.sleep = sleep
        self.stats = HttpStats()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def _where(self, req: Request) -> str:
        return f"{self.destination} {req.method} {req.path.split('?')[0]}"

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)

    def send(self, req: Request) -> Response:
        url = self.base_url + req.path
        headers = dict(req.headers)
        if req.content_type:
            headers["Content-Type"] = req.content_type
        headers.update(self.auth_headers)
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            waited = self.limiter.acquire()
            if waited:
                self.stats.add(waited_seconds=waited)
            started = time.monotonic()
            self.stats.add(requests=1)
            try:
                raw = self.session.request(req.method, url, data=req.body, headers=headers,
                                           params=self.auth_query or None, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}"
                log.debug("%s: %s (attempt %d)", self._where(req), last_problem, attempt + 1)
                if attempt < self.max_retries:
                    self.stats.add(retries=1)
                    self.sleep(self._backoff(attempt))
                continue
            resp = Response(raw.status_code, raw.headers, raw.content, attempt + 1)
            log.debug("%s -> %d in %.3fs", self._where(req), resp.status, time.monotonic() - started)
            wait: float | None = None
            if resp.status == 429 or resp.status >= 500:
                wait = parse_retry_after(resp.headers.get("Retry-After"), self.max_retry_after)
                if wait is None:
                    wait = self._backoff(attempt)
                if resp.status == 429:
                    self.stats.add(rate_limited=1)
                    self.limiter.pause_until(wait)
                last_problem = f"HTTP {resp.status}: {self.scrub(resp.text())}"
            elif self.transient is not None:
                extra = self.transient(resp)
                if extra is not None:
                    wait = extra if extra > 0 else self._backoff(attempt)
                    self.stats.add(rate_limited=1)
                    self.limiter.pause_until(wait)
                    last_problem = f"HTTP {resp.status} (transient): {self.scrub(resp.text())}"
            if wait is None:
                return resp
            if attempt < self.max_retries:
                self.stats.add(retries=1)
                self.sleep(wait)
        raise DestinationError(f"{self._where(req)} failed after {self.max_retries + 1} attempts: {last_problem}")
