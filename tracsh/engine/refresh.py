"""``tracsh segment refresh``: live segments re-evaluated over the whole store in SQL.

Each segment's condition is compiled to SQL (tracsh.lang.sql) and two UPDATE
statements add the segment to the profiles that now match and take it from
those that no longer do, without loading a profile into Python. The profiles
that changed then get their ``segment-entered`` / ``segment-left`` events
through the engine, as internal events, in the same transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracsh.engine.identify import derived_id
from tracsh.engine.outcome import Outcome
from tracsh.engine.times import utc_text
from tracsh.engine.working import WorkingSet
from tracsh.lang import nodes
from tracsh.lang.sql import to_sql

WHY = (
    "; segment refresh evaluates conditions over stored profiles, and only "
    "profile fields are stored (event, session and source exist while an event "
    "is processed)"
)

_ENTER = (
    "UPDATE profiles SET doc = json_set(doc, '$.segments', json(json_insert("
    "CASE WHEN json_type(doc, '$.segments') = 'array' "
    "THEN json_extract(doc, '$.segments') ELSE '[]' END, '$[#]', ?1))) "
    "WHERE ({condition}) IS 1 AND NOT ({member}) RETURNING id"
)
_LEAVE = (
    "UPDATE profiles SET doc = json_set(doc, '$.segments', json(("
    "SELECT json_group_array(CASE WHEN s.type IN ('array', 'object') "
    "THEN json(s.value) ELSE s.value END) FROM json_each(doc, '$.segments') AS s "
    "WHERE NOT (s.type = 'text' AND s.value = ?1)))) "
    "WHERE ({condition}) IS NOT 1 AND ({member}) RETURNING id"
)


@dataclass
class Refreshed:
    """What refreshing one segment changed."""

    segment: str
    entered: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    members: int = 0
    seconds: float = 0.0


def refresh_segment(store: Any, segment: Any, now: datetime) -> Refreshed:
    """Bring one live segment's membership up to date in SQL (no events).

    ``segment`` is a LoadedSegment or CompiledSegment (a name and a node).
    Raises SqlRefused when the condition cannot run over stored profiles.
    """
    started = time.perf_counter()
    label = getattr(segment, "path", None) or "<rules>"
    why = f" in segment {segment.name!r}{WHY}"
    condition = to_sql(
        segment.node.condition, {"profile": "doc"}, now, label, why, first=2
    )
    member = nodes.InSegment(segment.name)
    held = to_sql(member, {"profile": "doc"}, now, first=2 + len(condition.params))
    params = (segment.name, *condition.params, *held.params)
    found = Refreshed(segment.name)
    for sql, target in ((_ENTER, found.entered), (_LEAVE, found.left)):
        text = sql.format(condition=condition.text, member=held.text)
        target.extend(pid for (pid,) in store.db.execute(text, params))
    alone = to_sql(member, {"profile": "doc"}, now)
    found.members = store.db.execute(
        f"SELECT count(*) FROM profiles WHERE {alone.text}", alone.params
    ).fetchone()[0]
    found.seconds = time.perf_counter() - started
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
                outcomes.append(engine.process_one(work, event, depth=1))
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
