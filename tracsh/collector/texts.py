"""Text from the request line and headers, read as strictly as text in a JSON body.

The ASGI server hands the path and query over percent-decoded with bad UTF-8
replaced by U+FFFD, and headers as Latin-1, so two different bad ids would
read as the same id. What the collector uses from them (the event type and
source of ``/collect``, its query parameters, the ``Idempotency-Key`` header)
is read again here from the raw bytes: invalid UTF-8 is a 400 naming the
field, and ids must pass the id rule (tracsh/inputs/ids.py).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.requests import Request

from tracsh.collector.errors import ClientError
from tracsh.inputs.ids import id_problem

MAX_KEY = 255
"""The longest Idempotency-Key header accepted."""


def utf8(data: bytes, what: str) -> str:
    """``data`` as UTF-8 text, or a 400 naming ``what`` and the bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClientError(
            400,
            f"{what} is not UTF-8: byte 0x{data[error.start]:02x} at offset "
            f"{error.start} cannot be read",
        ) from None


def checked_id(text: str, what: str) -> str:
    """``text`` when it may be an id, or a 400 naming ``what``."""
    problem = id_problem(text)
    if problem is not None:
        raise ClientError(400, f"{what} {problem}")
    return text


def path_texts(request: Request, *what: str) -> list[str]:
    """The last segments of the path (the route's parameters), one per name in
    ``what``, decoded from the bytes the client sent; a 400 names the segment."""
    raw = request.scope.get("raw_path")
    if raw is None:  # a server that keeps no raw path: take what it decoded
        return [str(value) for value in request.path_params.values()][-len(what) :]
    segments = raw.split(b"/")[-len(what) :]
    return [
        utf8(unquote_to_bytes(segment), name)
        for segment, name in zip(segments, what, strict=True)
    ]


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """The query's ``(name, value)`` pairs, each decoded as UTF-8 or a 400."""
    pairs = []
    for piece in request.scope.get("query_string", b"").split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        name_text = utf8(_unquoted(name), "a query parameter name")
        pairs.append(
            (name_text, utf8(_unquoted(value), f"query parameter {name_text!r}"))
        )
    return pairs


def _unquoted(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" "))


def header_text(request: Request, name: str) -> str | None:
    """The header ``name`` (lower case) as UTF-8 text, None when absent, or 400."""
    for key, value in request.headers.raw:
        if key == name.encode():
            return utf8(value, f"the {name.title()} header")
    return None


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header: 1 to MAX_KEY printable characters, or 400."""
    key = header_text(request, "idempotency-key")
    if key is not None and (not 0 < len(key) <= MAX_KEY or not key.isprintable()):
        raise ClientError(
            400, f"Idempotency-Key must be 1 to {MAX_KEY} printable characters"
        )
    return key
