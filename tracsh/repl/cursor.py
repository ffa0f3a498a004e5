"""Where the REPL's cursor stands in the language: in code, a string, a comment or
a number.

Completion (completer.py) offers only what fits there. Strings and comments end
with their line, as the grammar says, so the line before the cursor decides,
read the way the lexer reads it: a ``#`` outside a string opens a comment, a
backslash escapes the next character inside one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"(?<![A-Za-z0-9_.\]])\d+(\.\d*)?$")
"""A number the cursor is right after (not the digits of a name or an index)."""


@dataclass(frozen=True)
class Cursor:
    """The lexical context at the cursor."""

    kind: str
    """``code``, ``string``, ``comment`` or ``number``."""
    before: str
    """The text before what is being typed: before a string's opening quote,
    before a number, or (in code and comments) before the cursor."""
    typed: str = ""
    """What is typed of the string or number so far."""
    quote: str = ""
    """The quote a string opened with."""


def cursor(text: str) -> Cursor:
    """The context at the end of ``text``, the text before the cursor."""
    start = text.rfind("\n") + 1
    quote, opened, index = "", 0, start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote, opened = char, index
        elif char == "#":
            return Cursor("comment", text)
        index += 1
    if quote:
        return Cursor("string", text[:opened], text[opened + 1 :], quote)
    number = _NUMBER.search(text, start)
    if number is not None:
        return Cursor("number", text[: number.start()], number.group(0))
    return Cursor("code", text)
