"""Segments: each segment's size, how it moved while the console watched, its rule."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from tracsh.tui.highlight import highlighted
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import ConsoleScreen
from tracsh.tui.widgets.details import shown_path, source_of

COLUMNS = ("segment", "kind", "size", "change", "entered", "left", "defined at")


def segment_rows(ruleset, sizes: dict, baseline: dict, moves) -> list[tuple]:
    """One row per live segment, then per manual segment that has members."""
    live = {segment.name: segment for segment in ruleset.segments}
    names = list(live) + sorted(set(sizes) - set(live))
    rows = []
    for name in names:
        size = sizes.get(name, 0)
        change = size - baseline.get(name, size)
        segment = live.get(name)
        place = (
            f"{shown_path(segment.path)}:{segment.line}"
            if segment
            else "(added by rules)"
        )
        rows.append(
            (
                name,
                "live" if segment else "manual",
                size,
                f"{change:+,}" if change else "0",
                moves[(name, "entered")],
                moves[(name, "left")],
                place,
            )
        )
    return rows


class SegmentsScreen(ConsoleScreen):
    """Segment sizes and movement."""

    AREA = "segments"
    BINDINGS = bindings("segments")
    """Refreshing the sizes."""

    DEFAULT_CSS = """
    SegmentsScreen DataTable { width: 3fr; }
    SegmentsScreen #segment-pane {
        width: 2fr; border-left: solid $primary 40%; padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.baseline: dict[str, int] | None = None

    def compose_body(self) -> ComposeResult:
        """The table, and the selected segment's definition."""
        with Horizontal():
            yield DataTable(cursor_type="row", zebra_stripes=True, id="segments")
            with VerticalScroll(id="segment-pane"):
                yield Static(id="segment-detail")

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
        """Read the sizes in a thread."""
        self.load("sizes", self.app.reader.segment_sizes)

    def action_refresh(self) -> None:
        """Read again now."""
        self.refresh_data()

    def show_sizes(self, sizes: dict[str, int]) -> None:
        """Fill the table; the first sizes read are the baseline for "change"."""
        if self.baseline is None:
            self.baseline = self.app.segment_baseline or dict(sizes)
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        rows = segment_rows(self.app.ruleset, sizes, self.baseline, self.app.moves)
        for cells in rows:
            table.add_row(*cells, key=cells[0])
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        self.show_segment()

    def show_segment(self) -> None:
        """The definition of the segment under the cursor."""
        table = self.query_one(DataTable)
        target = self.query_one("#segment-detail", Static)
        if not table.row_count:
            target.update("no segments")
            return
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        found = [s for s in self.app.ruleset.segments if s.name == key.value]
        if not found:
            target.update(Text(f"{key.value}: added and removed by rule actions"))
            return
        segment = found[0]
        text, line = source_of(self.app.ruleset, segment.path, segment.node.span)
        target.update(highlighted(text, line))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Follow the cursor."""
        self.show_segment()
