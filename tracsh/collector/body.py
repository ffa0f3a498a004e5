"""Request bodies: read within a size limit, then parsed as strict JSON or a form.

The limit is checked against ``Content-Length`` before anything is read and
again while the body streams in, so an oversized body is refused without being
held in memory. JSON is read as the file readers read it (tracsh.inputs), and
syntax errors name the line and column.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from tracsh.collector.errors import ClientError
from tracsh.inputs.jsontext import decode, syntax_reason

MAX_BODY_BYTES = 512 * 1024
"""The largest request body accepted (a tracker payload of many events)."""

MAX_EVENT_BYTES = 32 * 1024
"""The largest single event accepted, as JSON."""

MAX_EVENTS = 100
"""The most events one request may carry."""

FORM = "application/x-www-form-urlencoded"


def too_large(what: str, size: int | None, limit: int) -> ClientError:
    """The 413 for something over its limit, with both figures when known."""
    measured = f"{size:,} bytes" if size is not None else f"over {limit:,} bytes"
    return ClientError(
        413, f"{what} is {measured}; the limit is {limit:,} bytes", reason="too_large"
    )


async def read_body(request: Request, limit: int, what: str = "the body") -> bytes:
    """The request body, or 413 as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ClientError(400, f"Content-Length is not a number: {declared!r}")
        if int(declared) > limit:
            raise too_large(what, int(declared), limit)
    # Read from ASGI's receive() directly: Request.stream() is an async
    # generator, and asyncio tracks each one it starts in a weak set.
    chunks, size = [], 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientError(400, "the client went away before the body was complete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(what, None, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def parse_json(data: bytes) -> tuple[Any, bool]:
    """One JSON value from ``data``, and whether it surely holds only values the
    store can keep; 400 naming the line and column of a syntax error.

    Values the store cannot keep (``NaN``, ``1e999``, lone surrogates) are not
    refused here: tracsh.inputs rejects the events holding them, naming where.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClientError(
            400, f"the body is not UTF-8: invalid byte at offset {error.start}"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ClientError(400, "the body is empty; expected JSON")
    try:
        return decode(text)
    except json.JSONDecodeError as error:
        raise ClientError(
            400,
            f"bad JSON at line {error.lineno}, column {error.colno}: "
            f"{syntax_reason(error)}",
        ) from None
    except RecursionError:
        raise ClientError(400, "bad JSON: nested too deeply") from None


def parse_form(data: bytes) -> dict[str, Any]:
    """A urlencoded form as an object; a repeated field becomes a list."""
    try:
        pairs = parse_qsl(
            data.decode("utf-8"), keep_blank_values=True, strict_parsing=True
        )
    except UnicodeDecodeError as error:
        raise ClientError(
            400, f"the form is not UTF-8: invalid byte at offset {error.start}"
        ) from None
    except ValueError as error:
        raise ClientError(400, f"bad form body: {error}") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            before = fields[name]
            fields[name] = (
                [*before, value] if isinstance(before, list) else [before, value]
            )
        else:
            fields[name] = value
    return fields


def json_size(value: Any) -> int:
    """How many bytes ``value`` takes as compact JSON, as the store keeps it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", "surrogatepass"))
