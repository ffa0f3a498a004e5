"""Bounded reading: streams in, lines or the sizes of the lines skipped out."""

import csv
import io

import pytest

from tracsh.inputs.bounded import CHUNK, LongLine, RowSource, RowTooLarge, bounded_lines

LINES = [
    (b"ab\ncd\n", [b"ab\n", b"cd\n"]),
    (b"ab\r\ncd", [b"ab\r\n", b"cd"]),
    (b"x" * 10 + b"\r\n", [b"x" * 10 + b"\r\n"]),
    # A little over the limit is left to the reader's exact check ...
    (b"x" * 12 + b"\n", [b"x" * 12 + b"\n"]),
    # ... a read that fills the cap (limit + 3) without a line end is skipped.
    (b"x" * 13 + b"\nok\n", [("long", 13), b"ok\n"]),
    (b"x" * 50 + b"\r\nok", [("long", 50), b"ok"]),
    (b"x" * 50, [("long", 50)]),
]


@pytest.mark.parametrize(("data", "expected"), LINES)
def test_lines_over_the_limit_are_skipped_and_measured(data, expected):
    lines = list(bounded_lines(io.BytesIO(data), 10))
    assert [_sized(line) for line in lines] == expected


def _sized(line):
    return ("long", line.size) if isinstance(line, LongLine) else line


def test_a_crlf_split_between_two_reads_is_one_line_end():
    for extra in range(11, 16):
        data = b"x" * (CHUNK + extra) + b"\r\nok\n"
        (long, ok) = bounded_lines(io.BytesIO(data), 10)
        assert (long.size, ok) == (CHUNK + extra, b"ok\n")


def rows(text: str, limit: int = 10):
    """(line, row) for each row, (line, size) for each row over the limit."""
    source = RowSource(io.StringIO(text, newline=""), limit, '"')
    reader = csv.reader(source)
    out, previous = [], 0
    while True:
        try:
            for row in reader:
                over = source.row_over()
                out.append((previous + 1, over or row))
                previous = source.number
            return out
        except RowTooLarge as error:
            out.append((previous + 1, error.size))
            previous = source.number


ROWS = [
    ("a,b\nc,d\n", [(1, ["a", "b"]), (2, ["c", "d"])]),
    ("aaaa,bbbbb\n", [(1, ["aaaa", "bbbbb"])]),
    ("aaaa,bbbbbb\r\nc\n", [(1, 11), (2, ["c"])]),
    ("aaaaa,bbbbbb\r\nc\n", [(1, 12), (2, ["c"])]),
    ("a" * 40 + "\nc\n", [(1, 40), (2, ["c"])]),
    # A quoted field with line breaks is one row; over the limit, all of it goes.
    ('"a\nb",c\nd\n', [(1, ["a\nb", "c"]), (3, ["d"])]),
    ('"a\nb\nc\nd\ne\nf",g\nh\n', [(1, 15), (7, ["h"])]),
    ('"' + "a" * 30 + '\n""b\nc",d\ne\n', [(1, 40), (4, ["e"])]),
    # An unclosed quote makes the rest of the text one row.
    ('"' + "a" * 30 + "\nb\nc\n", [(1, 35)]),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_rows_over_the_limit_are_skipped_to_their_end(text, expected):
    assert rows(text) == expected
