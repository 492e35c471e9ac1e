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
- urllib3 ``Retry``: ``total`` attempts, exponential backoff, ``status_forcelist`` 429/500/502/503/504,
  ``Retry-After`` respected (capped by ``max_retry_after`` so a misbehaving server cannot park a run
  for an hour, and tests stay fast; env ``LIFECYCLE_HTTP_MAX_RETRY_AFTER``), POST included in
  ``allowed_methods``, read timeouts and connection errors retried.
- Any final 4xx/5xx raises :class:`ApiError` naming the source, method, endpoint path (no query
  string: queries can hold tokens, SOQL filters or emails) and status, plus the API's own error
  message when it gives one (HubSpot ``message``/``category``, Salesforce ``[{errorCode, message}]``,
  respond.io ``message``). Secrets registered with the client are scrubbed from every error text.
- Nothing is logged but method, path, status and timing (debug level).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT = (10.0, 60.0)
DEFAULT_MAX_RETRY_AFTER = 120.0
MAX_RETRY_AFTER_ENV = "LIFECYCLE_HTTP_MAX_RETRY_AFTER"
USER_AGENT = "lifecycle-platform/0.1"

_log = logging.getLogger("ingestion.connectors.http")


class ApiError(RuntimeError):
    """A request failed for good (4xx, or 5xx/429/timeouts after all retries).

    ``str(err)`` names source, method, endpoint path and status; never the token or the query.
    """

    def __init__(self, message: str, *, source: str, method: str, endpoint: str,
                 status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.source = source
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.detail = detail


class CappedRetry(Retry):
    """urllib3 Retry whose ``Retry-After`` wait is capped at ``max_retry_after`` seconds."""

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


def _max_retry_after_default() -> float:
    raw = os.environ.get(MAX_RETRY_AFTER_ENV)
    try:
        return float(raw) if raw else DEFAULT_MAX_RETRY_AFTER
    except ValueError:
        return DEFAULT_MAX_RETRY_AFTER


def _error_detail(resp: requests.Response) -> str:
    """The API's own error message, short; understands the shapes of the APIs we call."""
    text = resp.text or ""
    try:
        body = resp.json()
    except ValueError:
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
    """A session bound to one API: base URL, auth headers, timeouts, retries, clear errors.

    ``secrets`` are strings scrubbed from any error text (the token is added automatically when
    passed as ``bearer_token``). ``requests`` counts HTTP calls made (retries included).
    """

    def __init__(self, source: str, base_url: str, *, bearer_token: str | None = None,
                 headers: Mapping[str, str] | None = None, secrets: Iterable[str] = (),
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = 6,
                 backoff_factor: float = 0.5, backoff_max: float = 60.0,
                 max_retry_after: float | None = None, log: logging.Logger | None = None):
        self.source = source
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.log = log or _log
        self.requests = 0
        self._secrets = [s for s in (*secrets, bearer_token or "") if s and len(s) >= 4]
        retry = CappedRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            backoff_factor=backoff_factor, backoff_max=backoff_max,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}),
            respect_retry_after_header=True, raise_on_status=False, raise_on_redirect=True,
        )
        retry.max_retry_after = _max_retry_after_default() if max_retry_after is None else max_retry_after
        self.retry = retry
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if bearer_token:
            self.session.headers["Authorization"] = f"Bearer {bearer_token}"
        for k, v in (headers or {}).items():
            self.session.headers[k] = v

    # -- helpers ---------------------------------------------------------------------------------
    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return urljoin(self.base_url, path_or_url.lstrip("/"))

    def scrub(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    def _endpoint(self, url: str) -> str:
        return self.scrub(urlsplit(url).path or "/")

    # -- requests --------------------------------------------------------------------------------
    def request(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None, ok_statuses: Iterable[int] = ()) -> requests.Response:
        """One call with retries; raises :class:`ApiError` unless the final status is 2xx/3xx or in ``ok_statuses``."""
        url = self.url(path_or_url)
        endpoint = self._endpoint(url)
        started = time.monotonic()
        self.requests += 1
        try:
            resp = self.session.request(method, url, params=params, json=json_body, timeout=self.timeout)
        except requests.RequestException as exc:  # retries exhausted on timeouts / connection errors
            kind = type(exc).__name__
            raise ApiError(
                f"{self.source}: {method} {endpoint} failed after retries ({kind})",
                source=self.source, method=method, endpoint=endpoint,
            ) from None
        elapsed = time.monotonic() - started
        self.log.debug("%s %s %s -> %s in %.2fs", self.source, method, endpoint, resp.status_code, elapsed)
        if resp.status_code >= 400 and resp.status_code not in set(ok_statuses):
            detail = self.scrub(_error_detail(resp))
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
        try:
            return resp.json()
        except ValueError:
            endpoint = self._endpoint(resp.url or self.url(path_or_url))
            raise ApiError(f"{self.source}: {method} {endpoint} returned a body that is not JSON",
                           source=self.source, method=method, endpoint=endpoint, status=resp.status_code) from None

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


def dumps_compact(value: Any) -> str:
    """JSON for list-valued raw columns (stable key order, no spaces)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
