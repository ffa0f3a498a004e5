"""The runtime's log shape: one JSON object per line on stderr, with a request id.

The daemon and ``tracsh ingest`` call :func:`configure_logging` once; every
module logs through ``logging.getLogger(__name__)`` as usual, and fields given
with ``extra={...}`` become keys of the line. The collector sets the current
request's id with :func:`bind_request_id`, so every line logged while a request
is handled carries it, whichever module logs it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

LEVELS = ("debug", "info", "warning", "error")
"""What ``--log-level`` accepts."""

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tracsh_request_id", default=None
)

# The attributes every LogRecord has; anything else was passed in ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
}


_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
"""``json.dumps`` with these options builds an encoder per call; one is enough."""


def bind_request_id(request_id: str | None) -> contextvars.Token:
    """Make ``request_id`` the id of every line logged in this context."""
    return _REQUEST_ID.set(request_id)


def unbind_request_id(token: contextvars.Token) -> None:
    """Restore the request id that was current before :func:`bind_request_id`."""
    _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _REQUEST_ID.get()


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields given with ``extra={...}`` when ``record`` was logged."""
    return {
        name: value
        for name, value in record.__dict__.items()
        if name not in _STANDARD and not name.startswith("_")
    }


class JsonLines(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        line.update(extra_fields(record))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return _encode(line)


def configure_logging(level: str = "info", stream: IO[str] | None = None) -> None:
    """Send every logger's records, uvicorn's included, to ``stream`` as JSON lines.

    ``level`` is one of LEVELS. Replaces the root logger's handlers, so it is
    meant for a process that runs the runtime, not for a library caller.
    """
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # The collector writes its own access lines, with the request id.
    logging.getLogger("uvicorn.access").disabled = True
    # watchfiles reports every batch of file changes at info; ours says more.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
