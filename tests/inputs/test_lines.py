"""NDJSON files and streams: bytes in, accepted events and exact rejects out."""

import io
import json
import tracemalloc
from pathlib import Path

import pytest
from inputs_harness import RECEIVED, summary

from tracsh.inputs import InputError, Rejected, read_items, read_lines


def read(tmp_path, data: bytes, name="events.ndjson", **options):
    path = tmp_path / name
    path.write_bytes(data)
    return list(read_items(path, received=RECEIVED, **options))


CASES = [
    (b'{"type": "a"}\n{"type": "b"}\n', [(1, "a"), (2, "b")]),
    (b'{"type": "a"}\r\n\r\n  \n{"type": "b"}', [(1, "a"), (4, "b")]),
    (b'\xef\xbb\xbf{"type": "a"}\n', [(1, "a")]),
    (b'{"type": "a"\n', [(1, "bad JSON at column 13: Expecting ',' delimiter")]),
    (b'{"type": "a"} x\n', [(1, "bad JSON at column 15: Extra data")]),
    (b"[1]\n", [(1, "expected a JSON object, got an array")]),
    (b'"text"\n', [(1, "expected a JSON object, got text")]),
    (
        b'{"type": "a", "n": NaN}\n',
        [(1, "bad JSON: NaN at n is not a JSON number")],
    ),
    (b"-Infinity\n", [(1, "bad JSON: -Infinity is not a JSON number")]),
    # Numbers a float cannot hold, wherever they are.
    (
        b'{"type": "a", "properties": {"x": 1e999}}\n',
        [(1, "number out of range at properties.x: 1e999")],
    ),
    (
        b'{"type": "a", "context": {"p": {"q": [1, -1e999]}}}\n',
        [(1, "number out of range at context.p.q[1]: -1e999")],
    ),
    (
        b'{"type": "a", "time": 1e999}\n',
        [(1, "number out of range at time: 1e999")],
    ),
    (
        b'{"type": "a", "x": 1' + b"0" * 400 + b".5}\n",
        [(1, f"number out of range at x: 1{'0' * 39}…")],
    ),
    (
        b'{"type": "a", "x": NaN, "y": 1e999}\n',
        [(1, "bad JSON: NaN at x is not a JSON number")],
    ),
    (b'{"type": "a", "x": 1e308, "y": 1e-999}\n', [(1, "a")]),
    (
        b'{"events": [{"type": "a"}, {"type": "b", "properties": {"x": 1e999}}]}\n',
        [(1, "a"), (1, "events[1]: number out of range at properties.x: 1e999")],
    ),
    (
        b'{"context": {"x": -1e999}, "events": [{"type": "a"}]}\n',
        [(1, "events[0]: number out of range at context.x: -1e999")],
    ),
    (
        b'{"type": "a", "x": NaN "y"}\n',
        [(1, "bad JSON at column 24: Expecting ',' delimiter")],
    ),
    # Integers past Python's digit limit, said for people.
    (
        b'{"type": "a", "n": ' + b"1" * 4301 + b"}\n",
        [(1, "a number at n has more than 4300 digits")],
    ),
    (b'{"type": "a", "n": ' + b"1" * 4300 + b"}\n", [(1, "a")]),
    # Half a surrogate pair is not a character; a whole pair is.
    (
        b'{"type": "a", "x": ["\\ud800"]}\n',
        [(1, "text at x[0] is not valid Unicode: lone surrogate \\ud800")],
    ),
    (
        b'{"type": "a", "\\uDC00": 1}\n',
        [(1, "a key is not valid Unicode: lone surrogate \\udc00")],
    ),
    (b'{"type": "\\ud83d\\ude00"}\n', [(1, "\U0001f600")]),
    (b'{"type": "a\\\\ud800"}\n', [(1, "a\\ud800")]),
    # Reasons for syntax errors are whole sentences.
    (
        b'{"type": "a", "properties": {"note": "a\tb"}}\n',
        [
            (
                1,
                "bad JSON at column 40: "
                "control character U+0009 in text; write it as \\t",
            )
        ],
    ),
    (
        b'{"type": "a\n',
        [(1, "bad JSON at column 10: text starting here has no closing quote")],
    ),
    (
        b'{"type": "\\x41"}\n',
        [
            (
                1,
                "bad JSON at column 11: "
                'bad escape in text: after \\ comes one of " \\ / b f n r t u',
            )
        ],
    ),
    # JSON's white space only: other blank-looking lines are not skipped.
    (b" \t \r\n\xc2\xa0\n", [(2, "bad JSON at column 1: Expecting value")]),
    (b"[" * 5000 + b"\n", [(1, "bad JSON: nested too deeply")]),
    # Nesting the parser takes but the engine would recurse over is refused.
    (
        b'{"type": "a", "properties": {"x": ' + b"[" * 62 + b"]" * 62 + b"}}\n",
        [(1, "a")],
    ),
    (
        b'{"type": "a", "properties": {"x": ' + b"[" * 900 + b"]" * 900 + b"}}\n",
        [
            (
                1,
                "nested more than 64 levels deep at properties.x[0][0]…; "
                "tracsh takes records up to 64 levels",
            )
        ],
    ),
    (b'{"type": "caf\xe9"}\n', [(1, "invalid UTF-8 at byte offset 13")]),
    (b'{"properties": {}}\n{"type": "b"}\n', [(1, 'missing "type"'), (2, "b")]),
    (
        b'{"type": "a", "time": "soon"}\n',
        [(1, '"time" is not an ISO-8601 time: "soon"')],
    ),
    (
        b'{"events": [{"type": "a"}, {"type": 1}, {"type": "c"}]}\n{"type": "d"}\n',
        [
            (1, "a"),
            (1, 'events[1]: "type" must be text, got a number'),
            (1, "c"),
            (2, "d"),
        ],
    ),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_lines(tmp_path, data, expected):
    assert summary(read(tmp_path, data)) == expected


def test_rejects_keep_the_offending_text(tmp_path):
    (bad,) = read(tmp_path, b'{"type": 5}\r\n')
    assert bad == Rejected(1, '"type" must be text, got a number', '{"type": 5}')
    (bad,) = read(tmp_path, b'{"type": "caf\xe9"}\n')
    assert bad.raw == '{"type": "caf\ufffd"}'
    (bad,) = read(tmp_path, b'{"x": "' + b"y" * 5000 + b'"}\n')
    assert len(bad.raw) == 1025 and bad.raw.endswith("…")


def test_the_size_limit(tmp_path):
    small = json.dumps({"type": "a", "p": "x" * 60}).encode()
    large = json.dumps({"type": "a", "p": "x" * 200}).encode()
    items = read(tmp_path, small + b"\n" + large + b"\n", max_event_bytes=100)
    assert summary(items) == [
        (1, "a"),
        (2, f"too large: {len(large)} bytes; the limit is 100 bytes"),
    ]


def test_each_event_keeps_its_line_and_the_file_is_its_source(tmp_path):
    items = read(tmp_path, b'\n{"type": "a"}\n{"type": "b", "source": {"id": "web"}}\n')
    assert [item.line for item in items] == [2, 3]
    assert [item.event["source"] for item in items] == [{"id": "file"}, {"id": "web"}]
    assert items[0].event["received"] == RECEIVED


def test_a_source_can_be_given_for_the_whole_file(tmp_path):
    (item,) = read(tmp_path, b'{"type": "a"}\n', source="pos")
    assert item.event["source"] == {"id": "pos"}


def test_ids_are_stable_across_reads_and_differ_between_lines(tmp_path):
    data = b'{"type": "a"}\n{"type": "a"}\n{"type": "a", "id": "mine"}\n'
    first = [item.event["id"] for item in read(tmp_path, data)]
    again = [item.event["id"] for item in read(tmp_path, data)]
    other = [item.event["id"] for item in read(tmp_path, data, name="other.ndjson")]
    assert first == again
    assert len(set(first)) == 3 and first[2] == "mine"
    assert set(first[:2]).isdisjoint(other[:2])


def test_ndjson_format_takes_each_line_as_one_event(tmp_path):
    data = b'{"events": [{"type": "a"}]}\n'
    (item,) = read(tmp_path, data, format="ndjson")
    assert (
        item.reason == 'missing "type" (a tracker payload? read it with --format auto)'
    )
    (item,) = read(tmp_path, b'{"type": "a"}\n', format="track")
    assert (
        item.reason == 'not a tracker payload: expected an object with an "events" list'
    )


def test_read_lines_takes_text_or_bytes_and_gives_random_ids_without_a_name():
    lines = ['{"type": "a"}\n', b'{"type": "b"}\n', "\ufeffnot json\n"]
    items = list(read_lines(lines, received=RECEIVED))
    assert summary(items)[:2] == [(1, "a"), (2, "b")]
    assert items[2].reason == "bad JSON at column 1: Expecting value"
    again = list(read_lines(lines, received=RECEIVED))
    assert items[0].event["id"] != again[0].event["id"]


def test_stdin_is_read_as_ndjson(monkeypatch):
    stdin = io.TextIOWrapper(
        io.BytesIO(b'{"type": "a"}\n{"events": [{"type": "b"}]}\n')
    )
    monkeypatch.setattr("sys.stdin", stdin)
    items = list(read_items(Path("-"), received=RECEIVED))
    assert summary(items) == [(1, "a"), (2, "b")]


def test_unknown_formats_and_unreadable_files_are_errors(tmp_path):
    with pytest.raises(InputError) as caught:
        read_items(tmp_path / "x.ndjson", format="xml")
    assert str(caught.value) == (
        "unknown input format 'xml' (one of auto, ndjson, json, track, csv)"
    )
    with pytest.raises(InputError) as caught:
        list(read_items(tmp_path / "missing.ndjson"))
    assert str(caught.value) == (
        f"{tmp_path / 'missing.ndjson'}: cannot read: No such file or directory"
    )


def test_a_line_far_over_the_limit_is_never_read_whole(tmp_path):
    # What `tracsh replay - < /dev/zero` reads, but with an end.
    path = tmp_path / "zero.ndjson"
    path.write_bytes(b"\0" * 30_000_000 + b"\r\n" + b'{"type": "a"}\n')
    tracemalloc.start()
    try:
        items = list(read_items(path, received=RECEIVED))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary(items) == [
        (1, "too large: 30,000,000 bytes; the limit is 65,536 bytes"),
        (2, "a"),
    ]
    assert items[0].raw == "\0" * 1024 + "…"
    assert peak < 1_000_000


def test_lines_over_the_limit_count_exactly_and_reading_goes_on(tmp_path):
    lines = [
        b"x" * size + end
        for size in (99, 100, 101, 102, 103, 500)
        for end in (b"\n", b"\r\n")
    ]
    items = read(tmp_path, b"".join(lines), max_event_bytes=100)
    assert [item.reason for item in items][::2] == [
        "bad JSON at column 1: Expecting value",
        "bad JSON at column 1: Expecting value",
        "too large: 101 bytes; the limit is 100 bytes",
        "too large: 102 bytes; the limit is 100 bytes",
        "too large: 103 bytes; the limit is 100 bytes",
        "too large: 500 bytes; the limit is 100 bytes",
    ]
    assert [item.reason for item in items][::2] == [item.reason for item in items][1::2]
    assert [item.line for item in items] == list(range(1, 13))


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("format", ["ndjson", "json", "csv"])
def test_a_failing_read_names_the_file_and_the_reason(tmp_path, format):
    (tmp_path / "map.toml").write_text('[event]\ntype = "a"\n')
    with pytest.raises(InputError) as caught:
        list(read_items(Path("/proc/self/mem"), format, tmp_path / "map.toml"))
    assert str(caught.value) == "/proc/self/mem: cannot read: Input/output error"


def test_a_directory_is_not_read(tmp_path):
    with pytest.raises(InputError) as caught:
        list(read_items(tmp_path))
    assert str(caught.value) == f"{tmp_path}: cannot read: Is a directory"
