"""CSV through a column mapping: mapping and rows in, events or exact errors out."""

import io
import tracemalloc
from pathlib import Path

import pytest

from tracsh.inputs import Accepted, InputError, MappingError, load_mapping, read_items
from tracsh.inputs.events import stable_id

RECEIVED = "2024-05-01T12:00:00+00:00"

SHOP = """
[event]
type = "kind"
time = { column = "at", format = "%Y-%m-%d %H:%M:%S UTC" }
profile = "user"
session = "visit"
source = { value = "shop" }
tags = ["import"]

[properties]
sku = "sku"
price = { column = "price", as = "number" }
quantity = { column = "qty", as = "int", empty = "null" }
gift = { column = "gift", as = "bool" }
channel = { value = "web" }

[properties.product]
brand = "brand"

[context]
batch = { value = 7 }
"""

HEADER = "at,kind,user,visit,sku,price,qty,gift,brand\n"


def read(tmp_path, rows, mapping=SHOP, header=HEADER, **options):
    (tmp_path / "map.toml").write_text(mapping)
    data = rows if isinstance(rows, bytes) else (header + rows).encode()
    (tmp_path / "data.csv").write_bytes(data)
    items = read_items(
        tmp_path / "data.csv",
        mapping=tmp_path / "map.toml",
        received=RECEIVED,
        **options,
    )
    return list(items)


def summary(items):
    return [
        (item.line, item.event["type"])
        if isinstance(item, Accepted)
        else (item.line, item.reason)
        for item in items
    ]


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


# --- mapping errors ----------------------------------------------------------

MAPPING_ERRORS = [
    ("[event]\n", 'event: missing required key type (e.g. type = "event_type")'),
    (
        '[event]\ntipe = "x"\ntype = "x"',
        'event.tipe: unknown key; did you mean "type"?',
    ),
    ('[evnt]\ntype = "x"', 'evnt: unknown section; did you mean "event"?'),
    (
        "[event]\ntype = 3",
        'event.type: expected a column name or a table like {column = "c"}, got 3',
    ),
    (
        '[event]\ntype = {column = "a", value = "b"}',
        "event.type: give either column or value",
    ),
    ("[event]\ntype = {}", "event.type: give either column or value"),
    (
        '[event]\ntype = {column = "a", as = "int"}',
        "event.type.as: only properties and context fields take it",
    ),
    (
        '[event]\ntype = "a"\nprofile = {column = "a", format = "iso"}',
        "event.profile.format: only event.time takes it",
    ),
    (
        '[event]\ntype = "a"\ntime = {column = "t", format = "dd/mm"}',
        'event.time.format: expected "iso", "epoch" or a strptime format, got "dd/mm"',
    ),
    (
        '[event]\ntype = "a"\ntime = {column = "t", timezone = "Mars/Base"}',
        'event.time.timezone: unknown time zone "Mars/Base" '
        '(use a name like "Europe/Warsaw")',
    ),
    (
        '[event]\ntype = "a"\n[properties]\np = {column = "a", as = "float"}',
        'properties.p.as: expected one of "text", "int", "number", "bool", got "float"',
    ),
    (
        '[event]\ntype = "a"\n[properties]\np = {column = "a", empty = "zero"}',
        'properties.p.empty: expected one of "omit", "null", got "zero"',
    ),
    (
        '[event]\ntype = "a"\n[properties]\np = {column = "a", kolumn = "b"}',
        'properties.p.kolumn: unknown key; did you mean "column"?',
    ),
    (
        '[csv]\ndelimiter = ";;"\n[event]\ntype = "a"',
        'csv.delimiter: expected one character, got ";;"',
    ),
    (
        '[csv]\nencoding = "klingon"\n[event]\ntype = "a"',
        'csv.encoding: unknown encoding "klingon"',
    ),
    (
        '[csv]\nheader = false\n[event]\ntype = "a"',
        "csv.columns: give the column names when header = false, and only then",
    ),
    (
        '[csv]\nheader = "yes"\n[event]\ntype = "a"',
        'csv.header: expected true or false, got "yes"',
    ),
    ('[event]\ntype = "a"\ntags = "x"', 'event.tags: expected a list of text, got "x"'),
    (
        '[event]\ntype = "a"\ntime = {column = "t", format = "%Q %!"}',
        'event.time.format: bad strptime format "%Q %!": %Q is not a directive',
    ),
    (
        '[event]\ntype = "a"\ntime = {column = "t", format = "%Y-%m-%d %"}',
        'event.time.format: bad strptime format "%Y-%m-%d %": stray %',
    ),
    (
        '[event]\ntype = "a"\n[properties]\np = {value = inf}',
        "properties.p.value: number out of range: inf",
    ),
    (
        '[event]\ntype = "a"\n[context]\np = {value = [1, {q = nan}]}',
        "context.p.value: number out of range at [1].q: nan",
    ),
    (
        '[event]\ntype = "a"\ntime = {value = 2011-12-09}',
        "event.time.value: write the date as text in quotes",
    ),
    (
        '[event]\ntype = "a"\n[properties]\nat = {value = 2011-12-09T10:00:00Z}',
        "properties.at.value: write the date and time as text in quotes",
    ),
    ("properties = 1\n[event]\ntype = 'a'", "properties: expected a table, got 1"),
]


@pytest.mark.parametrize(("text", "message"), MAPPING_ERRORS)
def test_mapping_errors(tmp_path, text, message):
    path = tmp_path / "map.toml"
    path.write_text(text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == f"{path}: {message}"


def test_invalid_toml_names_line_and_column(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('[event]\ntype = "a\n')
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == f"{path}:2:10: invalid TOML: Illegal character '\\n'"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            '[event]\ntype = "kind"',
            'event.type: no column "kind" in data.csv; did you mean "Kind"?',
        ),
        (
            '[event]\ntype = "kinds"',
            'event.type: no column "kinds" in data.csv; did you mean "Kind"?',
        ),
        (
            '[event]\ntype = "Kind"\n[properties]\np = "zzz"',
            'properties.p: no column "zzz" in data.csv (columns: at, Kind)',
        ),
        (
            '[event]\ntype = "Kind"\ntime = "when"',
            'event.time: no column "when" in data.csv (columns: at, Kind)',
        ),
    ],
)
def test_columns_missing_from_the_header(tmp_path, mapping, message):
    with pytest.raises(MappingError) as caught:
        read(tmp_path, b"at,Kind\nx,view\n", mapping=mapping)
    assert str(caught.value) == f"{tmp_path / 'map.toml'}: {message}"


def test_a_column_named_twice_in_the_header_cannot_be_mapped(tmp_path):
    mapping = '[event]\ntype = "Kind"\n[properties]\nat = "at"'
    with pytest.raises(MappingError) as caught:
        read(tmp_path, b"at,Kind,Kind\nx,view,cart\n", mapping=mapping)
    assert str(caught.value) == (
        f"{tmp_path / 'map.toml'}: event.type: the header of data.csv has 2 "
        'columns named "Kind", so which one is meant is unclear'
    )
    (item,) = read(
        tmp_path, b"at,at,Kind\nx,y,view\n", mapping='[event]\ntype = "Kind"'
    )
    assert item.event["type"] == "view"


def test_csv_needs_a_mapping(tmp_path):
    (tmp_path / "data.csv").write_text("a\n")
    with pytest.raises(MappingError) as caught:
        read_items(tmp_path / "data.csv")
    assert str(caught.value) == (
        f"{tmp_path / 'data.csv'}: CSV input needs a column mapping: pass --map FILE "
        "(see docs/inputs.md)"
    )


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
