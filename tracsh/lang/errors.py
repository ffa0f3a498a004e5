"""Diagnostics for rule files: what went wrong, where, shown with a caret.

The parser, the checker and the loader all report through ``Diagnostic``; the
parser raises ``RuleError`` carrying them, the loader collects them instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from tracsh.lang.nodes import Span


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning at a place in a rule file (line and column 1-based)."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"
    """``"error"`` (the rule set does not load), ``"warning"``, or ``"note"``
    (what was not checked, and why)."""
    source_line: str = ""
    """The text of the faulty line, without its newline; empty when unknown."""
    end_column: int | None = None
    """One past the last faulty column on the same line, to underline a word."""

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic stops the rule set from loading."""
        return self.severity == "error"

    def header(self) -> str:
        """The ``path:line:column: severity: message`` line."""
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def render(self) -> str:
        """The header, then the source line and a caret under the fault."""
        if not self.source_line.strip():
            return self.header()
        shown, caret = _caret_lines(self.source_line, self.column, self.end_column)
        return f"{self.header()}\n  {shown}\n  {caret}"


SHOWN_WIDTH = 100
"""The most characters of a source line an error shows; longer lines are cut."""


def _caret_lines(source: str, column: int, end_column: int | None) -> tuple[str, str]:
    """The source line without its indentation, and a caret line under ``column``.

    Tabs before the fault are copied into the caret line so the caret stays
    under the fault whatever the terminal's tab width. A long line is cut to a
    window around the fault, and characters a terminal would not show plainly
    are shown as ``?``.
    """
    indent = len(source) - len(source.lstrip(" \t"))
    shown = source[indent:].rstrip()
    start = min(max(column - 1 - indent, 0), len(shown))
    width = 1
    if end_column is not None and end_column - 1 - indent > start:
        width = min(end_column - 1 - indent, max(len(shown), start + 1)) - start
    shown, start, width = _window(shown, start, width)
    shown = "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in shown)
    prefix = "".join("\t" if ch == "\t" else " " * _cells(ch) for ch in shown[:start])
    under = sum(_cells(ch) for ch in shown[start : start + width])
    return shown, prefix + "^" + "~" * (max(under, 1) - 1)


def _cells(char: str) -> int:
    """How many terminal cells ``char`` takes: 2 for wide (CJK) characters, 0
    for combining marks, else 1; so the caret stays under the fault."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _window(shown: str, start: int, width: int) -> tuple[str, int, int]:
    """Cut ``shown`` to SHOWN_WIDTH characters around the fault, marking cuts with
    an ellipsis."""
    if len(shown) <= SHOWN_WIDTH:
        return shown, start, width
    left = max(0, min(start - SHOWN_WIDTH // 3, len(shown) - SHOWN_WIDTH))
    cut = shown[left : left + SHOWN_WIDTH]
    if left:
        cut, start = "…" + cut[1:], start - left
    else:
        start = start - left
    if left + SHOWN_WIDTH < len(shown):
        cut = cut[:-1] + "…"
    width = max(1, min(width, len(cut) - start))
    return cut, start, width


def diagnostic_at(
    path: str,
    text: str,
    span: Span,
    message: str,
    severity: str = "error",
    underline: bool = False,
) -> Diagnostic:
    """A diagnostic at ``span`` in ``text``, with its source line filled in."""
    end_column = None
    if underline and span.end_line == span.line:
        end_column = span.end_column
    return Diagnostic(
        path=path,
        line=span.line,
        column=span.column,
        message=message,
        severity=severity,
        source_line=source_line(text, span.line),
        end_column=end_column,
    )


def source_line(text: str, line: int) -> str:
    """Line number ``line`` (1-based) of ``text``, or "" when out of range."""
    lines = text.split("\n")
    if 1 <= line <= len(lines):
        return lines[line - 1].rstrip("\r")
    return ""


class RuleError(Exception):
    """A rule file (or a condition typed at the REPL) that cannot be used."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        """Every diagnostic, rendered, one block after another."""
        return "\n".join(d.render() for d in self.diagnostics)
