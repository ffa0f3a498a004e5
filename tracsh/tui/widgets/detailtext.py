"""DetailText: the Static that shows one thing whole, wrapped once per update."""

from __future__ import annotations

from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual, VisualType
from textual.widgets import Static


class DetailText(Static):
    """A Static whose wrapped lines are kept between redraws.

    The detail panes (an event with its traces and JSON, a rule, an outbox
    row) hold hundreds of lines in a scrolling container. Textual's Static
    wraps its whole content twice for each update, once to learn its height
    and once to draw it, and again whenever anything asks it to redraw (a
    resumed screen, a style refresh). This one keeps the wrapped lines until
    the content, the width or the style changes, draws any line from them, and
    asks for a layout only when an update changes how many lines there are
    (the pane's height is then a frame late, below the part in view as a rule).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wrapped: tuple[tuple, list[Strip]] | None = None
        self._recount: int | None = None
        """Lines before an update whose layout waits for drawing."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show ``content``. Once it has been drawn, an update asks for a
        layout only if drawing finds that it takes another number of lines (a
        layout of the screen costs more than wrapping the content, and the
        wrap is left to drawing, so a key that changes the pane is not kept
        waiting for it)."""
        before, self._wrapped = self._wrapped, None
        self._recount = len(before[1]) if layout and before is not None else None
        super().update(content, layout=layout and before is None)

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
        if self._recount is not None:
            if len(lines) != self._recount:
                self.refresh(layout=True)
            self._recount = None
        if y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)
