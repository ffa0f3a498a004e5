"""The outbox: messages and webhook calls by status, each one whole, and retry."""

from __future__ import annotations

from rich.text import Text

from tracsh.store import OUTBOX_STATUSES
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import TableScreen
from tracsh.tui.widgets.details import outbox_detail

STATUSES = (None, *OUTBOX_STATUSES)
"""The status filter cycles through these; None shows every row."""

LIMIT = 200
"""The newest rows shown; older ones are in ``tracsh outbox``."""


class OutboxScreen(TableScreen):
    """What tracsh queued to send, and how sending went."""

    AREA = "outbox"
    BINDINGS = bindings("outbox")
    """Status filter, retry, refresh."""

    COLUMNS = ("id", "created", "kind", "target", "recipient", "status", "rule")
    TABLE_ID = "outbox"
    PANE_ID = "message-pane"
    DETAIL_ID = "message"
    DETAIL_TEXT = "no row selected"

    def __init__(self) -> None:
        super().__init__()
        self.status: str | None = None
        self.rows: dict[int, dict] = {}

    def refresh_data(self) -> None:
        """Read the newest rows of the chosen status in a thread."""
        self.load("rows", self.app.reader.outbox, self.status, LIMIT)

    def show_rows(self, rows: list[dict]) -> None:
        """Fill the table, keeping the cursor on the same row."""
        self.rows = {row["id"]: row for row in rows}
        self.fill([(str(row["id"]), _cells(row)) for row in rows])
        shown = self.status or "every status"
        self.query_one("#message-pane").border_title = f"{len(rows)} rows: {shown}"
        self.show_selected()

    def current_id(self) -> int | None:
        """The outbox id under the cursor."""
        key = self.current_key()
        return None if key is None else int(key)

    def show_selected(self) -> None:
        """The row under the cursor, whole."""
        row = self.rows.get(self.current_id())
        self.detail.update(outbox_detail(row) if row else "no rows")

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


def _cells(row: dict) -> list:
    created = str(row.get("created") or "")[:19].replace("T", " ")
    status = Text(row["status"], style=STATUS_STYLES.get(row["status"], ""))
    cells = [row["id"], created, row["kind"], row["target"] or ""]
    return cells + [row["recipient"] or "", status, row["rule_id"] or ""]


STATUS_STYLES = {
    "sent": "green",
    "failed": "red",
    "dead": "bold red",
    "retry": "yellow",
    "skipped": "dim",
}
"""How each status looks in the table."""
