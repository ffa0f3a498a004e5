"""Lark tokens and metas as the transformer reads them: text, spans and path keys."""

from __future__ import annotations

import re
from typing import Any

from lark import Token

from tracsh.lang import nodes as n

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)", re.S)


def unescape(token: str) -> str:
    """The text of a quoted string token, its backslash escapes applied.

    An escape the language does not know (``\\d`` in a regular expression) keeps
    its backslash, so patterns can be written without doubling every one.
    """

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if code[0] in "uUx" and len(code) > 1:
            return chr(int(code[1:], 16))
        return "\\" + code

    return _ESCAPE.sub(replace, token[1:-1])


def span_of(item: Any) -> n.Span:
    """The span of a Lark token, a Lark meta, or a node."""
    if isinstance(item, Token):
        return n.Span(item.line, item.column, item.end_line, item.end_column)
    if hasattr(item, "span"):
        return item.span
    if getattr(item, "empty", True):
        return n.NOSPAN
    return n.Span(item.line, item.column, item.end_line, item.end_column)


def _between(first: Any, last: Any) -> n.Span:
    """A span from the start of ``first`` to the end of ``last``."""
    a, b = span_of(first), span_of(last)
    return n.Span(a.line, a.column, b.end_line, b.end_column)


def _name(token: Token | None) -> str | None:
    """The text of an optional quoted name, or None when it was left out."""
    return None if token is None else unescape(token)


def _path_part(token: Token) -> str | int:
    """One key of a path: a name, a quoted key, or a list index."""
    if token.type == "STRING":
        return unescape(token)
    if token.type == "INT":
        # An index past any list a document can hold is simply never found.
        return int(token) if len(token) <= 18 else 10**18
    return str(token)
