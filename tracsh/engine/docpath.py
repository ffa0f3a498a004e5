"""Reading and writing JSON documents by the paths of rule actions.

Actions write into the profile or the session being processed; these functions
do the walking, creating missing intermediate objects on the way. A write whose
path does not fit the document raises PathConflict with the reason, and never
replaces a stored value that is in the way.
"""

from __future__ import annotations

from typing import Any

from tracsh.lang.printer import value as shown
from tracsh.lang.scope import MISSING


class PathConflict(Exception):
    """A write met a value of the wrong kind on the way (a list index into text)."""


def read(doc: Any, parts: tuple[str | int, ...]) -> Any:
    """The value at ``parts`` inside ``doc``, or MISSING."""
    for part in parts:
        if isinstance(part, str) and isinstance(doc, dict):
            doc = doc.get(part, MISSING)
        elif (
            isinstance(part, int)
            and isinstance(doc, list)
            and -len(doc) <= part < len(doc)
        ):
            doc = doc[part]
        else:
            return MISSING
        if doc is MISSING:
            return MISSING
    return doc


def _container(doc: Any, parts: tuple[str | int, ...]) -> Any:
    """The object or list holding the last part, created on the way when absent."""
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        if isinstance(part, str) and isinstance(doc, dict):
            child = doc.get(part)
            if child is None:  # missing or null: nothing is lost by filling it
                child = [] if isinstance(following, int) else {}
                doc[part] = child
            elif not isinstance(child, (dict, list)):
                raise PathConflict(
                    f"{shown(part)} holds {_kind(child)}, not an object or list"
                )
            doc = child
        elif (
            isinstance(part, int)
            and isinstance(doc, list)
            and -len(doc) <= part < len(doc)
        ):
            doc = doc[part]
        else:
            raise PathConflict(
                f"cannot walk into {type(doc).__name__} at {shown(part)}"
            )
    return doc


def _kind(value: Any) -> str:
    """What a stored value is, in the words of the language docs."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "text" if isinstance(value, str) else type(value).__name__


def write(doc: dict, parts: tuple[str | int, ...], value: Any) -> None:
    """Store ``value`` at ``parts`` inside ``doc``; raises PathConflict."""
    holder = _container(doc, parts)
    last = parts[-1]
    if isinstance(last, str) and isinstance(holder, dict):
        holder[last] = value
    elif isinstance(last, int) and isinstance(holder, list):
        if -len(holder) <= last < len(holder):
            holder[last] = value
        elif last == len(holder):
            holder.append(value)
        else:
            raise PathConflict(
                f"index {last} is past the end of a list of {len(holder)}"
            )
    else:
        raise PathConflict(f"cannot write {shown(last)} into {type(holder).__name__}")


def delete(doc: dict, parts: tuple[str | int, ...]) -> bool:
    """Remove the value at ``parts``; True when something was removed."""
    holder = read(doc, parts[:-1]) if len(parts) > 1 else doc
    last = parts[-1]
    if isinstance(last, str) and isinstance(holder, dict) and last in holder:
        del holder[last]
        return True
    if (
        isinstance(last, int)
        and isinstance(holder, list)
        and -len(holder) <= last < len(holder)
    ):
        del holder[last]
        return True
    return False
