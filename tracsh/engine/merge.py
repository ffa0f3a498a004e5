"""Profile merging: ``merge profile on <path>, …`` joins every profile that matches.

A merge action only records a request; after the event's rules have run, the
requests of the event are applied together: the group is every profile equal
to a member on all the paths of a request, followed until no profile joins, so
several merge rules give the same group in any order. The oldest profile
survives and answers to every merged id; sessions, events, outbox rows, timers
and ``once per profile`` records move to it (merged sessions at once, the rest
at commit). How documents combine is combine.py's business. See
docs/identity.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracsh.engine import docpath
from tracsh.engine.combine import combine_profiles
from tracsh.engine.identify import event_time
from tracsh.engine.working import WorkingSet
from tracsh.lang import nodes, values
from tracsh.lang.scope import MISSING, Report, Scope
from tracsh.lang.sql import json_path, nameable, to_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeRequest:
    """A merge action that fired: for which profile, on which paths, by which rule."""

    profile_id: str
    keys: tuple[nodes.Path, ...]
    rule_id: str


def request_merge(firing: Any, node: nodes.Merge) -> str:
    """The ``merge profile on …`` handler: the merge happens after the rules."""
    keys = tuple(node.keys)
    missing = [k for k in keys if _absent(docpath.read(firing.profile, k.parts))]
    request = MergeRequest(firing.profile["id"], keys, firing.rule.id)
    firing.work.merge_requests.append(request)
    shown = ", ".join(_path_text(k) for k in keys)
    if missing:
        return f"merge on {shown}: {_path_text(missing[0])} is empty, nothing to match"
    return f"merge on {shown}: after this event's rules"


def _path_text(path: nodes.Path) -> str:
    return ".".join([path.root, *(str(p) for p in path.parts)])


def _indexable(parts: tuple[str | int, ...]) -> bool:
    return all(nameable(part) for part in parts if isinstance(part, str))


def _absent(value: Any) -> bool:
    return value is MISSING or value is None or value == ""


def merge_key_paths(book: Any) -> set[str]:
    """The JSON paths of every merge key in a rule book, for expression indexes.

    A key no JSON path can name gets no index; its merges are found through the
    bridge (tracsh.lang.sql), which reads the document in Python.
    """
    found: set[str] = set()
    actions = [a for rule in book.rules for a in rule.node.actions]
    actions += [a for j in book.journeys for s in j.steps for a in s.actions]
    for action in actions:
        if isinstance(action, nodes.Merge):
            found.update(
                json_path(key.parts) for key in action.keys if _indexable(key.parts)
            )
    return found


# --- finding the group -----------------------------------------------------------


def _matches(work: WorkingSet, keys: tuple, wanted: list, now: datetime) -> list[dict]:
    """Every profile equal to ``wanted`` at ``keys`` (the language's ``==``)."""
    found = {
        pid: doc
        for pid, doc in work.profiles.items()
        if pid not in work.merged_ids and _equal_at(doc, keys, wanted)
    }
    condition = nodes.And(
        tuple(
            nodes.Compare("==", key, nodes.Literal(value))
            for key, value in zip(keys, wanted, strict=True)
        )
    )
    sql = to_sql(condition, {"profile": "doc"}, now, label="merge")
    for doc in work.store.profiles_where(sql.text, sql.params):
        pid = doc["id"]
        if pid not in found and pid not in work.profiles and pid not in work.merged_ids:
            found[pid] = doc
    return list(found.values())


def _equal_at(doc: dict, keys: tuple, wanted: list) -> bool:
    return all(
        values.equals(docpath.read(doc, key.parts), value, Report()) is True
        for key, value in zip(keys, wanted, strict=True)
    )


def find_group(
    work: WorkingSet, profile: dict, requests: list[MergeRequest], now: datetime
) -> dict[str, dict]:
    """The profiles to merge: linked by equal values on a request's paths."""
    group = {profile["id"]: profile}
    queue = [profile]
    while queue:
        member = queue.pop()
        for request in requests:
            wanted = [docpath.read(member, key.parts) for key in request.keys]
            if any(_absent(value) for value in wanted):
                continue
            for doc in _matches(work, request.keys, wanted, now):
                if doc["id"] not in group:
                    group[doc["id"]] = doc
                    queue.append(doc)
    return group


# --- applying it -----------------------------------------------------------------


def apply_merges(work: WorkingSet, scope: Scope, outcome: Any) -> list[str] | None:
    """Apply this event's merge requests to ``scope.profile``.

    Returns None when nothing merged; otherwise the survivor is now
    ``scope.profile`` and the result is the segments the group held, against
    which live segments announce entering and leaving.
    """
    requests = [r for r in work.merge_requests if r.profile_id == scope.profile["id"]]
    work.merge_requests.clear()
    if not requests:
        return None
    group = find_group(work, scope.profile, requests, scope.now)
    if len(group) == 1:
        return None
    survivor = min(group.values(), key=_age)
    ranked = sorted(group.values(), key=lambda doc: _recency(doc, scope))
    merged, cancelled = combine_profiles(ranked, survivor["id"], scope.now)
    merged["visits"] = _visits(work, list(group.values()))
    rules = sorted({r.rule_id for r in requests})
    merged.setdefault("merges", []).append(
        {
            "time": scope.now.isoformat(),
            "ids": sorted(pid for pid in group if pid != survivor["id"]),
            "rules": rules,
        }
    )
    _rehome(work, merged, [pid for pid in group if pid != survivor["id"]], cancelled)
    _switch(scope, outcome, merged)
    log.info("merged %s into %s", ", ".join(sorted(group)), survivor["id"])
    return list(merged.get("segments") or [])


def _age(doc: dict) -> tuple:
    """Oldest first: by ``created`` as a time, then by id (unreadable: last)."""
    try:
        return 0, event_time(doc.get("created")), doc["id"]
    except ValueError:
        return 1, doc["id"]


def _recency(doc: dict, scope: Scope) -> tuple:
    """Least recently updated first; the profile this event updates is newest."""
    if doc is scope.profile:
        return 2, scope.now, doc["id"]
    try:
        return 1, event_time(doc.get("updated")), doc["id"]
    except ValueError:
        return 0, doc["id"]


def _visits(work: WorkingSet, docs: list[dict]) -> int:
    """Visits of the merged profile: each distinct session's visits, once."""
    ids = [doc["id"] for doc in docs]
    sessions = {s["id"]: s for s in work.store.sessions_of(ids)}
    for session in work.sessions.values():
        if (session.get("profile") or {}).get("id") in ids or session["id"] in sessions:
            sessions[session["id"]] = session
    if not sessions:
        counts = [doc.get("visits") for doc in docs]
        return max((c for c in counts if values.is_number(c)), default=0)
    return sum(
        s["visits"] if values.is_number(s.get("visits")) else 1
        for s in sessions.values()
    )


def _rehome(work: WorkingSet, merged: dict, gone: list[str], cancelled: list) -> None:
    """Make the working set see one profile where there were several."""
    survivor = merged["id"]
    for pid in gone:
        for alias in [pid, *(merged.get("ids") or [])]:
            if isinstance(alias, str) and alias != survivor:
                work.add_alias(alias, survivor)
        work.profiles.pop(pid, None)
        work.dirty_profiles.discard(pid)
    work.profiles[survivor] = merged
    work.dirty_profiles.add(survivor)
    moved = set(gone)
    for session in work.sessions.values():
        if (session.get("profile") or {}).get("id") in moved:
            session["profile"] = {"id": survivor}
            work.dirty_sessions.add(session["id"])
    for row in work.outbox:
        if row.get("profile_id") in moved:
            row["profile_id"] = survivor
    _move_firings(work, moved, survivor)
    work.timers.repoint(moved, survivor)
    for key in cancelled:
        work.timers.done(key)
    work.merged.append((survivor, sorted(moved)))
    work.merged_ids.update(moved)


def _move_firings(work: WorkingSet, moved: set[str], survivor: str) -> None:
    for rule_id, scope, owner in list(work.fired):
        if scope == "profile" and owner in moved:
            time = work.fired.pop((rule_id, scope, owner))
            key = (rule_id, scope, survivor)
            current = work.fired.get(key) or work.store.get_fired(*key)
            if current is None or event_time(time) > event_time(current):
                work.fired[key] = time


def _switch(scope: Scope, outcome: Any, merged: dict) -> None:
    """The event goes on against the survivor."""
    scope.profile = merged
    scope.event["profile"] = {"id": merged["id"]}
    outcome.profile_id = merged["id"]
    outcome.trace.append(f"merged into profile {merged['id']}")
