"""Live events: the bounded stream, its filter and pause, one event whole."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Static

from tracsh.tui.keys import bindings
from tracsh.tui.messages import Seen
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.widgets.details import event_detail
from tracsh.tui.widgets.detailtext import DetailText
from tracsh.tui.widgets.searchbox import SearchBox
from tracsh.tui.widgets.stream import EventStream, header_text, parse_filter

DETAIL_PAUSE = 0.3
"""Seconds between detail redraws while the cursor follows new events."""


class EventsScreen(ConsoleScreen):
    """Events as they arrive; pick one to see what the rules did with it."""

    AREA = "events"
    BINDINGS = bindings("events")
    """Pause, filter, follow, open the profile, clear, back to the stream."""

    DEFAULT_CSS = """
    EventsScreen #filter { height: 3; }
    EventsScreen #filter-problem { color: $error; height: auto; padding: 0 1; }
    EventsScreen #columns {
        color: $text-muted; text-style: bold; text-wrap: nowrap; text-overflow: clip;
    }
    EventsScreen #left { width: 3fr; }
    EventsScreen #detail { width: 2fr; border-left: solid $primary 40%; padding: 0 1; }
    EventsScreen.-narrow #body { layout: vertical; }
    EventsScreen.-narrow #left { width: 100%; height: 1fr; }
    EventsScreen.-narrow #detail {
        width: 100%; height: 1fr; border-left: none; border-top: solid $primary 40%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._detail_timer = None
        self.detailed: Seen | None = None
        """The event the right side shows (it may lag the cursor while following)."""

    def compose_body(self) -> ComposeResult:
        """Filter box over the stream, the detail on the right (narrow: below)."""
        yield SearchBox(
            "events.filter",
            placeholder="filter: type:purchase profile:p-1 source:web (/ to type)",
            id="filter",
        )
        yield Static(id="filter-problem", classes="-hidden")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(header_text(), id="columns")
                yield EventStream(self.app.plan.rows, id="stream")
            with VerticalScroll(id="detail"):
                yield DetailText("select an event", id="event-detail")

    @property
    def stream(self) -> EventStream:
        """The stream widget."""
        return self.query_one(EventStream)

    def on_mount(self) -> None:
        """Start with what the console has seen so far, focused on the stream."""
        super().on_mount()
        self.stream.show_all(self.app.recent)
        self.stream.focus()

    def refresh_data(self) -> None:
        """Catch up with events that arrived while another screen was shown."""
        if not self.stream.paused:
            self.stream.show_all(self.app.recent)

    def events_arrived(self, seen: list[Seen]) -> None:
        """Add new events to the stream (once it is mounted; until then the
        stream starts from the app's ring of recent events anyway)."""
        if not self.query(EventStream):
            return
        self.stream.add(seen)
        if self.stream.paused:
            self.show_status(f"paused: {self.stream.held:,} new events held back")

    # Actions.

    def action_pause(self) -> None:
        """Pause the stream, or resume it with everything that arrived meanwhile."""
        stream = self.stream
        stream.paused = not stream.paused
        if stream.paused:
            self.show_status("paused (p resumes)")
        else:
            stream.held = 0
            stream.show_all(self.app.recent)
            self.show_status(self.app.status_text())

    def action_filter(self) -> None:
        """Move to the filter box."""
        self.query_one("#filter", Input).focus()

    def action_stream(self) -> None:
        """Move back to the stream."""
        self.stream.focus()

    def action_follow(self) -> None:
        """Jump to the newest event and stay there."""
        self.stream.action_last()

    def action_clear(self) -> None:
        """Forget the events shown so far (the database keeps them)."""
        self.app.recent.clear()
        self.stream.show_all(())

    async def action_open_profile(self) -> None:
        """Open the profile of the selected event."""
        seen = self.stream.current
        if seen is None:
            self.notify("no event selected", severity="warning")
            return
        profile = seen.outcome.profile_id if seen.outcome else None
        profile = profile or (seen.event.get("profile") or {}).get("id")
        if not profile:
            self.notify("this event has no profile id", severity="warning")
            return
        await self.app.open_profile(profile)

    # Messages.

    def on_input_changed(self, event: Input.Changed) -> None:
        """Apply the filter as it is typed."""
        match, problem = parse_filter(event.value)
        line = self.query_one("#filter-problem", Static)
        line.update(problem or "")
        line.display = problem is not None
        if problem is None:
            self.stream.match = match
            self.stream.show_all(self.app.recent)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter box goes back to the stream."""
        self.stream.focus()

    def on_event_stream_highlighted(self, message: EventStream.Highlighted) -> None:
        """Show the event under the cursor whole: at once when a key moved the
        cursor; when arrivals changed it (following a busy stream, or the
        selected event dropping off the top), at most a few times a second, so
        keys never wait behind the detail."""
        if message.moved and not self.stream.follow:
            self.show_detail(message.seen)
        elif self._detail_timer is None:
            self._detail_timer = self.set_timer(DETAIL_PAUSE, self._detail_due)

    def _detail_due(self) -> None:
        self._detail_timer = None
        self.show_detail(self.stream.current)

    def show_detail(self, seen: Seen | None) -> None:
        """Render one event, its outcome and what it queued on the right."""
        if seen is self.detailed and seen is not None:
            return
        self.detailed = seen
        target = self.query_one("#event-detail", Static)
        if seen is None:
            target.update("no events yet")
            return
        if seen.outcome is None:
            self.load("event_outbox", self._stored_detail, seen)
            return
        target.update(event_detail(seen, self.app.ruleset, []))

    def _stored_detail(self, seen: Seen):
        return seen, self.app.reader.event_outbox(seen.event["id"])

    def show_event_outbox(self, data) -> None:
        """The detail of an event without an outcome (seen while attached), with
        what it queued."""
        seen, rows = data
        unknown = self.app.why_unknown(seen.event)
        detail = event_detail(seen, self.app.ruleset, rows, unknown)
        self.query_one("#event-detail", Static).update(detail)
