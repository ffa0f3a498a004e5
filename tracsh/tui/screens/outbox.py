"""The outbox: messages and webhook calls by status, each one whole, and retry."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from tracsh.store import OUTBOX_STATUSES
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.widgets.details import outbox_detail

STATUSES = (None, *OUTBOX_STATUSES)
"""The status filter cycles through these; None shows every row."""

LIMIT = 200
"""The newest rows shown; older ones are in ``tracsh outbox``."""

COLUMNS = ("id", "created", "kind", "target", "recipient", "status", "rule")


class OutboxScreen(ConsoleScreen):
    """What tracsh queued to send, and how sending went."""

    AREA = "outbox"
    BINDINGS = bindings("outbox")
    """Status filter, retry, refresh."""

    DEFAULT_CSS = """
    OutboxScreen DataTable { width: 3fr; }
    OutboxScreen #message-pane {
        width: 2fr; border-left: solid $primary 40%; padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.status: str | None = None
        self.rows: dict[int, dict] = {}

    def compose_body(self) -> ComposeResult:
        """Rows on the left, the selected one on the right."""
        with Horizontal():
            yield DataTable(cursor_type="row", zebra_stripes=True, id="outbox")
            with VerticalScroll(id="message-pane"):
                yield Static("no row selected", id="message")

    def on_mount(self) -> None:
        """Columns once, and a refresh timer."""
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.set_interval(self.app.plan.poll * 2, self.tick)

    def tick(self) -> None:
        """Refresh while shown."""
        if self.is_current:
            self.refresh_data()

    def refresh_data(self) -> None:
        """Read the newest rows of the chosen status in a thread."""
        self.load("rows", self.app.reader.outbox, self.status, LIMIT)

    def show_rows(self, rows: list[dict]) -> None:
        """Fill the table, keeping the cursor on the same row."""
        table = self.query_one(DataTable)
        current = self.current_id()
        self.rows = {row["id"]: row for row in rows}
        table.clear()
        for row in rows:
            created = str(row.get("created") or "")[:19].replace("T", " ")
            status = Text(row["status"], style=STATUS_STYLES.get(row["status"], ""))
            cells = [row["id"], created, row["kind"], row["target"] or ""]
            cells += [row["recipient"] or "", status, row["rule_id"] or ""]
            table.add_row(*cells, key=str(row["id"]))
        if current in self.rows:
            table.move_cursor(row=table.get_row_index(str(current)))
        shown = self.status or "every status"
        self.query_one("#message-pane").border_title = f"{len(rows)} rows: {shown}"
        self.show_message()

    def current_id(self) -> int | None:
        """The outbox id under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(key.value)

    def show_message(self) -> None:
        """The row under the cursor, whole."""
        row = self.rows.get(self.current_id())
        target = self.query_one("#message", Static)
        target.update(outbox_detail(row) if row else "no rows")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor."""
        self.show_message()

    def action_next_status(self) -> None:
        """Show the next status (every status after the last)."""
        self.status = STATUSES[(STATUSES.index(self.status) + 1) % len(STATUSES)]
        self.notify(f"showing {self.status or 'every status'}", timeout=2)
        self.refresh_data()

    def action_retry(self) -> None:
        """Send the selected row again."""
        outbox_id = self.current_id()
        if outbox_id is None:
            self.notify("no row selected", severity="warning")
            return
        self.app.retry(outbox_id)

    def action_refresh(self) -> None:
        """Read again now."""
        self.refresh_data()


STATUS_STYLES = {
    "sent": "green",
    "failed": "red",
    "dead": "bold red",
    "retry": "yellow",
    "skipped": "dim",
}
"""How each status looks in the table."""
