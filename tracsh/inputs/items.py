"""What readers yield, accepted events and rejected records, and the input errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tracsh.errors import UserError

MAX_EVENT_BYTES = 64 * 1024
"""The default size limit of one record (a line, a JSON element or a CSV row)."""

RAW_LIMIT = 1024
"""How much of a rejected record's text is kept."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """An event in the shape of docs/architecture.md, ready for the pipeline."""

    event: dict
    line: int | None
    """Where the record started in its file (1-based); None without a file."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not become an event, and why."""

    line: int | None
    """Where the record started in its file (1-based); None without a file."""
    reason: str
    """What was wrong, short, for people."""
    raw: str
    """The offending text, cut to about 1 KiB."""


class InputError(UserError):
    """Input that cannot be read as events.

    Raised for one record (the message is the reject reason, and readers turn it
    into a Rejected) and for a whole input that cannot be read at all.
    """


class MappingError(InputError):
    """A CSV column mapping that is not valid; the message names file and key."""


def cut(text: str) -> str:
    """``text`` shortened to RAW_LIMIT characters, marked when shortened.

    Lone surrogates become ``\\udXXX`` escapes, so the store can keep the text.
    """
    if len(text) > RAW_LIMIT:
        text = text[:RAW_LIMIT] + "…"
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def too_large(size: int, limit: int) -> InputError:
    """The reject reason for a record over the size limit."""
    return InputError(f"too large: {size:,} bytes; the limit is {limit:,} bytes")


def decoded(data: bytes) -> str:
    """Bytes as text for a reject's ``raw``: bad UTF-8 becomes U+FFFD."""
    return data.decode("utf-8", "replace")


def printable(text: str) -> str:
    """Text read with surrogateescape, with the undecodable bytes as U+FFFD.

    Any other lone surrogate is left to ``cut``, which escapes it.
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text


def now_text() -> str:
    """The current time as stored: ISO-8601 in UTC."""
    return datetime.now(UTC).isoformat()


def kind_of(value: object) -> str:
    """A JSON value's kind as a reason names it: "an array", "text", "a number"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"
