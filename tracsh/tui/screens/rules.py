"""Rules: each rule's place, priority and statistics, sortable; one rule's source."""

from __future__ import annotations

from rich.text import Text

from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import TableScreen
from tracsh.tui.widgets.details import mean_micros, rule_detail, shown_path

NUMERIC = {"priority", "evaluations", "matches", "errors", "type_warnings", "mean"}


def rule_rows(ruleset, stats: dict[str, dict]) -> list[dict]:
    """One row per loaded rule (in run order), with its stored statistics."""
    rows = []
    for order, rule in enumerate(ruleset.rules):
        found = stats.get(rule.id, {})
        rows.append(
            {
                "id": rule.id,
                "place": f"{shown_path(rule.path)}:{rule.line}",
                "priority": rule.node.priority,
                "evaluations": found.get("evaluations", 0),
                "matches": found.get("matches", 0),
                "errors": found.get("errors", 0),
                "type_warnings": found.get("type_warnings", 0),
                "mean": mean_micros(found) if found else 0.0,
                "order": order,
                "disabled": rule.node.disabled,
            }
        )
    return rows


class RulesScreen(TableScreen):
    """The loaded rules with what each has done so far."""

    AREA = "rules"
    BINDINGS = bindings("rules")
    """Sort, reverse, edit, refresh."""

    COLUMNS = (
        ("rule", "id"),
        ("file:line", "place"),
        ("prio", "priority"),
        ("evals", "evaluations"),
        ("matches", "matches"),
        ("errors", "errors"),
        ("warnings", "type_warnings"),
        ("mean µs", "mean"),
    )
    """Column titles and the row field each sorts by."""
    TABLE_ID = "rules"
    PANE_ID = "rule-pane"
    DETAIL_ID = "rule-detail"

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = "order"
        self.descending = False
        self.stats: dict[str, dict] = {}
        self._detailed: tuple | None = None
        """What the pane shows: the rules, and the rule with its statistics."""

    def refresh_data(self) -> None:
        """Read the statistics in a thread."""
        self.load("stats", self.app.reader.rule_stats)

    def rules_changed(self) -> None:
        """New rules were loaded: redraw."""
        self.refresh_data()

    def show_stats(self, stats: dict[str, dict]) -> None:
        """Fill the table, keeping the cursor on the same rule."""
        self.stats = stats
        rows = rule_rows(self.app.ruleset, stats)
        key = self.sort_key
        rows.sort(key=lambda row: row[key], reverse=self.descending)
        self.fill([(row["id"], self._cells(row)) for row in rows])
        self.show_selected()

    def _cells(self, row: dict) -> list:
        style = "dim" if row["disabled"] else ""
        cells = [Text(row["id"], style=style), Text(row["place"], style="dim")]
        for _, key in self.COLUMNS[2:]:
            value = row[key]
            text = f"{value:.1f}" if key == "mean" else f"{value:,}"
            bad = key == "errors" and value
            cells.append(
                Text(text, style="bold red" if bad else style, justify="right")
            )
        return cells

    def show_selected(self) -> None:
        """Show the rule under the cursor on the right."""
        rule_id, target = self.current_key(), self.detail
        stats = self.stats.get(rule_id)
        ruleset = self.app.ruleset
        shown = (rule_id, dict(stats or {}))
        if self._detailed == (ruleset, shown):
            return
        self._detailed = (ruleset, shown)
        if rule_id is None:
            target.update("no rules loaded")
            return
        target.update(rule_detail(self.app.ruleset, rule_id, stats))

    # Actions.

    def action_sort(self) -> None:
        """Sort by the next column (run order after the last)."""
        keys = [key for _, key in self.COLUMNS] + ["order"]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.descending = self.sort_key in NUMERIC
        self.notify(f"sorted by {self.sort_key.replace('_', ' ')}", timeout=2)
        self.show_stats(self.stats)

    def action_reverse(self) -> None:
        """Reverse the order."""
        self.descending = not self.descending
        self.show_stats(self.stats)

    async def action_edit(self) -> None:
        """Open the selected rule's file in the editor, at its line."""
        rule = self.app.ruleset.rule(self.current_key() or "")
        if rule is None:
            self.notify("no rule selected", severity="warning")
            return
        await self.app.edit(rule.path, rule.line)
