"""The console's key bindings: one registry that feeds BINDINGS, the palette and help.

Every binding has an id (``area.name``), a default key, the Textual action it
runs, a short label for the footer and a one-line description. Screens build
their ``BINDINGS`` from here, the command palette lists the same entries as
"area: name", the ``?`` help screen prints them, and ``[console.keys]`` in
tracsh.toml overrides keys by id.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

AREAS = (
    "console",
    "dashboard",
    "events",
    "rules",
    "editor",
    "profiles",
    "outbox",
    "segments",
    "journeys",
    "help",
    "confirm",
    "error",
)
"""Every area in the order help lists them; "console" holds the global keys."""


@dataclass(frozen=True)
class KeyBinding:
    """One key binding of the console."""

    id: str
    """``area.name``: the id tracsh.toml overrides and help shows."""
    key: str
    """The default key(s), comma-separated, in Textual's key names."""
    action: str
    """The Textual action the key runs on its screen (or on the app)."""
    label: str
    """A word or two for the footer."""
    description: str
    """One line for help, the palette and the footer's tooltip."""
    show: bool = True
    """Whether the footer shows it."""
    priority: bool = False
    """Whether it wins over the focused widget (for keys inputs would eat)."""
    widget: str | None = None
    """The widget class that binds it, when a widget rather than its screen does."""

    @property
    def area(self) -> str:
        """The screen (or "console") the binding belongs to."""
        return self.id.split(".", 1)[0]

    @property
    def title(self) -> str:
        """How the command palette names it: ``events: pause``."""
        return f"{self.area}: {self.id.split('.', 1)[1].replace('-', ' ')}"


def _b(id: str, key: str, action: str, label: str, description: str, **extra):
    return KeyBinding(id, key, action, label, description, **extra)


REGISTRY: tuple[KeyBinding, ...] = (
    # Global keys, bound on the app.
    _b(
        "console.dashboard",
        "1",
        "show('dashboard')",
        "dashboard",
        "show the dashboard",
        show=False,
    ),
    _b(
        "console.events",
        "2",
        "show('events')",
        "events",
        "show the live events",
        show=False,
    ),
    _b("console.rules", "3", "show('rules')", "rules", "show the rules", show=False),
    _b(
        "console.editor", "4", "show('editor')", "editor", "edit rule files", show=False
    ),
    _b(
        "console.profiles",
        "5",
        "show('profiles')",
        "profiles",
        "find profiles",
        show=False,
    ),
    _b(
        "console.outbox", "6", "show('outbox')", "outbox", "show the outbox", show=False
    ),
    _b(
        "console.segments",
        "7",
        "show('segments')",
        "segments",
        "show segments",
        show=False,
    ),
    _b(
        "console.journeys",
        "8",
        "show('journeys')",
        "journeys",
        "show journeys",
        show=False,
    ),
    _b(
        "console.help",
        "question_mark",
        "help",
        "help",
        "list every key and what it does",
    ),
    _b(
        "console.palette",
        "ctrl+p",
        "command_palette",
        "palette",
        "search every command by name",
        show=False,
        priority=True,
    ),
    _b(
        "console.theme",
        "ctrl+t",
        "toggle_theme",
        "theme",
        "switch between the dark and the light theme",
        show=False,
    ),
    _b(
        "console.log",
        "ctrl+l",
        "toggle_log",
        "log",
        "show or hide the log panel",
        show=False,
    ),
    _b(
        "console.screenshot",
        "f12",
        "screenshot",
        "screenshot",
        "save an SVG picture of the screen in the current directory",
        show=False,
    ),
    _b(
        "console.quit",
        "ctrl+q",
        "quit",
        "quit",
        "leave the console (the feed stops first)",
        priority=True,
    ),
    # Dashboard.
    _b("dashboard.refresh", "r", "refresh", "refresh", "read the figures again now"),
    # Live events.
    _b("events.pause", "p", "pause", "pause", "pause or resume the stream"),
    _b("events.filter", "slash", "filter", "filter", "filter by type, profile, source"),
    _b("events.follow", "f", "follow", "follow", "jump to the newest event and stay"),
    _b(
        "events.profile",
        "o",
        "open_profile",
        "profile",
        "open the profile of the selected event",
    ),
    _b("events.clear", "c", "clear", "clear", "drop the events shown so far"),
    *(
        _b(f"events.{name}", key, action, name, text, show=False, widget="EventStream")
        for name, key, action, text in (
            ("up", "up,k", "cursor(-1)", "move to the event before"),
            ("down", "down,j", "cursor(1)", "move to the event after"),
            ("page-up", "pageup", "page(-1)", "move up a screenful"),
            ("page-down", "pagedown", "page(1)", "move down a screenful"),
            ("first", "home", "first", "move to the oldest event kept"),
            ("last", "end", "last", "move to the newest event and follow"),
        )
    ),
    _b(
        "events.stream",
        "escape",
        "stream",
        "stream",
        "leave the filter and move in the stream",
        show=False,
    ),
    # Rules.
    _b("rules.sort", "s", "sort", "sort", "sort by the next column"),
    _b("rules.reverse", "r", "reverse", "reverse", "reverse the sort order"),
    _b("rules.edit", "e", "edit", "edit", "edit the selected rule's file"),
    _b("rules.refresh", "g", "refresh", "refresh", "read the statistics again now"),
    # Rule editor.
    _b(
        "editor.save",
        "ctrl+s",
        "save",
        "save",
        "save the file (the running engine reloads the rules)",
        priority=True,
    ),
    _b(
        "editor.revert",
        "ctrl+r",
        "revert",
        "revert",
        "throw away changes since the last save",
        priority=True,
    ),
    _b(
        "editor.problem",
        "ctrl+n",
        "next_problem",
        "next problem",
        "move the cursor to the next diagnostic",
        priority=True,
    ),
    _b(
        "editor.leave",
        "escape",
        "leave",
        "files",
        "leave the text and choose another file",
    ),
    # Profiles.
    _b(
        "profiles.search",
        "slash",
        "search",
        "search",
        "search by id, e-mail, name or condition",
    ),
    _b(
        "profiles.results",
        "escape",
        "results",
        "results",
        "leave the search box and move in the results",
        show=False,
    ),
    _b(
        "profiles.forget",
        "x",
        "forget",
        "forget",
        "forget the open profile (asks first)",
    ),
    _b(
        "profiles.timeline",
        "t",
        "tab('timeline')",
        "timeline",
        "show the open profile's events",
    ),
    _b(
        "profiles.deliveries",
        "d",
        "tab('deliveries')",
        "deliveries",
        "show what was sent to the open profile",
    ),
    _b(
        "profiles.fields",
        "v",
        "tab('fields')",
        "fields",
        "show the open profile's fields",
    ),
    # Outbox.
    _b("outbox.status", "s", "next_status", "status", "show the next status"),
    _b("outbox.retry", "r", "retry", "retry", "send the selected row again"),
    _b("outbox.refresh", "g", "refresh", "refresh", "read the outbox again now"),
    # Segments and journeys.
    _b("segments.refresh", "r", "refresh", "refresh", "read segment sizes again now"),
    _b("journeys.refresh", "r", "refresh", "refresh", "read journeys again now"),
    # Dialogs.
    _b("help.close", "escape,q", "dismiss", "close", "close the help"),
    _b("confirm.yes", "y", "answer(True)", "yes", "go ahead"),
    _b("confirm.no", "n,escape", "answer(False)", "no", "leave things as they are"),
    _b("error.close", "escape,enter", "dismiss", "close", "close the error panel"),
)
"""Every key binding of the console, by area."""

