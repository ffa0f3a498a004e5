"""Cutting a stream into lines with a bound, however the chunks fall."""

from __future__ import annotations

import pytest

from tracsh.runtime.feed import LineCutter, Overlong

STREAM = b"ab\ncdefghijkl\n\nxy\nzzzzzzzzzzzz"
LINES = [b"ab\n", b"cdefghijkl\n", b"\n", b"xy\n", b"zzzzzzzzzzzz"]


def pieces(chunks: list[bytes], limit: int = 5) -> list[bytes | Overlong]:
    cutter = LineCutter(limit)
    found = [piece for chunk in chunks for piece in cutter.cut(chunk)]
    return found + cutter.end()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_every_line_comes_out_once_whole_or_as_an_overlong(size):
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    found = pieces(chunks)
    assert len(found) == len(LINES)
    for piece, line in zip(found, LINES, strict=True):
        if isinstance(piece, Overlong):
            # Only lines longer than the limit are cut short, head kept.
            assert len(line.rstrip(b"\n")) > 5
            assert (piece.size, piece.ended) == (len(line), line.endswith(b"\n"))
            assert line.startswith(piece.head)
        else:
            assert piece == line


def test_small_chunks_never_hold_a_long_line_whole():
    found = pieces([bytes([byte]) for byte in STREAM])
    kinds = [type(piece).__name__ for piece in found]
    assert kinds == ["bytes", "Overlong", "bytes", "bytes", "Overlong"]


def test_a_short_last_line_without_an_end_is_kept():
    assert pieces([b"ab\ncd"]) == [b"ab\n", b"cd"]
