"""One record to events: objects in, normalized events or exact reject reasons out."""

import uuid

import pytest

from tracsh.inputs import (
    Accepted,
    InputError,
    Rejected,
    expand_record,
    normalize_event,
    stable_id,
)
from tracsh.inputs.events import NAMESPACE
from tracsh.store.documents import encode_doc

RECEIVED = "2024-05-01T12:00:00+00:00"


def normalized(obj, **options):
    return normalize_event(obj, received=RECEIVED, seed="seed", **options)


def test_the_whole_shape():
    event = normalized(
        {
            "id": "e1",
            "type": "purchase",
            "time": "2019-10-01T02:00:00+02:00",
            "source": {"id": "web"},
            "session": {"id": "s1"},
            "profile": {"id": "p1"},
            "properties": {"price": 9.5},
            "context": {"page": "/"},
            "tags": ["a"],
            "userId": "u1",
        }
    )
    assert event == {
        "id": "e1",
        "type": "purchase",
        "time": "2019-10-01T00:00:00+00:00",
        "received": RECEIVED,
        "source": {"id": "web"},
        "session": {"id": "s1"},
        "profile": {"id": "p1"},
        "properties": {"price": 9.5},
        "context": {"page": "/"},
        "tags": ["a"],
        "raw": {"time": "2019-10-01T02:00:00+02:00", "userId": "u1"},
    }


def test_a_bare_event_gets_every_field():
    assert normalized({"type": "view"}) == {
        "id": stable_id("seed"),
        "type": "view",
        "time": RECEIVED,
        "received": RECEIVED,
        "source": {"id": None},
        "session": {"id": None},
        "profile": {"id": None},
        "properties": {},
        "context": {},
        "tags": [],
        "raw": {},
    }


def test_generated_ids_are_uuid5_of_the_seed_else_random():
    assert stable_id("a.ndjson\x1f3\x1f{}") == str(
        uuid.uuid5(NAMESPACE, "a.ndjson\x1f3\x1f{}")
    )
    first = normalize_event({"type": "view"}, received=RECEIVED)
    second = normalize_event({"type": "view"}, received=RECEIVED)
    assert uuid.UUID(first["id"]).version == 4
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("record", "field", "expected"),
    [
        ({"type": "v", "id": 42}, "id", "42"),
        ({"type": "v", "profile": {"id": 541312140}}, "profile", {"id": "541312140"}),
        ({"type": "v", "profile": "p1"}, "profile", {"id": "p1"}),
        ({"type": "v", "profile": {"id": ""}}, "profile", {"id": None}),
        ({"type": "v", "profile": {}}, "profile", {"id": None}),
        ({"type": "v", "profile": ""}, "profile", {"id": None}),
        ({"type": "v", "source": "web"}, "source", {"id": "web"}),
        ({"type": "v", "session": {"id": "s1", "x": 1}}, "session", {"id": "s1"}),
        (
            {"type": "v", "profile": "Ann Émile 李"},
            "profile",
            {"id": "Ann Émile 李"},
        ),
        ({"type": "v", "id": 1.5}, "id", "1.5"),
        ({"type": "v", "session": None}, "session", {"id": None}),
        ({"type": "v", "source": 7}, "source", {"id": "7"}),
        (
            {"type": "v", "options": {"saveEvent": False}},
            "context",
            {"tracker": {"options": {"saveEvent": False}}},
        ),
        ({"type": "v", "properties": None}, "properties", {}),
        ({"type": "v", "tags": None}, "tags", []),
        (
            {"type": "v", "sentAt": "2024-05-01T11:59:00Z"},
            "raw",
            {"sentAt": "2024-05-01T11:59:00Z"},
        ),
    ],
)
def test_fields(record, field, expected):
    assert normalized(record)[field] == expected


