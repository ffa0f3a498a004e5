"""The live event stream: a bounded, filterable list drawn a line at a time.

The console keeps the last ``[console] rows`` events in one ring; this widget
shows the ones its filter lets through. Only the lines on screen are drawn, so
a thousand events a second cost what a screenful costs, and old events drop off
the top as new ones arrive.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from rich.segment import Segment
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracsh.tui.keys import bindings
from tracsh.tui.messages import Seen

Match = Callable[[Seen], bool]

FIELDS = ("type", "profile", "source")
"""What ``field:value`` filter words may name."""


def _field(seen: Seen, name: str) -> str:
    value = seen.event.get(name)
    if isinstance(value, dict):
        value = value.get("id")
    if value is None and seen.outcome is not None and name == "profile":
        value = seen.outcome.profile_id
    return str(value or "")


def parse_filter(text: str) -> tuple[Match | None, str | None]:
    """A filter from ``type:purchase profile:p-1 web`` words, and any problem.

    ``field:value`` words match that field (by substring); a bare word matches
    any of type, profile and source. Every word must match.
    """
    tests: list[Match] = []
    for word in text.lower().split():
        name, sep, value = word.partition(":")
        if not sep:
            tests.append(lambda s, w=word: _any(s, w))
            continue
        if name not in FIELDS:
            return None, f"{name!r} is not one of {', '.join(FIELDS)}"
        tests.append(lambda s, n=name, v=value: v in _field(s, n).lower())
    if not tests:
        return None, None
    return (lambda seen: all(test(seen) for test in tests)), None


def _any(seen: Seen, word: str) -> bool:
    return any(word in _field(seen, name).lower() for name in FIELDS)


def columns(seen: Seen) -> list[tuple[str, int]]:
    """One event's cells and their widths, in the order the header names them."""
    event = seen.event
    time = str(event.get("time") or "")[:19].replace("T", " ")
    outcome = seen.outcome
    if outcome is None:
        fired = "·"
    elif outcome.duplicate:
        fired = "dup"
    else:
        fired = str(len(outcome.all_fired()))
    return [
        (str(seen.number), 6),
        (time, 19),
        (str(event.get("type", "")), 18),
        (_field(seen, "profile"), 14),
        (_field(seen, "source"), 9),
        (fired, 5),
    ]


HEADER = ("#", "time", "type", "profile", "source", "rules")


def header_text() -> str:
    """The column titles, spaced like the rows."""
    widths = [width for _, width in columns(Seen(0, {}, None))]
    return " ".join(f"{title:<{w}}" for title, w in zip(HEADER, widths, strict=True))


ROW_WIDTH = len(header_text())
"""Columns one row of the stream takes."""


