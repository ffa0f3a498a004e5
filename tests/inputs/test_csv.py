"""CSV through a column mapping: mapping and rows in, events or exact errors out."""

import io
import tracemalloc
from pathlib import Path

import pytest
from csv_harness import SHOP, read
from inputs_harness import RECEIVED, summary

from tracsh.inputs import InputError, MappingError, read_items
from tracsh.inputs.events import stable_id


def test_a_row_becomes_an_event(tmp_path):
    row = "2019-10-01 00:00:05 UTC,purchase,541312140,s-1,A7,35.79,2,yes,shiseido"
    (item,) = read(tmp_path, row + "\n")
    assert item.line == 2
    assert item.event == {
        "id": stable_id(f"data.csv\x1f2\x1f{row}"),
        "type": "purchase",
        "time": "2019-10-01T00:00:05+00:00",
        "received": RECEIVED,
        "source": {"id": "shop"},
        "session": {"id": "s-1"},
        "profile": {"id": "541312140"},
        "properties": {
            "sku": "A7",
            "price": 35.79,
            "quantity": 2,
            "gift": True,
            "channel": "web",
            "product": {"brand": "shiseido"},
        },
        "context": {"batch": 7},
        "tags": ["import"],
        "raw": {"at": "2019-10-01 00:00:05 UTC"},
    }


def test_empty_fields_are_left_out_or_null(tmp_path):
    (item,) = read(tmp_path, "2019-10-01 00:00:05 UTC,view,,,,,,,\n")
    assert item.event["profile"] == {"id": None}
    assert item.event["session"] == {"id": None}
    assert item.event["properties"] == {"quantity": None, "channel": "web"}


