"""DetailText: the Static that shows one thing whole, wrapped once per update.

The detail panes (an event with its traces and JSON, a rule, an outbox row)
hold hundreds of lines in a scrolling container. Textual's Static wraps its
whole content twice for each update, once to learn its height and once to draw
it, and again whenever anything asks it to redraw (a resumed screen, a style
refresh). This one keeps the wrapped lines until the content, the width or the
style changes, and draws any line from them.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual, VisualType
from textual.widgets import Static


class DetailText(Static):
    """A Static whose wrapped lines are kept between redraws."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wrapped: tuple[tuple, list[Strip]] | None = None

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show ``content``; it is wrapped when it is next measured or drawn."""
        self._wrapped = None
        super().update(content, layout=layout)

    def wrapped(self, width: int) -> list[Strip]:
        """The content's lines at ``width`` cells, wrapped once for each content,
        width, style and selection."""
        style = self.visual_style
        key = (width, style, self.text_selection)
        if self._wrapped is None or self._wrapped[0] != key:
            strips = Visual.to_strips(self, self.visual, width, None, style)
            self._wrapped = (key, strips)
        return self._wrapped[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the wrapped content has."""
        return len(self.wrapped(width)) if width else 0

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the wrapped content (blank past its end)."""
        width = self.size.width
        lines = self.wrapped(width)
        if y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)
