"""The command palette, guarded against paging a command list not yet drawn.

Textual 8's CommandList raises KeyError when page up or page down arrives
before the list has been laid out (``ctrl+p`` then ``pagedown`` at once); the
monkey test found it. Until Textual handles that itself, the console's palette
ignores paging while the list has no height.
"""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

PAGING = ("page_down", "page_up")


class ConsolePalette(CommandPalette):
    """Textual's palette, with paging ignored while its list is not drawn."""

    def _action_command_list(self, action: str) -> None:
        """Pass the action on, unless it pages a list with nothing laid out."""
        commands = self.query_one(CommandList)
        if action in PAGING and commands.region.height == 0:
            return
        super()._action_command_list(action)
