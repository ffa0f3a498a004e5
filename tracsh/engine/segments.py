"""Pipeline step 4: re-evaluate live segments and announce who entered or left.

A live segment's membership is kept in ``profile.segments`` next to manual
segments. Only a condition that is true puts a profile in a segment; false or
unknown takes it out. Entering and leaving emit the internal events
``segment-entered`` and ``segment-left``.
"""

from __future__ import annotations

from tracsh.engine.identify import derived_id
from tracsh.engine.rulebook import CompiledSegment
from tracsh.lang.scope import Scope


def refresh_segments(
    segments: list[CompiledSegment], scope: Scope, profile: dict, before: list[str]
) -> tuple[list[str], list[str]]:
    """Update ``profile['segments']``; return the names entered and left.

    Entering and leaving are judged against ``before``, the segments when the
    event arrived, so a rule's ``add segment``/``remove segment`` on a live
    segment, which the condition undoes here, announces nothing.
    """
    current = profile.setdefault("segments", [])
    entered: list[str] = []
    left: list[str] = []
    for segment in segments:
        member = segment.check(scope) is True
        if member and segment.name not in current:
            current.append(segment.name)
        elif not member and segment.name in current:
            current.remove(segment.name)
        if member and segment.name not in before:
            entered.append(segment.name)
        elif not member and segment.name in before:
            left.append(segment.name)
    return entered, left


def segment_event(kind: str, name: str, cause: dict) -> dict:
    """The internal ``segment-entered`` / ``segment-left`` event for a change."""
    return {
        "id": derived_id(kind, name, cause["id"]),
        "type": kind,
        "time": cause["time"],
        "received": cause.get("received", cause["time"]),
        "source": {"id": "internal"},
        "session": dict(cause["session"]),
        "profile": dict(cause["profile"]),
        "properties": {"segment": name},
        "context": {"parent": cause["id"]},
        "tags": ["internal"],
    }