@pytest.mark.parametrize(
    ("record", "time"),
    [
        ({"time": "2019-10-01T00:00:00Z"}, "2019-10-01T00:00:00+00:00"),
        ({"time": "2019-10-01 00:00:00"}, "2019-10-01T00:00:00+00:00"),
        ({"time": "2019-10-01T00:00:00.250-05:00"}, "2019-10-01T05:00:00.250000+00:00"),
        ({"time": "2019-10-01"}, "2019-10-01T00:00:00+00:00"),
        ({"timestamp": "2019-10-01T00:00:00Z"}, "2019-10-01T00:00:00+00:00"),
        ({"time": 1569888000}, "2019-10-01T00:00:00+00:00"),
        ({"time": 1569888000.5}, "2019-10-01T00:00:00.500000+00:00"),
        ({"time": 1569888000123}, "2019-10-01T00:00:00.123000+00:00"),
        ({"time": "1569888000"}, "2019-10-01T00:00:00+00:00"),
        ({"time": " 1569888000.5 "}, "2019-10-01T00:00:00.500000+00:00"),
        ({"time": "-5"}, "1969-12-31T23:59:55+00:00"),
        # Digits alone are an epoch number, even where ISO's basic form reads a date.
        ({"time": "20240101"}, "1970-08-23T06:15:01+00:00"),
        ({"time": "20240101T120000Z"}, "2024-01-01T12:00:00+00:00"),
        ({"time": 0}, "1970-01-01T00:00:00+00:00"),
        ({"time": 99_999_999_999}, "5138-11-16T09:46:39+00:00"),
        ({"time": 100_000_000_000}, "1973-03-03T09:46:40+00:00"),
        ({"time": {"create": "2019-10-01T00:00:00Z"}}, "2019-10-01T00:00:00+00:00"),
        # The explicit time wins over the client's clock.
        (
            {
                "time": "2019-10-01T00:00:00Z",
                "originalTimestamp": "2000-01-01T00:00:00Z",
            },
            "2019-10-01T00:00:00+00:00",
        ),
        # The client's clock is 5 minutes slow: sent 11:55 by it, received 12:00.
        (
            {
                "originalTimestamp": "2024-05-01T11:50:00Z",
                "sentAt": "2024-05-01T11:55:00Z",
            },
            "2024-05-01T11:55:00+00:00",
        ),
        ({"originalTimestamp": "2024-05-01T11:50:00Z"}, "2024-05-01T11:50:00+00:00"),
        ({"sentAt": "2024-05-01T11:55:00Z"}, RECEIVED),
        ({}, RECEIVED),
    ],
)
def test_event_time(record, time):
    assert normalized({"type": "v", **record})["time"] == time


def test_times_sort_as_text():
    times = [0, 0.5, 1, 1.25, 10]
    stored = [normalized({"type": "v", "time": 1569888000 + t})["time"] for t in times]
    assert sorted(stored) == stored


