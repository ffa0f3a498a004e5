"""NDJSON: one event or tracker payload per line, from a file, stdin or a socket."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator

from tracsh.inputs.events import expand_record
from tracsh.inputs.items import (
    MAX_EVENT_BYTES,
    Accepted,
    InputError,
    Rejected,
    cut,
    decoded,
    now_text,
)

BOM = "\ufeff"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
"""Strict JSON: NaN, Infinity and numbers too large for a float (``1e999``) are
refused, as SQLite's JSON functions would refuse them."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def refuse_lone_surrogates(text: str, value: object) -> None:
    """InputError when ``value``, parsed from ``text``, holds a lone surrogate.

    JSON may escape half of a UTF-16 pair (``"\\ud800"``); Python decodes it to
    text that cannot be written as UTF-8, so the store could not keep it. Only
    text with such an escape is checked, so the common case costs one search.
    """
    if _SURROGATE_ESCAPE.search(text) is None:
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(error.object[error.start])
        raise InputError(
            f"bad JSON: text holds a lone surrogate (\\u{code:04x}), not a character"
        ) from None


def parse_json(text: str) -> object:
    """One JSON value from ``text``; InputError with the parser's reason and column."""
    try:
        value = DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise InputError(f"bad JSON at column {error.colno}: {error.msg}") from None
    except ValueError as error:
        raise InputError(f"bad JSON: {error}") from None
    except RecursionError:
        raise InputError("bad JSON: nested too deeply") from None
    refuse_lone_surrogates(text, value)
    return value


def too_large(size: int, limit: int) -> InputError:
    """The reject reason for a record over the size limit."""
    return InputError(f"too large: {size:,} bytes; the limit is {limit:,} bytes")


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

    ``lines`` may be bytes (a binary file, ``sys.stdin.buffer``) or text.
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
    for number, line in enumerate(lines, first_line):
        try:
            text = _line_text(line, number == 1, max_event_bytes)
            if not text or text.isspace():
                continue
            record = parse_json(text)
        except InputError as error:
            raw = line if isinstance(line, str) else decoded(line)
            yield Rejected(number, str(error), cut(raw.rstrip("\r\n")))
            continue
        yield from expand_record(
            record,
            received=received,
            line=number,
            seed=None if name is None else f"{name}\x1f{number}\x1f{text}",
            format=format,
            defaults=defaults,
            raw=cut(text),
        )


def _line_text(line: bytes | str, first: bool, limit: int) -> str:
    """The line as text without its line end; InputError if too large or not UTF-8."""
    if isinstance(line, str):
        text = line.rstrip("\r\n")
        if len(text) * 4 > limit:
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise too_large(size, limit)
    else:
        data = line.rstrip(b"\r\n")
        if len(data) > limit:
            raise too_large(len(data), limit)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"invalid UTF-8 at byte offset {error.start}") from None
    return text[1:] if first and text.startswith(BOM) else text
