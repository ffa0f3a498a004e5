"""Journeys: each journey's definition and how many profiles are at each state."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from tracsh.tui.highlight import highlighted
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.widgets.details import shown_path, source_of

COLUMNS = ("journey", "steps", "profiles", "by state", "defined at")


def journey_rows(ruleset, counts: dict[str, Counter]) -> list[tuple]:
    """One row per defined journey, then any journey only profiles still name."""
    defined = {journey.name: journey for journey in ruleset.journeys}
    rows = []
    for name in list(defined) + sorted(set(counts) - set(defined)):
        states = counts.get(name, Counter())
        journey = defined.get(name)
        by_state = ", ".join(f"{state} {n}" for state, n in states.most_common())
        rows.append(
            (
                name,
                len(journey.node.steps) if journey else "-",
                sum(states.values()),
                by_state or "-",
                f"{shown_path(journey.path)}:{journey.line}"
                if journey
                else "(not defined now)",
            )
        )
    return rows


class JourneysScreen(ConsoleScreen):
    """Journeys and the profiles in them."""

    AREA = "journeys"
    BINDINGS = bindings("journeys")
    """Refreshing the counts."""

    DEFAULT_CSS = """
    JourneysScreen DataTable { width: 3fr; }
    JourneysScreen #journey-pane {
        width: 2fr; border-left: solid $primary 40%; padding: 0 1;
    }
    """

    def compose_body(self) -> ComposeResult:
        """The table, and the selected journey's definition."""
        with Horizontal():
            yield DataTable(cursor_type="row", zebra_stripes=True, id="journeys")
            with VerticalScroll(id="journey-pane"):
                yield Static(id="journey-detail")

    def on_mount(self) -> None:
        """Columns once."""
        super().on_mount()
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()

    def refresh_data(self) -> None:
        """Count profiles per journey and state in a thread."""
        self.load("counts", self.app.reader.journeys)

    def action_refresh(self) -> None:
        """Count again now."""
        self.refresh_data()

    def show_counts(self, counts: dict[str, Counter]) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.clear()
        for cells in journey_rows(self.app.ruleset, counts):
            table.add_row(*cells, key=cells[0])
        self.show_journey()

    def show_journey(self) -> None:
        """The definition of the journey under the cursor."""
        table = self.query_one(DataTable)
        target = self.query_one("#journey-detail", Static)
        if not table.row_count:
            target.update(Text("no journeys are defined in the rules", style="dim"))
            return
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        found = [j for j in self.app.ruleset.journeys if j.name == key.value]
        if not found:
            target.update(f"{key.value}: profiles name it, the rules no longer do")
            return
        journey = found[0]
        text, line = source_of(self.app.ruleset, journey.path, journey.node.span)
        target.update(highlighted(text, line))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor."""
        self.show_journey()