REASONS = [
    ([1, 2], "expected a JSON object, got an array"),
    ("view", "expected a JSON object, got text"),
    ({}, 'missing "type"'),
    ({"events": {}}, 'missing "type" (a tracker payload? read it with --format auto)'),
    ({"type": 12}, '"type" must be text, got a number'),
    ({"type": None}, 'missing "type"'),
    ({"type": "  "}, '"type" is empty'),
    ({"type": "v", "id": ""}, '"id" is empty'),
    ({"type": "v", "id": True}, '"id" must be text or a number, got true'),
    ({"type": "v", "id": {"a": 1}}, '"id" must be text or a number, got an object'),
    (
        {"type": "v", "profile": {"id": [1]}},
        '"profile.id" must be text or a number, got an array',
    ),
    (
        {"type": "v", "session": [1]},
        '"session" must be an id or {"id": …}, got an array',
    ),
    # One rule for the three references, and the id rule for every id.
    (
        {"type": "v", "session": []},
        '"session" must be an id or {"id": …}, got an array',
    ),
    (
        {"type": "v", "session": True},
        '"session" must be an id or {"id": …}, got true',
    ),
    (
        {"type": "v", "session": {"id": True}},
        '"session.id" must be text or a number, got true',
    ),
    (
        {"type": "v", "source": {"id": {}}},
        '"source.id" must be text or a number, got an object',
    ),
    ({"type": "v", "profile": {"Id": "p1"}}, '"profile" has no "id" (its keys: "Id")'),
    (
        {"type": "v", "profile": "a\x00b"},
        '"profile" holds U+0000, a control character, which ids cannot hold',
    ),
    (
        {"type": "v", "session": {"id": "s\n1"}},
        '"session.id" holds U+000A, a control character, which ids cannot hold',
    ),
    (
        {"type": "v", "id": "e\u2028"},
        '"id" holds U+2028, a line separator, which ids cannot hold',
    ),
    (
        {"type": "v", "id": "e\x85"},
        '"id" holds U+0085, a control character, which ids cannot hold',
    ),
    (
        {"type": "v", "source": "\ud800"},
        "text at source is not valid Unicode: lone surrogate \\ud800",
    ),
    ({"type": "v", "properties": [1]}, '"properties" must be an object, got an array'),
    ({"type": "v", "context": "x"}, '"context" must be an object, got text'),
    ({"type": "v", "options": 1}, '"options" must be an object, got a number'),
    ({"type": "v", "tags": "a"}, '"tags" must be a list of text'),
    ({"type": "v", "tags": ["a", 1]}, '"tags" must be a list of text'),
    ({"type": "v", "time": "yesterday"}, '"time" is not an ISO-8601 time: "yesterday"'),
    (
        {"type": "v", "time": "2019-13-01"},
        '"time" is not an ISO-8601 time: "2019-13-01"',
    ),
    (
        {"type": "v", "time": True},
        '"time" must be ISO-8601 text or an epoch number, got true',
    ),
    (
        {"type": "v", "time": [1]},
        '"time" must be ISO-8601 text or an epoch number, got an array',
    ),
    ({"type": "v", "time": 1e300}, '"time" is out of range as an epoch time: 1e+300'),
    ({"type": "v", "timestamp": "x"}, '"timestamp" is not an ISO-8601 time: "x"'),
    (
        {"type": "v", "originalTimestamp": "2024-05-01", "sentAt": "later"},
        '"sentAt" is not an ISO-8601 time: "later"',
    ),
    ({"type": "v", "sentAt": "later"}, '"sentAt" is not an ISO-8601 time: "later"'),
    (
        {"type": "v", "time": {"create": "x"}},
        '"time.create" is not an ISO-8601 time: "x"',
    ),
    (
        {"type": "v", "time": "x" * 50},
        f'"time" is not an ISO-8601 time: "{"x" * 40}…"',
    ),
    # Digits are 0-9: other scripts' digits, and what float() also takes, are not.
    ({"type": "v", "time": "١٢٣"}, '"time" is not an ISO-8601 time: "١٢٣"'),
    (
        {"type": "v", "time": "1569888000٠"},
        '"time" is not an ISO-8601 time: "1569888000٠"',
    ),
    ({"type": "v", "time": "1_000"}, '"time" is not an ISO-8601 time: "1_000"'),
    ({"type": "v", "time": "1e3"}, '"time" is not an ISO-8601 time: "1e3"'),
    ({"type": "v", "time": "²"}, '"time" is not an ISO-8601 time: "²"'),
    (
        {"type": "v", "time": 10**400},
        '"time" is out of range as an epoch time: 100000000000… (401 digits)',
    ),
    # Values no parser checked: whatever the store cannot keep is named.
    (
        {"type": "v", "properties": {"x": float("inf")}},
        "number out of range at properties.x: inf",
    ),
    (
        {"type": "v", "context": {"a": [0, float("nan")]}},
        "number out of range at context.a[1]: nan",
    ),
    ({"type": "v", "time": float("nan")}, "number out of range at time: nan"),
    ({"type": "v", "id": float("-inf")}, "number out of range at id: -inf"),
    ({"type": "v", "n": 10**5000}, "a number at n has more than 4300 digits"),
    (
        {"type": "v", "tags": ["a\ud800"]},
        "text at tags[0] is not valid Unicode: lone surrogate \\ud800",
    ),
    ({"type": "v", "properties": {"s": {1}}}, "not a JSON value at properties.s: set"),
    ({"type": "v", "properties": {2: "x"}}, "a key in properties is not text: 2"),
    (float("inf"), "number out of range: inf"),
]


@pytest.mark.parametrize(("record", "reason"), REASONS)
def test_reject_reasons(record, reason):
    with pytest.raises(InputError) as caught:
        normalized(record)
    assert str(caught.value) == reason


def test_defaults_fill_gaps_and_merge_context():
    defaults = {
        "source": {"id": "file"},
        "profile": {"id": "p0"},
        "context": {"page": {"url": "/a", "title": "A"}, "device": "phone"},
    }
    event = normalized(
        {"type": "v", "profile": None, "context": {"page": {"title": "B"}}},
        defaults=defaults,
    )
    assert event["source"] == {"id": "file"}
    assert event["profile"] == {"id": "p0"}
    assert event["context"] == {"page": {"url": "/a", "title": "B"}, "device": "phone"}
    assert defaults["context"]["page"]["title"] == "A"


# --- tracker payloads --------------------------------------------------------

PAYLOAD = {
    "source": {"id": "web"},
    "session": {"id": "s1"},
    "profile": {"id": "p1"},
    "context": {"device": "iPhone X", "page": {"url": "/"}},
    "properties": {"campaign": "c1"},
    "options": {"saveEvent": True, "debugger": False},
    "events": [
        {"type": "page-view", "context": {"page": {"title": "Home"}}},
        {"type": "purchase", "options": {"saveEvent": False}, "profile": {"id": "p2"}},
    ],
}


