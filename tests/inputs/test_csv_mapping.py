"""CSV column mappings that cannot be used: each names the key and says why."""

import pytest
from csv_harness import read

from tracsh.inputs import MappingError, load_mapping, read_items

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
