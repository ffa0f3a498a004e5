"""JSON documents: text in, events at the lines their elements start, or rejects."""

import pytest

from tracsh.inputs import Accepted, read_items

RECEIVED = "2024-05-01T12:00:00+00:00"


def read(tmp_path, text, name="events.json", **options):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return list(read_items(path, received=RECEIVED, **options))


def summary(items):
    return [
        (item.line, item.event["type"])
        if isinstance(item, Accepted)
        else (item.line, item.reason)
        for item in items
    ]


STOP = "; the rest of the file was not read"

CASES = [
    ('[{"type": "a"}, {"type": "b"}]', [(1, "a"), (1, "b")]),
    ('[\n  {"type": "a"},\n  {\n    "type": "b"\n  }\n]\n', [(2, "a"), (3, "b")]),
    ("[]", []),
    ("  \n", []),
    ('{"type": "a"}', [(1, "a")]),
    ('{"type": "a"}\n{"type": "b"}\n', [(1, "a"), (2, "b")]),
    ('[{"type": "a"}]\n[{"type": "b"}]', [(1, "a"), (2, "b")]),
    ('\ufeff[{"type": "a"}]', [(1, "a")]),
    ('[{"type": "a"},\r\n {"type": "b"}]\r\n', [(1, "a"), (2, "b")]),
    (
        '[\n {"type": "a"},\n {"tipe": "b"},\n 3,\n {"type": "c"}\n]',
        [
            (2, "a"),
            (3, 'missing "type"'),
            (4, "expected a JSON object, got a number"),
            (5, "c"),
        ],
    ),
    (
        '[\n {"type": "a"},\n {"type": "b" "c"},\n {"type": "d"}\n]',
        [(2, "a"), (3, f"bad JSON at line 3 column 15: Expecting ',' delimiter{STOP}")],
    ),
    (
        '[{"type": "a"} {"type": "b"}]',
        [(1, "a"), (1, f"bad JSON at line 1 column 16: Expecting ',' or ']'{STOP}")],
    ),
    (
        '[{"type": "a"}',
        [(1, "a"), (1, f"bad JSON at line 1 column 15: Expecting ',' or ']'{STOP}")],
    ),
    (
        '{"type": "a"} x',
        [(1, "a"), (1, f"bad JSON at line 1 column 15: Expecting value{STOP}")],
    ),
    (
        '{"events": [{"type": "a"}, {"type": ""}], "session": {"id": "s"}}',
        [(1, "a"), (1, 'events[1]: "type" is empty')],
    ),
    (
        '[{"type": "a", "x": "\\udfff"}, {"type": "b"}]',
        [
            (1, "bad JSON: text holds a lone surrogate (\\udfff), not a character"),
            (1, "b"),
        ],
    ),
    (
        '[{"type": "a", "x": 1e999}]',
        [
            (
                1,
                "bad JSON at line 1 column 2: 1e999 is out of range for a JSON "
                f"number{STOP}",
            )
        ],
    ),
    (
        '[{"type": "a", "x": Infinity}]',
        [(1, f"bad JSON at line 1 column 2: Infinity is not a JSON number{STOP}")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_documents(tmp_path, text, expected):
    assert summary(read(tmp_path, text)) == expected


def test_twelve_pretty_payload_lines_are_one_record(tmp_path):
    text = '{\n  "session": {"id": "s"},\n  "events": [\n    {"type": "a"}\n  ]\n}\n'
    (item,) = read(tmp_path, text, format="track")
    assert item.line == 1 and item.event["session"] == {"id": "s"}


def test_an_element_over_the_limit_is_rejected_and_reading_goes_on(tmp_path):
    text = '[{"type": "a", "p": "' + "x" * 200 + '"},\n {"type": "b"}]'
    items = read(tmp_path, text, max_event_bytes=100)
    assert summary(items) == [
        (1, "too large: 222 bytes; the limit is 100 bytes"),
        (2, "b"),
    ]


def test_bad_bytes_reject_only_their_element(tmp_path):
    data = b'[{"type": "a"},\n {"type": "caf\xe9"},\n {"type": "c"}]'
    items = read(tmp_path, data)
    assert summary(items) == [
        (1, "a"),
        (2, "invalid UTF-8 at byte offset 30 of the file"),
        (3, "c"),
    ]
    assert items[1].raw == '{"type": "caf\ufffd"}'


def test_ids_are_stable_and_distinct(tmp_path):
    text = '[{"type": "a"}, {"type": "a"}, {"events": [{"type": "a"}, {"type": "a"}]}]'
    first = [item.event["id"] for item in read(tmp_path, text)]
    again = [item.event["id"] for item in read(tmp_path, text)]
    assert first == again
    assert len(set(first)) == 4


def test_format_json_reads_any_extension_and_track_wants_payloads(tmp_path):
    assert summary(read(tmp_path, '[{"type": "a"}]', name="x.txt", format="json")) == [
        (1, "a")
    ]
    items = read(
        tmp_path, '[{"type": "a"}, {"events": [{"type": "b"}]}]', format="track"
    )
    assert summary(items) == [
        (1, 'not a tracker payload: expected an object with an "events" list'),
        (1, "b"),
    ]
