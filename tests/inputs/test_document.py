"""JSON documents: text in, events at the lines their elements start, or rejects."""

import pytest
from inputs_harness import RECEIVED, summary

from tracsh.inputs import read_items


def read(tmp_path, text, name="events.json", **options):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return list(read_items(path, received=RECEIVED, **options))


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
    # A bad value in good syntax rejects only its element.
    (
        '[\n{"type": "a", "x": Infinity},\n{"type": "b"}\n]',
        [(2, "bad JSON: Infinity at x is not a JSON number"), (3, "b")],
    ),
    (
        '[\n{"type": "a", "properties": {"x": 1e999}},\n{"type": "b"}\n]',
        [(2, "number out of range at properties.x: 1e999"), (3, "b")],
    ),
    (
        '{"type": "a", "context": {"n": -1e999}}\n{"type": "b"}',
        [(1, "number out of range at context.n: -1e999"), (2, "b")],
    ),
    (
        '[\n{"type": "a", "n": ' + "1" * 4301 + '},\n{"type": "b"}\n]',
        [(2, "a number at n has more than 4300 digits"), (3, "b")],
    ),
    (
        '[\n{"type": "a", "x": "\\udfff"},\n{"type": "b"}\n]',
        [(2, "text at x is not valid Unicode: lone surrogate \\udfff"), (3, "b")],
    ),
    (
        '[\n{"events": [{"type": "a"}, {"type": "b", "x": [NaN]}]}\n]',
        [(2, "a"), (2, "events[1]: bad JSON: NaN at x[0] is not a JSON number")],
    ),
    # Elements that share a line are told apart by their index.
    (
        '[{"type": "a", "x": 1e999}, {"type": 1}, {"type": "c"}]',
        [
            (1, "[0]: number out of range at x: 1e999"),
            (1, '[1]: "type" must be text, got a number'),
            (1, "c"),
        ],
    ),
    (
        '[\n {"type": "a"}, {"tipe": "b"},\n {"type": 3}\n]',
        [
            (2, "a"),
            (2, '[1]: missing "type"'),
            (3, '"type" must be text, got a number'),
        ],
    ),
    (
        '[\n {"tipe": "a"},\n {"type": "b"}, {"type": 3}\n]',
        [
            (2, 'missing "type"'),
            (3, "b"),
            (3, '[2]: "type" must be text, got a number'),
        ],
    ),
    (
        '[{"events": [{"type": "a"}, {}]}, {"type": "b"}]',
        [(1, "a"), (1, '[0]: events[1]: missing "type"'), (1, "b")],
    ),
    (
        '[{"type": "a"}]\n[{}]',
        [(1, "a"), (2, 'missing "type"')],
    ),
    (
        '[{"type": "a", "p": ' + "[" * 900 + "]" * 900 + '}, {"type": "b"}]',
        [
            (
                1,
                "[0]: nested more than 64 levels deep at p[0][0][0]…; "
                "tracsh takes records up to 64 levels",
            ),
            (1, "b"),
        ],
    ),
    # Syntax errors say what is wrong in full.
    (
        '[{"type": "a"}, {"type": "b\tc"}]',
        [
            (1, "a"),
            (
                1,
                "bad JSON at line 1 column 28: "
                f"control character U+0009 in text; write it as \\t{STOP}",
            ),
        ],
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
        (1, '[0]: not a tracker payload: expected an object with an "events" list'),
        (1, "b"),
    ]
