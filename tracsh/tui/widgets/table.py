"""ConsoleTable: Textual's DataTable, keeping its drawn cells across screen switches."""

from __future__ import annotations

from textual.strip import Strip
from textual.widgets import DataTable


class ConsoleTable(DataTable):
    """A DataTable that draws its cells again only when its look changed.

    Textual applies every screen's styles again each time the screen is
    shown, and DataTable then forgets every cell it has drawn, although nothing
    about its look changed: showing the rules screen drew all its cells again,
    a third of the switch. This table forgets them only when the styles it
    draws with (its own, its parts', under each focus state) are not the ones
    it drew with.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._looks: dict = {}
        """The look drawn with, by pseudo-class state (focus, hover...)."""
        self._restyled = False

    def notify_style_update(self) -> None:
        """Note that the styles were applied again; whether they changed is
        known only once the table's parts have their styles too (Textual
        styles them after telling the table), so it is decided when drawing."""
        super(DataTable, self).notify_style_update()
        self._restyled = True
        self.refresh()

    def render_lines(self, crop) -> list[Strip]:
        """Forget what was drawn if the look changed, then draw."""
        if self._restyled:
            self._restyled = False
            self._check_look()
        return super().render_lines(crop)

    def _check_look(self) -> None:
        # The table's caches are keyed by pseudo-class state, so looks seen
        # before under another state stay valid; a new state or a changed
        # look forgets everything, as DataTable itself would (while drawing,
        # so without the refresh its notify_style_update asks for).
        state = self.get_pseudo_class_state()
        look = self._look()
        if state in self._looks and self._looks[state] == look:
            return
        if state in self._looks:
            self._looks = {}
        self._looks[state] = look
        self._clear_caches()

    def _look(self) -> tuple:
        parts = sorted(DataTable.COMPONENT_CLASSES)
        return (
            self.rich_style,
            tuple(self.background_colors),
            self.styles.get_rules(),
            tuple(self.get_component_styles(name).get_rules() for name in parts),
        )
