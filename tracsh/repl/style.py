"""The REPL's colours, one entry per style class the lexer and toolbar use."""

from __future__ import annotations

from prompt_toolkit.styles import Style

STYLE = Style.from_dict(
    {
        "keyword": "#5f87d7 bold",
        "action": "#af5fd7 bold",
        "root": "#00afaf",
        "field": "#00afaf",
        "function": "#d7af00",
        "string": "#5faf5f",
        "number": "#d78700",
        "operator": "#d75f5f",
        "comment": "#808080 italic",
        "command": "#d7af00 bold",
        "name": "",
        "punctuation": "",
        "error": "#ffffff bg:#af0000",
        "prompt": "#5f87d7 bold",
        "continuation": "#808080",
        "bottom-toolbar": "#bcbcbc bg:#303030 noreverse",
        "bottom-toolbar.key": "#ffd700 bg:#303030 noreverse",
        "verdict.true": "#5faf5f bold",
        "verdict.false": "#d75f5f bold",
        "verdict.unknown": "#d7af00 bold",
        "verdict.skipped": "#808080",
        "output.error": "#ff5f5f",
        "output.note": "#808080",
    }
)
"""Styles by class; ``class:error`` marks the first mistake in the input."""
