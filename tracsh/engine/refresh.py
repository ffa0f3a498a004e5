"""``tracsh segment refresh``: live segments re-evaluated over the whole store in SQL.

Each segment's condition is compiled to SQL (tracsh.lang.sql); one scan finds
the profiles that enter and the members that leave, and only those are
updated, without loading a profile into Python. The profiles
that changed then get their ``segment-entered`` / ``segment-left`` events
through the engine, as internal events, in the same transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracsh.engine.identify import derived_id
from tracsh.engine.outcome import Outcome
from tracsh.engine.times import utc_text
from tracsh.engine.working import WorkingSet
from tracsh.lang import nodes
from tracsh.lang.printer import value as shown
from tracsh.lang.sql import to_sql

WHY = (
    "; segment refresh evaluates conditions over stored profiles, and only "
    "profile fields are stored (event, session and source exist while an event "
    "is processed)"
)

_SCAN = (
    "SELECT json_group_array(id) FILTER (WHERE code = 1), "
    "json_group_array(id) FILTER (WHERE code = 2), count(*) FILTER (WHERE code = 3) "
    "FROM (SELECT id, CASE WHEN {member} THEN 2 + (({condition}) IS 1) "
    "ELSE ({condition}) IS 1 END AS code FROM profiles LIMIT -1)"
)
"""Per profile, once: 1 enters, 2 leaves, 3 stays, 0 is not a member. The
``LIMIT`` keeps SQLite from copying ``code`` into each aggregate, which would
decide every profile three times."""
_ENTER = (
    "UPDATE profiles SET doc = json_set(doc, '$.segments', json(json_insert("
    "CASE WHEN json_type(doc, '$.segments') = 'array' "
    "THEN json_extract(doc, '$.segments') ELSE '[]' END, '$[#]', ?1))) WHERE id = ?2"
)
_LEAVE = (
    "UPDATE profiles SET doc = json_set(doc, '$.segments', json(("
    "SELECT json_group_array(CASE WHEN s.type IN ('array', 'object') "
    "THEN json(s.value) ELSE s.value END) FROM json_each(doc, '$.segments') AS s "
    "WHERE NOT (s.type = 'text' AND s.value = ?1)))) WHERE id = ?2"
)


@dataclass
class Refreshed:
    """What refreshing one segment changed."""

    segment: str
    entered: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    members: int = 0
    seconds: float = 0.0
    """CPU seconds the refresh took (SQLite runs in this process)."""


def refresh_segment(store: Any, segment: Any, now: datetime) -> Refreshed:
    """Bring one live segment's membership up to date in SQL (no events).

    ``segment`` is a LoadedSegment or CompiledSegment (a name and a node).
    Raises SqlRefused when the condition cannot run over stored profiles.
    """
    started = time.process_time()
    label = getattr(segment, "path", None) or "<rules>"
    why = f" in segment {shown(segment.name)}{WHY}"
    condition = to_sql(segment.node.condition, {"profile": "doc"}, now, label, why)
    member = nodes.InSegment(segment.name)
    held = to_sql(member, {"profile": "doc"}, now, first=1 + len(condition.params))
    # One scan decides each profile once: membership (a text search skips most
    # documents), then the condition. Only the changes are written.
    found = Refreshed(segment.name)
    scan = _SCAN.format(condition=condition.text, member=held.text)
    entered, left, stays = store.db.execute(
        scan, (*condition.params, *held.params)
    ).fetchone()
    found.entered, found.left = json.loads(entered), json.loads(left)
    found.members = stays
    found.members += len(found.entered)
    store.conn.executemany(_ENTER, [(segment.name, pid) for pid in found.entered])
    store.conn.executemany(_LEAVE, [(segment.name, pid) for pid in found.left])
    found.seconds = time.process_time() - started
    return found


def announce(engine: Any, changes: list[Refreshed], now: datetime) -> list[Outcome]:
    """Process ``segment-entered`` / ``segment-left`` for every profile that changed."""
    work = WorkingSet(engine.store)
    outcomes = []
    for change in changes:
        for kind, ids in (
            ("segment-entered", change.entered),
            ("segment-left", change.left),
        ):
            for profile_id in ids:
                event = _segment_event(kind, change.segment, profile_id, now)
                outcomes.append(engine.process_internal(work, event))
    work.flush()
    return outcomes


def _segment_event(kind: str, segment: str, profile_id: str, now: datetime) -> dict:
    moment = utc_text(now)
    return {
        "id": derived_id(kind, segment, profile_id, moment),
        "type": kind,
        "time": moment,
        "received": moment,
        "source": {"id": "internal"},
        "session": {"id": None},
        "profile": {"id": profile_id},
        "properties": {"segment": segment},
        "context": {"refresh": moment},
        "tags": ["internal"],
    }


def refresh_segments(
    engine: Any, segments: list[Any], now: datetime, events: bool = True
) -> tuple[list[Refreshed], list[Outcome]]:
    """Refresh ``segments`` and announce the changes, in one transaction."""
    store = engine.store
    with store.transaction():
        changes = [refresh_segment(store, segment, now) for segment in segments]
        outcomes = announce(engine, changes, now) if events else []
    return changes, outcomes
