"""NDJSON: one event or tracker payload per line, from a file, stdin or a socket."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from tracsh.inputs.bounded import LongLine, bounded_lines
from tracsh.inputs.events import expand_record
from tracsh.inputs.items import (
    MAX_EVENT_BYTES,
    Accepted,
    InputError,
    Rejected,
    cut,
    decoded,
    now_text,
    too_large,
)
from tracsh.inputs.jsontext import (
    decode,
    syntax_reason,
)

BOM = "\ufeff"


def parse_json(text: str) -> tuple[object, bool]:
    """One JSON value from ``text``, and whether it surely holds only values the
    store can keep (see jsontext); InputError for a syntax error, with its column.
    """
    try:
        return decode(text)
    except json.JSONDecodeError as error:
        raise _syntax_error(error) from None
    except RecursionError:
        raise InputError("bad JSON: nested too deeply") from None


def _syntax_error(error: json.JSONDecodeError) -> InputError:
    return InputError(f"bad JSON at column {error.colno}: {syntax_reason(error)}")


def read_lines(
    lines: Iterable[bytes | str],
    *,
    name: str | None = None,
    received: str | None = None,
    format: str = "auto",
    max_event_bytes: int = MAX_EVENT_BYTES,
    source: str = "file",
    first_line: int = 1,
) -> Iterator[Accepted | Rejected]:
    """Events and rejects from lines of NDJSON, numbered from ``first_line``.

    ``lines`` may be a stream (a binary file, ``sys.stdin.buffer``), read with a
    bound so a huge line never sits in memory whole, or lines of bytes or text.
    ``name`` (the file's name) makes generated ids stable across replays; with
    None they are random. ``format`` is "auto" (tracker payloads are
    flattened), "ndjson" (every line is one event) or "track" (payloads only).
    Blank lines are skipped; a BOM and CRLF line ends are tolerated.
    ``first_line`` is the number of the first line given, for a reader that
    resumes mid-file (``tracsh ingest``): the ids it generates are then the
    ones a read from the start gives.
    """
    received = received or now_text()
    defaults = {"source": {"id": source}}
    if hasattr(lines, "readline"):
        lines = bounded_lines(lines, max_event_bytes)
    for number, line in enumerate(lines, first_line):
        try:
            text = _line_text(line, number == 1, max_event_bytes)
            if not text.strip(" \t\r"):
                continue
            record, storable = parse_json(text)
        except InputError as error:
            yield Rejected(number, str(error), cut(_shown(line)))
            continue
        yield from expand_record(
            record,
            received=received,
            line=number,
            seed=None if name is None else f"{name}\x1f{number}\x1f{text}",
            format=format,
            defaults=defaults,
            raw=text,
            storable=storable,
        )


def _shown(line: bytes | str | LongLine) -> str:
    """The line's text for a reject, without its line end."""
    if isinstance(line, LongLine):
        line = line.head
    text = line if isinstance(line, str) else decoded(line)
    return text.rstrip("\r\n")


def _line_text(line: bytes | str | LongLine, first: bool, limit: int) -> str:
    """The line as text without its line end; InputError if too large or not UTF-8."""
    if isinstance(line, str):
        text = line.rstrip("\r\n")
        if len(text) * 4 > limit:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise too_large(size, limit)
    elif isinstance(line, LongLine):
        raise too_large(line.size, limit)
    else:
        data = line.rstrip(b"\r\n")
        if len(data) > limit:
            raise too_large(len(data), limit)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"invalid UTF-8 at byte offset {error.start}") from None
    return text[1:] if first and text.startswith(BOM) else text
