"""Segments: each segment's size, how it moved while the console watched, its rule."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tracsh.tui.highlight import highlighted
from tracsh.tui.keys import bindings
from tracsh.tui.screens.base import TableScreen
from tracsh.tui.widgets.details import shown_path, source_of


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


class SegmentsScreen(TableScreen):
    """Segment sizes and movement."""

    AREA = "segments"
    BINDINGS = bindings("segments")
    """Refreshing the sizes."""

    COLUMNS = ("segment", "kind", "size", "change", "entered", "left", "defined at")
    TABLE_ID = "segments"
    PANE_ID = "segment-pane"
    DETAIL_ID = "segment-detail"

    def __init__(self) -> None:
        super().__init__()
        self.baseline: dict[str, int] | None = None

    def refresh_data(self) -> None:
        """Read the sizes in a thread."""
        self.load("sizes", self.app.reader.segment_sizes)

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
        self.show_selected()

    def show_selected(self) -> None:
        """The definition of the segment under the cursor."""
        name, target = self.current_key(), self.detail
        if name is None:
            target.update("no segments")
            return
        found = [s for s in self.app.ruleset.segments if s.name == name]
        if not found:
            target.update(Text(f"{name}: added and removed by rule actions"))
            return
        segment = found[0]
        text, line = source_of(self.app.ruleset, segment.path, segment.node.span)
        target.update(highlighted(text, line))
