"""Reading a stream line by line without ever holding much more than one record.

Lines are read with ``readline(size)``, so a line far over the size limit is
never in memory whole: its first part is kept for the reject, the rest is read
in chunks, counted and dropped up to the next line end. NDJSON reads bytes
through ``bounded_lines``; CSV reads decoded text through ``RowSource``, which
also bounds rows that span several lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

CHUNK = 64 * 1024
"""How much of an over-long line is read at a time while skipping it."""

HEAD = 4096
"""How much of an over-long line is kept to show in its reject."""

_NEWLINES = (b"\n", "\n")


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line over the limit, read and dropped: its start and its whole size."""

    head: bytes | str
    """The first HEAD bytes (or characters) of the line."""
    size: int
    """The line's size in bytes (UTF-8 for text), without its line end."""


class RowTooLarge(Exception):
    """Raised by RowSource for a CSV row over the limit, after skipping it."""

    def __init__(self, size: int, head: str) -> None:
        super().__init__(size)
        self.size = size
        """The row's size in bytes, without its last line end."""
        self.head = head
        """The first HEAD characters of the row."""


def utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8; undecodable bytes count as one each."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogateescape"))


def _size(line: bytes | str) -> int:
    return len(line) if isinstance(line, bytes) else utf8_size(line)


def _ending(line: bytes | str) -> int:
    """The length of ``line``'s line end: 2 for CRLF, 1 for LF or CR, else 0."""
    last = line[-2:]
    if last in (b"\r\n", "\r\n"):
        return 2
    return 1 if last[-1:] in (b"\n", "\r", b"\r", "\n") else 0


def bounded_lines(stream, limit: int) -> Iterator[bytes | str | LongLine]:
    """The lines of ``stream`` with their line ends; a LongLine for each line
    that fills a read of ``limit`` + 3 without ending, so is surely too large.

    A line only a little over the limit comes whole, for the reader's own check.
    """
    readline = stream.readline
    cap = limit + 3  # the limit, CRLF and one more: a full read is over the limit
    while line := readline(cap):
        if len(line) < cap or line[-1:] in _NEWLINES:
            yield line
        else:
            yield _skipped(line, readline)


def _skipped(head: bytes | str, readline: Callable) -> LongLine:
    """The LongLine that starts with ``head``, read to its end and dropped."""
    size, line, before = _size(head), head, head
    while line[-1:] not in _NEWLINES:
        before, line = line, readline(CHUNK)
        if not line:
            break
        size += _size(line)
    # A CRLF may be split between two reads.
    ending = _ending(line) if len(line) > 1 else _ending(before[-1:] + line)
    return LongLine(head[:HEAD], size - ending)


class RowSource:
    """The lines of a text stream for ``csv.reader``, each row held to a limit.

    The reader takes lines until a row is complete, so the lines read since the
    last ``row_over()`` are the current row's. When they pass the limit the rest
    of the row is read and dropped, and RowTooLarge raised; ``csv.reader``
    passes it on and starts a new row on its next call. The row ends at the
    first line end outside quotes: an odd number of quote characters so far
    means a quoted field is still open (a doubled quote inside one counts two).
    """

    def __init__(self, text, limit: int, quote: str) -> None:
        self.readline = text.readline
        self.limit = limit
        self.cap = limit + 3
        self.quote = quote
        self.number = 0
        """Lines read so far: the line number of the last line read."""
        self.size = 0
        """UTF-8 bytes of the current row so far, line ends included."""
        self.first = ""
        """The current row's first line."""
        self.quotes: int | None = None
        """Quote characters in the current row, counted once it spans lines."""
        self.last = ""
        """The last line of the current row, once the row is over the limit."""
        self.ended = False
        """True once the stream is read to its end. ``csv.reader`` only asks
        past the end in a quoted field, so a row it gives after that is one
        whose quote was never closed."""

    def __iter__(self) -> RowSource:
        return self

    def __next__(self) -> str:
        line = self.readline(self.cap)
        if not line:
            self.ended = True
            raise StopIteration
        self.number += 1
        size = self.size
        if size:
            self.continued(line)
        else:
            self.first = line
        size += len(line) if line.isascii() else utf8_size(line)
        self.size = size
        if size > self.limit:
            # Over by up to a CRLF may be only the line end; more is over surely.
            if size > self.limit + 2:
                self.skip(line)
            self.last = line
        return line

    def continued(self, line: str) -> None:
        """Count the quotes of a row that goes on to ``line``."""
        if self.quotes is None:
            self.quotes = self.first.count(self.quote)
        self.quotes += line.count(self.quote)

    def row_over(self) -> int:
        """The size of the row just read, without its last line end, when that
        is over the limit, else 0; the next row starts from nothing."""
        size, self.size, self.quotes = self.size, 0, None
        if size <= self.limit:
            return 0
        size -= _ending(self.last)
        return size if size > self.limit else 0

    def skip(self, line: str) -> None:
        """Read the rest of the row that ``line`` took over the limit, dropping
        it, and raise RowTooLarge."""
        quotes = line.count(self.quote) if self.quotes is None else self.quotes
        head, before = self.first[:HEAD], line
        ended = _line_ended(line, self.cap)
        while not ended or quotes % 2:
            before, line = line, self.readline(CHUNK)
            if not line:
                break
            if ended:
                self.number += 1
            self.size += utf8_size(line)
            quotes += line.count(self.quote)
            ended = _line_ended(line, CHUNK)
        ending = _ending(line) if len(line) > 1 else _ending(before[-1:] + line)
        size, self.size, self.quotes = self.size - ending, 0, None
        raise RowTooLarge(size, head)


def _line_ended(line: str, asked: int) -> bool:
    """True when ``line``, as ``readline(asked)`` returned it, ends its line.

    A read that filled ``asked`` and ends in CR may be half of a CRLF.
    """
    last = line[-1:]
    return last == "\n" or (last == "\r" and len(line) < asked)
