"""Malformed and oversized requests: each gets its status and a JSON error naming it.

One table of requests with the exact answer expected, then the properties that
hold for any body at all: the answer is JSON, never a 500, and nothing is half
committed.
"""

from __future__ import annotations

import json

import pytest
from daemon_harness import payload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KIB = 1024
BIG = "x" * (40 * KIB)
OK_EVENT = {"type": "page-view"}


def body_of(value) -> bytes:
    return json.dumps(value).encode()


def chunks(data: bytes, size: int = 64 * KIB):
    """A body without Content-Length: httpx sends it chunked."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def event_size(event: dict) -> int:
    return len(json.dumps(event, separators=(",", ":")).encode())


# (name, method, path, headers, body, status, error)
TABLE = [
    (
        "broken JSON",
        "POST",
        "/track",
        {},
        b'{"source":',
        400,
        "bad JSON at line 1, column 11: Expecting value",
    ),
    (
        "broken JSON on line 3",
        "POST",
        "/track",
        {},
        b'{\n  "a": 1,\n  "b" 2\n}',
        400,
        "bad JSON at line 3, column 7: Expecting ':' delimiter",
    ),
    (
        "not UTF-8",
        "POST",
        "/track",
        {},
        b'{"a": "\xff"}',
        400,
        "the body is not UTF-8: invalid byte at offset 7",
    ),
    ("empty body", "POST", "/track", {}, b"", 400, "the body is empty; expected JSON"),
    (
        "an array",
        "POST",
        "/track",
        {},
        b"[]",
        400,
        'expected a tracker payload: a JSON object with an "events" list, got an array',
    ),
    (
        "an event, not a payload",
        "POST",
        "/track",
        {},
        b'{"type": "x"}',
        400,
        'expected a tracker payload: a JSON object with an "events" list, got an '
        "object without one",
    ),
    (
        "events not a list",
        "POST",
        "/track",
        {},
        b'{"source": {"id": "w"}, "events": {}}',
        400,
        '"events" must be a list, got an object',
    ),
    (
        "no source",
        "POST",
        "/track",
        {},
        body_of({"events": [OK_EVENT]}),
        400,
        'missing "source.id": a tracker payload names its event source',
    ),
    (
        "source id not text",
        "POST",
        "/track",
        {},
        body_of({"source": {"id": []}, "events": [OK_EVENT]}),
        400,
        '"source.id" must be text or a number, got an array',
    ),
    (
        "no events",
        "POST",
        "/track",
        {},
        body_of(payload()),
        400,
        'no event could be accepted: tracker payload with an empty "events" list',
    ),
    (
        "every event bad",
        "POST",
        "/track",
        {},
        body_of(payload({"type": ""}, {"id": {}, "type": "a"})),
        400,
        'no event could be accepted: events[0]: "type" is empty; events[1]: "id" must '
        "be text or a number, got an object",
    ),
    (
        "NaN",
        "POST",
        "/track",
        {},
        b'{"source": {"id": "w"}, "events": [{"type": "a", "n": NaN}]}',
        400,
        "no event could be accepted: events[0]: bad JSON: NaN at n is not a JSON "
        "number",
    ),
    (
        "a number too large",
        "POST",
        "/track",
        {},
        b'{"source": {"id": "w"}, "events": [{"type": "a", "properties": '
        b'{"n": 1e999}}]}',
        400,
        "no event could be accepted: events[0]: number out of range at "
        "properties.n: 1e999",
    ),
    (
        "a lone surrogate",
        "POST",
        "/track",
        {},
        b'{"source": {"id": "w"}, "events": [{"type": "a", "properties": '
        b'{"t": "\\udc00"}}]}',
        400,
        "no event could be accepted: events[0]: text at properties.t is not valid "
        "Unicode: lone surrogate \\udc00",
    ),
    (
        "a webhook number too large",
        "POST",
        "/collect/x/hook",
        {},
        b'{"n": [1, 2e400]}',
        400,
        "no event could be accepted: number out of range at properties.n[1]: 2e400",
    ),
    (
        "nested too deeply",
        "POST",
        "/track",
        {},
        b"[" * 100_000,
        400,
        "bad JSON: nested too deeply",
    ),
    (
        "an event nested past the engine's limit",
        "POST",
        "/track",
        {},
        b'{"source": {"id": "w"}, "events": [{"type": "a", "properties": '
        b'{"x": ' + b"[" * 900 + b"]" * 900 + b"}}]}",
        400,
        "no event could be accepted: events[0]: nested more than 64 levels deep at "
        "properties.x[0][0]…; tracsh takes records up to 64 levels",
    ),
    (
        "101 events",
        "POST",
        "/track",
        {},
        body_of(payload(*[OK_EVENT] * 101)),
        413,
        "101 events in one request; the limit is 100",
    ),
    (
        "body over 512 KiB",
        "POST",
        "/track",
        {},
        b" " * (600 * KIB),
        413,
        "the body is 614,400 bytes; the limit is 524,288 bytes",
    ),
    (
        "chunked body over 512 KiB",
        "POST",
        "/track",
        {},
        chunks(b" " * (600 * KIB)),
        413,
        "the body is over 524,288 bytes; the limit is 524,288 bytes",
    ),
    (
        "one event over 32 KiB",
        "POST",
        "/track",
        {},
        body_of(payload(OK_EVENT, {"type": "a", "properties": {"text": BIG}})),
        413,
        "events[1] is {size} bytes; the limit is 32,768 bytes",
    ),
    (
        "a context that makes every event too large",
        "POST",
        "/track",
        {},
        body_of({**payload(OK_EVENT, OK_EVENT), "context": {"text": BIG}}),
        413,
        "events[0] is {size} bytes; the limit is 32,768 bytes",
    ),
    (
        "Idempotency-Key too long",
        "POST",
        "/track",
        {"Idempotency-Key": "k" * 256},
        body_of(payload(OK_EVENT)),
        400,
        "Idempotency-Key must be 1 to 255 printable characters",
    ),
    ("GET /track", "GET", "/track", {}, None, 405, "method not allowed here"),
    ("no such path", "POST", "/events", {}, b"{}", 404, "no such endpoint"),
    (
        "webhook body an array",
        "POST",
        "/collect/x/hook",
        {},
        b"[1]",
        400,
        "the body must be a JSON object (the event's properties), got an array",
    ),
    (
        "webhook broken JSON",
        "POST",
        "/collect/x/hook",
        {},
        b"{",
        400,
        "bad JSON at line 1, column 2: Expecting property name enclosed in double "
        "quotes",
    ),
    (
        "webhook unknown query",
        "POST",
        "/collect/x/hook?user=1",
        {},
        b"{}",
        400,
        "unknown query parameter 'user' (known: profile, session, id)",
    ),
    (
        "webhook query twice",
        "POST",
        "/collect/x/hook?id=1&id=2",
        {},
        b"{}",
        400,
        "query parameter 'id' is given twice",
    ),
    (
        "webhook empty id",
        "POST",
        "/collect/x/hook?id=",
        {},
        b"{}",
        400,
        'no event could be accepted: "id" is empty',
    ),
    (
        "webhook blank type",
        "POST",
        "/collect/%20/hook",
        {},
        b"{}",
        400,
        'no event could be accepted: "type" is empty',
    ),
    (
        "webhook over 32 KiB",
        "POST",
        "/collect/x/hook",
        {},
        body_of({"text": BIG}),
        413,
        "the body is 40,972 bytes; the limit is 32,768 bytes",
    ),
    (
        "webhook bad form",
        "POST",
        "/collect/x/hook",
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"a=1&&=",
        400,
        "bad form body: bad query field: ''",
    ),
]


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory):
    from daemon_harness import InProcessDaemon

    running = InProcessDaemon(tmp_path_factory.mktemp("refusals"), "").start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    "name, method, path, headers, body, status, error", TABLE, ids=[r[0] for r in TABLE]
)
def test_refusals(shared_daemon, name, method, path, headers, body, status, error):
    response = shared_daemon.client.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["status"] == status
    if "{size}" in error:
        prefix, suffix = error.split("{size}")
        assert answer["error"].startswith(prefix) and answer["error"].endswith(suffix)
        size = int(answer["error"][len(prefix) : -len(suffix)].replace(",", ""))
        assert 32 * KIB < size <= len(BIG) + KIB
    else:
        assert answer["error"] == error
    assert response.headers["x-request-id"]


def test_events_refused_for_their_content_are_recorded_as_rejects(daemon):
    running = daemon("")
    running.track(payload({"type": ""}, {"type": "a", "properties": []}))
    running.client.post("/collect/%20/hook", content=b"{}")
    running.client.post("/track", content=b"{broken")  # no source known: log only
    with running.store() as store:
        rows = [(r["source"], r["reason"]) for r in store.rejects()]
        assert store.count_events() == 0
    assert rows == [
        ("POST /track", 'events[0]: "type" is empty'),
        ("POST /track", 'events[1]: "properties" must be an object, got an array'),
        ("POST /collect", '"type" is empty'),
    ]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "events", "source", "id", "profile", "time"])
            | st.text(max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@st.composite
def bodies(draw) -> bytes:
    """Bytes, JSON values, and payload-shaped objects with odd parts."""
    kind = draw(st.sampled_from(["bytes", "json", "payload"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    value = draw(JSON_VALUES)
    if kind == "payload":
        events = draw(st.lists(JSON_VALUES | st.just(OK_EVENT), max_size=4))
        value = {"source": draw(JSON_VALUES | st.just({"id": "w"})), "events": events}
    return json.dumps(value).encode()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=bodies(), path=st.sampled_from(["/track", "/collect/t/s"]))
def test_no_body_gets_a_500_and_every_answer_is_json(shared_daemon, body, path):
    response = shared_daemon.client.post(path, content=body)
    assert response.status_code in (200, 400, 401, 413, 422), response.text
    answer = response.json()
    if response.status_code != 200:
        assert answer["status"] == response.status_code and answer["error"]