class EventStream(ScrollView, can_focus=True):
    """Recent events, newest at the bottom, with a cursor to pick one."""

    BINDINGS = bindings("events", widget="EventStream")
    """Moving the cursor (up, down, pages, first, last), from tracsh/tui/keys.py."""

    COMPONENT_CLASSES = {"event-stream--cursor", "event-stream--problem"}
    """The cursor row, and rules that reported errors."""

    DEFAULT_CSS = """
    EventStream { background: $surface; }
    EventStream > .event-stream--cursor {
        background: $block-cursor-blurred-background;
    }
    EventStream:focus > .event-stream--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    EventStream > .event-stream--problem { color: $error; }
    """

    class Highlighted(Message):
        """The cursor moved, or another event came under it."""

        def __init__(self, seen: Seen | None, moved: bool = True) -> None:
            super().__init__()
            self.seen = seen
            """The event under the cursor, None when the stream is empty."""
            self.moved = moved
            """True when a key moved the cursor; False when the events shown
            changed (arrivals, the filter, a resume)."""

    def __init__(self, limit: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        """The most events shown; older ones drop off."""
        self.view: deque[Seen] = deque(maxlen=limit)
        self.match: Match | None = None
        self.cursor = -1
        self.follow = True
        """Keep the cursor on the newest event as events arrive."""
        self.paused = False
        self.held = 0
        """Events that arrived while paused (they are not shown)."""
        self.newest = 0
        """The highest arrival number handed to the stream, shown or filtered out."""
        self._told: Seen | None = None

    # Filling.

    def show_all(self, seen: Iterable[Seen]) -> None:
        """Replace the contents with ``seen`` through the current filter."""
        seen = list(seen)
        self.newest = seen[-1].number if seen else self.newest
        self.view.clear()
        self.view.extend(s for s in seen if self.match is None or self.match(s))
        self.cursor = (
            len(self.view) - 1 if self.follow else min(self.cursor, len(self.view) - 1)
        )
        self._changed()

    def add(self, seen: list[Seen]) -> None:
        """Append newly arrived events (held back while paused)."""
        seen = [s for s in seen if s.number > self.newest]
        if self.paused:
            self.held += len(seen)
            return
        if seen:
            self.newest = seen[-1].number
        fresh = [s for s in seen if self.match is None or self.match(s)]
        if not fresh:
            return
        dropped = max(len(self.view) + len(fresh) - self.limit, 0)
        self.view.extend(fresh)
        if self.follow:
            self.cursor = len(self.view) - 1
        else:
            # The rows in view stay where they are while older ones drop off.
            self.cursor = max(self.cursor - dropped, 0)
            if dropped:
                top = max(self.scroll_offset.y - dropped, 0)
                self.scroll_to(y=top, animate=False, immediate=True)
        self._changed()

    def _changed(self) -> None:
        self.virtual_size = Size(ROW_WIDTH, len(self.view))
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()
        if self.current is not self._told or self.current is None:
            self._told = self.current
            self.post_message(self.Highlighted(self.current, moved=False))

    @property
    def current(self) -> Seen | None:
        """The event under the cursor."""
        if 0 <= self.cursor < len(self.view):
            return self.view[self.cursor]
        return None

    # Moving.

    def move_to(self, index: int) -> None:
        """Put the cursor on ``index`` (clamped) and bring it into view."""
        if not self.view:
            return
        self.cursor = max(0, min(index, len(self.view) - 1))
        self.follow = self.cursor == len(self.view) - 1
        self.scroll_to_region_of(self.cursor)
        self.refresh()
        self._told = self.current
        self.post_message(self.Highlighted(self.current))

    def scroll_to_region_of(self, index: int) -> None:
        """Scroll just enough for row ``index`` to be visible."""
        top = self.scroll_offset.y
        height = self.rows_shown
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    @property
    def rows_shown(self) -> int:
        """Rows on screen: the height less a horizontal scrollbar, when the
        widget is narrower than a row."""
        return max(self.scrollable_content_region.height, 1)

    def action_cursor(self, step: int) -> None:
        """Move the cursor by ``step`` rows."""
        self.move_to(self.cursor + step)

    def action_page(self, pages: int) -> None:
        """Move the cursor by ``pages`` screenfuls."""
        self.move_to(self.cursor + pages * max(self.rows_shown - 1, 1))

    def action_first(self) -> None:
        """Move to the oldest event kept."""
        self.move_to(0)

    def action_last(self) -> None:
        """Move to the newest event and follow new ones."""
        self.move_to(len(self.view) - 1)
        self.follow = True

    # Drawing.

    def render_line(self, y: int) -> Strip:
        """Draw row ``y`` of the widget."""
        index = self.scroll_offset.y + y
        width = self.size.width
        if index >= len(self.view):
            return Strip.blank(width, self.rich_style)
        seen = self.view[index]
        text = " ".join(f"{cell[:w]:<{w}}" for cell, w in columns(seen))
        style = self.rich_style
        if seen.outcome is not None and seen.outcome.errors:
            style += self.get_component_rich_style("event-stream--problem")
        if index == self.cursor:
            style += self.get_component_rich_style("event-stream--cursor")
        strip = Strip([Segment(text, style)])
        return strip.crop_extend(
            self.scroll_offset.x, self.scroll_offset.x + width, style
        )

    def on_resize(self) -> None:
        """Keep the cursor in view when the stream gets shorter (a narrow
        terminal puts the detail under it)."""
        self.virtual_size = Size(ROW_WIDTH, len(self.view))
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.scroll_to_region_of(self.cursor)
