"""ingestion.connectors.http against a real local server: Retry-After, 5xx, 4xx errors, no token leaks."""

from __future__ import annotations

import time

import pytest

from ingestion.connectors.http import ApiClient, ApiError

from .servers.common import ApiServer, Reply, bearer

TOKEN = "sekret-token-123456"


@pytest.fixture
def server():
    srv = ApiServer(auth=bearer(TOKEN))
    srv.add_route("GET", r"/v1/items", lambda req: {"items": [1, 2, 3], "page": req.arg("page")})
    srv.add_route("POST", r"/v1/search", lambda req: {"echo": req.json})
    srv.add_route("GET", r"/v1/bad", lambda req: Reply(400, [{"message": "MALFORMED_QUERY: unexpected token",
                                                              "errorCode": "MALFORMED_QUERY"}]))
    srv.add_route("GET", r"/v1/gone", lambda req: Reply(404, {"status": "error", "message": "Not found",
                                                             "category": "OBJECT_NOT_FOUND"}))
    with srv:
        yield srv


def client(srv, **kw):
    kw.setdefault("backoff_factor", 0.01)
    return ApiClient("testapi", srv.url, bearer_token=TOKEN, **kw)


def test_retry_after_is_honoured(server):
    server.fault(nth=1, path=r"/v1/items", status=429, headers={"Retry-After": "1"})
    with client(server) as api:
        t0 = time.monotonic()
        body = api.get_json("/v1/items", params={"page": "2"})
        waited = time.monotonic() - t0
    assert body == {"items": [1, 2, 3], "page": "2"}
    assert waited >= 1.0, f"retried after {waited:.2f}s, Retry-After said 1 s"
    assert [s for _m, p, _q, s in server.log if p == "/v1/items"] == [429, 200]


def test_decimal_retry_after_is_honoured(server):
    # Shopify sends "Retry-After: 2.0"; urllib3 alone only parses whole seconds
    server.fault(nth=1, path=r"/v1/items", status=429, headers={"Retry-After": "1.5"})
    with client(server) as api:
        t0 = time.monotonic()
        api.get_json("/v1/items")
        assert time.monotonic() - t0 >= 1.5


def test_retry_after_is_capped(server):
    server.fault(nth=1, path=r"/v1/items", status=429, headers={"Retry-After": "3600"})
    with client(server, max_retry_after=0.2) as api:
        t0 = time.monotonic()
        assert api.get_json("/v1/items")["items"] == [1, 2, 3]
        assert time.monotonic() - t0 < 5


def test_transient_5xx_retried_also_for_post(server):
    server.fault(nth=1, path=r"/v1/search", status=500)
    server.fault(nth=2, path=r"/v1/search", status=503)
    with client(server) as api:
        assert api.post_json("/v1/search", {"q": "x"}) == {"echo": {"q": "x"}}
    assert [s for _m, p, _q, s in server.log if p == "/v1/search"] == [500, 503, 200]


def test_5xx_for_good_raises_after_retries(server):
    server.fault(path=r"/v1/items", status=502, times=None)
    with client(server, retries=2) as api, pytest.raises(ApiError) as info:
        api.get_json("/v1/items")
    assert info.value.status == 502
    assert "GET /v1/items" in str(info.value) and "after retries" in str(info.value)
    assert server.hits(r"/v1/items") == 3  # first try + 2 retries


def test_4xx_raises_naming_endpoint_and_api_message_without_token(server):
    with client(server) as api:
        with pytest.raises(ApiError) as info:
            api.get_json("/v1/bad", params={"q": "select Email from Lead where Email = 'a@b.c'"})
        msg = str(info.value)
        assert "GET /v1/bad" in msg and "HTTP 400" in msg and "MALFORMED_QUERY" in msg
        assert "a@b.c" not in msg  # the query string is never part of the error
        with pytest.raises(ApiError) as info2:
            api.get_json("/v1/gone")
        assert "OBJECT_NOT_FOUND" in str(info2.value) and info2.value.status == 404
    assert server.hits(r"/v1/bad") == 1  # 4xx is not retried
    for err in (info.value, info2.value):
        assert TOKEN not in str(err) and TOKEN not in repr(err.args)


def test_401_without_token_in_message(server):
    api = ApiClient("testapi", server.url, bearer_token="wrong-token-value")
    with pytest.raises(ApiError) as info:
        api.get_json("/v1/items")
    assert info.value.status == 401 and "GET /v1/items" in str(info.value)
    assert "wrong-token-value" not in str(info.value)


def test_token_echoed_by_server_is_scrubbed(server):
    server.add_route("GET", r"/v1/echo", lambda req: Reply(403, {"message": f"token {req.headers['Authorization']} denied"}))
    with client(server) as api, pytest.raises(ApiError) as info:
        api.get_json("/v1/echo")
    assert TOKEN not in str(info.value) and "***" in str(info.value)


def test_read_timeout_is_retried(server):
    server.fault(nth=1, path=r"/v1/items", sleep=1.5)
    with client(server, timeout=(2, 0.5)) as api:
        assert api.get_json("/v1/items")["items"] == [1, 2, 3]
    assert server.requests_seen >= 2


def test_connection_refused_raises_api_error():
    api = ApiClient("testapi", "http://127.0.0.1:9", bearer_token=TOKEN, retries=1, backoff_factor=0.01)
    with pytest.raises(ApiError) as info:
        api.get_json("/v1/items")
    assert "GET /v1/items failed after retries" in str(info.value) and TOKEN not in str(info.value)
