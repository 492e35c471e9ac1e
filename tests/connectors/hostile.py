"""Hostile API servers for every connector, on pytest-httpserver (real HTTP on 127.0.0.1).

Each :class:`Vendor` knows just enough of one API's contract to get a connector to its paging loop:
the settings that point the connector at a server, the first request it makes, and how a page with a
next-page cursor looks. :class:`Hostile` serves one misbehaviour for every vendor alike:

- ``redirect``: the first request is answered 307 with a ``Location`` on *another* server (a second
  server on 127.0.0.1, another port: another origin) that would answer with valid-looking data;
- ``next_elsewhere``: a page whose next-page URL points at the other server;
- ``repeat``: every page hands back the same cursor (or, for page-numbered APIs, the same records);
- ``endless``: every page hands back a fresh cursor, slowly, forever (only a run deadline ends it);
- ``trickle``: the first answer is a body that trickles one byte every 0.3 s;
- ``html``: the first answer is an HTML page with status 200;
- ``echo_personal``: the first answer is a 400 whose error message echoes an email and a phone number.

``other.requests`` lists what reached the other server: it must stay empty (no credential, no
request sent there).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import planted
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

TOKEN = "hostile-test-token-0123456789"
TRICKLE_SECONDS = 0.3
TRICKLE_LIMIT = 60.0  # a trickle ends by itself after a minute, so no server thread lingers


@dataclass
class Seen:
    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]


class Server:
    """A threaded pytest-httpserver with one catch-all handler and a record of what it received."""

    def __init__(self) -> None:
        self.http = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.requests: list[Seen] = []
        self.handler: Callable[[Request], Response] = lambda r: Response("{}", status=404,
                                                                          content_type="application/json")
        self._lock = threading.Lock()

    def start(self) -> Server:
        self.http.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.http.start()
        return self

    def stop(self) -> None:
        if self.http.is_running():
            self.http.clear()
            self.http.stop()

    @property
    def url(self) -> str:
        return self.http.url_for("/").rstrip("/")

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(Seen(request.method, request.path, dict(request.args), dict(request.headers)))
        return self.handler(request)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class Vendor:
    """One API, as far as the paging loop of its connector goes."""

    name: str
    settings: Callable[[str], dict[str, str]]            # base URL -> the connector's settings
    first: str                                           # regex: path of the first request
    page_path: str                                       # regex: path of page requests (first included)
    cursor_of: Callable[[Request], str | None]           # the cursor a page request carries
    page: Callable[[str, str | None, str], Response]     # (base, cursor of the next page or None, marker) -> page
    page_numbered: bool = False                          # the API pages by number (TikTok): no cursor to repeat
    follows_next_url: bool = True                        # the connector reads a next-page URL (not only a token)
    token_headers: tuple[str, ...] = ("Authorization",)


def _hubspot_page(base: str, nxt: str | None, marker: str) -> Response:
    body: dict[str, Any] = {"results": [{"id": marker, "properties": {"email": planted.EMAILS[0]}}]}
    if nxt is not None:
        body["paging"] = {"next": {"after": nxt, "link": f"{base}/crm/v3/objects/contacts/search?after={nxt}"}}
    return json_response(body)


def _salesforce_page(base: str, nxt: str | None, marker: str) -> Response:
    body: dict[str, Any] = {"totalSize": 10**6, "done": nxt is None, "records": [{"Id": marker}]}
    if nxt is not None:
        body["nextRecordsUrl"] = nxt if nxt.startswith("http") else f"/services/data/v62.0/query/{nxt}"
    return json_response(body)


def _respondio_page(base: str, nxt: str | None, marker: str) -> Response:
    target = nxt if nxt and nxt.startswith("http") else f"{base}/v2/space/user?limit=100&cursorId={nxt}"
    return json_response({"items": [{"id": marker, "firstName": "x"}],
                          "pagination": {"next": target if nxt is not None else None}})


def _meta_page(base: str, nxt: str | None, marker: str) -> Response:
    body: dict[str, Any] = {"data": [{"id": marker}]}
    if nxt is not None:
        link = nxt if nxt.startswith("http") else f"{base}/v21.0/act_1/campaigns?after={nxt}"
        body["paging"] = {"cursors": {"before": "b", "after": nxt if not nxt.startswith("http") else "c"},
                          "next": link}
    return json_response(body)


def _tiktok_page(base: str, nxt: str | None, marker: str) -> Response:
    return json_response({"code": 0, "message": "OK", "request_id": "r",
                          "data": {"list": [{"campaign_id": marker}],
                                   "page_info": {"page": 1, "total_page": 10**6 if nxt is not None else 1}}})


def _shopify_page(base: str, nxt: str | None, marker: str) -> Response:
    headers = {}
    if nxt is not None:
        link = nxt if nxt.startswith("http") else f"{base}/admin/api/2024-10/customers.json?limit=250&page_info={nxt}"
        headers["Link"] = f'<{link}>; rel="next"'
    return json_response({"customers": [{"id": marker}]}, headers=headers)


VENDORS: dict[str, Vendor] = {v.name: v for v in [
    Vendor("hubspot", lambda b: {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_BASE_URL": b},
           r"/crm/v3/objects/contacts/search", r"/crm/v3/objects/contacts/search",
           lambda r: (r.get_json(silent=True) or {}).get("after"), _hubspot_page, follows_next_url=False),
    Vendor("salesforce", lambda b: {"SALESFORCE_INSTANCE_URL": b, "SALESFORCE_ACCESS_TOKEN": TOKEN},
           r"/services/data/v62\.0/queryAll", r"/services/data/v62\.0/(queryAll|query/.*)",
           lambda r: r.path.rsplit("/", 1)[-1] if "/query/" in r.path else None, _salesforce_page),
    Vendor("respondio", lambda b: {"RESPONDIO_API_TOKEN": TOKEN, "RESPONDIO_BASE_URL": f"{b}/v2"},
           r"/v2/space/user", r"/v2/space/user", lambda r: r.args.get("cursorId"), _respondio_page),
    Vendor("meta_ads", lambda b: {"META_ACCESS_TOKEN": TOKEN, "META_AD_ACCOUNT_IDS": "1", "META_BASE_URL": b},
           r"/v21\.0/act_1/campaigns", r"/v21\.0/act_1/campaigns", lambda r: r.args.get("after"), _meta_page,
           token_headers=()),
    Vendor("tiktok_ads", lambda b: {"TIKTOK_ACCESS_TOKEN": TOKEN, "TIKTOK_ADVERTISER_IDS": "7",
                                    "TIKTOK_BASE_URL": f"{b}/open_api/v1.3"},
           r"/open_api/v1\.3/campaign/get/", r"/open_api/v1\.3/campaign/get/", lambda r: r.args.get("page"),
           _tiktok_page, page_numbered=True, follows_next_url=False, token_headers=("Access-Token",)),
    Vendor("shopify", lambda b: {"SHOPIFY_SHOP_URL": b, "SHOPIFY_ACCESS_TOKEN": TOKEN},
           r"/admin/api/2024-10/customers\.json", r"/admin/api/2024-10/customers\.json",
           lambda r: r.args.get("page_info"), _shopify_page, token_headers=("X-Shopify-Access-Token",)),
]}


@dataclass
class Hostile:
    """One vendor's API, misbehaving as ``mode`` says; ``other`` plays another host."""

    vendor: Vendor
    mode: str
    api: Server
    other: Server
    pages_served: int = 0
    started: float = field(default_factory=time.monotonic)

    def install(self) -> None:
        self.api.handler = self._api
        self.other.handler = self._other

    def _other(self, request: Request) -> Response:
        # what a host that is not the API would answer: data that must never be loaded
        return self.vendor.page(self.other.url, None, "999")

    def _trickle(self) -> Iterator[bytes]:
        yield b'{"results": ['
        began = time.monotonic()
        while time.monotonic() - began < TRICKLE_LIMIT:
            time.sleep(TRICKLE_SECONDS)
            yield b" "

    def _api(self, request: Request) -> Response:
        v = self.vendor
        if not re.fullmatch(v.page_path, request.path):
            return json_response({"results": [], "items": [], "data": [], "records": [], "done": True,
                                  "code": 0, "customers": []})
        first = re.fullmatch(v.first, request.path) is not None and v.cursor_of(request) in (None, "1")
        self.pages_served += 1
        n = self.pages_served
        if self.mode == "redirect" and first:
            target = f"{self.other.url}{request.full_path.rstrip('?')}"
            return Response("", status=307, headers={"Location": target})
        if self.mode == "trickle" and first:
            return Response(self._trickle(), status=200, content_type="application/json", direct_passthrough=True)
        if self.mode == "html" and first:
            return Response("<!doctype html><html><body><h1>Service unavailable</h1></body></html>", status=200,
                            content_type="text/html; charset=utf-8")
        if self.mode == "echo_personal" and first:
            message = (f"Property values were not valid: [{{\"isValid\":false,\"message\":\"Email address "
                       f"{planted.EMAILS[0]} is invalid; phone {planted.PHONES[0]} is invalid\","
                       f"\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}}]")
            return json_response({"status": "error", "message": message, "category": "VALIDATION_ERROR",
                                  "error": {"message": message, "type": "OAuthException", "code": 100}},
                                 status=400)
        if self.mode == "next_elsewhere":
            return v.page(self.api.url, f"{self.other.url}/elsewhere?cursor=2", str(n))
        if self.mode == "repeat":
            # the same cursor every time; a page-numbered API ignoring `page` returns the same records
            return v.page(self.api.url, "7", "1" if v.page_numbered else str(n))
        if self.mode == "endless":
            time.sleep(0.2)
            return v.page(self.api.url, str(n + 1), str(n))
        return v.page(self.api.url, None, str(n))

    def token_seen_by_other(self) -> bool:
        for seen in self.other.requests:
            if any(TOKEN in (seen.headers.get(h) or "") for h in (*self.vendor.token_headers, "Authorization")):
                return True
            if TOKEN in json.dumps(seen.args):
                return True
        return False
