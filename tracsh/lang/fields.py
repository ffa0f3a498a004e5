"""Profile and session fields tracsh keeps or reads back, and which writes they refuse.

The engine refuses such writes when a rule fires (tracsh/engine/changes.py);
the checker refuses, before any rule runs, the ones certain to be refused then.
"""

from __future__ import annotations

from typing import Any

from tracsh.lang import values
from tracsh.lang.scope import MISSING

KEPT = {
    "profile": frozenset({"id", "ids", "created", "journeys"}),
    "session": frozenset({"id", "profile", "started", "last_seen"}),
}
"""Fields tracsh keeps itself: no rule writes them or anything inside them."""

KINDS = {
    "profile": {
        "visits": "a number",
        "views": "a number",
        "updated": "text",
        "last_seen": "text",
        "traits": "an object",
        "pii": "an object",
        "segments": "a list",
        "interests": "an object",
        "consents": "an object",
        "counters": "an object",
    },
    "session": {"visits": "a number", "events": "a number", "context": "an object"},
}
"""Fields the engine reads back: a rule replaces them only by their kind of value."""

IS_KIND = {
    "a number": values.is_number,
    "text": lambda value: isinstance(value, str),
    "an object": lambda value: isinstance(value, dict),
    "a list": lambda value: isinstance(value, list),
}


def path_text(root: str, parts: tuple[str | int, ...]) -> str:
    """A path as rules write it: ``profile.traits.items[0]``."""
    text = root
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def kept(root: str, parts: tuple[str | int, ...]) -> str | None:
    """Why no rule may write ``root.parts`` at all, or None."""
    if not parts:
        return f"cannot replace the whole {root}"
    if parts[0] in KEPT.get(root, ()):
        return f"{path_text(root, parts)} is kept by tracsh and cannot be written"
    return None


def kind_of(root: str, parts: tuple[str | int, ...]) -> str | None:
    """The kind of value the engine keeps at ``root.parts`` (a whole field), or
    None when any value may go there."""
    return KINDS.get(root, {}).get(parts[0]) if len(parts) == 1 else None


def wrong_kind(root: str, parts: tuple[str | int, ...], value: Any) -> str | None:
    """Why ``value`` (MISSING: deleting) cannot replace a whole field, or None.

    The engine itself reads these fields (visits, segments, consents, …); a value
    of another kind there would break every later event of the profile.
    """
    kind = kind_of(root, parts)
    if kind is None or (value is not MISSING and IS_KIND[kind](value)):
        return None
    return f"{path_text(root, parts)} must stay {kind}"
