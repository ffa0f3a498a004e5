"""JSON documents: an array of events or payloads, one object, or several in a row.

Each record's line is where its element starts; when elements share a line, a
reject names the element's index too. A syntax error cannot be skipped over
reliably, so it is one reject (with line and column) and the rest of the
document is not read; the reason says so.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

from tracsh.inputs.events import expand_record
from tracsh.inputs.items import (
    Accepted,
    InputError,
    Rejected,
    cut,
    printable,
    too_large,
)
from tracsh.inputs.jsontext import (
    DECODER,
    LOCATOR,
    may_hold_surrogates,
    may_nest_deeply,
    syntax_reason,
)

_SPACE = re.compile(r"[ \t\n\r]*")
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_STOPPED = "; the rest of the file was not read"


def read_document(
    data: bytes,
    *,
    name: str | None,
    received: str,
    format: str,
    max_event_bytes: int,
    source: str,
) -> Iterator[Accepted | Rejected]:
    """Events and rejects from the bytes of a JSON document."""
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        text, broken = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, broken = data.decode("utf-8", "surrogateescape"), True
    reader = _Document(text, name, received, format, max_event_bytes, source)
    reader.broken, reader.bom = broken, 3 if bom else 0
    return reader.items()


class _Document:
    """Walks one document's top-level values and array elements."""

    def __init__(self, text, name, received, format, limit, source) -> None:
        self.text = text
        self.broken = False
        """True when the bytes were not all UTF-8 (bad bytes are surrogates)."""
        self.bom = 0
        """Bytes of BOM dropped before the text, for byte offsets."""
        self.name = name
        self.received = received
        self.format = format
        self.limit = limit
        self.defaults = {"source": {"id": source}}
        self.line_pos, self.line = 0, 1
        self.previous_end = -1
        """Where the previous element of the current array ended (-1: none)."""

    def items(self) -> Iterator[Accepted | Rejected]:
        """Every record of the document, in order."""
        text = self.text
        position = self.skip(0)
        while position < len(text):
            if text[position] == "[":
                position = yield from self.array(position)
            else:
                position = yield from self.element(position)
            if position < 0:
                return
            position = self.skip(position)

    def array(self, position: int) -> Iterator[Accepted | Rejected]:
        """The elements of the array at ``position``; returns its end (-1: stop)."""
        position = self.skip(position + 1)
        if self.text.startswith("]", position):
            return position + 1
        self.previous_end = -1
        for index in itertools.count():
            position = yield from self.element(position, index)
            if position < 0:
                return -1
            position = self.skip(position)
            if self.text.startswith(",", position):
                position = self.skip(position + 1)
            elif self.text.startswith("]", position):
                return position + 1
            else:
                yield self.syntax_error(position, "Expecting ',' or ']'")
                return -1

    def element(
        self, start: int, index: int | None = None
    ) -> Iterator[Accepted | Rejected]:
        """The record at ``start``, element ``index`` of an array or a top-level
        value (None); returns where it ends (-1: stop)."""
        line = self.line_at(start)
        try:
            record, end, storable = self.decode(start)
        except json.JSONDecodeError as error:
            yield self.syntax_error(error.pos, syntax_reason(error), line)
            return -1
        except RecursionError:
            yield self.syntax_error(start, "nested too deeply", line)
            return -1
        items = self.records(record, start, end, line, storable)
        if index is not None:
            if Rejected in map(type, items) and self.shares_line(start, end):
                items = [_indexed(item, index) for item in items]
            self.previous_end = end
        yield from items
        return end

    def decode(self, start: int) -> tuple[object, int, bool]:
        """The value at ``start``, where it ends, and whether DECODER took it.

        A value DECODER refuses is read again with Markers for the bad values.
        """
        try:
            record, end = DECODER.raw_decode(self.text, start)
        except json.JSONDecodeError:
            raise
        except ValueError:
            record, end = LOCATOR.raw_decode(self.text, start)
            return record, end, False
        return record, end, True

    def records(
        self, record: object, start: int, end: int, line: int, storable: bool
    ) -> list[Accepted | Rejected]:
        """The events (or rejects) of the element at ``start``."""
        source = self.text[start:end]
        try:
            self.check(source, start)
        except InputError as error:
            return [Rejected(line, str(error), cut(printable(source)))]
        # The offset, not the line: several elements may share a line.
        seed = None if self.name is None else f"{self.name}\x1f@{start}\x1f{source}"
        return expand_record(
            record,
            received=self.received,
            line=line,
            seed=seed,
            format=self.format,
            defaults=self.defaults,
            raw=source,
            storable=storable
            and not may_hold_surrogates(source)
            and not may_nest_deeply(source),
        )

    def shares_line(self, start: int, end: int) -> bool:
        """True when another element of the array is on the element's lines."""
        text = self.text
        if self.previous_end >= 0 and "\n" not in text[self.previous_end : start]:
            return True
        after = self.skip(end)
        if not text.startswith(",", after):
            return False
        following = self.skip(after + 1)
        return following < len(text) and "\n" not in text[end:following]

    def check(self, source: str, start: int) -> None:
        """InputError when the element's text is too large or was not UTF-8."""
        if len(source) * 4 > self.limit:
            size = len(source.encode("utf-8", "surrogateescape"))
            if size > self.limit:
                raise too_large(size, self.limit)
        if self.broken and (bad := _UNDECODABLE.search(source)):
            before = self.text[: start + bad.start()]
            offset = self.bom + len(before.encode("utf-8", "surrogateescape"))
            raise InputError(f"invalid UTF-8 at byte offset {offset} of the file")

    def syntax_error(self, position: int, message: str, line: int | None = None):
        """The reject for a syntax error at ``position``, which stops the reading."""
        at = self.line_at(position)
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        reason = f"bad JSON at line {at} column {column}: {message}{_STOPPED}"
        start = self.text.rfind("\n", 0, position) + 1
        return Rejected(line or at, reason, cut(printable(self.text[start:])))

    def skip(self, position: int) -> int:
        """The first position at or after ``position`` that is not white space."""
        return _SPACE.match(self.text, position).end()

    def line_at(self, position: int) -> int:
        """The 1-based line of ``position``; positions only grow, so count onwards."""
        if position >= self.line_pos:
            self.line += self.text.count("\n", self.line_pos, position)
        else:
            self.line -= self.text.count("\n", position, self.line_pos)
        self.line_pos = position
        return self.line


def _indexed(item: Accepted | Rejected, index: int) -> Accepted | Rejected:
    """A reject with the element's index before its reason; events as they are."""
    if isinstance(item, Accepted):
        return item
    return Rejected(item.line, f"[{index}]: {item.reason}", item.raw)
