"""The dashboard: events per second, totals, rejects, rule errors, outbox, segments."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Sparkline, Static

from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen

OUTBOX = ("pending", "retry", "sending", "sent", "failed", "dead", "skipped")


def figure_table(rows: list[tuple[str, int, str]]) -> Table:
    """Label and number pairs, numbers right-aligned; a style per row."""
    table = Table(box=None, show_header=False, pad_edge=False, expand=True)
    table.add_column(style="dim")
    table.add_column(justify="right")
    for label, value, style in rows:
        table.add_row(label, Text(f"{value:,}", style=style))
    return table


class DashboardScreen(ConsoleScreen):
    """What is happening now, in numbers."""

    AREA = "dashboard"
    BINDINGS = bindings("dashboard")
    """Refreshing the figures."""

    DEFAULT_CSS = """
    DashboardScreen Grid {
        grid-size: 3 2; grid-columns: 1fr 1fr 1fr; grid-rows: 8 1fr; height: 1fr;
    }
    DashboardScreen .panel { border: round $primary 60%; padding: 0 1; }
    DashboardScreen #traffic { column-span: 3; }
    DashboardScreen Sparkline { height: 4; }
    """

    def compose_body(self) -> ComposeResult:
        """A wide traffic panel over three panels of figures."""
        with Grid():
            with Vertical(id="traffic", classes="panel") as traffic:
                traffic.border_title = "events per second (last minute)"
                yield Static(id="rate")
                yield Sparkline([0], summary_function=max, id="sparkline")
            for name, label in (
                ("store", "stored"),
                ("rules-outbox", "rules and outbox"),
                ("segments", "segments"),
            ):
                panel = Static(id=name, classes="panel")
                panel.border_title = label
                yield panel

    def on_mount(self) -> None:
        """Read figures now and every ``[console] refresh`` seconds."""
        super().on_mount()
        self.set_interval(self.app.plan.poll, self.tick)

    def refresh_data(self) -> None:
        """Read totals, rule statistics and segment sizes in a thread."""
        self.show_rate()
        self.load("figures", self.app.reader.figures)

    def action_refresh(self) -> None:
        """Read the figures again now."""
        self.refresh_data()

    def show_status(self, text: str) -> None:
        """The status line, and the rate line that says the same in more words."""
        super().show_status(text)
        if self.query("#rate"):
            self.show_rate()

    def show_rate(self) -> None:
        """The sparkline and the line above it, from the app's per-second counts."""
        rates = list(self.app.rates) or [0]
        window = self.app.rates.maxlen or len(rates)
        padded = [0] * (window - len(rates)) + rates
        self.query_one("#sparkline", Sparkline).data = padded
        line = Text()
        line.append(f"{rates[-1]:,} events/s now", style="bold")
        line.append(f"   peak {max(rates):,}   seen here {self.app.seen_total:,}")
        line.append(f"   {self.app.feed_text}", style="dim")
        self.query_one("#rate", Static).update(line)

    def show_figures(self, figures: dict) -> None:
        """Fill the three panels."""
        totals = figures["totals"]
        self.query_one("#store", Static).update(
            figure_table(
                [
                    ("profiles", totals["profiles"], ""),
                    ("sessions", totals["sessions"], ""),
                    ("events", totals["events"], "bold"),
                    ("rejects", totals["rejects"], _alarm(totals["rejects"])),
                ]
            )
        )
        rows = [
            ("rule evaluations", totals["evaluations"], ""),
            ("rule matches", totals["matches"], ""),
            ("rule errors", totals["rule_errors"], _alarm(totals["rule_errors"])),
            ("type warnings", totals["type_warnings"], _warn(totals["type_warnings"])),
        ]
        for status in OUTBOX:
            value = totals.get(f"outbox_{status}", 0)
            bad = status in ("failed", "dead")
            rows.append((f"outbox {status}", value, _alarm(value) if bad else ""))
        self.query_one("#rules-outbox", Static).update(figure_table(rows))
        sizes = figures["segments"]
        segments = [(name, size, "") for name, size in sorted(sizes.items())]
        self.query_one("#segments", Static).update(
            figure_table(segments) if segments else Text("no segments yet", "dim")
        )


def _alarm(value: int) -> str:
    return "bold red" if value else ""


def _warn(value: int) -> str:
    return "yellow" if value else ""
