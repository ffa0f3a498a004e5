"""The command palette, guarded against keys that come too early or too late.

Textual 8's CommandList raises KeyError when page up or page down arrives
before the list has been laid out (``ctrl+p`` then ``pagedown`` at once); the
monkey test found it. Enter pressed twice quickly selects the command twice:
both selections are queued as messages before the first closes the palette,
and the second would run the command again and pop the screen underneath
(ScreenStackError on a stack of one). The console's palette ignores paging
while the list has no height, and selections once it is closing.
"""

from __future__ import annotations

from textual import on
from textual.command import CommandList, CommandPalette
from textual.widgets import Button, Input, OptionList

from tracsh.tui.screens.dialogs import DismissOnce

PAGING = ("page_down", "page_up")


class ConsolePalette(DismissOnce, CommandPalette):
    """Textual's palette, with paging ignored while its list is not drawn and
    selections ignored once a command was chosen."""

    def _action_command_list(self, action: str) -> None:
        """Pass the action on, unless it pages a list with nothing laid out."""
        commands = self.query_one(CommandList)
        if action in PAGING and commands.region.height == 0:
            return
        super()._action_command_list(action)

    @on(OptionList.OptionSelected)
    @on(Input.Submitted)
    @on(Button.Pressed)
    def _ignore_once_closing(self, event: Input.Submitted) -> None:
        """Keep a selection queued behind the one that closed the palette from
        reaching Textual's handlers (which run the command and dismiss)."""
        if self.dismissing:
            event.stop()
            event.prevent_default()
