"""Text from the path, query and headers is read as strictly as text in a body.

Bad UTF-8 is a 400 naming the field (never U+FFFD, which would merge different
bad ids into one), ids follow the one id rule whichever way they come, and a
reference that is not valid is never taken for "none given".
"""

from __future__ import annotations

import json

import pytest
from daemon_harness import InProcessDaemon, payload

from tracsh.config import SourceConfig

EVENT = {"type": "page-view"}
CONTROL = "holds U+0000, a control character, which ids cannot hold"


def body(**fields) -> bytes:
    return json.dumps({"source": {"id": "web"}, "events": [EVENT], **fields}).encode()


# (name, path, headers, body, error)
REFUSED = [
    (
        "a surrogate in a query id",
        "/collect/a/b?id=%ED%A0%80",
        {},
        b"{}",
        "query parameter 'id' is not UTF-8: byte 0xed at offset 0 cannot be read",
    ),
    (
        "a bad byte in a query profile",
        "/collect/a/b?profile=ann%FF",
        {},
        b"{}",
        "query parameter 'profile' is not UTF-8: byte 0xff at offset 3 cannot be read",
    ),
    (
        "a bad query name",
        "/collect/a/b?%FF=1",
        {},
        b"{}",
        "a query parameter name is not UTF-8: byte 0xff at offset 0 cannot be read",
    ),
    (
        "NUL in a query id",
        "/collect/a/b?id=%00",
        {},
        b"{}",
        f"query parameter 'id' {CONTROL}",
    ),
    (
        "a line break in a query session",
        "/collect/a/b?session=s%0A1",
        {},
        b"{}",
        "query parameter 'session' holds U+000A, a control character, which ids "
        "cannot hold",
    ),
    (
        "a bad byte in the event type",
        "/collect/%FF/b",
        {},
        b"{}",
        "the event type in the path is not UTF-8: byte 0xff at offset 0 cannot be read",
    ),
    (
        "a bad byte in the source",
        "/collect/a/%C3",
        {},
        b"{}",
        "the source id in the path is not UTF-8: byte 0xc3 at offset 0 cannot be read",
    ),
    (
        "NUL in the source",
        "/collect/a/b%00",
        {},
        b"{}",
        f"the source id in the path {CONTROL}",
    ),
    (
        "an Idempotency-Key of raw bytes",
        "/track",
        {"Idempotency-Key": b"\xc3\xa9\xff"},
        body(),
        "the Idempotency-Key header is not UTF-8: byte 0xff at offset 2 cannot be read",
    ),
    (
        "NUL in a JSON profile id",
        "/track",
        {},
        body(profile={"id": "a\u0000b"}),
        f'no event could be accepted: events[0]: "profile.id" {CONTROL}',
    ),
    (
        "a session id that is true",
        "/track",
        {},
        body(session={"id": True}),
        'no event could be accepted: events[0]: "session.id" must be text or a number, '
        "got true",
    ),
    (
        "a session that is a list",
        "/track",
        {},
        body(session=[]),
        "no event could be accepted: events[0]: "
        '"session" must be an id or {"id": …}, got an array',
    ),
    (
        "a profile without its id",
        "/track",
        {},
        body(profile={"Id": "p1"}),
        'no event could be accepted: events[0]: "profile" has no "id" (its keys: "Id")',
    ),
    (
        "a source that is true",
        "/track",
        {},
        json.dumps({"source": True, "events": [EVENT]}).encode(),
        '"source" must be an id or {"id": …}, got true',
    ),
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    running = InProcessDaemon(tmp_path_factory.mktemp("texts"), "").start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    "name, path, headers, data, error", REFUSED, ids=[row[0] for row in REFUSED]
)
def test_bad_text_is_refused_naming_the_field(shared, name, path, headers, data, error):
    with shared.store() as store:
        before = (store.count_events(), len(list(store.iter_profiles())))
    response = shared.client.post(path, headers=headers, content=data)
    assert (response.status_code, response.json()["error"]) == (400, error)
    with shared.store() as store:
        after = (store.count_events(), len(list(store.iter_profiles())))
    assert after == before, "a refused request made an event or a profile"


def test_utf8_in_the_path_query_and_key_is_kept_exactly(shared):
    url = "/collect/caf%C3%A9/m%C3%BCnchen?profile=%C3%A9ve+l%C3%A9a&id=%E2%82%AC1"
    response = shared.client.post(url, content=b"{}")
    assert response.status_code == 200, response.text
    assert response.json()["profile"]["id"] == "éve léa"
    keyed = [
        shared.client.post(
            "/track", headers={"Idempotency-Key": "clé".encode()}, content=body()
        )
        for _ in range(2)
    ]
    assert keyed[0].json()["events"] == keyed[1].json()["events"]
    with shared.store() as store:
        [event] = [e for e in store.iter_events() if e["id"] == "€1"]
    assert (event["type"], event["source"]["id"]) == ("café", "münchen")


def test_a_source_token_may_hold_any_utf8(tmp_path, monkeypatch):
    token = "pässwörd-ß"
    monkeypatch.setenv("TRACSH_TEST_INTL_TOKEN", token)
    sources = {"intl": SourceConfig("intl", token_env="TRACSH_TEST_INTL_TOKEN")}
    running = InProcessDaemon(tmp_path, "", sources=sources).start()
    try:
        right = {"Authorization": b"Bearer " + token.encode()}
        wrong = {"Authorization": b"Bearer " + token.encode("latin-1")}
        sent = [
            running.client.post("/track", json=payload(EVENT, source="intl"), headers=h)
            for h in (right, wrong)
        ]
    finally:
        running.stop()
    assert [r.status_code for r in sent] == [200, 401]
