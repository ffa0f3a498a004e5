"""Syntax highlighting at the REPL prompt, from the grammar's own terminals.

The text is cut into tokens by the lexer Lark builds from grammar/tracsh.lark,
so a word is coloured as a keyword exactly when the parser would read it as
one. Characters the lexer cannot read, and the span of the first error the
parser or checker reports, are marked as errors while the author types.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from lark.exceptions import UnexpectedCharacters
from prompt_toolkit.document import Document
from prompt_toolkit.lexers import Lexer

from tracsh.lang.format import scan_comments
from tracsh.lang.functions import FUNCTIONS
from tracsh.lang.nodes import ROOTS
from tracsh.lang.parser import ACTION_WORDS, GluedKeyword, _lark, oversized
from tracsh.repl.entry import kind_of, read

_BY_TYPE = {
    "STRING": "string",
    "INT": "number",
    "DECIMAL": "number",
    "SHORT_DURATION": "number",
    "UNIT": "keyword",
    "COMPARE": "operator",
    "ASSIGN": "operator",
    "PLUS": "operator",
    "MINUS": "operator",
    "STAR": "operator",
    "SLASH": "operator",
    "PERCENT": "operator",
    "TEXT_OP": "keyword",
    "PRESENCE": "keyword",
    "IF_MISSING": "keyword",
    "ENTER_WHEN": "keyword",
    "EXIT_WHEN": "keyword",
    "_AND": "keyword",
    "_OR": "keyword",
    "COMMENT": "comment",
}
_WORD_TYPES = frozenset(
    t.name
    for t in _lark().terminals
    if t.pattern.type == "str" and t.pattern.value.isalpha()
)
"""Terminals that are words of the language: ``rule``, ``when``, ``send`` …"""


def keywords() -> list[str]:
    """Every keyword of the grammar, for completion."""
    words = {t.pattern.value for t in _lark().terminals if t.name in _WORD_TYPES}
    return sorted(words)


@lru_cache(maxsize=64)
def classes(text: str) -> tuple[str, ...]:
    """A style class (or "") for every character of ``text``."""
    if kind_of(text) == "command":
        return _command_classes(text)
    out = [""] * len(text)
    start = "start" if kind_of(text) == "forms" else "condition_input"
    if oversized(text, start) is not None:
        # Over the size limit the input is refused anyway; colouring it would
        # cost seconds a keystroke. Only the mistake is marked.
        _mark_error(text, out)
        return tuple(out)
    _tokens(text, 0, out)
    for comment in scan_comments(text):
        start = _offset(
            text, comment.line, len(_line(text, comment.line)) - len(comment.text) + 1
        )
        out[start : start + len(comment.text)] = ["comment"] * len(comment.text)
    _mark_error(text, out)
    return tuple(out)


def _tokens(text: str, base: int, out: list[str]) -> None:
    """Fill ``out`` from Lark's tokens of ``text`` (which starts at ``base``)."""
    previous = None
    position = 0
    while position < len(text):
        chunk = text[position:]
        try:
            for token in _lark().lex(chunk, dont_ignore=True):
                if token.type == "_NL":
                    continue
                start = base + position + (token.start_pos or 0)
                kind = _class_of(token, previous)
                for index in range(start, start + len(token.value)):
                    if index < len(out) and not text[index - base].isspace():
                        out[index] = kind
                previous = token
            return
        except UnexpectedCharacters as err:
            bad = position + err.pos_in_stream
            end = text.find("\n", bad) if text[bad] in "\"'" else bad + 1
            end = len(text) if end < 0 else end
            out[base + bad : base + end] = ["error"] * (end - bad)
            position = end
            previous = None
        except GluedKeyword as err:
            # Lex on from the glued word; the validator marks the fault itself.
            position += max(err.token.start_pos or 0, 1)
            previous = None


def _class_of(token, previous) -> str:
    if token.type in _BY_TYPE:
        return _BY_TYPE[token.type]
    after_dot = previous is not None and previous.type == "DOT"
    if token.value in ROOTS and not after_dot:
        return "root"
    if token.type == "NAME" or (token.type in _WORD_TYPES and after_dot):
        if after_dot:
            return "field"
        if token.value in FUNCTIONS:
            return "function"
        return "name"
    if token.type in _WORD_TYPES:
        return "action" if token.value in ACTION_WORDS else "keyword"
    return "punctuation"


def _command_classes(text: str) -> tuple[str, ...]:
    stripped = len(text) - len(text.lstrip())
    word = text[stripped:].split(None, 1)[0] if text.strip() else ""
    out = [""] * len(text)
    out[stripped : stripped + len(word)] = ["command"] * len(word)
    return tuple(out)


def _mark_error(text: str, out: list[str]) -> None:
    """Underline the first error the parser or checker finds, as it will report it."""
    entry = read(text)
    if entry.error is None:
        return
    start = entry.offset(text)
    end_column = entry.error.end_column
    width = max(end_column - entry.error.column, 1) if end_column else 1
    for index in range(start, min(start + width, len(text))):
        out[index] = "error"
    if start >= len(text) and text:
        out[-1] = "error"


def _line(text: str, number: int) -> str:
    return text.split("\n")[number - 1]


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(part) + 1 for part in lines[: line - 1]) + column - 1


class RuleLexer(Lexer):
    """prompt_toolkit's view of ``classes``: styled fragments per line."""

    def lex_document(self, document: Document) -> Callable[[int], list]:
        text = document.text
        found = classes(text)
        starts = [0]
        for line in document.lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)

        def line_fragments(number: int) -> list:
            if number >= len(document.lines):
                return []
            start = starts[number]
            line = document.lines[number]
            return _fragments(line, found[start : start + len(line)])

        return line_fragments


def _fragments(line: str, styles: tuple[str, ...]) -> list[tuple[str, str]]:
    fragments: list[tuple[str, str]] = []
    for char, style in zip(line, styles, strict=False):
        name = f"class:{style}" if style else ""
        if fragments and fragments[-1][0] == name:
            fragments[-1] = (name, fragments[-1][1] + char)
        else:
            fragments.append((name, char))
    return fragments