BY_ID: dict[str, KeyBinding] = {entry.id: entry for entry in REGISTRY}


def of_area(area: str) -> list[KeyBinding]:
    """The registry entries of one area, in registry order."""
    return [entry for entry in REGISTRY if entry.area == area]


def bindings(area: str, widget: str | None = None) -> list[Binding]:
    """Textual ``BINDINGS`` for one area's screen (or one widget of it), with ids."""
    return [
        Binding(
            entry.key,
            entry.action,
            entry.label,
            show=entry.show,
            priority=entry.priority,
            tooltip=entry.description,
            id=entry.id,
        )
        for entry in of_area(area)
        if entry.widget == widget
    ]


_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED = frozenset(key.value for key in Keys)


def key_problem(keys: str) -> str | None:
    """Why ``keys`` (e.g. ``"ctrl+r"`` or ``"f5,space"``) is not a key, or None."""
    for one in keys.split(","):
        *modifiers, name = one.strip().split("+")
        unknown = [m for m in modifiers if m not in _MODIFIERS]
        if unknown:
            return f"{unknown[0]!r} is not a modifier (ctrl, shift, alt, meta)"
        character = key_to_character(REPLACED_KEYS.get(name, name))
        if len(name) == 1 or name in _NAMED or character is not None:
            continue
        return f'{one.strip()!r} is not a key name such as "ctrl+r", "f5", "space"'
    return None


def keymap_of(overrides: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The overrides that can be used, and one message per one that cannot."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in overrides.items():
        where = f"console.keys.{binding_id}"
        if binding_id not in BY_ID:
            close = difflib.get_close_matches(binding_id, list(BY_ID), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else " (? lists them)"
            problems.append(f"{where}: no such binding{hint}")
            continue
        problem = key_problem(keys)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        keymap[binding_id] = ",".join(
            _character_to_key(k) if len(k) == 1 else k
            for k in (part.strip() for part in keys.split(","))
        )
    return keymap, problems


def effective_key(entry: KeyBinding, keymap: Mapping[str, str]) -> str:
    """The key an entry answers to once tracsh.toml's overrides apply."""
    return keymap.get(entry.id, entry.key)
