"""The console's two colour themes, dark and light, and the rule editor's styles.

``[console] theme`` picks one at start and ``ctrl+t`` switches. The rule
editor's highlighting follows the same choice through a TextAreaTheme each.
"""

from __future__ import annotations

from rich.style import Style
from textual.theme import Theme
from textual.widgets.text_area import TextAreaTheme

DARK = Theme(
    name="tracsh-dark",
    primary="#3d9be9",
    secondary="#2a5f8a",
    accent="#e8a33d",
    warning="#e8a33d",
    error="#e05561",
    success="#5cb85c",
    foreground="#dcdfe4",
    background="#16191d",
    surface="#1d2126",
    panel="#262b31",
    dark=True,
)
"""Light text on a near-black background."""

LIGHT = Theme(
    name="tracsh-light",
    primary="#1f6fb2",
    secondary="#5b8fc0",
    accent="#b3600b",
    warning="#a35a00",
    error="#c0262d",
    success="#2e7d32",
    foreground="#1e2328",
    background="#f7f7f5",
    surface="#eeeeea",
    panel="#e2e3de",
    dark=False,
)
"""Dark text on paper."""

THEMES = {"dark": DARK, "light": LIGHT}
"""By the names tracsh.toml uses."""


def _editor_theme(name: str, palette: dict[str, str]) -> TextAreaTheme:
    error = Style(underline=True, color=palette["error"], bold=True)
    warning = Style(underline=True, color=palette["warning"])
    return TextAreaTheme(
        name=name,
        syntax_styles={
            "keyword": Style(color=palette["keyword"], bold=True),
            "string": Style(color=palette["string"]),
            "number": Style(color=palette["number"]),
            "comment": Style(color=palette["comment"], italic=True),
            "root": Style(color=palette["root"]),
            "problem.error": error,
            "problem.warning": warning,
        },
        cursor_line_style=Style(bgcolor=palette["line"]),
    )


EDITOR_THEMES = {
    DARK.name: _editor_theme(
        "tracsh-dark",
        {
            "keyword": "#c792ea",
            "string": "#a5d6a7",
            "number": "#f78c6c",
            "comment": "#7f8896",
            "root": "#82aaff",
            "error": "#ff6b6b",
            "warning": "#ffcb6b",
            "line": "#22272e",
        },
    ),
    LIGHT.name: _editor_theme(
        "tracsh-light",
        {
            "keyword": "#7b1fa2",
            "string": "#2e7d32",
            "number": "#bf360c",
            "comment": "#6b7280",
            "root": "#1565c0",
            "error": "#c62828",
            "warning": "#a35a00",
            "line": "#e8e8e2",
        },
    ),
}
"""The rule editor's highlighting, by console theme name."""
