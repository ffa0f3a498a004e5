"""The footer of every screen: Textual's, rebuilt only when its keys change.

Textual's Footer builds all its key widgets again whenever a screen says its
bindings may have changed, which it says on every screen switch and focus
move. Styling twenty new widgets took a third of a screen switch (about 25 ms
of 70 on this machine), for keys that were the same as before. This footer
remembers what it shows and rebuilds only when that differs.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class ConsoleFooter(Footer):
    """Textual's Footer, recomposed only when the keys it would show change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        """Recompose when the shown keys (or whether they are enabled) changed."""
        shown = tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown and self.children:
            return
        self._shown = shown
        super().bindings_changed(screen)
