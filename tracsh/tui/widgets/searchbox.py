"""The search and filter boxes, where the key that moves to them is not typed.

Profiles and live events bind ``/`` (or what ``[console.keys]`` sets) to "move
to the box". Pressed while the box already has the focus, the key would be
typed, so a search became ``/zoe``. In a SearchBox that key does what its
binding says instead (the box is where it should be; its text is selected),
unless text is being edited in it: a condition may divide
(``profile.traits.lifetime_value / profile.visits > 20``).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tracsh.tui.keys import BY_ID, effective_key


class SearchBox(Input):
    """An Input that takes the key of ``binding`` as "go to the search box"."""

    def __init__(self, binding: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.binding = binding
        """The id of the binding that moves to this box (``profiles.search``)."""

    @property
    def keys(self) -> list[str]:
        """The keys of the binding, as tracsh.toml may have changed them."""
        keymap = getattr(self.app, "keymap", {})
        keys = effective_key(BY_ID[self.binding], keymap)
        return [key.strip() for key in keys.split(",")]

    @property
    def editing(self) -> bool:
        """Whether the box holds text that is not all selected."""
        start, end = sorted(self.selection)
        return bool(self.value) and (start, end) != (0, len(self.value))

    async def _on_key(self, event: events.Key) -> None:
        """The binding's key selects the text instead of being typed, unless
        text is being edited (Input's own handler types it then)."""
        if event.key in self.keys and not self.editing:
            event.stop()
            event.prevent_default()
            self.select_all()