def test_a_payload_flattens_into_its_events():
    items = expand_record(PAYLOAD, received=RECEIVED, line=4, seed="f\x1f4\x1f{}")
    assert [type(item) for item in items] == [Accepted, Accepted]
    view, purchase = (item.event for item in items)
    assert (view["source"], view["session"], view["profile"]) == (
        {"id": "web"},
        {"id": "s1"},
        {"id": "p1"},
    )
    assert view["context"] == {
        "device": "iPhone X",
        "page": {"url": "/", "title": "Home"},
        "tracker": {
            "properties": {"campaign": "c1"},
            "options": {"saveEvent": True, "debugger": False},
        },
    }
    assert purchase["profile"] == {"id": "p2"}
    assert purchase["context"]["tracker"]["options"] == {
        "saveEvent": False,
        "debugger": False,
    }
    assert [view["id"], purchase["id"]] == [
        stable_id("f\x1f4\x1f{}\x1f0"),
        stable_id("f\x1f4\x1f{}\x1f1"),
    ]
    assert {item.line for item in items} == {4}


def test_the_payload_sent_at_corrects_its_events_clock():
    payload = {
        "sentAt": "2024-05-01T11:55:00Z",
        "events": [{"type": "v", "originalTimestamp": "2024-05-01T11:50:00Z"}],
    }
    (item,) = expand_record(payload, received=RECEIVED)
    assert item.event["time"] == "2024-05-01T11:55:00+00:00"


@pytest.mark.parametrize(
    ("payload", "reasons"),
    [
        (
            {"events": [{"type": "a"}, {"properties": {}}, "x", {"type": "b"}]},
            [
                None,
                'events[1]: missing "type"',
                "events[2]: expected a JSON object, got text",
                None,
            ],
        ),
        ({"events": []}, ['tracker payload with an empty "events" list']),
        ({"events": {"type": "a"}}, ['"events" must be a list, got an object']),
        (
            {"events": [{"type": "a"}], "context": 1},
            ['"context" must be an object, got a number'],
        ),
        (
            {"events": [{"type": "a"}], "profile": {"id": {}}},
            ['events[0]: "profile.id" must be text or a number, got an object'],
        ),
    ],
)
def test_a_bad_event_rejects_only_itself(payload, reasons):
    items = expand_record(payload, received=RECEIVED, line=9)
    assert [getattr(item, "reason", None) for item in items] == reasons
    assert {item.line for item in items} == {9}


def test_formats_decide_what_a_record_may_be():
    event = {"type": "v"}
    assert isinstance(
        expand_record(event, received=RECEIVED, format="json")[0], Accepted
    )
    (rejected,) = expand_record(event, received=RECEIVED, format="track", raw="{…}")
    assert rejected == Rejected(
        None, 'not a tracker payload: expected an object with an "events" list', "{…}"
    )
    (rejected,) = expand_record(PAYLOAD, received=RECEIVED, format="ndjson")
    assert rejected.reason.startswith('missing "type" (a tracker payload?')


def test_events_of_one_payload_share_no_objects():
    payload = {
        "context": {"page": {"url": "/"}},
        "events": [{"type": "a", "context": {"tag": "x"}}, {"type": "b"}],
    }
    first, second = (item.event for item in expand_record(payload, received=RECEIVED))
    first["context"]["page"]["url"] = "/changed"
    assert second["context"] == {"page": {"url": "/"}}
    assert payload["context"] == {"page": {"url": "/"}}


def test_whatever_a_caller_hands_over_the_store_can_keep():
    records = [
        {"type": "v", "properties": {"x": float("inf")}},
        {"type": "v\ud800"},
        {"type": "v", "raw": {"when": "\udce9"}},
        {"events": [{"type": "a"}, {"type": "b", "x": float("nan")}]},
        {"events": [{"type": "a"}], "context": {"x": float("-inf")}},
        {"events": "\ud800"},
        {"type": "v", "x": 1e308, "y": "caf\xe9 \U0001f600"},
    ]
    items = [
        item
        for record in records
        for item in expand_record(record, received=RECEIVED, line=1)
    ]
    assert [type(item).__name__ for item in items] == [
        "Rejected",
        "Rejected",
        "Rejected",
        "Accepted",
        "Rejected",
        "Rejected",
        "Rejected",
        "Accepted",
    ]
    for item in items:
        if isinstance(item, Accepted):
            encode_doc(item.event, "event").encode("utf-8")
        else:
            (item.reason + item.raw).encode("utf-8")
    assert items[1].raw == '{"type": "v\\ud800"}'
