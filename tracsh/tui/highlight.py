"""Colour for rule-language text: keywords, roots, strings, numbers and comments.

The rule editor and the rules screen call :func:`tokens` line by line. It has
to cope with text that does not parse (the editor shows half-typed rules), so
it is a small scanner rather than the LALR parser; its keywords are read from
the grammar itself, so a keyword added there is coloured here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

from rich.text import Text

ROOTS = frozenset({"event", "profile", "session", "source", "now"})
"""Path roots, coloured apart from keywords."""

_WORDS_IN_PATTERNS = (
    "and or not is missing null empty exists contains starts ends with matches "
    "if enter exit second seconds minute minutes hour hours day days week weeks "
    "year years"
)

_TOKEN = re.compile(
    r"""(?P<comment>\#.*)
      | (?P<string>"(?:\\.|[^"\\])*"?|'(?:\\.|[^'\\])*'?)
      | (?P<number>\d+(?:\.\d+)?[smhdwy]?\b)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@cache
def keywords() -> frozenset[str]:
    """Every lower-case word the grammar spells out, plus those inside patterns."""
    grammar = resources.files("tracsh.grammar").joinpath("tracsh.lark").read_text()
    quoted = re.findall(r'"([a-z]+)"', grammar)
    return (frozenset(quoted) | frozenset(_WORDS_IN_PATTERNS.split())) - ROOTS


def tokens(line: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, kind)`` character ranges worth colouring in one line.

    Kinds are ``keyword``, ``root``, ``string``, ``number`` and ``comment``;
    an unclosed string runs to the end of the line.
    """
    words = keywords()
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        if kind == "word":
            word = match.group()
            if word in ROOTS and not _after_dot(line, match.start()):
                kind = "root"
            elif word in words and not _after_dot(line, match.start()):
                kind = "keyword"
            else:
                continue
        yield match.start(), match.end(), kind


def _after_dot(line: str, start: int) -> bool:
    """A word after a dot is a field name (``event.type``), never a keyword."""
    return start > 0 and line[start - 1] == "."


STYLES = {
    "keyword": "bold magenta",
    "root": "blue",
    "string": "green",
    "number": "red",
    "comment": "dim italic",
}
"""Rich styles for read-only displays of rule text."""


def highlighted(text: str, first_line: int | None = None) -> Text:
    """Rule text as Rich Text, optionally with line numbers from ``first_line``."""
    lines = text.split("\n")
    width = len(str((first_line or 1) + len(lines)))
    result = Text()
    for number, line in enumerate(lines, start=first_line or 1):
        if first_line is not None:
            result.append(f"{number:>{width}} ", style="dim")
        piece = Text(line)
        for start, end, kind in tokens(line):
            piece.stylize(STYLES[kind], start, end)
        result.append_text(piece)
        result.append("\n")
    result.rstrip()
    return result
