"""Journeys: each journey's definition and how many profiles are at each state."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import DataTable

from tracsh.tui.highlight import highlighted
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import TableScreen
from tracsh.tui.widgets.details import shown_path, source_of


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


class JourneysScreen(TableScreen):
    """Journeys and the profiles in them."""

    AREA = "journeys"
    BINDINGS = bindings("journeys")
    """Refreshing the counts."""

    COLUMNS = ("journey", "steps", "profiles", "by state", "defined at")
    TABLE_ID = "journeys"
    PANE_ID = "journey-pane"
    DETAIL_ID = "journey-detail"
    POLLS = None

    def refresh_data(self) -> None:
        """Count profiles per journey and state in a thread."""
        self.load("counts", self.app.reader.journeys)

    def show_counts(self, counts: dict[str, Counter]) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.clear()
        for cells in journey_rows(self.app.ruleset, counts):
            table.add_row(*cells, key=cells[0])
        self.show_selected()

    def show_selected(self) -> None:
        """The definition of the journey under the cursor."""
        name, target = self.current_key(), self.detail
        if name is None:
            target.update(Text("no journeys are defined in the rules", style="dim"))
            return
        found = [j for j in self.app.ruleset.journeys if j.name == name]
        if not found:
            target.update(f"{name}: profiles name it, the rules no longer do")
            return
        journey = found[0]
        text, line = source_of(self.app.ruleset, journey.path, journey.node.span)
        target.update(highlighted(text, line))
