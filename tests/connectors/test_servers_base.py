"""The fake-API base (servers/common.py) on its own: routes, auth, faults, the log, slow bodies, redirects.

The client is plain ``requests``, so a failure here points at the base, not at a connector.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from .servers.common import ApiServer, Reply, bearer, header_token, query_token, redirect, trickle

TOKEN = "base-test-token-1234"
VENDOR_401 = {"status": "error", "message": "Authentication credentials not found.",
              "category": "INVALID_AUTHENTICATION"}


@pytest.fixture
def srv():
    s = ApiServer(auth=bearer(TOKEN), unauthorized=Reply(401, VENDOR_401))

    @s.route("GET", r"/v1/things/(\d+)")
    def thing(req):
        return {"id": int(req.groups[0]), "page": req.arg("page")}

    s.route("POST", r"/v1/(?P<kind>\w+)/batch",
            lambda req: Reply(207, {"kind": req.params["kind"], "n": len(req.json["inputs"])}))
    with s:
        yield s


def get(s: ApiServer, path: str, token: str | None = TOKEN, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kw.setdefault("timeout", 10)
    return requests.get(s.url + path, headers=headers, **kw)


def test_routes_match_method_and_the_whole_path_and_hand_over_groups(srv):
    assert get(srv, "/v1/things/42?page=2").json() == {"id": 42, "page": "2"}
    r = requests.post(srv.url + "/v1/contacts/batch", json={"inputs": [1, 2, 3]},
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert (r.status_code, r.json()) == (207, {"kind": "contacts", "n": 3})
    for method, path in (("GET", "/v1/things/42/more"), ("GET", "/x/v1/things/42"), ("DELETE", "/v1/things/42")):
        r = requests.request(method, srv.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert (r.status_code, r.json()) == (404, {"message": f"no route for {method} {path}"})


def test_auth_predicates_answer_the_vendor_shaped_401_before_faults_count(srv):
    fault = srv.fault(nth=1, status=503)
    r = get(srv, "/v1/things/1", token="wrong")
    assert (r.status_code, r.json()) == (401, VENDOR_401)
    assert get(srv, "/v1/things/1", token=None).status_code == 401
    assert get(srv, "/v1/things/1").status_code == 503  # the 1st *authorised* request
    assert get(srv, "/v1/things/1").status_code == 200
    assert (fault.seen, fault.fired) == (2, 1)
    assert [s for *_, s in srv.log] == [401, 401, 503, 200]

    header = ApiServer(auth=header_token("Access-Token", "tt"))
    query = ApiServer(auth=query_token("access_token", "meta"))
    for s in (header, query):
        s.route("GET", r"/ok", lambda req: {"ok": True})
    with header, query:
        assert requests.get(header.url + "/ok", headers={"Access-Token": "tt"}, timeout=10).json() == {"ok": True}
        assert requests.get(header.url + "/ok", headers={"Access-Token": "no"}, timeout=10).status_code == 401
        assert requests.get(query.url + "/ok", params={"access_token": "meta"}, timeout=10).json() == {"ok": True}
        assert requests.get(query.url + "/ok", params={"access_token": "x"}, timeout=10).status_code == 401


def test_faults_fire_on_the_nth_match_within_their_times_first_added_wins(srv):
    throttle = srv.fault(nth=2, path=r"/v1/things/\d+", status=429, headers={"Retry-After": "7"},
                         body={"status": "error", "policyName": "SECONDLY"})
    broken = srv.fault(method="GET", when=lambda r: r.arg("page") == "9", status=500, times=2)
    other_path = srv.fault(nth=1, path=r"/v1/elsewhere", status=502)
    assert get(srv, "/v1/things/1").status_code == 200
    r = get(srv, "/v1/things/1")
    assert (r.status_code, r.headers["Retry-After"], r.json()) == (429, "7", {"status": "error", "policyName": "SECONDLY"})
    assert [get(srv, "/v1/things/1?page=9").status_code for _ in range(3)] == [500, 500, 200]
    assert (throttle.fired, broken.seen, broken.fired, other_path.seen) == (1, 3, 2, 0)
    assert get(srv, "/v1/things/1?page=9").json() == {"id": 1, "page": "9"}  # times=2 is spent

    # two faults firing on one request: the sleeps add up, the first one added answers
    srv.fault(nth=1, path=r"/v1/things/5", sleep=0.3, status=503, body="busy")
    srv.fault(nth=1, path=r"/v1/things/5", sleep=0.3, status=500)
    t0 = time.monotonic()
    r = get(srv, "/v1/things/5")
    assert time.monotonic() - t0 >= 0.6
    assert (r.status_code, r.text, r.headers["Content-Type"].split(";")[0]) == (503, "busy", "text/plain")
    assert get(srv, "/v1/things/5").status_code == 200

    # a fault may answer with any handler result, e.g. a body other than its status shape
    srv.fault(nth=1, path=r"/v1/things/6", respond=lambda req: Reply(200, {"code": 40100, "path": req.path}))
    assert get(srv, "/v1/things/6").json() == {"code": 40100, "path": "/v1/things/6"}


def test_a_held_or_sleeping_request_blocks_no_other_and_stop_releases_it(srv):
    gate = threading.Event()
    held = srv.fault(nth=1, path=r"/v1/things/1", hold=gate)
    answers: list[int] = []
    waiting = threading.Thread(target=lambda: answers.append(get(srv, "/v1/things/1").status_code))
    waiting.start()
    assert _eventually(lambda: held.fired)
    assert get(srv, "/v1/things/2").status_code == 200  # answered while the first is held
    assert srv.requests_seen == 2 and srv.hits() == 1  # counted on arrival, logged once answered
    gate.set()
    waiting.join(10)
    assert answers == [200]

    srv.fault(nth=1, path=r"/v1/things/3", sleep=30)
    sleeper = threading.Thread(target=lambda: answers.append(get(srv, "/v1/things/3").status_code))
    sleeper.start()
    assert _eventually(lambda: srv.requests_seen == 3)
    t0 = time.monotonic()
    srv.stop()
    sleeper.join(10)
    assert time.monotonic() - t0 < 5 and not sleeper.is_alive()  # the 30 s sleep ended with the server


def test_the_log_holds_method_path_query_status_and_what_was_sent(srv):
    get(srv, "/v1/things/7?page=2&tag=a&tag=b&empty=")
    requests.post(srv.url + "/v1/deals/batch", json={"inputs": [{"id": "d1"}]},
                  headers={"Authorization": f"Bearer {TOKEN}", "X-Trace": "t-1"}, timeout=10)
    get(srv, "/v1/things/7", token="bad")
    assert srv.log == [
        ("GET", "/v1/things/7", {"page": ["2"], "tag": ["a", "b"], "empty": [""]}, 200),
        ("POST", "/v1/deals/batch", {}, 207),
        ("GET", "/v1/things/7", {}, 401),
    ]
    method, path, query, status = srv.log[0]
    assert (method, path, status) == ("GET", "/v1/things/7", 200) and query["tag"] == ["a", "b"]
    [post] = srv.calls(r"/v1/\w+/batch", method="post")
    assert post.json == {"inputs": [{"id": "d1"}]} and post.headers["x-trace"] == "t-1"
    assert srv.hits(r"/v1/things/\d+") == 2 and srv.hits(status=401) == 1 and srv.hits(r"/v1/nothing") == 0


def test_a_handler_error_answers_500_and_fails_the_test_when_the_server_stops():
    s = ApiServer()
    s.route("GET", r"/boom", lambda req: {}["missing"])
    with pytest.raises(KeyError, match="missing"), s:
        r = requests.get(s.url + "/boom", timeout=10)
        assert r.status_code == 500 and "KeyError" in r.json()["message"]


def test_a_streamed_body_trickles_past_a_read_timeout_and_ends_when_the_server_stops(srv):
    srv.route("GET", r"/v1/slow", lambda req: trickle({"a": 1}, every=0.4))
    t0 = time.monotonic()
    r = get(srv, "/v1/slow", stream=True, timeout=(5, 1.0))
    arrivals = []
    for piece in r.iter_content(chunk_size=1):
        arrivals.append((time.monotonic() - t0, piece))
    assert b"".join(p for _, p in arrivals) == b'{"a": 1}' and r.headers["Content-Length"] == "8"
    assert r.headers["Content-Type"] == "application/json"
    gaps = [b[0] - a[0] for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= 0.3 and arrivals[-1][0] >= 2.8  # one byte per 0.4 s, well past the 1 s read timeout

    srv.route("GET", r"/v1/endless", lambda req: trickle(b"x" * 1000, every=0.5))
    got: list[bytes] = []

    def read() -> None:
        try:
            for piece in get(srv, "/v1/endless", stream=True).iter_content(chunk_size=1):
                got.append(piece)
        except requests.RequestException:
            pass  # the body ended short of its Content-Length

    reader = threading.Thread(target=read)
    reader.start()
    assert _eventually(lambda: got)
    t0 = time.monotonic()
    srv.stop()
    reader.join(10)
    assert not reader.is_alive() and time.monotonic() - t0 < 5 and len(got) < 1000


def test_a_redirect_to_another_host_reaches_the_second_server(srv):
    other = ApiServer()  # "another host": a second server on 127.0.0.1
    other.route("GET", r"/landing", lambda req: {"landed": True})
    with other:
        srv.route("GET", r"/v1/moved", lambda req: redirect(other.url + "/landing?from=srv"))
        r = get(srv, "/v1/moved")
    assert r.json() == {"landed": True} and [h.status_code for h in r.history] == [302]
    assert srv.log[-1][1:] == ("/v1/moved", {}, 302)
    [landed] = other.log
    assert landed[:2] == ("GET", "/landing") and landed.query == {"from": ["srv"]}
    assert "Authorization" not in landed.headers  # requests drops it on a change of host


def test_the_librarys_own_handlers_sit_behind_auth_and_faults(srv):
    srv.httpserver.expect_oneshot_request("/v1/once", method="GET").respond_with_json({"once": True})
    assert get(srv, "/v1/once", token="bad").status_code == 401
    srv.fault(nth=1, path="/v1/once", status=503)
    assert get(srv, "/v1/once").status_code == 503
    assert get(srv, "/v1/once").json() == {"once": True}
    assert get(srv, "/v1/once").status_code == 404


def _eventually(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
