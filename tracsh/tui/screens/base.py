"""What every console screen has: header, status line, log panel, footer, loaders.

A screen reads the database only through :meth:`ConsoleScreen.load`, which runs
the read in a thread worker and posts a Loaded message back; the screen then
updates its widgets on the app's thread in ``show_<what>``. A user's mistake in
a load (a bad search, a database that cannot be read) becomes a notice; any
other exception fails the worker, and the app shows it in an error panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Log, Static
from textual.worker import get_current_worker

from tracsh.errors import UserError
from tracsh.store.errors import StoreError
from tracsh.tui.messages import Loaded, Seen
from tracsh.tui.search import SearchError
from tracsh.tui.widgets.footer import ConsoleFooter

if TYPE_CHECKING:
    from tracsh.tui.app import ConsoleApp

USER_ERRORS = (UserError, StoreError, SearchError)
"""Exceptions a loader turns into a notice rather than an error panel."""


class ConsoleScreen(Screen):
    """The frame of each screen; subclasses yield their body."""

    AREA: ClassVar[str] = "console"
    """The key-binding area (tracsh/tui/keys.py) and the name of the screen."""

    app: ConsoleApp

    def compose(self) -> ComposeResult:
        """Header, the screen's body, the log panel, the status line, the footer."""
        yield Header(icon="≡")
        yield from self.compose_body()
        yield Log(id="log-panel", max_lines=500, classes="-hidden")
        yield Static(id="status")
        yield ConsoleFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        """Name the screen in the header."""
        self.title = f"tracsh · {self.AREA}"

    def on_screen_resume(self) -> None:
        """Bring the shared parts up to date and read fresh data."""
        self.sub_title = self.app.mode_text
        self.show_status(self.app.status_text())
        self.sync_log()
        self.refresh_data()

    # Hooks the app calls on the current screen.

    def refresh_data(self) -> None:
        """Read what the screen shows again (called on resume and on a timer)."""

    def events_arrived(self, seen: list[Seen]) -> None:
        """New events from the feed; the events screen shows them."""

    def rules_changed(self) -> None:
        """The loaded rules changed (a save, a reload)."""

    def profile_forgotten(self, profile_id: str) -> None:
        """A profile was forgotten; a screen showing it lets go of it."""

    def show_status(self, text: str) -> None:
        """Put ``text`` in the status line (if the screen still has one: a timer
        may fire while the app takes its screens down)."""
        for status in self.query("#status").results(Static):
            status.update(text)

    def sync_log(self) -> None:
        """Show or hide the log panel as the app says, with its lines."""
        panel = self.query_one("#log-panel", Log)
        panel.set_class(not self.app.show_log, "-hidden")
        if self.app.show_log:
            panel.clear()
            panel.write_lines(self.app.log_lines)

    def log_line(self, text: str) -> None:
        """Append one line to the visible log panel."""
        if self.app.show_log:
            self.query_one("#log-panel", Log).write_line(text)

    # Reading in threads.

    def load(self, what: str, read: Callable[..., Any], *args: Any) -> None:
        """Run ``read(*args)`` in a thread; ``show_<what>`` gets the result."""
        self.run_worker(
            lambda: self._read(what, read, args),
            thread=True,
            exclusive=True,
            group=what,
            name=f"load {what}",
            exit_on_error=False,
        )

    def _read(self, what: str, read: Callable[..., Any], args: tuple) -> None:
        try:
            loaded = Loaded(what, data=read(*args))
        except USER_ERRORS as err:
            loaded = Loaded(what, error=str(err))
        if not get_current_worker().is_cancelled:
            self.post_message(loaded)

    def on_loaded(self, message: Loaded) -> None:
        """Hand a finished read to ``show_<what>``, or report why it failed."""
        message.stop()
        if message.error is not None:
            self.load_failed(message.what, message.error)
            return
        getattr(self, f"show_{message.what}")(message.data)

    def load_failed(self, what: str, error: str) -> None:
        """Say why a read failed (screens with a message line override this)."""
        self.notify(error, title=what, severity="error")
