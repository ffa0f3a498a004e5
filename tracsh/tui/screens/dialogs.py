"""Modal screens over the console: key help, a yes/no question, an error panel.

The help is generated from tracsh/tui/keys.py with the keys tracsh.toml set,
so it lists exactly what the console answers to. Forgetting a profile asks
with what it would delete, and says afterwards what it did. Every modal of the
console (the command palette too) closes through DismissOnce.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracsh.tui.keys import AREAS, bindings, effective_key, of_area

log = logging.getLogger(__name__)


class DismissOnce:
    """A modal screen that closes once, and only while it is on top.

    Two keys pressed quickly can both reach a modal before the first one has
    closed it (the palette's enter goes through its input and its list as
    messages, so a second enter is already queued). Textual's ``dismiss`` pops
    whatever screen is on top, so a second call would close the screen
    underneath, or fail on a stack of one and end the app. Mix this in before
    the Textual screen class.
    """

    dismissing: bool = False
    """True once the screen has been dismissed."""

    def dismiss(self, result: Any = None) -> AwaitComplete:
        """Close the screen with ``result``, unless it is closing or not on top."""
        if self.dismissing or not self.is_active:
            log.debug("%r is closed or covered; a further dismiss is ignored", self)
            return AwaitComplete()
        self.dismissing = True
        return super().dismiss(result)


def key_text(keys: str) -> str:
    """Keys as people read them: ``ctrl+p``, ``?``, ``esc``."""
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(
            {"question_mark": "?", "slash": "/", "escape": "esc"}.get(key, key)
        )
    return ", ".join(shown)


def help_table(keymap: Mapping[str, str]) -> Table:
    """Every binding by area: key, id, what it does."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("id", style="dim", no_wrap=True)
    table.add_column("what it does")
    for area in AREAS:
        entries = of_area(area)
        table.add_row(Text(area, style="bold underline"), "", "")
        for entry in entries:
            keys = key_text(effective_key(entry, keymap))
            table.add_row(keys, entry.id, entry.description)
        table.add_row("", "", "")
    return table


class HelpScreen(DismissOnce, ModalScreen):
    """Every key of the console, from the registry."""

    BINDINGS = bindings("help")
    """Closing the help."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; height: 90%; border: round $primary; background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        """The table in a scrolling frame."""
        with VerticalScroll() as frame:
            frame.border_title = "keys (tracsh.toml [console.keys] changes them)"
            frame.border_subtitle = "esc closes"
            yield Static(help_table(self.keymap), id="help-table")


FORGET_WORDS = {
    "profiles": "profile",
    "aliases": "alias(es)",
    "sessions": "session(s)",
    "events": "event(s)",
    "outbox": "unsent outbox row(s)",
    "delivery_attempts": "delivery attempt record(s)",
    "enricher_cache": "cached enricher answer(s)",
    "timers": "timer(s)",
    "firings": "once-per record(s)",
}
"""What forgetting a profile deletes, by the keys ``Store.forget_profile`` counts
under; a key not named here is shown as it is."""

FORGET_SCRUBS = {
    "outbox_scrubbed": "sent outbox row(s), stripped of everything personal",
    "attempts_scrubbed": "attempt record(s), their error text removed",
}
"""What forgetting keeps as delivery records, stripped of the person's data."""


def _forget_lines(counts: dict, keys) -> list[str]:
    """``    12  event(s)`` for each of ``keys`` that counted something."""
    return [
        f"{counts[key]:>7,}  {FORGET_WORDS.get(key) or FORGET_SCRUBS.get(key) or key}"
        for key in keys
        if isinstance(counts.get(key), int) and counts[key]
    ]


def forget_question(preview: dict) -> str:
    """Ask whether to forget a profile, saying what would go and what would stay."""
    deleted = [key for key in preview if key != "profile" and key not in FORGET_SCRUBS]
    lines = [f"Forget profile {preview['profile']}? This deletes:", ""]
    lines += _forget_lines(preview, deleted)
    kept = _forget_lines(preview, FORGET_SCRUBS)
    if kept:
        lines += ["", "and keeps as delivery records:", *kept]
    lines += ["", "This cannot be undone."]
    return "\n".join(lines)


def forgotten_text(counts: dict) -> str:
    """What forgetting a profile did, for a notice."""
    keys = [key for key in counts if key != "profile"]
    done = [" ".join(line.split()) for line in _forget_lines(counts, keys)]
    return f"forgot profile {counts['profile']}: " + ", ".join(done)


class ConfirmScreen(DismissOnce, ModalScreen[bool]):
    """A yes/no question; dismisses with True for yes."""

    BINDINGS = bindings("confirm")
    """Answering."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; height: auto; border: thick $warning; background: $panel;
        padding: 1 2;
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        """The question and the keys that answer it."""
        with Vertical():
            yield Static(self.question)
            yield Static(Text("\ny: yes    n / esc: no", style="bold"))

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


class ErrorPanel(DismissOnce, ModalScreen):
    """Something failed in a worker; the console keeps running underneath."""

    BINDINGS = bindings("error")
    """Closing the panel."""

    DEFAULT_CSS = """
    ErrorPanel { align: center middle; }
    ErrorPanel > VerticalScroll {
        width: 90%; height: 70%; border: thick $error; background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, summary: str, detail: str) -> None:
        super().__init__()
        self.summary = summary
        self.detail = detail

    def compose(self) -> ComposeResult:
        """The one-line summary, then the details."""
        with VerticalScroll() as frame:
            frame.border_title = "error"
            frame.border_subtitle = "esc closes; the console keeps running"
            yield Static(Text(self.summary, style="bold"), id="error-summary")
            yield Static(Text(self.detail, style="dim"), id="error-detail")
