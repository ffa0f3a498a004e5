"""JSON documents an author types or names by file: the REPL's and ``tracsh eval``'s.

Parsed as strictly as input files (tracsh.inputs.jsontext: no NaN or Infinity,
no number or text a document cannot hold, each refused with its place) and
bounded in depth before parsing, so a file of a hundred thousand nested lists
is refused with a message instead of exhausting Python's recursion limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tracsh.errors import UserError
from tracsh.inputs.jsontext import decode, unstorable

MAX_DEPTH = 64
"""How deeply objects and lists may nest in a typed document, as rules may nest."""

_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
"""Strings (skipped whole) and the brackets that nest."""


class DocumentError(UserError):
    """A typed document that cannot be used; the message says why, without a prefix.

    A fault with a place in the document also carries its ``line`` and
    ``column`` and the ``reason`` without them, for callers that show the place
    themselves (the REPL, in a script).
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.line, self.column = line, column
        self.reason = message if reason is None else reason
        super().__init__(message)


def parse_document(text: str) -> Any:
    """The JSON value of ``text``; raises DocumentError."""
    too_deep = _too_deep(text)
    if too_deep is not None:
        line, column = too_deep
        limit = f"tracsh takes documents up to {MAX_DEPTH} levels"
        raise DocumentError(
            f"nested more than {MAX_DEPTH} levels deep (line {line} column {column}); "
            + limit,
            line,
            column,
            f"nested more than {MAX_DEPTH} levels deep; {limit}",
        )
    try:
        value, storable = decode(text)
    except json.JSONDecodeError as err:
        raise DocumentError(
            f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}",
            err.lineno,
            err.colno,
            f"not valid JSON: {err.msg}",
        ) from None
    reason = None if storable else unstorable(value)
    if reason is not None:
        raise DocumentError(reason)
    return value


def parse_object(text: str) -> dict:
    """A JSON object from ``text``; anything else is a DocumentError."""
    found = parse_document(text)
    if not isinstance(found, dict):
        kind = "null" if found is None else type(found).__name__
        raise DocumentError(f"expected a JSON object, got {kind}")
    return found


def _too_deep(text: str) -> tuple[int, int] | None:
    """Line and column of the bracket that nests past MAX_DEPTH, or None."""
    depth = 0
    for found in _NESTING.finditer(text):
        bracket = found.group(0)
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                start = found.start()
                line = text.count("\n", 0, start) + 1
                return line, start - (text.rfind("\n", 0, start) + 1) + 1
        elif bracket in "]}":
            depth -= 1
    return None
