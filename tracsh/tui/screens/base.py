"""What every console screen has: header, status line, log panel, footer, loaders.

A screen reads the database only through :meth:`ConsoleScreen.load`, which runs
the read in a thread worker and posts a Loaded message back; the screen then
updates its widgets on the app's thread in ``show_<what>``. A user's mistake in
a load (a bad search, a database that cannot be read) becomes a notice; any
other exception fails the worker, and the app shows it in an error panel.

:class:`TableScreen` is the layout the rules, outbox, segments and journeys
screens share: a table on the left, the row under its cursor on the right.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Header, Log, Static
from textual.worker import get_current_worker

from tracsh.errors import UserError
from tracsh.store.errors import StoreError
from tracsh.tui.messages import Loaded, Seen
from tracsh.tui.search import SearchError
from tracsh.tui.widgets.detailtext import DetailText
from tracsh.tui.widgets.footer import ConsoleFooter
from tracsh.tui.widgets.table import ConsoleTable

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
        self.resume_data()

    def resume_data(self) -> None:
        """Read what the screen shows as it comes back into view."""
        self.refresh_data()

    def tick(self) -> None:
        """Refresh on a screen's timer, while it is the one shown."""
        if self.is_current:
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
        may fire while the app takes its screens down). The line is one row
        whatever it says, so a new text is drawn without a new layout."""
        for status in self.query("#status").results(Static):
            if status.content != text:
                status.update(text, layout=False)

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


def cell_key(cell: Any) -> Any:
    """What tells two table cells apart: a Text's style and justification
    too, which Text's own equality leaves out."""
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), cell.justify, tuple(cell.spans))
    return cell


def cell_width(cell: Any) -> int:
    """How many terminal cells a table cell takes on one line."""
    if isinstance(cell, Text):
        return cell.cell_len
    return cell_len(str(cell))


class TableScreen(ConsoleScreen):
    """A screen of rows on the left and the row under the cursor on the right
    (narrow, below).

    Subclasses name the widgets and the columns, say how often to read again,
    and show the selected row in :meth:`show_selected`.
    """

    COLUMNS: ClassVar[tuple[str | tuple[str, str], ...]] = ()
    """Column titles, or (title, column key) pairs."""
    TABLE_ID: ClassVar[str] = "table"
    """The id of the table."""
    PANE_ID: ClassVar[str] = "pane"
    """The id of the scrolling pane on the right."""
    DETAIL_ID: ClassVar[str] = "detail"
    """The id of the Static in the pane that shows the selected row."""
    DETAIL_TEXT: ClassVar[str] = ""
    """What the pane says until a row is shown."""
    POLLS: ClassVar[int | None] = 2
    """Read again every this many ``[console] refresh`` periods; None: on resume."""

    DEFAULT_CSS = """
    TableScreen DataTable { width: 3fr; }
    TableScreen .detail-pane {
        width: 2fr; border-left: solid $primary 40%; padding: 0 1;
    }
    TableScreen.-narrow > Horizontal { layout: vertical; }
    TableScreen.-narrow > Horizontal > DataTable { width: 100%; height: 1fr; }
    TableScreen.-narrow .detail-pane {
        width: 100%; height: auto; max-height: 50%;
        border-left: none; border-top: solid $primary 40%;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._filled: list[tuple[str, list]] = []
        """The rows the table shows, as (key, comparable cells)."""
        self._filled_at = float("-inf")
        """When rows were last read into the table (time.monotonic)."""

    def compose_body(self) -> ComposeResult:
        """The table, and the selected row in a pane on its right."""
        with Horizontal():
            yield ConsoleTable(cursor_type="row", zebra_stripes=True, id=self.TABLE_ID)
            with VerticalScroll(id=self.PANE_ID, classes="detail-pane"):
                yield DetailText(self.DETAIL_TEXT, id=self.DETAIL_ID)

    def on_mount(self) -> None:
        """Columns once, focus on the table, and a refresh timer."""
        super().on_mount()
        table = self.query_one(DataTable)
        for column in self.COLUMNS:
            title, key = column if isinstance(column, tuple) else (column, None)
            table.add_column(title, key=key)
        table.focus()
        if self.POLLS is not None:
            self.set_interval(self.app.plan.poll * self.POLLS, self.tick)

    def resume_data(self) -> None:
        """Read again as the screen comes back, unless the rows were read less
        than one ``[console] refresh`` ago: reading and drawing the whole table
        on every switch made switching back and forth slow, and the screen's
        timer reads again soon anyway."""
        if time.monotonic() - self._filled_at >= self.app.plan.poll:
            self.refresh_data()

    def action_refresh(self) -> None:
        """Read again now."""
        self.refresh_data()

    @property
    def detail(self) -> Static:
        """The Static in the pane on the right."""
        return self.query_one(f"#{self.DETAIL_ID}", Static)

    def current_key(self) -> str | None:
        """The row key under the cursor; None when the table is empty."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return key.value

    def fill(self, rows: list[tuple[str, list]]) -> None:
        """Replace the rows, given as (key, cells), keeping the cursor on its row.

        The same rows in the same order only have their changed cells updated,
        and rows that did not change at all leave the table as it is: a table
        draws every cell again after any change, and most polls change little.
        """
        table = self.query_one(DataTable)
        self._filled_at = time.monotonic()
        shown = [(key, [cell_key(cell) for cell in cells]) for key, cells in rows]
        if shown == self._filled:
            return
        if [key for key, _ in shown] == [key for key, _ in self._filled]:
            self._update_cells(table, rows, shown)
            return
        current = self.current_key()
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        self._filled = shown
        if current is not None and current in {key for key, _ in rows}:
            table.move_cursor(row=table.get_row_index(current))

    def _update_cells(self, table: DataTable, rows: list, shown: list) -> None:
        # DataTable re-measures a whole column for each updated cell that is
        # narrower than the column: a poll that changes every row's counters
        # cost a hundred milliseconds. Columns widen at once here, and narrow
        # when the rows next change and the table is filled anew.
        columns = table.ordered_columns
        for index, ((_, cells), (_, new), (_, old)) in enumerate(
            zip(rows, shown, self._filled, strict=True)
        ):
            for column, (cell, before, after) in enumerate(
                zip(cells, old, new, strict=True)
            ):
                if before != after:
                    wider = cell_width(cell) > columns[column].content_width
                    table.update_cell_at(
                        Coordinate(index, column), cell, update_width=wider
                    )
        self._filled = shown

    def show_selected(self) -> None:
        """Show the row under the cursor in the pane."""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor."""
        self.show_selected()
