"""A TextArea that colours rule-language text and marks diagnostics in place.

Textual colours text through tree-sitter grammars, which the rule language does
not have; this widget fills the TextArea's highlight map from the scanner in
tracsh/tui/highlight.py instead, and adds a mark under each diagnostic.
"""

from __future__ import annotations

from textual.widgets import TextArea

from tracsh.lang.errors import Diagnostic
from tracsh.tui.highlight import tokens
from tracsh.tui.themes import EDITOR_THEMES


def _bytes(line: str, column: int) -> int:
    """The UTF-8 byte offset of a character offset (the highlight map's unit)."""
    return len(line[:column].encode("utf-8"))


def problem_span(line: str, diagnostic: Diagnostic) -> tuple[int, int]:
    """Character range to mark: the diagnostic's, else the word at its column."""
    start = min(max(diagnostic.column - 1, 0), max(len(line) - 1, 0))
    end = (diagnostic.end_column or 0) - 1
    if end <= start:
        end = start + 1
        while end < len(line) and not line[end].isspace():
            end += 1
    return start, max(end, start + 1)


class RuleEditor(TextArea):
    """Rule text with colours and problem marks."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            soft_wrap=False, show_line_numbers=True, tab_behavior="indent", **kwargs
        )
        self.problems: list[Diagnostic] = []
        """The diagnostics of the text as last checked, marked in place."""
        for theme in EDITOR_THEMES.values():
            self.register_theme(theme)

    def mark(self, problems: list[Diagnostic]) -> None:
        """Show these diagnostics in the text."""
        self.problems = problems
        self._build_highlight_map()
        self.refresh()

    def _build_highlight_map(self) -> None:
        """Colour tokens line by line, then mark each problem's range."""
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        lines = self.document.lines
        for row, line in enumerate(lines):
            for start, end, kind in tokens(line):
                highlights[row].append((_bytes(line, start), _bytes(line, end), kind))
        for problem in getattr(self, "problems", ()):
            row = problem.line - 1
            if 0 <= row < len(lines):
                line = lines[row]
                start, end = problem_span(line, problem)
                name = f"problem.{problem.severity}"
                highlights[row].append((_bytes(line, start), _bytes(line, end), name))