ROWS = [
    ("2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\n", [(2, "view")]),
    # Quoted fields may hold the delimiter and line breaks; lines still count.
    (
        '2019-10-01 00:00:05 UTC,view,u,s,"A,\nB",1,1,no,b\n'
        "2019-10-01 00:00:06 UTC,cart,u,s,A,1,1,no,b\n",
        [(2, "view"), (4, "cart")],
    ),
    ("\n2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\n", [(3, "view")]),
    ("2019-10-01 00:00:05 UTC,view,u,s\n", [(2, "row has 4 fields, expected 9")]),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b,x\n",
        [(2, "row has 10 fields, expected 9")],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,cheap,1,no,b\n",
        [(2, 'column "price": expected a number, got "cheap"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,nan,1,no,b\n",
        [(2, 'column "price": expected a number, got "nan"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1.5,no,b\n",
        [(2, 'column "qty": expected an integer, got "1.5"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1,maybe,b\n",
        [(2, 'column "gift": expected true or false, got "maybe"')],
    ),
    (
        "2019-10-01T00:00:05 UTC,view,u,s,A,1,1,no,b\n",
        [
            (
                2,
                'column "at": "2019-10-01T00:00:05 UTC" does not match '
                '"%Y-%m-%d %H:%M:%S UTC"',
            )
        ],
    ),
    (",view,u,s,A,1,1,no,b\n", [(2, 'column "at" (the event time) is empty')]),
    (
        "2019-10-01 00:00:05 UTC,,u,s,A,1,1,no,b\n",
        [(2, 'column "kind" (the event type) is empty')],
    ),
    # Numbers are written with the digits 0-9, and must fit.
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,١٢,no,b\n",
        [(2, 'column "qty": expected an integer, got "١٢"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1_000,no,b\n",
        [(2, 'column "qty": expected an integer, got "1_000"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,٣.5,1,no,b\n",
        [(2, 'column "price": expected a number, got "٣.5"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,inf,1,no,b\n",
        [(2, 'column "price": expected a number, got "inf"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1e999,1,no,b\n",
        [(2, 'column "price": number out of range: "1e999"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,-1e999,1,no,b\n",
        [(2, 'column "price": number out of range: "-1e999"')],
    ),
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1," + "9" * 4301 + ",no,b\n",
        [(2, f'column "qty": a number has more than 4300 digits: "{"9" * 40}…"')],
    ),
    ("2019-10-01 00:00:05 UTC,view,u,s,A, -.5e3 , +7 ,no,b\n", [(2, "view")]),
    (
        "2019-10-01 00:00:0٥ UTC,view,u,s,A,1,1,no,b\n",
        [
            (
                2,
                'column "at": "2019-10-01 00:00:0٥ UTC" does not match '
                '"%Y-%m-%d %H:%M:%S UTC"',
            )
        ],
    ),
    # Ids follow the one id rule of every input (tracsh/inputs/ids.py).
    (
        "2019-10-01 00:00:05 UTC,view,u\x01,s,A,1,1,no,b\n"
        "2019-10-01 00:00:05 UTC,view,u,s\u2028,A,1,1,no,b\n"
        "2019-10-01 00:00:05 UTC,view,Ünal,s\t,A,1,1,no,b\n"
        "2019-10-01 00:00:05 UTC,view,Ünal,s,A\t,1,1,no,b\n",
        [
            (
                2,
                'column "user" (the profile id) holds U+0001, a control character, '
                "which ids cannot hold",
            ),
            (
                3,
                'column "visit" (the session id) holds U+2028, a line separator, '
                "which ids cannot hold",
            ),
            (
                4,
                'column "visit" (the session id) holds U+0009, a control character, '
                "which ids cannot hold",
            ),
            (5, "view"),
        ],
    ),
    # The last row is cut off and has no line end.
    (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\r\n2019-10-01 00:00:05 UTC,view,u",
        [(2, "view"), (3, "row has 3 fields, expected 9")],
    ),
    # An unclosed quote swallows the rows after it: a reject, not an event.
    (
        '2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,"b\n'
        "2019-10-01 00:00:06 UTC,cart,u,s,A,1,1,no,b\n",
        [
            (
                2,
                "unclosed quote: the row runs from here to the end of the file "
                "(2 lines); close the quoted field",
            )
        ],
    ),
    (
        '2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\n2019-10-01 00:00:06 UTC,"cart',
        [
            (2, "view"),
            (
                3,
                "unclosed quote: the row runs from here to the end of the file "
                "(1 line); close the quoted field",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("rows", "expected"), ROWS)
def test_rows(tmp_path, rows, expected):
    assert summary(read(tmp_path, rows)) == expected


def test_a_rejected_row_keeps_its_text(tmp_path):
    (item,) = read(tmp_path, "2019-10-01 00:00:05 UTC,view,u\n")
    assert item.raw == "2019-10-01 00:00:05 UTC,view,u"


def test_ids_are_stable_and_an_id_column_wins(tmp_path):
    rows = "2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\n" * 2
    first = [item.event["id"] for item in read(tmp_path, rows)]
    assert first == [item.event["id"] for item in read(tmp_path, rows)]
    assert first[0] != first[1]
    mapping = SHOP.replace('type = "kind"', 'type = "kind"\nid = "sku"')
    rows = (
        "2019-10-01 00:00:05 UTC,view,u,s,A,1,1,no,b\n"
        "2019-10-01 00:00:05 UTC,view,u,s,,1,1,no,b\n"
    )
    ids = [item.event["id"] for item in read(tmp_path, rows, mapping=mapping)]
    assert ids[0] == "A" and ids[1] == stable_id(
        "data.csv\x1f3\x1f2019-10-01 00:00:05 UTC,view,u,s,,1,1,no,b"
    )


def test_dialect_encoding_and_columns_without_a_header(tmp_path):
    mapping = """
[csv]
delimiter = ";"
encoding = "latin-1"
header = false
columns = ["when", "what", "who"]
empty_values = ["", "NA"]
[event]
type = "what"
time = { column = "when", format = "%d/%m/%Y %H:%M", timezone = "Europe/Warsaw" }
profile = "who"
[properties]
who = "who"
"""
    data = "01/10/2019 02:00;caf\xe9;NA\n".encode("latin-1")
    (item,) = read(tmp_path, data, mapping=mapping)
    assert item.line == 1
    assert item.event["type"] == "caf\xe9"
    assert item.event["time"] == "2019-10-01T00:00:00+00:00"
    assert item.event["profile"] == {"id": None}
    assert item.event["properties"] == {}


@pytest.mark.parametrize(
    ("time", "text", "stored"),
    [
        ('"when"', "2019-10-01T02:00:00+02:00", "2019-10-01T00:00:00+00:00"),
        (
            '{ column = "when", format = "epoch" }',
            "1569888000",
            "2019-10-01T00:00:00+00:00",
        ),
        (
            '{ column = "when", format = "epoch" }',
            "1569888000000",
            "2019-10-01T00:00:00+00:00",
        ),
        (
            '{ column = "when", format = "%d.%m.%Y" }',
            "01.10.2019",
            "2019-10-01T00:00:00+00:00",
        ),
        ('{ column = "when", format = "epoch" }', "-5", "1969-12-31T23:59:55+00:00"),
        ('"when"', "20240101", "2024-01-01T00:00:00+00:00"),
    ],
)
def test_time_formats(tmp_path, time, text, stored):
    mapping = f'[event]\ntype = "what"\ntime = {time}\n'
    (item,) = read(tmp_path, f"when,what\n{text},view\n".encode(), mapping=mapping)
    assert item.event["time"] == stored
    assert item.event["raw"] == {"when": text}


@pytest.mark.parametrize("text", ["١٥٦", "1e9", "1_000", "nan", "inf"])
def test_epoch_times_are_ascii_digits(tmp_path, text):
    mapping = '[event]\ntype = "what"\ntime = { column = "when", format = "epoch" }\n'
    (item,) = read(tmp_path, f"when,what\n{text},view\n".encode(), mapping=mapping)
    assert item.reason == f'column "when": "{text}" does not match "epoch"'


def test_without_a_time_column_the_event_time_is_receipt(tmp_path):
    (item,) = read(tmp_path, b"what\nview\n", mapping='[event]\ntype = "what"\n')
    assert item.event["time"] == RECEIVED
    assert item.event["source"] == {"id": "file"}


def test_bom_and_bad_bytes(tmp_path):
    data = b"\xef\xbb\xbfwhat,name\nview,caf\xc3\xa9\nview,caf\xe9\nview,ok\n"
    mapping = '[event]\ntype = "what"\n[properties]\nname = "name"\n'
    items = read(tmp_path, data, mapping=mapping)
    assert summary(items) == [
        (2, "view"),
        (3, 'column "name": bytes that are not utf-8'),
        (4, "view"),
    ]
    assert items[0].event["properties"] == {"name": "caf\xe9"}
    assert items[1].raw == "view,caf\ufffd"


def test_the_size_limit(tmp_path):
    data = b"what,name\nview," + b"x" * 200 + b"\nview,y\n"
    mapping = '[event]\ntype = "what"\n[properties]\nname = "name"\n'
    items = read(tmp_path, data, mapping=mapping, max_event_bytes=100)
    assert summary(items) == [
        (2, "too large: 205 bytes; the limit is 100 bytes"),
        (3, "view"),
    ]


def test_rows_over_the_limit_are_skipped_whole(tmp_path):
    mapping = '[event]\ntype = "what"\n[properties]\nname = "name"\n'
    data = (
        b"what,name\r\n"
        + b"view,"
        + b"x" * 95
        + b"\r\n"
        + b"view,"
        + b"x" * 96
        + b"\r\n"
        + b'view,"'
        + b"a\r\n" * 50
        + b'"\r\n'
        + b'view,"'
        + b"b" * 300
        + b'\n""\nc"\n'
        + b"view,y\n"
    )
    items = read(tmp_path, data, mapping=mapping, max_event_bytes=100)
    assert summary(items) == [
        (2, "view"),
        (3, "too large: 101 bytes; the limit is 100 bytes"),
        (4, "too large: 157 bytes; the limit is 100 bytes"),
        (55, "too large: 312 bytes; the limit is 100 bytes"),
        (58, "view"),
    ]
    assert items[2].raw == 'view,"a'


def test_a_row_far_over_the_limit_is_never_read_whole(tmp_path):
    mapping = '[event]\ntype = "what"\n[properties]\nname = "name"\n'
    data = b"what,name\nview," + b"x" * 30_000_000 + b"\nview,y\n"
    (tmp_path / "map.toml").write_text(mapping)
    (tmp_path / "data.csv").write_bytes(data)
    del data
    tracemalloc.start()
    try:
        items = list(read_items(tmp_path / "data.csv", mapping=tmp_path / "map.toml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary(items) == [
        (2, "too large: 30,000,005 bytes; the limit is 65,536 bytes"),
        (3, "view"),
    ]
    assert peak < 2_000_000


def test_a_header_over_the_limit_stops_the_file(tmp_path):
    with pytest.raises(InputError) as caught:
        read(tmp_path, b"what," + b"x" * 200 + b"\nview,y\n", max_event_bytes=100)
    assert str(caught.value) == (
        "data.csv: cannot read the CSV header: "
        "too large: 205 bytes; the limit is 100 bytes"
    )


def test_bytes_an_encoding_cannot_escape_stop_the_file(tmp_path):
    # The decoder reads ahead in blocks: rows before the bad block are read.
    mapping = '[csv]\nencoding = "utf-16-le"\n[event]\ntype = "what"\n'
    good = ("what\n" + "view\n" * 5000).encode("utf-16-le")
    items = read(tmp_path, good + b"\x00\xd8A\x00\n\x00", mapping=mapping)
    *accepted, last = items
    assert 0 < len(accepted) < 5000
    assert {item.event["type"] for item in accepted} == {"view"}
    assert (last.line, last.reason) == (
        len(accepted) + 2,
        "bytes that are not utf-16-le (illegal UTF-16 surrogate); "
        "the rest of the file was not read",
    )


def test_an_empty_file_has_no_events(tmp_path):
    assert read(tmp_path, b"", mapping='[event]\ntype = "what"\n') == []


def test_constant_type_and_time(tmp_path):
    mapping = (
        '[event]\ntype = { value = "purchase" }\ntime = { value = "2011-12-09" }\n'
    )
    (item,) = read(tmp_path, b"InvoiceNo\n536365\n", mapping=mapping)
    assert (item.event["type"], item.event["time"]) == (
        "purchase",
        "2011-12-09T00:00:00+00:00",
    )
    path = tmp_path / "map.toml"
    with pytest.raises(MappingError) as caught:
        read(tmp_path, b"a\n1\n", mapping='[event]\ntype = { value = "" }\n')
    assert (
        str(caught.value)
        == f'{path}: event.type.value: expected non-empty text, got ""'
    )
    with pytest.raises(MappingError) as caught:
        read(
            tmp_path,
            b"a\n1\n",
            mapping='[event]\ntype = "a"\ntime = { value = "soon" }',
        )
    assert str(caught.value) == (
        f'{path}: event.time: column "event.time": "soon" does not match ISO-8601'
    )


def test_csv_from_stdin(tmp_path, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"what\nview\nview\n"))
    monkeypatch.setattr("sys.stdin", stdin)
    (tmp_path / "map.toml").write_text('[event]\ntype = "what"\n')
    items = list(read_items(Path("-"), "csv", tmp_path / "map.toml", received=RECEIVED))
    assert summary(items) == [(2, "view"), (3, "view")]
    assert items[0].event["id"] != items[1].event["id"]
    assert not stdin.closed
